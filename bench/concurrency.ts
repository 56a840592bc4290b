/**
 * `budget.*` (issue 20): S3 ingest (several files), DynamoDB ingest (several shards) and the
 * forwarder running at once, each instance with its own Certyo client, against one sandbox key
 * whose hour is compressed to a short window — once with the shared budget record (the real
 * `DynamoDbBudgetStore` over an in-memory table all instances share, with the deployed shares
 * policy scaled to the window) and once without (each instance on its own view: the baseline,
 * in the same run). Reports the sandbox's rate-limited 429s, requests sent before a known
 * `Retry-After`, how full each window was, records per request per path, and records lost or
 * stored twice.
 */
import { roundTo } from './numbers';
import { staticApiKey } from '../lambdas/shared/api-key';
import { createCertyoClient } from '../lambdas/shared/certyo-client';
import { IngestManyOutcome } from '../lambdas/shared/certyo-types';
import { BudgetPolicy, RateGovernor, sharedGovernor } from '../lambdas/shared/rate-budget';
import { DynamoDbBudgetStore } from '../lambdas/shared/rate-budget-dynamodb';
import { runDdbPath } from '../local/harness/ddb-path';
import { streamRecords } from '../local/harness/ddb-stream';
import { eventRoutes } from '../local/harness/event-routes';
import { runForwarderPath } from '../local/harness/forwarder-path';
import { generatedObjects } from '../local/harness/generated-objects';
import { MemoryBudgetTable } from '../local/harness/memory-budget-table';
import { recordEvents } from '../local/harness/record-events';
import { objectCreatedNotification, runS3Path } from '../local/harness/s3-path';
import { budgetPolicy } from '../lib/config';
import { projectConfig, synthesizeTemplates } from '../local/harness/synthesized';
import { startSandbox } from '../local/sandbox';
import { requestsTo } from './sandbox-counts';

export interface ConcurrencyOptions {
  /** @default 10 */
  readonly requestsPerWindow?: number;
  /** The compressed hour. @default 10_000 */
  readonly windowMs?: number;
  /** Files, shards and forwarder instances running at once. @default { s3Files: 3, ddbShards: 3, forwarders: 1 } */
  readonly instances?: { readonly s3Files: number; readonly ddbShards: number; readonly forwarders: number };
  /** Records each instance has to send. @default 8_000 */
  readonly recordsPerInstance?: number;
  /** @default 20 */
  readonly latencyMs?: number;
  readonly log?: (line: string) => void;
}

type Path = 's3' | 'ddb' | 'forwarder';

export interface ConcurrencyRun {
  /** Rate-limited answers (the window was spent), over the run. */
  readonly rateLimited429: number;
  /** The most rate-limited answers in one window. */
  readonly maxRateLimited429InAWindow: number;
  /** Requests that arrived before a `Retry-After` the key had been given. */
  readonly retryAfterViolations: number;
  /** Records stored in the full windows ÷ what they could hold (requests per window × 1,000). */
  readonly efficiency: number;
  /** Windows counted (all but the last, which the backlog did not fill). */
  readonly fullWindows: number;
  /** Records accepted per Certyo request (429s included), per path. */
  readonly recordsPerRequest: Readonly<Record<Path, number>>;
  readonly lost: number;
  readonly duplicated: number;
  readonly deadLettered: number;
  readonly certyoRequests: number;
  readonly wallMs: number;
  /** The shared record's DynamoDB calls. */
  readonly budgetTable?: { readonly getItem: number; readonly putItem: number; readonly conditionFailed: number; readonly callsPerCertyoRequest: number };
}

export interface ConcurrencyFigure {
  readonly requestsPerWindow: number;
  readonly windowMs: number;
  readonly instances: { readonly s3Files: number; readonly ddbShards: number; readonly forwarders: number };
  readonly records: number;
  /** The shared record's run: the figures the issue names. */
  readonly rateLimited429: number;
  readonly retryAfterViolations: number;
  readonly efficiency: number;
  readonly shared: ConcurrencyRun;
  /** Each instance on its own view of the limit (before issue 20), in the same run. */
  readonly perInstance: ConcurrencyRun;
  readonly notes: readonly string[];
}

