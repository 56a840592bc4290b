/**
 * Runs the S3 ingest path offline: an S3 ObjectCreated notification goes onto an in-memory
 * copy of the ingest queue, and the real `processQueueBatch` of `lambdas/s3-ingest` handles it
 * with the real settings reader, a real Certyo client and the given object source, invocation
 * after invocation, until the queue (continuations included) is empty. Only the AWS services
 * around the function are stand-ins: SQS (`MemoryQueue`) and the dead-letter sink.
 */
import { CertyoApi } from '../../lambdas/shared/certyo-types';
import { noVerification, VerificationStarter } from '../../lambdas/shared/verification-starter';
import { continuationBody } from '../../lambdas/s3-ingest/continuation';
import { IngestReporter } from '../../lambdas/s3-ingest/file-ingest';
import { ObjectSource } from '../../lambdas/s3-ingest/object-source';
import { BatchDeps, processQueueBatch } from '../../lambdas/s3-ingest/process-batch';
import { RecordingLog } from './recording-log';
import { readS3IngestSettings } from '../../lambdas/s3-ingest/settings';
import { MemoryDeadLetters, MemoryQueue } from './memory-queue';

export interface S3Upload {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  readonly versionId?: string;
  /** @default now */
  readonly eventTime?: string;
}

/** An `ObjectCreated:Put` notification as S3 sends it (keys URL-encoded, `+` for a space). */
export function objectCreatedNotification(upload: S3Upload): string {
  const key = encodeURIComponent(upload.key).replace(/%20/g, '+').replace(/%2F/g, '/');
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: upload.eventTime ?? new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AIDAEXAMPLELOCALRUN' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'LOCALRUN0000000', 'x-amz-id-2': 'local/run' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'CertyoIngest',
          bucket: { name: upload.bucket, ownerIdentity: { principalId: 'A3NL1KOZZKExample' }, arn: `arn:aws:s3:::${upload.bucket}` },
          object: { key, size: upload.size, eTag: upload.etag, ...(upload.versionId ? { versionId: upload.versionId } : {}), sequencer: '0055AED6DCD90281E5' },
        },
      },
    ],
  });
}

export interface S3PathOptions {
  readonly certyo: CertyoApi;
  readonly objects: ObjectSource;
  readonly tenantId: string;
  /** @default noVerification */
  readonly verification?: VerificationStarter;
  /** Where the function's metrics go (the handler's `publishIngestMetrics`). @default - none */
  readonly reporter?: IngestReporter;
  /** Called when an invocation returns (where the handler flushes its metrics). @default - nothing */
  readonly afterInvocation?: () => void;
  /** Time one invocation may use before it continues the file in a new one (Lambda timeout minus the handler's safety). @default 280_000 */
  readonly invocationMs?: number;
  /** Messages per invocation (the event source mapping's batch size). @default 10 */
  readonly batchSize?: number;
  /** Stop after this many invocations (a run that never ends is a bug to report, not to wait for). @default 10_000 */
  readonly maxInvocations?: number;
}

export interface S3PathRun {
  readonly invocations: number;
  /** Summed wall time of the invocations (what Lambda would bill, roughly). */
  readonly handlerMs: number;
  /** Bad records and files, with reasons (the rejected-records queue). */
  readonly rejected: MemoryDeadLetters;
  /** The ingest queue, with its dead-letter queue and request counts. */
  readonly queue: MemoryQueue;
  readonly log: RecordingLog;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Environment the s3-ingest construct sets; read by the function's own settings reader. */
function settingsEnv(queue: MemoryQueue, rejectedQueueUrl: string): NodeJS.ProcessEnv {
  return { INGEST_QUEUE_URL: queue.url, REJECTED_QUEUE_URL: rejectedQueueUrl };
}

/** Delivers `notifications` and runs the function until every file is finished or dead-lettered. */
export async function runS3Path(notifications: readonly string[], options: S3PathOptions): Promise<S3PathRun> {
  const queue = new MemoryQueue('S3IngestQueue');
  const rejected = new MemoryDeadLetters();
  const log = new RecordingLog();
  const settings = readS3IngestSettings(options.tenantId, settingsEnv(queue, 'https://sqs.us-east-1.amazonaws.com/123456789012/S3Rejected'));
  const invocationMs = options.invocationMs ?? 280_000;
  const maxInvocations = options.maxInvocations ?? 10_000;
  for (const body of notifications) queue.send(body);

  let invocations = 0;
  let handlerMs = 0;
  while (queue.size > 0) {
    const records = queue.receive(options.batchSize ?? 10);
    if (records.length === 0) {
      await sleep(Math.max(1, (queue.nextVisibleAt() ?? Date.now()) - Date.now()));
      continue;
    }
    if (++invocations > maxInvocations) throw new Error(`runS3Path: more than ${maxInvocations} invocations; ${queue.size} messages left`);
    const started = Date.now();
    const deps: BatchDeps = {
      certyo: options.certyo,
      objects: options.objects,
      deadLetters: rejected,
      continuations: { enqueue: async (task, delaySeconds) => queue.send(continuationBody(task), delaySeconds) },
      verification: options.verification ?? noVerification,
      reporter: options.reporter ?? { batchSent: () => undefined, recordsRejected: () => undefined },
      mapping: settings.mapping,
      limits: settings.limits,
      log,
      now: Date.now,
      deadline: started + invocationMs,
    };
    let response;
    try {
      response = await processQueueBatch(records, deps);
    } catch (error) {
      response = error instanceof Error ? error : new Error(String(error));
    }
    options.afterInvocation?.();
    handlerMs += Date.now() - started;
    queue.settle(records, response);
  }
  return { invocations, handlerMs, rejected, queue, log };
}
