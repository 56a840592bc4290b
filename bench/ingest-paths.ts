/**
 * `ddb.recordsPerRequest` (10,000 stream records), `forwarder.recordsPerRequest` (batched mode,
 * 10,000 events, batches cut at Lambda's 6 MB payload), `s3SmallFiles` (20 files of 150 records)
 * and `bigRecords` (16 KB records): each through its real batch processing and the real Certyo
 * client into the sandbox (20 ms latency, as for the S3 figure), with the batch sizes and body
 * cap the stack deploys.
 */
import { staticApiKey } from '../lambdas/shared/api-key';
import { createCertyoClient } from '../lambdas/shared/certyo-client';
import { runDdbPath } from '../local/harness/ddb-path';
import { streamRecords } from '../local/harness/ddb-stream';
import { eventRoutes } from '../local/harness/event-routes';
import { runForwarderPath } from '../local/harness/forwarder-path';
import { recordEvents } from '../local/harness/record-events';
import { lambdaMemoryMb, projectConfig, resourceEntries, synthesizeTemplates } from '../local/harness/synthesized';
import { LAMBDA_PAYLOAD_BYTES } from '../lambdas/forwarder/forward-batch';
import { generatedObjects } from '../local/harness/generated-objects';
import { MemoryQueue } from '../local/harness/memory-queue';
import { objectCreatedNotification, runS3Path } from '../local/harness/s3-path';
import { startSandbox } from '../local/sandbox';
import { emptyUsage } from './cost-model';
import { EmfMeter } from './emf-meter';
import { logBytes } from './log-bytes';
import type { RecordsPerRequestFigure } from './report';
import { requestsTo } from './sandbox-counts';
import { processDocumentDbBatch } from '../lambdas/mongo-ingest/process-batch';
import { noVerification } from '../lambdas/shared/verification-starter';
import { RecordingLog } from '../local/harness/recording-log';
import { documentDbChanges } from '../local/harness/mongo-changes';

const TENANT = 'bench';
const BULK = 'POST /api/v1/records/bulk';

export interface PathFigureOptions {
  /** @default 10_000 */
  readonly records?: number;
  /** @default 20 */
  readonly latencyMs?: number;
  readonly log?: (line: string) => void;
}

async function withSandbox<T>(
  latencyMs: number,
  body: (url: string, apiKey: string, stats: () => SandboxStats) => Promise<T>,
  maxBodyBytes?: number,
): Promise<T> {
  const sandbox = await startSandbox({ latencyMs, rateLimit: 1_000_000_000, flushMs: 3_600_000, anchorDelayMs: 3_600_000, ...(maxBodyBytes ? { maxBodyBytes } : {}) });
  try {
    return await body(sandbox.url, sandbox.apiKey, () => sandbox.stats());
  } finally {
    await sandbox.close();
  }
}

type SandboxStats = ReturnType<Awaited<ReturnType<typeof startSandbox>>['stats']>;

/** A path's records-per-request figure and usage from one run; every record must have been stored. */
function pathFigure(input: {
  readonly path: string;
  readonly records: number;
  readonly memory: number;
  readonly stats: () => SandboxStats;
  readonly run: { readonly invocations: number; readonly handlerMs: number; readonly log: { readonly lines: Parameters<typeof logBytes>[0] } };
  readonly emf: EmfMeter;
}): Omit<RecordsPerRequestFigure, 'notes'> {
  const { path, records, memory, run, emf } = input;
  const after = input.stats();
  if (after.recordsStored !== records) throw new Error(`${path} bench: ${after.recordsStored} of ${records} records stored`);
  const requests = requestsTo(after, BULK);
  return {
    records,
    requests,
    recordsPerRequest: Math.round((records / requests) * 10) / 10,
    invocations: run.invocations,
    handlerMs: run.handlerMs,
    usage: {
      ...emptyUsage(records, memory),
      certyoRequests: requests,
      lambdaInvocations: run.invocations,
      lambdaMs: run.handlerMs,
      logBytes: emf.bytes + logBytes(run.log.lines),
      traces: run.invocations,
    },
  };
}

export async function measureDdb(options: PathFigureOptions = {}): Promise<RecordsPerRequestFigure> {
  const { records = 10_000, latencyMs = 20, log = () => undefined } = options;
  const config = projectConfig();
  const memory = lambdaMemoryMb(synthesizeTemplates())['ddb-ingest'] ?? 512;
  return withSandbox(latencyMs, async (url, apiKey, stats) => {
    const certyo = createCertyoClient({ apiUrl: url, apiKey: staticApiKey(apiKey) });
    const emf = new EmfMeter('dynamodb', () => certyo.rateLimit);
    const run = await runDdbPath(streamRecords({ records, keyPrefix: 'BENCH' }), {
      certyo,
      tenantId: TENANT,
      batchSize: config.dynamodb.batchSize,
      reporter: { batchSent: (o) => emf.batchSent(o), finished: (s) => emf.recordsRejected(s.unmappable) },
      afterInvocation: () => emf.flush(),
    });
    const figure = pathFigure({ path: 'ddb', records, memory, stats, run, emf });
    log(`ddb: ${records} stream records, batch size ${config.dynamodb.batchSize}: ${figure.requests} requests, ${run.invocations} invocations`);
    return { ...figure, notes: [`event source mapping batch size ${config.dynamodb.batchSize} (certyo:dynamodb.batchSize)`, `${latencyMs} ms sandbox latency`] };
  });
}

