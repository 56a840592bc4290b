import { BatchRetryError, processDocumentDbBatch } from '../../lambdas/mongo-ingest/process-batch';
import { documentDbEvent, insertEvents, mongoFixture, mongoHarness, NOW } from '../helpers/mongo-fakes';

describe('processDocumentDbBatch', () => {
  it('packs 2,500 changes into 3 bulk requests (1,000 + 1,000 + 500), in stream order, with exact Int64 digits', async () => {
    // Arrange
    const deps = mongoHarness();
    const events = insertEvents(2500);

    // Act
    const summary = await processDocumentDbBatch(documentDbEvent(events), deps);

    // Assert
    expect(deps.certyo.bulks.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(deps.certyo.bulks.flat().map((r) => r.recordVersion)).toEqual(events.map((e) => (e._id as { _data: string })._data));
    expect(deps.certyo.stored.get(deps.certyo.bulks[0]?.[0]?.idempotencyKey as string)).toContain('"seq":9007199254740993');
    expect(summary).toMatchObject({ events: 2500, ingested: 2500, accepted: 2500, requests: 3, unmappable: 0 });
    expect(deps.verification.started).toHaveLength(2500);
  });

  it('the documented DocumentDB batch: insert and delete ingested, the write-back update skipped', async () => {
    const deps = mongoHarness();
    const summary = await processDocumentDbBatch(mongoFixture('documentdb-batch.json'), deps);
    expect(deps.certyo.bulks.flat().map((r) => r.operationType)).toEqual(['insert', 'delete']);
    expect(summary.skipped).toEqual({ 'certyo-only': 1, 'other-operation': 0 });
  });

  it('bad events mixed in are dead-lettered with their reason; drop is counted, not dead-lettered; the good ones go through', async () => {
    // Arrange
    const deps = mongoHarness();
    const [a, b] = insertEvents(2);
    const events = [a, { ...a, _id: {} }, mongoFixture('change-drop.json'), { ...b, fullDocument: null }, 'not an event', b];

    // Act
    const summary = await processDocumentDbBatch(documentDbEvent(events), deps);

    // Assert
    expect(deps.certyo.bulks.flat()).toHaveLength(2);
    expect(deps.deadLetters.letters.map((l) => l.reason)).toEqual([
      expect.stringContaining('_id._data (the resume token) is missing'),
      expect.stringContaining('fullDocument is missing'),
      expect.stringContaining('not a JSON object'),
    ]);
    expect(deps.deadLetters.letters[1]?.source).toMatch(/^documentdb arn:aws:rds:us-east-1:123456789012:cluster:orders event 3 resume token 82/);
    expect(summary).toMatchObject({ unmappable: 3, skipped: { 'other-operation': 1, 'certyo-only': 0 } });
  });

  it('a change Certyo refuses is dead-lettered with Certyo words', async () => {
    const deps = mongoHarness();
    deps.certyo.refuseWhen = (record) => (record.recordId.endsWith('1') ? 'recordPayload too large' : undefined);
    const summary = await processDocumentDbBatch(documentDbEvent(insertEvents(3)), deps);
    expect(summary).toMatchObject({ refused: 1, accepted: 2 });
    expect(deps.deadLetters.letters[0]?.reason).toContain('recordPayload too large');
  });

  it('rate-limited: waits for Retry-After (capped at the deadline), then fails so Lambda redelivers; the redelivery replays what was stored', async () => {
    // Arrange
    const deps = mongoHarness();
    deps.certyo.failFrom(2);
    const event = documentDbEvent(insertEvents(2500));

    // Act / Assert
    await expect(processDocumentDbBatch(event, deps)).rejects.toThrow(BatchRetryError);
    expect(deps.slept).toEqual([deps.deadline - NOW]);
    expect(deps.certyo.stored.size).toBe(1000);

    deps.certyo.recover();
    const retry = await processDocumentDbBatch(event, deps);
    expect(retry).toMatchObject({ replayed: 1000, accepted: 1500 });
    expect(deps.certyo.stored.size).toBe(2500);
  });

  it('an unreachable dead-letter queue fails the batch (nothing is dropped)', async () => {
    const deps = mongoHarness();
    deps.deadLetters.failure = new Error('queue gone');
    await expect(processDocumentDbBatch(documentDbEvent([{ nope: true }]), deps)).rejects.toThrow(/dead-letter queue unavailable.*queue gone/);
  });
});
