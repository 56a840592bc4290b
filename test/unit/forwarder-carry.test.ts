/**
 * The forwarder's carry: the events of a trailing partial request of a batch that was cut short
 * go back to the queue, visible at once, and fill the next invocation's requests. Over random
 * batches, payload limits, bad events and rate limits, run as the event source mapping would,
 * every valid event is stored exactly once and every invalid one dead-lettered once.
 */
import fc from 'fast-check';
import type { SQSRecord } from 'aws-lambda';
import { CarryPolicy, carryPolicy, forwardBatch } from '../../lambdas/forwarder/forward-batch';
import { MemoryQueue } from '../../local/harness/memory-queue';
import { FakeCertyo, forwarderDeps, NOW, validMessages } from './forwarder-fakes';

function aged(messages: readonly SQSRecord[], sentAt: number, receives = 1): SQSRecord[] {
  return messages.map((m) => ({ ...m, attributes: { ...m.attributes, SentTimestamp: String(sentAt), ApproximateReceiveCount: String(receives) } }));
}

const POLICY: CarryPolicy = carryPolicy(2500, 60);

describe('carrying a trailing partial request', () => {
  it('sends the full requests of a batch cut at its batch size and carries the rest, visible at once', async () => {
    const deps = forwarderDeps({ carry: POLICY });
    const messages = aged(validMessages(2500), NOW - 5_000);

    const response = await forwardBatch(messages, deps);

    expect(deps.certyo.requests.map((r) => r.length)).toEqual([1000, 1000]);
    const carried = messages.slice(2000).map((m) => m.messageId);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(carried);
    expect(deps.visibility.postponed).toEqual([{ messageIds: carried, seconds: 0 }]);
  });

  it.each([
    ['the batch was not cut short (fewer events than the batch size, far from 6 MB)', { carry: POLICY }, validMessages(2400), NOW - 5_000, 1],
    ['an event is older than the batching window', { carry: POLICY }, validMessages(2500), NOW - 61_000, 1],
    ['an event was received often already', { carry: POLICY }, validMessages(2500), NOW - 5_000, 5],
    ['no full request would go out', { carry: carryPolicy(900, 60) }, validMessages(900), NOW - 5_000, 1],
  ])('sends everything when %s', async (_, overrides, base, sentAt, receives) => {
    const deps = forwarderDeps(overrides);
    const messages = aged(base, sentAt, receives);

    const response = await forwardBatch(messages, deps);

    expect(response.batchItemFailures).toEqual([]);
    expect(deps.certyo.requests.flat()).toHaveLength(messages.length);
    expect(deps.visibility.postponed).toEqual([]);
  });

  it('counts a batch within one event of the payload limit as cut short', async () => {
    const messages = aged(validMessages(1500), NOW - 5_000);
    const bytes = Buffer.byteLength(JSON.stringify({ Records: messages }));
    const deps = forwarderDeps({ carry: { ...POLICY, batchSize: 10_000, payloadBytes: bytes + 100 } });

    const response = await forwardBatch(messages, deps);

    expect(deps.certyo.requests.map((r) => r.length)).toEqual([1000]);
    expect(response.batchItemFailures).toHaveLength(500);
  });

  it('delivers every event exactly once through a queue, whatever the batches, limits and rate limits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2500 }),
        fc.integer({ min: 50, max: 3000 }),
        fc.integer({ min: 200_000, max: 4_000_000 }),
        fc.array(fc.nat({ max: 2499 }), { maxLength: 20 }),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        async (events, batchSize, payloadBytes, badAt, rateLimitAtRequest) => {
          let clock = NOW;
          const queue = new MemoryQueue('Buffer', { maxReceiveCount: 1000, visibilityTimeoutMs: 1000, now: () => clock });
          const bad = new Set(badAt.filter((i) => i < events));
          validMessages(events).forEach((m, i) => queue.send(bad.has(i) ? '{"detail":{}}' : m.body));
          const certyo = new FakeCertyo({ rateLimitAtRequest, retryAt: new Date(NOW + 30_000) });
          const deps = forwarderDeps({ certyo, carry: { ...carryPolicy(batchSize, 60), payloadBytes }, now: () => clock });
          deps.visibility.postpone = async (messages, seconds) => messages.forEach((m) => queue.changeVisibility(m.messageId, seconds));

          for (let invocation = 0; queue.size > 0; invocation++) {
            if (invocation > 200) throw new Error('the queue never drained');
            const records = queue.receive(batchSize, payloadBytes);
            if (records.length === 0) {
              clock = queue.nextVisibleAt() ?? clock + 1000;
              continue;
            }
            queue.settle(records, await forwardBatch(records, { ...deps, deadline: clock + 60_000 }));
            clock += 1000;
          }

          // Accepted records start their verification: each valid event exactly once.
          const valid = Array.from({ length: events }, (_, i) => i).filter((i) => !bad.has(i)).map((i) => `INV-${i}`);
          expect([...deps.verification.started].sort()).toEqual(valid.sort());
          expect(deps.deadLetters.letters).toHaveLength(bad.size);
          expect(queue.deadLetters).toEqual([]);
        },
      ),
      { numRuns: 25 },
    );
  });
});
