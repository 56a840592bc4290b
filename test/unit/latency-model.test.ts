import fc from 'fast-check';
import { ANCHOR_DELAY_MS, anchorTimes, CERTYO_SNAPSHOT, eventSourceBatches, floorLatencies, latencyOf, noticedAt, PathTimeline, percentile, snapshots, VerifySchedule } from '../../bench/latency-model';

/** Non-decreasing arrival times (ms) within a few minutes, bursts included. */
const arrivals = fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 300 }).map((gaps) => {
  let t = 0;
  return gaps.map((g) => (t += g % 3 === 0 ? 0 : g));
});
const schedule = fc.record({ waitSeconds: fc.integer({ min: 1, max: 200 }), pollIntervalSeconds: fc.integer({ min: 1, max: 60 }), maxAttempts: fc.integer({ min: 1, max: 20 }) });
const batching = fc.record({ batchSize: fc.integer({ min: 1, max: 50 }), windowMs: fc.integer({ min: 0, max: 60_000 }), pollers: fc.integer({ min: 1, max: 3 }), perReceive: fc.constantFrom(1, 10) });

/** Every record sent on arrival, one execution per record started at once. */
function immediate(producedAt: readonly number[]): PathTimeline {
  return { producedAt, deliveredAt: producedAt, executions: producedAt.map((t, i) => ({ records: [i], representative: i, startedAt: t })) };
}

describe('Certyo snapshots', () => {
  it('flush no earlier than a record arrives, at most flushMs after the snapshot opened, and hold at most flushRecords', () => {
    fc.assert(
      fc.property(arrivals, fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 60_000 }), (times, records, ms) => {
        const { flushedAt, snapshot } = snapshots(times, { records, ms });
        const sizes = new Map<number, number>();
        const opened = new Map<number, number>();
        times.forEach((at, i) => {
          expect(flushedAt[i]).toBeGreaterThanOrEqual(at);
          const s = snapshot[i] as number;
          sizes.set(s, (sizes.get(s) ?? 0) + 1);
          if (!opened.has(s)) opened.set(s, at);
          expect(flushedAt[i]).toBeLessThanOrEqual((opened.get(s) as number) + ms);
        });
        for (const size of sizes.values()) expect(size).toBeLessThanOrEqual(records);
      }),
    );
  });

  it('anchor 60-90 s after the flush', () => {
    fc.assert(
      fc.property(arrivals, (times) => {
        const { flushedAt } = snapshots(times, CERTYO_SNAPSHOT);
        anchorTimes(times, CERTYO_SNAPSHOT).forEach((a, i) => {
          expect(a - (flushedAt[i] as number)).toBeGreaterThanOrEqual(ANCHOR_DELAY_MS.min);
          expect(a - (flushedAt[i] as number)).toBeLessThanOrEqual(ANCHOR_DELAY_MS.max);
        });
      }),
    );
  });

  it('a lone record waits the full 60 s flush plus the anchor; 1,000 at once flush at once', () => {
    const [lone] = floorLatencies([0], CERTYO_SNAPSHOT);
    expect(lone).toBeGreaterThanOrEqual(CERTYO_SNAPSHOT.ms + ANCHOR_DELAY_MS.min);
    const full = floorLatencies(new Array(CERTYO_SNAPSHOT.records).fill(5), CERTYO_SNAPSHOT);
    expect(Math.max(...full)).toBeLessThanOrEqual(ANCHOR_DELAY_MS.max);
  });
});

describe('the verify schedule', () => {
  it('notices an anchor no earlier than it happens and no earlier than the first wait; gives up after maxAttempts not-anchored answers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 2_000_000 }), schedule, (start, after, s: VerifySchedule) => {
        const anchoredAt = start + after;
        const seen = noticedAt(start, anchoredAt, s);
        const lastCall = start + s.waitSeconds * 1000 + (s.pollIntervalSeconds * 1000 * s.maxAttempts * (s.maxAttempts + 1)) / 2;
        if (anchoredAt > lastCall) {
          expect(seen).toBeUndefined();
          return;
        }
        expect(seen).toBeDefined();
        expect(seen?.at).toBeGreaterThanOrEqual(anchoredAt);
        expect(seen?.at).toBeGreaterThanOrEqual(start + s.waitSeconds * 1000);
        expect(seen?.verifyCalls).toBeLessThanOrEqual(s.maxAttempts + 1);
      }),
    );
  });

  it('follows the workflow: first wait, then pauses of 1x, 2x, 3x the poll interval', () => {
    const s = { waitSeconds: 90, pollIntervalSeconds: 30, maxAttempts: 10 };
    expect(noticedAt(0, 90_000, s)).toEqual({ at: 90_000, verifyCalls: 1 });
    expect(noticedAt(0, 90_001, s)).toEqual({ at: 120_000, verifyCalls: 2 });
    expect(noticedAt(0, 121_000, s)).toEqual({ at: 180_000, verifyCalls: 3 });
    expect(noticedAt(0, 181_000, s)).toEqual({ at: 270_000, verifyCalls: 4 });
  });
});