const TENANT = 'bench';
const BULK = 'POST /api/v1/records/bulk';
const RECORDS_PER_REQUEST = 1000;

async function runAll(options: Required<Omit<ConcurrencyOptions, 'log'>>, policy: BudgetPolicy | undefined): Promise<ConcurrencyRun> {
  const { requestsPerWindow, windowMs, instances, recordsPerInstance, latencyMs } = options;
  const sandbox = await startSandbox({ latencyMs, rateLimit: requestsPerWindow, rateWindowMs: windowMs, flushMs: 3_600_000, anchorDelayMs: 3_600_000 });
  const table = new MemoryBudgetTable();
  const tally: Record<Path, { records: number; requests: number }> = { s3: { records: 0, requests: 0 }, ddb: { records: 0, requests: 0 }, forwarder: { records: 0, requests: 0 } };
  const sent = (path: Path) => (outcome: IngestManyOutcome) => {
    tally[path].records += outcome.accepted.length;
    tally[path].requests += outcome.requests;
  };
  try {
    // One Certyo client per Lambda instance; with the policy, all of them consult one record.
    const client = () => {
      const governor: RateGovernor | undefined =
        policy &&
        sharedGovernor(
          new DynamoDbBudgetStore(table, 'RateBudget', 'key:bench'),
          (error) => {
            throw error;
          },
          policy,
        );
      return createCertyoClient({ apiUrl: sandbox.url, apiKey: staticApiKey(sandbox.apiKey), governor });
    };
    const files = Object.fromEntries(Array.from({ length: instances.s3Files }, (_, i) => [`file-${i}.ndjson`, { records: recordsPerInstance, idPrefix: `s3-${i}` }]));
    const objects = generatedObjects(files);
    const overrides = { 'certyo:forwardingMode': 'batched' };
    const routes = eventRoutes(synthesizeTemplates(overrides));
    const started = Date.now();
    const runs = await Promise.all([
      ...Object.keys(files).map((key) =>
        runS3Path([objectCreatedNotification({ bucket: 'bench', key, etag: `"${key}"`, size: 1 })], {
          certyo: client(),
          objects,
          tenantId: TENANT,
          reporter: { batchSent: sent('s3'), recordsRejected: () => undefined },
        }),
      ),
      ...Array.from({ length: instances.ddbShards }, (_, i) =>
        runDdbPath(streamRecords({ records: recordsPerInstance, keyPrefix: `SHARD${i}` }), {
          certyo: client(),
          tenantId: TENANT,
          batchSize: projectConfig().dynamodb.batchSize,
          reporter: { batchSent: sent('ddb'), finished: () => undefined },
        }).then((run) => {
          if (run.onFailure.length > 0) throw new Error(`concurrency: ${run.onFailure.length} stream records of shard ${i} went to the on-failure destination`);
          return run;
        }),
      ),
      ...Array.from({ length: instances.forwarders }, (_, i) =>
        runForwarderPath(recordEvents({ events: recordsPerInstance, idPrefix: `forwarder-${i}` }), {
          routes,
          certyo: client(),
          tenantId: TENANT,
          batchSize: projectConfig(overrides).forwarding.batchSize,
          reporter: { ingested: sent('forwarder'), invalid: () => undefined },
        }),
      ),
    ]);
    const wallMs = Date.now() - started;
    const stats = sandbox.stats();
    const expected = recordsPerInstance * (instances.s3Files + instances.ddbShards + instances.forwarders);
    const windows = [...stats.rateWindows].sort((a, b) => a.endsAt - b.endsAt);
    const full = windows.slice(0, -1);
    const certyoRequests = requestsTo(stats, BULK);
    const calls = table.calls.getItem + table.calls.putItem;
    return {
      rateLimited429: windows.reduce((sum, w) => sum + w.throttled, 0),
      maxRateLimited429InAWindow: Math.max(0, ...windows.map((w) => w.throttled)),
      retryAfterViolations: stats.retryAfterViolations,
      efficiency: full.length === 0 ? 0 : roundTo(full.reduce((sum, w) => sum + w.recordsStored, 0) / (full.length * requestsPerWindow * RECORDS_PER_REQUEST), 3),
      fullWindows: full.length,
      recordsPerRequest: {
        s3: roundTo(tally.s3.records / tally.s3.requests, 1),
        ddb: roundTo(tally.ddb.records / tally.ddb.requests, 1),
        forwarder: roundTo(tally.forwarder.records / tally.forwarder.requests, 1),
      },
      lost: Math.max(0, expected - stats.recordsStored),
      duplicated: stats.duplicateIngests + Math.max(0, stats.recordsStored - expected),
      // Rejected records, and messages a queue's redrive policy moved aside (a file, or a buffered event).
      deadLettered: runs.reduce((sum, run) => sum + run.rejected.letters.length + ('queue' in run ? run.queue.deadLetters.length : 0), 0),
      certyoRequests,
      wallMs,
      ...(policy ? { budgetTable: { ...table.calls, callsPerCertyoRequest: roundTo(calls / certyoRequests, 2) } } : {}),
    };
  } finally {
    await sandbox.close();
  }
}

