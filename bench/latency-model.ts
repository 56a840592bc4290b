/**
 * The pure parts of the end-to-end latency figure (`latency`, issue 21), in virtual time
 * (milliseconds): how an event source mapping batches arrivals, when Certyo's snapshots flush
 * and anchor, when the verify workflow's wait-and-poll schedule notices an anchor, and the
 * percentiles. `bench/latency.ts` feeds them the deployed settings.
 */
import { SANDBOX_DEFAULTS } from '../local/sandbox/options';
import { seededRandom } from '../local/sandbox/prng';

/** Certyo's snapshot: flushed at `records`, or `ms` after its first record (the sandbox's `flushRecords` / `flushMs`). */
export interface SnapshotPolicy {
  readonly records: number;
  readonly ms: number;
}

/** The snapshot the sandbox models (1,000 records or 60 s). */
export const CERTYO_SNAPSHOT: SnapshotPolicy = { records: SANDBOX_DEFAULTS.flushRecords, ms: SANDBOX_DEFAULTS.flushMs };

/** Certyo anchors a flushed snapshot in 60–90 s (the issue's and `certyo:verify.waitSeconds`' figure). */
export const ANCHOR_DELAY_MS = { min: 60_000, max: 90_000 } as const;

/** The value below which `fraction` of `values` lie (nearest rank); 0 for no values. */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * fraction) - 1))] as number;
}

/**
 * When each record's snapshot flushes and which snapshot it is in, for records given in the order
 * Certyo receives them with the time each arrives (non-decreasing).
 */
export function snapshots(arrivals: readonly number[], policy: SnapshotPolicy): { flushedAt: number[]; snapshot: number[] } {
  const flushedAt: number[] = new Array(arrivals.length);
  const snapshot: number[] = new Array(arrivals.length);
  let open: number[] = [];
  let openedAt = 0;
  let index = 0;
  const close = (at: number): void => {
    for (const i of open) flushedAt[i] = at;
    open = [];
    index++;
  };
  arrivals.forEach((at, i) => {
    if (open.length > 0 && at >= openedAt + policy.ms) close(openedAt + policy.ms);
    if (open.length === 0) openedAt = at;
    open.push(i);
    snapshot[i] = index;
    if (open.length >= policy.records) close(at);
  });
  if (open.length > 0) close(openedAt + policy.ms);
  return { flushedAt, snapshot };
}

/** When each record is anchored: its flush plus its snapshot's anchor delay (seeded, the same sequence on every side). */
export function anchorTimes(arrivals: readonly number[], policy: SnapshotPolicy, seed = 21): number[] {
  const { flushedAt, snapshot } = snapshots(arrivals, policy);
  const random = seededRandom(seed);
  const delays: number[] = [];
  return arrivals.map((_, i) => {
    const s = snapshot[i] as number;
    while (delays.length <= s) delays.push(ANCHOR_DELAY_MS.min + Math.round(random() * (ANCHOR_DELAY_MS.max - ANCHOR_DELAY_MS.min)));
    return (flushedAt[i] as number) + (delays[s] as number);
  });
}

/** The verify workflow's schedule (statemachines/verify-record.asl.json): a first wait, then pauses of 1×, 2×, 3×… the poll interval. */
export interface VerifySchedule {
  readonly waitSeconds: number;
  readonly pollIntervalSeconds: number;
  readonly maxAttempts: number;
}

/**
 * When an execution started at `startedAt` sees a record anchored at `anchoredAt`, and the verify
 * calls it made; `undefined` when its "not anchored yet" answers run out (an `unverified` notification).
 */
export function noticedAt(startedAt: number, anchoredAt: number, schedule: VerifySchedule): { at: number; verifyCalls: number } | undefined {
  let at = startedAt + schedule.waitSeconds * 1000;
  let pause = 0;
  for (let calls = 1; calls <= schedule.maxAttempts + 1; calls++) {
    if (at >= anchoredAt) return { at, verifyCalls: calls };
    pause += schedule.pollIntervalSeconds * 1000;
    at += pause;
  }
  return undefined;
}

/** An event source mapping: invoked once `windowMs` passed since a poller's first message, or when its batch is full. */
export interface EventSourceBatching {
  readonly batchSize: number;
  readonly windowMs: number;
  /** Concurrent pollers (SQS `maxConcurrency`; 1 for a stream shard). They take turns, 10 messages a receive on SQS. */
  readonly pollers: number;
  /** Messages a poller takes per receive (10 on SQS; a whole batch on a stream). */
  readonly perReceive: number;
}

/**
 * When each arrival (non-decreasing times) is handed to the function, and the batches, as lists
 * of arrival indices. Pollers receive whenever messages wait; a poller with a batch in hand
 * invokes when its window has passed since its first message or the batch is full.
 */
