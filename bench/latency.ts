/**
 * `latency`: producer → `anchored` notification per path, at 1,000 and 100,000 records/hour, in
 * virtual time (issue 21). Each path hands records to Certyo as its deployed settings make it
 * (batching windows, pollers, records per request; the batched forwarder through the real
 * `forwardBatch`, `bench/light-traffic.ts`); Certyo flushes a snapshot at 1,000 records or 60 s
 * (the sandbox's defaults) and anchors it 60–90 s later; the verify workflow started for each
 * bulk request (`certyo:verify.policy` `batch`) notices the anchor on its wait-and-poll schedule.
 * The floor is Certyo's own pipeline: every record sent on arrival and its anchor heard at once.
 *
 * Every setting is read where the stack reads it (lib/config.ts defaults, the constructs'
 * exported defaults); sweeps vary one setting at a time for the records-per-request trade-off.
 */
import { roundTo } from './numbers';
import { CERTYO_REQUESTS_PER_HOUR, CertyoConfig } from '../lib/config';
import { S3_INGEST_DEFAULTS } from '../lib/constructs/s3-ingest';
import { DEFAULT_POLL_INTERVAL_SECONDS, DIRECT_BATCH_SIZE, DIRECT_BATCH_WINDOW_SECONDS, DIRECT_MAX_CONCURRENCY } from '../lib/constructs/verify-record-workflow';
import { MAX_BULK_ITEMS } from '../lambdas/shared/certyo-types';
import { projectConfig } from '../local/harness/synthesized';
import { BOUND_MS, simulateForwarder } from './light-traffic';
import { bulkRequests, CERTYO_SNAPSHOT, eventSourceBatches, floorLatencies, latencyOf, PathTimeline, percentile, VerifySchedule } from './latency-model';

export const LATENCY_PATHS = ['direct', 'batched', 's3', 'dynamodb'] as const;
export type LatencyPath = (typeof LATENCY_PATHS)[number];
/** Records per hour of the two loads the issue names. */
export const LATENCY_LOADS = { low: 1_000, high: 100_000 } as const;
export type LatencyLoad = keyof typeof LATENCY_LOADS;

/** SQS hands a poller at most this many messages per receive. */
const SQS_RECEIVE = 10;
/** The S3 producer uploads one file of the records it gathered every this many seconds. */
const S3_FILE_EVERY_SECONDS = 60;

export interface PathSettings {
  /** The path's batching window (s): forwarder / S3 queue / DynamoDB stream; direct mode's verification queue. */
  readonly windowSeconds: number;
  readonly schedule: VerifySchedule;
}

export interface LatencyRun {
  readonly windowSeconds: number;
  readonly waitSeconds: number;
  readonly pollIntervalSeconds: number;
  /** `null` when more than half (p50) or 1% (p99) of the records were never notified `anchored` (`unverified`). */
  readonly p50Seconds: number | null;
  readonly p99Seconds: number | null;
  /** Certyo's own p99 for the same records: sent on arrival, anchor heard at once. */
  readonly floorSeconds: number;
  readonly recordsPerRequest: number;
  /** Verify calls per 1,000 records (each spends the key's hourly budget). */
  readonly verifyCallsPer1000: number;
  readonly unverified: number;
  readonly withinBound: boolean;
}

export interface LatencyFigure {
  readonly recordsPerHour: Readonly<Record<LatencyLoad, number>>;
  /** Certyo's own p99 per load, records produced evenly (S3's files bunch records: its runs carry their own floor). */
  readonly floorSeconds: Readonly<Record<LatencyLoad, number>>;
  /** The deployed settings, per path and load. */
  readonly paths: Readonly<Record<LatencyPath, Readonly<Record<LatencyLoad, LatencyRun>>>>;
  /** One setting varied at a time, per path and load (the deployed run included). */
  readonly sweeps: Readonly<Record<LatencyPath, Readonly<Record<LatencyLoad, readonly LatencyRun[]>>>>;
  readonly notes: readonly string[];
}

/** Records produced evenly over the run. */
function evenly(records: number, perHour: number): number[] {
  const interval = 3_600_000 / perHour;
  return Array.from({ length: records }, (_, i) => Math.round(i * interval));
}

/** One `batch` execution per bulk request, started as it is answered, verifying its last record. */
function executionsOf(requests: readonly (readonly number[])[], startedAt: (request: readonly number[]) => number): PathTimeline['executions'] {
  return requests.map((records) => ({ records, representative: records[records.length - 1] as number, startedAt: startedAt(records) }));
}

/**
 * Direct mode: the API Destination sends one request per event at its rate limit, and never more
 * than the key's 1,000 requests an hour; the verification queue batches the same events for the
 * verify-starter (`windowSeconds` here).
 */
