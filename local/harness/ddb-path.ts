/**
 * Runs the DynamoDB stream path offline: stream records are handed to the real
 * `processStreamBatch` of `lambdas/ddb-ingest` (real settings reader, real Certyo client) the way
 * the event source mapping does — in order, `batchSize` at a time, and after a partial batch
 * failure again from the reported sequence number, up to `maxRetries` times before the rest of
 * the batch goes to the on-failure destination.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { CertyoApi } from '../../lambdas/shared/certyo-types';
import { sleep } from '../../lambdas/shared/retry';
import { noVerification, VerificationStarter } from '../../lambdas/shared/verification-starter';
import { processStreamBatch, StreamReporter } from '../../lambdas/ddb-ingest/process-stream';
import { readDdbIngestSettings } from '../../lambdas/ddb-ingest/settings';
import { MemoryDeadLetters } from './memory-queue';
import { RecordingLog } from './recording-log';

export interface DdbPathOptions {
  readonly certyo: CertyoApi;
  readonly tenantId: string;
  /** The event source mapping's batch size. @default 1000 */
  readonly batchSize?: number;
  /** Retries of a failing batch before the on-failure destination. @default 10 */
  readonly maxRetries?: number;
  /** Time one invocation may use. @default 40_000 */
  readonly invocationMs?: number;
  /** @default noVerification */
  readonly verification?: VerificationStarter;
  readonly reporter?: StreamReporter;
  readonly afterInvocation?: () => void;
}

export interface DdbPathRun {
  readonly invocations: number;
  readonly handlerMs: number;
  /** Unmappable or refused records, with reasons (the function's dead-letter queue). */
  readonly rejected: MemoryDeadLetters;
  /** Records the mapping gave up on after `maxRetries` (the on-failure destination). */
  readonly onFailure: DynamoDBRecord[];
  readonly log: RecordingLog;
}

const NO_REPORTER: StreamReporter = { batchSent: () => undefined, finished: () => undefined };

export async function runDdbPath(records: readonly DynamoDBRecord[], options: DdbPathOptions): Promise<DdbPathRun> {
  const rejected = new MemoryDeadLetters();
  const log = new RecordingLog();
  const settings = readDdbIngestSettings({ DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/DdbIngestDeadLetters' });
  const batchSize = options.batchSize ?? 1000;
  const maxRetries = options.maxRetries ?? 10;
  const onFailure: DynamoDBRecord[] = [];
  let invocations = 0;
  let handlerMs = 0;
  let position = 0;
  let retries = 0;
  while (position < records.length) {
    const batch = records.slice(position, position + batchSize);
    invocations++;
    const started = Date.now();
    let resumeAt: number;
    try {
      const response = await processStreamBatch(batch, {
        certyo: options.certyo,
        deadLetters: rejected,
        verification: options.verification ?? noVerification,
        writeBack: { write: async () => 'written' },
        reporter: options.reporter ?? NO_REPORTER,
        options: { tenantId: options.tenantId, database: settings.database, ttlDeletes: settings.ttlDeletes, writeBack: false },
        log,
        now: Date.now,
        sleep,
        deadline: started + (options.invocationMs ?? 40_000),
      });
      const failed = response.batchItemFailures[0]?.itemIdentifier;
      resumeAt = failed === undefined ? batch.length : batch.findIndex((r) => r.dynamodb?.SequenceNumber === failed);
      if (resumeAt < 0) throw new Error(`batchItemFailures names sequence number ${failed}, which is not in the batch`);
    } catch (error) {
      log.error('invocation failed; the whole batch is retried', { error: error instanceof Error ? error.message : String(error) });
      resumeAt = 0;
    }
    options.afterInvocation?.();
    handlerMs += Date.now() - started;
    if (resumeAt === batch.length) {
      position += batch.length;
      retries = 0;
    } else if (++retries > maxRetries) {
      onFailure.push(...batch.slice(resumeAt));
      position += batch.length;
      retries = 0;
    } else {
      position += resumeAt;
    }
  }
  return { invocations, handlerMs, rejected, onFailure, log };
}