export async function measureForwarder(options: PathFigureOptions = {}): Promise<RecordsPerRequestFigure> {
  const { records = 10_000, latencyMs = 20, log = () => undefined } = options;
  const overrides = { 'certyo:forwardingMode': 'batched' };
  const config = projectConfig(overrides);
  const templates = synthesizeTemplates(overrides);
  const memory = lambdaMemoryMb(templates).forwarder ?? 512;
  return withSandbox(latencyMs, async (url, apiKey, stats) => {
    const certyo = createCertyoClient({ apiUrl: url, apiKey: staticApiKey(apiKey) });
    const emf = new EmfMeter('forwarder', () => certyo.rateLimit);
    const run = await runForwarderPath(recordEvents({ events: records, idPrefix: 'bench' }), {
      routes: eventRoutes(templates),
      certyo,
      tenantId: TENANT,
      batchSize: config.forwarding.batchSize,
      batchWindowSeconds: config.forwarding.batchWindowSeconds,
      reporter: { ingested: (o) => emf.batchSent(o), invalid: (n) => emf.recordsRejected(n) },
      afterInvocation: () => emf.flush(),
    });
    const figure = pathFigure({ path: 'forwarder', records, memory, stats, run, emf });
    const fit = eventsPer6Mb();
    log(`forwarder: ${records} events, batch size ${config.forwarding.batchSize}: ${figure.requests} requests, ${run.invocations} invocations; ${fit.events} events fit 6 MB`);
    return {
      ...figure,
      eventsPer6Mb: fit.events,
      eventRecordBytes: fit.recordBytes,
      notes: [
        `buffer queue batch size ${config.forwarding.batchSize} (certyo:batched.batchSize); events routed by the synthesized batched-mode rule`,
        `batches cut at Lambda's 6 MB invocation payload: ${fit.events} of these events fit (${fit.recordBytes} bytes each as an SQS event record, 380-character receipt handles); a cut batch carries its trailing partial request`,
        `${latencyMs} ms sandbox latency`,
      ],
    };
  });
}

/**
 * `mongo.recordsPerRequest`: 10,000 DocumentDB change events (canonical Extended JSON, exact Int64
 * and Decimal128) through `mongo-ingest`'s batch processing in batches of the mapping's default
 * size. Atlas changes take the forwarder path, whose packing `forwarder.recordsPerRequest` measures.
 */