function directTimeline(producedAt: readonly number[], config: CertyoConfig, windowSeconds: number): PathTimeline & { requests: number } {
  const gap = 1000 / config.forwarding.apiDestinationRateLimitPerSecond;
  const deliveredAt: number[] = [];
  producedAt.forEach((t, i) => {
    const hourOpens = Math.floor(i / CERTYO_REQUESTS_PER_HOUR) * 3_600_000;
    deliveredAt.push(Math.max(t, hourOpens, i > 0 ? (deliveredAt[i - 1] as number) + gap : 0));
  });
  const { invokedAt, batches } = eventSourceBatches(producedAt, { batchSize: DIRECT_BATCH_SIZE, windowMs: windowSeconds * 1000, pollers: DIRECT_MAX_CONCURRENCY, perReceive: SQS_RECEIVE });
  const groups = bulkRequests(batches, MAX_BULK_ITEMS);
  return { producedAt, deliveredAt, executions: executionsOf(groups, (g) => invokedAt[g[0] as number] as number), requests: producedAt.length };
}

/** A path whose Lambda sends each invocation's records in bulk requests the moment it runs (reading time left out). */
function bulkTimeline(producedAt: readonly number[], batches: { invokedAt: number[]; batches: number[][] }, recordsOf: (arrival: number) => readonly number[]): PathTimeline & { requests: number } {
  const deliveredAt: number[] = new Array(producedAt.length);
  const perInvocation = batches.batches.map((batch) => {
    const records = batch.flatMap(recordsOf);
    for (const r of records) deliveredAt[r] = batches.invokedAt[batch[0] as number] as number;
    return records;
  });
  const requests = bulkRequests(perInvocation, MAX_BULK_ITEMS);
  return { producedAt, deliveredAt, executions: executionsOf(requests, (g) => deliveredAt[g[0] as number] as number), requests: requests.length };
}

/** S3: a file every minute holding that minute's records, its notification on the ingest queue; a record's time is its file's upload. */
function s3Timeline(records: number, perHour: number, windowSeconds: number): PathTimeline & { requests: number } {
  const perFile = Math.max(1, Math.round((perHour * S3_FILE_EVERY_SECONDS) / 3600));
  const files = Math.ceil(records / perFile);
  const uploads = Array.from({ length: files }, (_, f) => f * S3_FILE_EVERY_SECONDS * 1000);
  const producedAt = Array.from({ length: records }, (_, i) => uploads[Math.floor(i / perFile)] as number);
  const batches = eventSourceBatches(uploads, { batchSize: S3_INGEST_DEFAULTS.batchSize, windowMs: windowSeconds * 1000, pollers: S3_INGEST_DEFAULTS.maxConcurrency, perReceive: SQS_RECEIVE });
  return bulkTimeline(producedAt, batches, (f) => Array.from({ length: Math.min(perFile, records - f * perFile) }, (_, k) => f * perFile + k));
}

/** DynamoDB: one stream shard, one poller, a batch of `dynamodb.batchSize` or what `windowSeconds` gathered. */
function dynamoTimeline(producedAt: readonly number[], config: CertyoConfig, windowSeconds: number): PathTimeline & { requests: number } {
  const { batchSize } = config.dynamodb;
  const batches = eventSourceBatches(producedAt, { batchSize, windowMs: windowSeconds * 1000, pollers: 1, perReceive: batchSize });
  return bulkTimeline(producedAt, batches, (i) => [i]);
}

async function timelineOf(path: LatencyPath, records: number, perHour: number, windowSeconds: number, config: CertyoConfig): Promise<PathTimeline & { requests: number }> {
  const producedAt = evenly(records, perHour);
  switch (path) {
    case 'direct':
      return directTimeline(producedAt, config, windowSeconds);
    case 'batched':
      // At least 2 pollers: the event source mapping's lowest maximum concurrency, which BatchedForwarding deploys.
      return simulateForwarder({ records, perSecond: perHour / 3600, windowSeconds, pollers: 2, batchSize: config.forwarding.batchSize });
    case 's3':
      return s3Timeline(records, perHour, windowSeconds);
    case 'dynamodb':
      return dynamoTimeline(producedAt, config, windowSeconds);
  }
}

/** One path at one load and settings: the pure model over the path's timeline. */
export async function measurePath(path: LatencyPath, records: number, perHour: number, settings: PathSettings, config: CertyoConfig): Promise<LatencyRun> {
  const timeline = await timelineOf(path, records, perHour, settings.windowSeconds, config);
  const outcome = latencyOf(timeline, CERTYO_SNAPSHOT, settings.schedule);
  const seconds = (fraction: number): number | null => {
    const ms = percentile(outcome.latencies, fraction);
    return Number.isFinite(ms) ? roundTo(ms / 1000, 1) : null;
  };
  const p99Seconds = seconds(0.99);
  const floorSeconds = roundTo(percentile(outcome.floor, 0.99) / 1000, 1);
  return {
    windowSeconds: settings.windowSeconds,
    waitSeconds: settings.schedule.waitSeconds,
    pollIntervalSeconds: settings.schedule.pollIntervalSeconds,
    p50Seconds: seconds(0.5),
    p99Seconds,
    floorSeconds,
    recordsPerRequest: roundTo(timeline.producedAt.length / timeline.requests, 1),
    verifyCallsPer1000: roundTo((outcome.verifyCalls / timeline.producedAt.length) * 1000, 1),
    unverified: outcome.unverified,
    withinBound: p99Seconds !== null && p99Seconds <= floorSeconds + BOUND_MS / 1000,
  };
}