export async function measureConcurrency(options: ConcurrencyOptions = {}): Promise<ConcurrencyFigure> {
  const { log = () => undefined, ...rest } = options;
  const settings = {
    requestsPerWindow: rest.requestsPerWindow ?? 10,
    windowMs: rest.windowMs ?? 10_000,
    instances: rest.instances ?? { s3Files: 3, ddbShards: 3, forwarders: 1 },
    recordsPerInstance: rest.recordsPerInstance ?? 8_000,
    latencyMs: rest.latencyMs ?? 20,
  };
  const { s3Files, ddbShards, forwarders } = settings.instances;
  // The deployed shares and lending point, on the compressed window.
  const policy: BudgetPolicy = { ...budgetPolicy(projectConfig()), path: 'ingest', windowMs: settings.windowMs };
  const describe = (name: string, run: ConcurrencyRun): void =>
    log(
      `${name}: ${run.rateLimited429} rate-limited 429s (at most ${run.maxRateLimited429InAWindow} in a window), ${run.retryAfterViolations} sent before a Retry-After, efficiency ${run.efficiency} over ${run.fullWindows} windows, ${run.certyoRequests} requests, ${(run.wallMs / 1000).toFixed(1)} s`,
    );
  const shared = await runAll(settings, policy);
  describe('shared record', shared);
  const perInstance = await runAll(settings, undefined);
  describe('per instance', perInstance);
  return {
    requestsPerWindow: settings.requestsPerWindow,
    windowMs: settings.windowMs,
    instances: settings.instances,
    records: settings.recordsPerInstance * (s3Files + ddbShards + forwarders),
    rateLimited429: shared.rateLimited429,
    retryAfterViolations: shared.retryAfterViolations,
    efficiency: shared.efficiency,
    shared,
    perInstance,
    notes: [
      `${s3Files} S3 files, ${ddbShards} DynamoDB shards and ${forwarders} forwarder running at once, ${settings.recordsPerInstance} records each, one Certyo client per instance`,
      `the hour is compressed to ${settings.requestsPerWindow} requests per ${settings.windowMs / 1000} s; ${settings.latencyMs} ms sandbox latency`,
      `shared: the DynamoDB record's compare-and-set over an in-memory table, ingest share ${policy.shares?.ingest} of each window until the last ${(policy.lendingFraction ?? 0) * 100}%`,
      'efficiency: records stored in each window but the last ÷ (requests per window × 1,000)',
    ],
  };
}
