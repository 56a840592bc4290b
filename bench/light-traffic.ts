/**
 * `lightTraffic`: batched mode at 20 records/s, in virtual time. Events arrive on the buffer
 * queue evenly; the event source mapping's pollers (`maxConcurrency` of them) take turns
 * receiving 10 messages at a time, and each invokes the real `forwardBatch` (with its carry
 * policy) when its batching window has passed since its first message, its batch is full, or
 * Lambda's 6 MB payload is reached. Certyo's open snapshot is modelled as the sandbox models it:
 * it flushes at 1,000 records or 60 s after its first record; anchoring then takes the same time
 * for every record, so it is left out of both sides of the comparison.
 *
 * The figure compares each record's wait until its snapshot flushes with the floor (the same
 * records sent the moment they arrive), p99 against p99 + 10 s (the end-to-end bound of issue 21),
 * for the deployed batching window and a sweep of others.
 */
import type { SQSRecord } from 'aws-lambda';
import { carryPolicy, forwardBatch, LAMBDA_PAYLOAD_BYTES } from '../lambdas/forwarder/forward-batch';
import { AcceptedRecord, CertyoApi, IngestManyOutcome, MAX_BULK_ITEMS } from '../lambdas/shared/certyo-types';
import { noVerification } from '../lambdas/shared/verification-starter';
import { MemoryDeadLetters, MemoryQueue } from '../local/harness/memory-queue';
import { recordEvents } from '../local/harness/record-events';
import { RecordingLog } from '../local/harness/recording-log';
import { projectConfig } from '../local/harness/synthesized';

/** Certyo's snapshot: flushed at this many records, or this long after its first record. */
const SNAPSHOT_RECORDS = 1000;
const SNAPSHOT_MS = 60_000;
/** The end-to-end bound: p99 within the floor's p99 plus this (issue 21). */
const BOUND_MS = 10_000;
/** Receives a poller makes per second while messages wait. */
const RECEIVE_MESSAGES = 10;

export interface LightTrafficRun {
  readonly windowSeconds: number;
  readonly recordsPerRequest: number;
  readonly requests: number;
  /** p99 of each record's wait until its snapshot flushes, with our batching, seconds. */
  readonly p99Seconds: number;
  /** The same with every record sent on arrival. */
  readonly floorP99Seconds: number;
  readonly withinBound: boolean;
}

export interface LightTrafficFigure extends LightTrafficRun {
  readonly recordsPerSecond: number;
  readonly records: number;
  readonly pollers: number;
  readonly batchSize: number;
  /** The other batching windows tried, and the most records per request any achieved within the bound. */
  readonly sweep: readonly LightTrafficRun[];
  readonly bestWithinBound: number;
  readonly notes: readonly string[];
}

function p99(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0;
}

/** When each record's snapshot flushes, records given in the order Certyo receives them, with the time each arrives. */
function flushTimes(arrivals: readonly number[]): number[] {
  const flushed: number[] = new Array(arrivals.length);
  let open: number[] = [];
  let openedAt = 0;
  const close = (at: number): void => {
    for (const i of open) flushed[i] = at;
    open = [];
  };
  arrivals.forEach((at, i) => {
    if (open.length > 0 && at >= openedAt + SNAPSHOT_MS) close(openedAt + SNAPSHOT_MS);
    if (open.length === 0) openedAt = at;
    open.push(i);
    if (open.length >= SNAPSHOT_RECORDS) close(at);
  });
  if (open.length > 0) close(openedAt + SNAPSHOT_MS);
  return flushed;
}

/** Certyo accepting everything at virtual time `clock()`, remembering when each record arrived. */
class TimedCertyo implements Pick<CertyoApi, 'ingestMany'> {
  readonly requests: number[] = [];
  readonly received: { readonly id: string; readonly at: number }[] = [];
  constructor(private readonly clock: () => number) {}
  async ingestMany(records: Parameters<CertyoApi['ingestMany']>[0]): Promise<IngestManyOutcome> {
    const accepted: AcceptedRecord[] = [];
    for (let start = 0; start < records.length; start += MAX_BULK_ITEMS) this.requests.push(Math.min(MAX_BULK_ITEMS, records.length - start));
    records.forEach((record, index) => {
      this.received.push({ id: record.recordId, at: this.clock() });
      accepted.push({ index, record, replayed: false, result: { recordId: record.recordId, recordHash: 'h', tenantId: record.tenantId, acceptedAt: '' } });
    });
    return { accepted, rejected: [], unsent: [], requests: Math.ceil(records.length / MAX_BULK_ITEMS) };
  }
}

interface Poller {
  batch: SQSRecord[];
  bytes: number;
  firstAt: number | undefined;
}