/** The deployed batching window of each path. */
export function deployedWindows(config: CertyoConfig): Record<LatencyPath, number> {
  return { direct: DIRECT_BATCH_WINDOW_SECONDS, batched: config.forwarding.batchWindowSeconds, s3: S3_INGEST_DEFAULTS.batchWindowSeconds, dynamodb: config.dynamodb.batchWindowSeconds };
}

export interface LatencyOptions {
  /** Records per load; by default one hour of each. */
  readonly records?: Readonly<Record<LatencyLoad, number>>;
  /** Batching windows tried besides the deployed one. */
  readonly windows?: readonly number[];
  /** Workflow schedules tried besides the deployed one, `[waitSeconds, pollIntervalSeconds]`. */
  readonly schedules?: readonly (readonly [number, number])[];
  readonly log?: (line: string) => void;
}

export async function measureLatency(options: LatencyOptions = {}): Promise<LatencyFigure> {
  const { records = LATENCY_LOADS, windows = [1, 2, 5, 10, 20, 30, 60], schedules = [[90, 30], [90, 20], [60, 30], [100, 10], [120, 20]], log = () => undefined } = options;
  const config = projectConfig();
  const deployedSchedule: VerifySchedule = { waitSeconds: config.verify.waitSeconds, pollIntervalSeconds: DEFAULT_POLL_INTERVAL_SECONDS, maxAttempts: config.verify.maxAttempts };
  const windowsOf = deployedWindows(config);
  const paths = {} as Record<LatencyPath, Record<LatencyLoad, LatencyRun>>;
  const sweeps = {} as Record<LatencyPath, Record<LatencyLoad, LatencyRun[]>>;
  const floorSeconds = {} as Record<LatencyLoad, number>;
  for (const load of Object.keys(LATENCY_LOADS) as LatencyLoad[]) {
    floorSeconds[load] = roundTo(percentile(floorLatencies(evenly(records[load], LATENCY_LOADS[load]), CERTYO_SNAPSHOT), 0.99) / 1000, 1);
  }
  for (const path of LATENCY_PATHS) {
    paths[path] = {} as Record<LatencyLoad, LatencyRun>;
    sweeps[path] = {} as Record<LatencyLoad, LatencyRun[]>;
    for (const load of Object.keys(LATENCY_LOADS) as LatencyLoad[]) {
      const perHour = LATENCY_LOADS[load];
      const run = (windowSeconds: number, schedule: VerifySchedule): Promise<LatencyRun> => measurePath(path, records[load], perHour, { windowSeconds, schedule }, config);
      const deployed = await run(windowsOf[path], deployedSchedule);
      paths[path][load] = deployed;
      const sweep = [deployed];
      for (const w of windows.filter((w) => w !== windowsOf[path])) sweep.push(await run(w, deployedSchedule));
      for (const [waitSeconds, pollIntervalSeconds] of schedules.filter(([w, i]) => w !== deployedSchedule.waitSeconds || i !== deployedSchedule.pollIntervalSeconds)) sweep.push(await run(windowsOf[path], { ...deployedSchedule, waitSeconds, pollIntervalSeconds }));
      sweeps[path][load] = sweep;
      for (const r of sweep) {
        log(`latency ${path} ${perHour}/h: window ${r.windowSeconds} s, wait ${r.waitSeconds}/${r.pollIntervalSeconds} s: p50 ${r.p50Seconds} s, p99 ${r.p99Seconds} s (floor ${r.floorSeconds} s), ${r.recordsPerRequest} records/request, ${r.verifyCallsPer1000} verify calls/1,000 records`);
      }
    }
  }
  return {
    recordsPerHour: LATENCY_LOADS,
    floorSeconds,
    paths,
    sweeps,
    notes: [
      `virtual time; ${records.low} records at ${LATENCY_LOADS.low}/h and ${records.high} at ${LATENCY_LOADS.high}/h, produced evenly; latency = producer → anchored notification`,
      `Certyo: snapshot flushed at ${CERTYO_SNAPSHOT.records} records or ${CERTYO_SNAPSHOT.ms / 1000} s, anchored 60-90 s later (seeded, same sequence for the floor); floor = every record sent on arrival, anchor heard at once; bound = floor + ${BOUND_MS / 1000} s`,
      `verify policy batch: one execution per bulk request (per 1,000 events in direct mode), verifying its last record: first wait certyo:verify.waitSeconds, then pauses of 1x, 2x, 3x... the poll interval`,
      `S3: one file a minute holding that minute's records, latency from its upload; reading time left out. DynamoDB: one shard. Direct: API Destination at certyo:apiDestination.rateLimitPerSecond and at most ${CERTYO_REQUESTS_PER_HOUR} requests an hour`,
    ],
  };
}
