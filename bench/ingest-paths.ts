/**
 * `ddb.recordsPerRequest` (10,000 stream records) and `forwarder.recordsPerRequest` (batched
 * mode, 10,000 events): each through its real batch processing and the real Certyo client into
 * the sandbox (20 ms latency, as for the S3 figure), with the batch sizes the stack deploys.
 */
import { staticApiKey } from '../lambdas/shared/api-key';
import { createCertyoClient } from '../lambdas/shared/certyo-client';
import { runDdbPath } from '../local/harness/ddb-path';
import { streamRecords } from '../local/harness/ddb-stream';
import { eventRoutes } from '../local/harness/event-routes';
import { runForwarderPath } from '../local/harness/forwarder-path';
import { recordEvents } from '../local/harness/record-events';
import { lambdaMemoryMb, projectConfig, synthesizeTemplates } from '../local/harness/synthesized';
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

async function withSandbox<T>(latencyMs: number, body: (url: string, apiKey: string, stats: () => SandboxStats) => Promise<T>): Promise<T> {
  const sandbox = await startSandbox({ latencyMs, rateLimit: 1_000_000_000, flushMs: 3_600_000, anchorDelayMs: 3_600_000 });
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
      reporter: { ingested: (o) => emf.batchSent(o), invalid: (n) => emf.recordsRejected(n) },
      afterInvocation: () => emf.flush(),
    });
    const figure = pathFigure({ path: 'forwarder', records, memory, stats, run, emf });
    log(`forwarder: ${records} events, batch size ${config.forwarding.batchSize}: ${figure.requests} requests, ${run.invocations} invocations`);
    return {
      ...figure,
      notes: [
        `buffer queue batch size ${config.forwarding.batchSize} (certyo:batched.batchSize); events routed by the synthesized batched-mode rule`,
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
