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
import { CERTYO_SNAPSHOT, percentile, PathTimeline, snapshots } from './latency-model';

/** The end-to-end bound: p99 within the floor's p99 plus this (issue 21). */
export const BOUND_MS = 10_000;
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

/** Certyo accepting everything at virtual time `clock()`, remembering when each record arrived. */
class TimedCertyo implements Pick<CertyoApi, 'ingestMany'> {
  /** The records of each bulk request, by their index in `received`. */
  readonly requests: number[][] = [];
  readonly received: { readonly id: string; readonly at: number }[] = [];
  constructor(private readonly clock: () => number) {}
  async ingestMany(records: Parameters<CertyoApi['ingestMany']>[0]): Promise<IngestManyOutcome> {
    const accepted: AcceptedRecord[] = [];
    for (let start = 0; start < records.length; start += MAX_BULK_ITEMS) {
      const first = this.received.length + start;
      this.requests.push(Array.from({ length: Math.min(MAX_BULK_ITEMS, records.length - start) }, (_, k) => first + k));
    }
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

export interface ForwarderTraffic {
  readonly records: number;
  /** May be a fraction: events are produced evenly, `1 / perSecond` s apart. */
  readonly perSecond: number;
  readonly windowSeconds: number;
  readonly pollers: number;
  readonly batchSize: number;
}

/**
 * Replays `records` events through the buffer queue's pollers and the real `forwardBatch`: when
 * each was produced, when it reached Certyo, and the bulk requests (one `batch` execution each,
 * started as the request is answered, verifying its last record).
 */
export async function simulateForwarder(options: ForwarderTraffic): Promise<PathTimeline & { readonly requests: number }> {
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

  const intervalMs = 1000 / options.perSecond;
  const lastSecond = Math.ceil((options.records * intervalMs) / 1000) * 10 + 1000;
  for (let second = 0; produced < options.records || queue.size > 0; second++) {
    if (second > lastSecond) throw new Error('simulateForwarder: the buffer never drained');
    clock = start + second * 1000;
    while (produced < options.records && start + Math.round(produced * intervalMs) <= clock) {
      const next = events.next();
      if (next.done) break;
      sentAt.set((next.value.detail as { recordId: string }).recordId, start + Math.round(produced * intervalMs));
      queue.send(JSON.stringify(next.value));
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
  return {
    producedAt: received.map((r) => sentAt.get(r.id) as number),
    deliveredAt: received.map((r) => r.at),
    executions: certyo.requests.map((records) => ({ records, representative: records[records.length - 1] as number, startedAt: received[records[0] as number]?.at as number })),
    requests: certyo.requests.length,
  };
}

async function simulate(options: ForwarderTraffic): Promise<LightTrafficRun> {
  const run = await simulateForwarder(options);
  const ours = snapshots(run.deliveredAt, CERTYO_SNAPSHOT).flushedAt;
  const waits = run.deliveredAt.map((_, i) => (ours[i] as number) - (run.producedAt[i] as number));
  const arrivals = [...run.producedAt].sort((a, b) => a - b);
  const floor = snapshots(arrivals, CERTYO_SNAPSHOT).flushedAt.map((f, i) => f - (arrivals[i] as number));
  const p99Seconds = percentile(waits, 0.99) / 1000;
  const floorP99Seconds = percentile(floor, 0.99) / 1000;
  return {
    windowSeconds: options.windowSeconds,
    requests: run.requests,
    recordsPerRequest: Math.round((run.producedAt.length / run.requests) * 10) / 10,
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