async function simulate(options: { readonly records: number; readonly perSecond: number; readonly windowSeconds: number; readonly pollers: number; readonly batchSize: number }): Promise<LightTrafficRun> {
  let clock = Date.parse('2026-04-13T10:00:00Z');
  const start = clock;
  const queue = new MemoryQueue('ForwardingBuffer', { maxReceiveCount: 1000, visibilityTimeoutMs: 1_800_000, now: () => clock });
  const certyo = new TimedCertyo(() => clock);
  const sentAt = new Map<string, number>();
  const events = recordEvents({ events: options.records, idPrefix: 'light' });
  const pollers: Poller[] = Array.from({ length: options.pollers }, () => ({ batch: [], bytes: 0, firstAt: undefined }));
  const deps = {
    certyo,
    deadLetters: new MemoryDeadLetters(),
    visibility: { postpone: async (messages: readonly { messageId: string }[], seconds: number) => messages.forEach((m) => queue.changeVisibility(m.messageId, seconds)) },
    verification: noVerification,
    tenantId: 'bench',
    now: () => clock,
    log: new RecordingLog(),
    carry: carryPolicy(options.batchSize, options.windowSeconds),
  };
  const windowMs = Math.max(1, options.windowSeconds) * 1000;
  let produced = 0;
  const invoke = async (poller: Poller): Promise<void> => {
    const records = poller.batch;
    poller.batch = [];
    poller.bytes = 0;
    poller.firstAt = undefined;
    queue.settle(records, await forwardBatch(records, { ...deps, deadline: clock + 60_000 }));
  };

  for (let second = 0; produced < options.records || queue.size > 0; second++) {
    if (second > options.records * 10) throw new Error('lightTraffic: the buffer never drained');
    clock = start + second * 1000;
    for (let i = 0; i < options.perSecond && produced < options.records; i++) {
      const next = events.next();
      if (next.done) break;
      const body = JSON.stringify(next.value);
      sentAt.set((next.value.detail as { recordId: string }).recordId, clock);
      queue.send(body);
      produced++;
    }
    // The pollers take turns, 10 messages a receive, until nothing visible is left or all are full.
    for (let progress = true; progress; ) {
      progress = false;
      for (const poller of pollers) {
        if (poller.batch.length >= options.batchSize) continue;
        const got = queue.receive(Math.min(RECEIVE_MESSAGES, options.batchSize - poller.batch.length), LAMBDA_PAYLOAD_BYTES - poller.bytes);
        if (got.length === 0) continue;
        progress = true;
        poller.firstAt ??= clock;
        poller.batch.push(...got);
        poller.bytes += Buffer.byteLength(JSON.stringify(got));
      }
    }
    for (const poller of pollers) {
      const full = poller.batch.length >= options.batchSize || poller.bytes + 2_000 > LAMBDA_PAYLOAD_BYTES;
      if (poller.firstAt !== undefined && (full || clock - poller.firstAt >= windowMs || produced >= options.records)) await invoke(poller);
    }
  }

  const received = certyo.received;
  const ours = flushTimes(received.map((r) => r.at));
  const waits = received.map((r, i) => (ours[i] as number) - (sentAt.get(r.id) as number));
  const arrivals = [...sentAt.values()].sort((a, b) => a - b);
  const floor = flushTimes(arrivals).map((f, i) => f - (arrivals[i] as number));
  const requests = certyo.requests.length;
  const p99Seconds = p99(waits) / 1000;
  const floorP99Seconds = p99(floor) / 1000;
  return {
    windowSeconds: options.windowSeconds,
    requests,
    recordsPerRequest: Math.round((received.length / requests) * 10) / 10,
    p99Seconds,
    floorP99Seconds,
    withinBound: p99Seconds <= floorP99Seconds + BOUND_MS / 1000,
  };
}

export interface LightTrafficOptions {
  /** @default 20 */
  readonly recordsPerSecond?: number;
  /** @default 36_000 (30 minutes) */
  readonly records?: number;
  /** Batching windows tried besides the deployed one. @default [1, 10, 30, 50, 55] */
  readonly windows?: readonly number[];
  readonly log?: (line: string) => void;
}

export async function measureLightTraffic(options: LightTrafficOptions = {}): Promise<LightTrafficFigure> {
  const { recordsPerSecond = 20, records = 36_000, windows = [1, 10, 30, 50, 55], log = () => undefined } = options;
  const config = projectConfig({ 'certyo:forwardingMode': 'batched' });
  // At least 2: the event source mapping's lowest maximum concurrency, which BatchedForwarding deploys.
  const pollers = 2;
  const { batchSize, batchWindowSeconds } = config.forwarding;
  const run = (windowSeconds: number): Promise<LightTrafficRun> => simulate({ records, perSecond: recordsPerSecond, windowSeconds, pollers, batchSize });
  const deployed = await run(batchWindowSeconds);
  const sweep: LightTrafficRun[] = [];
  for (const w of windows.filter((w) => w !== batchWindowSeconds)) sweep.push(await run(w));
  for (const r of [deployed, ...sweep]) log(`lightTraffic: window ${r.windowSeconds} s: ${r.recordsPerRequest} records/request, p99 ${r.p99Seconds} s vs floor ${r.floorP99Seconds} s`);
  const bestWithinBound = Math.max(0, ...[deployed, ...sweep].filter((r) => r.withinBound).map((r) => r.recordsPerRequest));
  return {
    ...deployed,
    recordsPerSecond,
    records,
    pollers,
    batchSize,
    sweep,
    bestWithinBound,
    notes: [
      `${records} events at ${recordsPerSecond}/s, virtual time; ${pollers} pollers (maxConcurrency) taking 10 messages a receive in turn; batch size ${batchSize}, window certyo:batched.batchWindowSeconds`,
      `wait = until the record's Certyo snapshot flushes (1,000 records or 60 s); floor = the same records sent on arrival; bound = floor p99 + ${BOUND_MS / 1000} s`,
      'anchoring after the flush takes the same 60-90 s on both sides and is left out',
    ],
  };
}