describe('event source batching', () => {
  it('hands every record over exactly once, never before it arrives nor later than the window after it', () => {
    fc.assert(
      fc.property(arrivals, batching, (times, b) => {
        const { invokedAt, batches } = eventSourceBatches(times, b);
        expect(batches.flat().sort((x, y) => x - y)).toEqual(times.map((_, i) => i));
        for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(b.batchSize);
        times.forEach((at, i) => {
          expect(invokedAt[i]).toBeGreaterThanOrEqual(at);
          expect(invokedAt[i]).toBeLessThanOrEqual(at + b.windowMs);
        });
      }),
    );
  });

  it('with one poller, a longer window never shortens the longest hand-over delay', () => {
    fc.assert(
      fc.property(arrivals, fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 30_000 }), fc.integer({ min: 0, max: 30_000 }), (times, batchSize, w1, extra) => {
        const short = eventSourceBatches(times, { batchSize, windowMs: w1, pollers: 1, perReceive: batchSize }).invokedAt;
        const long = eventSourceBatches(times, { batchSize, windowMs: w1 + extra, pollers: 1, perReceive: batchSize }).invokedAt;
        expect(percentile(long.map((t, i) => t - (times[i] as number)), 1)).toBeGreaterThanOrEqual(percentile(short.map((t, i) => t - (times[i] as number)), 1));
      }),
    );
  });
});

describe('end-to-end latency', () => {
  it('records sent on arrival, verified once at the latest possible anchor (flush 60 s + anchor 90 s), are all heard of exactly then', () => {
    fc.assert(
      fc.property(arrivals, (times) => {
        // Waiting exactly until the latest anchor possible (flush 60 s + anchor 90 s) answers on the first call.
        const s = { waitSeconds: (CERTYO_SNAPSHOT.ms + ANCHOR_DELAY_MS.max) / 1000, pollIntervalSeconds: 10, maxAttempts: 1 };
        const outcome = latencyOf(immediate(times), CERTYO_SNAPSHOT, s);
        expect(outcome.unverified).toBe(0);
        expect(outcome.verifyCalls).toBe(times.length);
        expect(outcome.latencies.every((l) => l === s.waitSeconds * 1000)).toBe(true);
      }),
    );
  });

  it('p99 is never below the floor: a record is heard of no earlier than Certyo anchors it', () => {
    fc.assert(
      fc.property(arrivals, fc.array(fc.integer({ min: 0, max: 120_000 }), { minLength: 300, maxLength: 300 }), schedule, (times, delays, s) => {
        // A path that delays each record, keeping order (as every path does), and one execution per record.
        let last = 0;
        const deliveredAt = times.map((t, i) => (last = Math.max(last, t + (delays[i] as number))));
        const timeline: PathTimeline = { producedAt: times, deliveredAt, executions: times.map((_, i) => ({ records: [i], representative: i, startedAt: deliveredAt[i] as number })) };
        const outcome = latencyOf(timeline, CERTYO_SNAPSHOT, { ...s, maxAttempts: 100 });
        const heard = outcome.latencies.filter(Number.isFinite);
        if (heard.length === outcome.latencies.length) expect(percentile(outcome.latencies, 0.99)).toBeGreaterThanOrEqual(percentile(outcome.floor, 0.99));
        for (const l of heard) expect(l).toBeGreaterThanOrEqual(ANCHOR_DELAY_MS.min);
      }),
    );
  });

  it('an execution that gives up counts its records as never heard', () => {
    const outcome = latencyOf(immediate([0, 1000]), CERTYO_SNAPSHOT, { waitSeconds: 1, pollIntervalSeconds: 1, maxAttempts: 1 });
    expect(outcome.unverified).toBe(2);
    expect(percentile(outcome.latencies, 0.5)).toBe(Infinity);
  });
});