export async function measureMongo(options: PathFigureOptions & { readonly batchSize?: number } = {}): Promise<RecordsPerRequestFigure> {
  const { records = 10_000, latencyMs = 20, batchSize = 1000, log = () => undefined } = options;
  return withSandbox(latencyMs, async (url, apiKey, stats) => {
    const certyo = createCertyoClient({ apiUrl: url, apiKey: staticApiKey(apiKey) });
    const emf = new EmfMeter('mongodb', () => certyo.rateLimit);
    const changes = documentDbChanges(records);
    const runLog = new RecordingLog();
    let handlerMs = 0;
    let invocations = 0;
    for (let start = 0; start < changes.length; start += batchSize) {
      const began = performance.now();
      await processDocumentDbBatch(
        { eventSource: 'aws:docdb', eventSourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster:bench', events: changes.slice(start, start + batchSize).map((event) => ({ event })) },
        {
          certyo,
          deadLetters: { send: async () => undefined },
          verification: noVerification,
          reporter: { batchSent: (o) => emf.batchSent(o), finished: (s) => emf.recordsRejected(s.unmappable) },
          options: { tenantId: TENANT },
          log: runLog,
          deadline: Date.now() + 240_000,
          now: Date.now,
          sleep: async () => undefined,
        },
      );
      handlerMs += performance.now() - began;
      invocations++;
      emf.flush();
    }
    const figure = pathFigure({ path: 'mongo', records, memory: 1024, stats, run: { invocations, handlerMs: Math.round(handlerMs), log: runLog }, emf });
    log(`mongo: ${records} DocumentDB change events, batch size ${batchSize}: ${figure.requests} requests, ${invocations} invocations`);
    return { ...figure, notes: [`event source mapping batch size ${batchSize} (MongoDbIngest batchSize default)`, `${latencyMs} ms sandbox latency`] };
  });
}

/** How many bench events fit one Lambda invocation, as SQS event records of the buffer queue. */
function eventsPer6Mb(): { events: number; recordBytes: number } {
  const queue = new MemoryQueue('ForwardingBuffer');
  for (const event of recordEvents({ events: 10_000, idPrefix: 'bench' })) queue.send(JSON.stringify(event));
  const fitted = queue.receive(10_000, LAMBDA_PAYLOAD_BYTES);
  return { events: fitted.length, recordBytes: Math.round(Buffer.byteLength(JSON.stringify({ Records: fitted })) / fitted.length) };
}

/** The event source mapping's batch size of a function, from the synthesized templates. */
function deployedBatchSize(templates: ReturnType<typeof synthesizeTemplates>, logicalIdPrefix: string): number {
  const found = resourceEntries(templates, 'AWS::Lambda::EventSourceMapping').find(([id]) => id.startsWith(logicalIdPrefix));
  const size = Number(found?.[1].Properties?.BatchSize);
  if (!Number.isInteger(size)) throw new Error(`no event source mapping ${logicalIdPrefix}* with a BatchSize in the synthesized templates`);
  return size;
}

interface S3FilesOptions extends PathFigureOptions {
  readonly files: number;
  readonly recordsPerFile: number;
  /** @default 200 */
  readonly lineBytes?: number;
  /** The sandbox's largest body. @default - the sandbox's default */
  readonly sandboxMaxBodyBytes?: number;
}

/** NDJSON files uploaded together through the s3-ingest queue and function, with the deployed batch size and body cap. */
async function measureS3Files(path: string, options: S3FilesOptions): Promise<RecordsPerRequestFigure> {
  const { files, recordsPerFile, lineBytes = 200, latencyMs = 20, log = () => undefined } = options;
  const templates = synthesizeTemplates();
  const memory = lambdaMemoryMb(templates)['s3-ingest'] ?? 1024;
  const batchSize = deployedBatchSize(templates, 'S3IngestFunction');
  const maxBodyBytes = projectConfig().bulkMaxBodyBytes;
  const specs = Object.fromEntries(Array.from({ length: files }, (_, f) => [`bench/${path}-${f}.ndjson`, { records: recordsPerFile, idPrefix: `${path}-${f}`, lineBytes }]));
  const eventTime = new Date().toISOString();
  const notifications = Object.keys(specs).map((key, f) => objectCreatedNotification({ bucket: 'bench', key, etag: `etag-${f}`, size: recordsPerFile * lineBytes, eventTime }));
  return withSandbox(
    latencyMs,
    async (url, apiKey, stats) => {
      const certyo = createCertyoClient({ apiUrl: url, apiKey: staticApiKey(apiKey), maxBodyBytes });
      const emf = new EmfMeter('s3', () => certyo.rateLimit);
      const run = await runS3Path(notifications, {
        certyo,
        objects: generatedObjects(specs),
        tenantId: TENANT,
        batchSize,
        reporter: { batchSent: (o) => emf.batchSent(o), recordsRejected: (n) => emf.recordsRejected(n) },
        afterInvocation: () => emf.flush(),
      });
      const records = files * recordsPerFile;
      const figure = pathFigure({ path, records, memory, stats, run, emf });
      log(`${path}: ${files} files x ${recordsPerFile} records of ~${lineBytes} bytes: ${figure.requests} requests, ${run.invocations} invocations`);
      return {
        ...figure,
        usage: { ...figure.usage, s3Gets: files, sqsRequests: run.queue.requests.send + run.queue.requests.receive + run.queue.requests.delete },
        notes: [
          `${files} notifications delivered together; queue batch size ${batchSize} (S3Ingest batchSize), body cap ${maxBodyBytes} bytes (certyo:bulkMaxBodyBytes)`,
          ...(options.sandboxMaxBodyBytes ? [`sandbox accepts bodies up to ${options.sandboxMaxBodyBytes} bytes (the API reference names no limit)`] : []),
          `${latencyMs} ms sandbox latency`,
        ],
      };
    },
    options.sandboxMaxBodyBytes,
  );
}

/** `s3SmallFiles`: 20 files of 150 records uploaded together share bulk requests. */
export async function measureS3SmallFiles(options: PathFigureOptions & { readonly files?: number } = {}): Promise<RecordsPerRequestFigure> {
  return measureS3Files('s3SmallFiles', { ...options, files: options.files ?? 20, recordsPerFile: 150 });
}

/** `bigRecords`: records of 16 KB, packed up to the body cap (1,000 of them need ~16.5 MB). */
export async function measureBigRecords(options: PathFigureOptions = {}): Promise<RecordsPerRequestFigure> {
  const maxBodyBytes = projectConfig().bulkMaxBodyBytes;
  return measureS3Files('bigRecords', { ...options, files: 1, recordsPerFile: options.records ?? 5_000, lineBytes: 16 * 1024, sandboxMaxBodyBytes: maxBodyBytes });
}