export function eventSourceBatches(arrivals: readonly number[], batching: EventSourceBatching): { invokedAt: number[]; batches: number[][] } {
  const invokedAt: number[] = new Array(arrivals.length);
  const batches: number[][] = [];
  const pollers = Array.from({ length: batching.pollers }, () => ({ batch: [] as number[], firstAt: 0 }));
  const invoke = (poller: (typeof pollers)[number], at: number): void => {
    for (const i of poller.batch) invokedAt[i] = at;
    batches.push(poller.batch);
    poller.batch = [];
  };
  let next = 0;
  let turn = 0;
  while (next < arrivals.length || pollers.some((p) => p.batch.length > 0)) {
    const now = next < arrivals.length ? (arrivals[next] as number) : Infinity;
    // Windows that end before the next arrival.
    const due = pollers.filter((p) => p.batch.length > 0 && p.firstAt + batching.windowMs <= now).sort((a, b) => a.firstAt - b.firstAt);
    if (due.length > 0) {
      for (const p of due) invoke(p, p.firstAt + batching.windowMs);
      continue;
    }
    // The next arrival goes to the pollers in turn, a receive's worth each.
    const open = pollers.filter((p) => p.batch.length < batching.batchSize);
    const poller = open[turn % Math.max(1, open.length)] ?? pollers[0];
    if (poller === undefined) throw new Error('eventSourceBatches: pollers must be at least 1');
    if (poller.batch.length === 0) poller.firstAt = now;
    poller.batch.push(next++);
    if (poller.batch.length % batching.perReceive === 0) turn++;
    if (poller.batch.length >= batching.batchSize) invoke(poller, now);
  }
  return { invokedAt, batches };
}

/** Splits batches into bulk requests of at most `perRequest` records, in order. */
export function bulkRequests(batches: readonly (readonly number[])[], perRequest: number): number[][] {
  return batches.flatMap((batch) => Array.from({ length: Math.ceil(batch.length / perRequest) }, (_, k) => batch.slice(k * perRequest, (k + 1) * perRequest)));
}

/** Each record's end-to-end latency (ms) and the verify calls, given when each reached Certyo and how executions group records. */
export interface PathTimeline {
  /** Producer time of each record. */
  readonly producedAt: readonly number[];
  /** When each record reached Certyo. */
  readonly deliveredAt: readonly number[];
  /** Verification executions: the records each notifies, its representative (the one it verifies) and when it starts. */
  readonly executions: readonly { readonly records: readonly number[]; readonly representative: number; readonly startedAt: number }[];
}

export interface LatencyOutcome {
  /** Producer → `anchored`, per record (ms); `Infinity` for a record whose execution gave up (`unverified`). */
  readonly latencies: number[];
  /** Producer → anchored with every record sent on arrival and noticed at once (ms): Certyo's own pipeline. */
  readonly floor: number[];
  readonly verifyCalls: number;
  /** Records whose execution gave up before the anchor (`unverified`). */
  readonly unverified: number;
}

export function latencyOf(timeline: PathTimeline, policy: SnapshotPolicy, schedule: VerifySchedule): LatencyOutcome {
  const order = timeline.deliveredAt.map((at, i) => ({ at, i })).sort((a, b) => a.at - b.at || a.i - b.i);
  const anchoredSorted = anchorTimes(
    order.map((o) => o.at),
    policy,
  );
  const anchoredAt: number[] = new Array(order.length);
  order.forEach((o, k) => (anchoredAt[o.i] = anchoredSorted[k] as number));
  const latencies: number[] = [];
  let verifyCalls = 0;
  let unverified = 0;
  for (const execution of timeline.executions) {
    const seen = noticedAt(execution.startedAt, anchoredAt[execution.representative] as number, schedule);
    if (seen === undefined) {
      unverified += execution.records.length;
      verifyCalls += schedule.maxAttempts + 1;
      for (let k = 0; k < execution.records.length; k++) latencies.push(Infinity);
      continue;
    }
    verifyCalls += seen.verifyCalls;
    for (const r of execution.records) latencies.push(seen.at - (timeline.producedAt[r] as number));
  }
  return { latencies, floor: floorLatencies(timeline.producedAt, policy), verifyCalls, unverified };
}

/** Certyo's own pipeline for records produced at these times: each sent on arrival, its anchor heard at once (ms). */
export function floorLatencies(producedAt: readonly number[], policy: SnapshotPolicy): number[] {
  const produced = [...producedAt].sort((a, b) => a - b);
  const anchors = anchorTimes(produced, policy);
  return produced.map((t, i) => (anchors[i] as number) - t);
}
