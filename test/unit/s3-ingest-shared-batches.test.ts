/**
 * Properties of the shared bulk requests of `processQueueBatch`: over random files, request
 * sizes, body limits, failures (rate limits, refused requests) and deadlines, run as SQS would until the
 * queue is empty, every good record is stored exactly once and every bad one dead-lettered
 * exactly once — no continuation skips a record, no failure of a shared request loses another
 * file's records.
 */
import fc from 'fast-check';
import type { SQSRecord } from 'aws-lambda';
import { continuationBody } from '../../lambdas/s3-ingest/continuation';
import { processQueueBatch } from '../../lambdas/s3-ingest/process-batch';
import { RateLimitedError } from '../../lambdas/shared/certyo-types';
import { RecordingLog } from '../../local/harness/recording-log';
import { harness, LIMITS, MemoryContinuations, TASK } from '../helpers/s3-ingest-fakes';

const NOW = Date.parse('2026-04-13T10:30:10Z');

interface FileShape {
  /** Per element: a good record with this many padding characters, or a bad line (-1). */
  readonly elements: readonly number[];
}

const fileShape = fc.record({ elements: fc.array(fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 300 }) }, { weight: 1, arbitrary: fc.constant(-1) }), { maxLength: 40 }) });

function fileBody(file: number, shape: FileShape): string {
  return shape.elements.map((pad, i) => (pad < 0 ? JSON.stringify({ id: { bad: `${file}-${i}` } }) : JSON.stringify({ id: `f${file}-r${i}`, pad: 'x'.repeat(pad) }))).join('\n') + '\n';
}

describe('shared bulk requests across files', () => {
  it('stores every good record once and dead-letters every bad one once, whatever fails', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fileShape, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 400, max: 3000 }),
        fc.array(fc.constantFrom<'ok' | 'rate-limit' | 'refused'>('ok', 'ok', 'rate-limit', 'refused'), { maxLength: 30 }),
        fc.integer({ min: 1, max: 10 }),
        fc.option(fc.integer({ min: 20, max: 400 }), { nil: undefined }),
        async (files, records, bytes, plan, sqsBatchSize, ticksPerInvocation) => {
          // Virtual time: every look at the clock is a tick, and an invocation may run out of time anywhere.
          let clock = NOW;
          const d = harness({ limits: { ...LIMITS, records, bytes, recordBytes: Math.min(bytes, LIMITS.recordBytes) }, now: () => clock++ });
          const continuations = new MemoryContinuations();
          const log = new RecordingLog();
          const ingestMany = d.certyo.ingestMany.bind(d.certyo);
          let call = 0;
          d.certyo.ingestMany = async (recs, options) => {
            const step = plan[call++] ?? 'ok';
            if (step === 'refused') throw new Error('key refused');
            if (step === 'rate-limit') return { accepted: [], rejected: [], unsent: recs.map((record, index) => ({ index, record })), stoppedBy: new RateLimitedError('429', new Date(NOW)), requests: 1 };
            return ingestMany(recs, options);
          };
          files.forEach((shape, f) => d.objects.put(`f${f}.ndjson`, fileBody(f, shape)));
          let queue: SQSRecord[] = files.map((_, f) => message(`n-${f}`, continuationBody({ ...TASK, key: `f${f}.ndjson` })));

          for (let round = 0; queue.length > 0; round++) {
            if (round > 2000) throw new Error('the queue never drained');
            const batch = queue.slice(0, sqsBatchSize);
            queue = queue.slice(sqsBatchSize);
            const sentBefore = continuations.sent.length;
            const deadline = ticksPerInvocation === undefined ? Number.POSITIVE_INFINITY : clock + ticksPerInvocation;
            const response = await processQueueBatch(batch, { ...d, deadline, continuations, log });
            const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
            queue.push(...batch.filter((m) => failed.has(m.messageId)));
            queue.push(...continuations.sent.slice(sentBefore).map((c, i) => message(`c-${round}-${i}`, continuationBody(c.task))));
          }

          const good = files.flatMap((shape, f) => shape.elements.flatMap((pad, i) => (pad < 0 ? [] : [`f${f}-r${i}`])));
          const storedIds = [...d.certyo.stored.values()].map((body) => (JSON.parse(body) as { recordId: string }).recordId);
          expect(storedIds.sort()).toEqual([...good].sort());
          const bad = files.flatMap((shape, f) => shape.elements.flatMap((pad, i) => (pad < 0 ? [JSON.stringify({ id: { bad: `${f}-${i}` } })] : [])));
          expect(d.deadLetters.letters.map((l) => l.body).sort()).toEqual(bad.sort());
        },
      ),
      { numRuns: 150 },
    );
  });
});

function message(messageId: string, body: string): SQSRecord {
  return { messageId, body } as SQSRecord;
}
