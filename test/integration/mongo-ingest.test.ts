/**
 * Both MongoDB paths with the real client against the Certyo sandbox, bad events mixed in:
 * DocumentDB batches through `mongo-ingest`, Atlas Trigger events through the batched forwarder.
 * Good changes are stored in full bulk requests, a redelivered batch replays without a mismatch,
 * write-back updates and drops are skipped, and every bad event is dead-lettered with its reason.
 */
import type { SQSRecord } from 'aws-lambda';
import { forwardBatch } from '../../lambdas/forwarder/forward-batch';
import { processDocumentDbBatch } from '../../lambdas/mongo-ingest/process-batch';
import { staticApiKey } from '../../lambdas/shared/api-key';
import { createCertyoClient } from '../../lambdas/shared/certyo-client';
import { Sandbox, startSandbox } from '../../local/sandbox';
import { documentDbEvent, insertEvents, mongoFixture, mongoHarness } from '../helpers/mongo-fakes';
import { fixtureRecord, forwarderDeps } from '../unit/forwarder-fakes';

const BAD_EVENTS = [{ _id: {}, operationType: 'insert' }, { ...insertEvents(1, 90_000)[0], fullDocument: null }, { ...insertEvents(1, 90_001)[0], documentKey: { _id: { $oid: 'not-hex' } } }];

function client(sandbox: Sandbox) {
  return createCertyoClient({ apiUrl: sandbox.url, apiKey: staticApiKey(sandbox.apiKey), backoff: { baseMs: 5, capMs: 20 } });
}

const bulkRequests = (sandbox: Sandbox) => sandbox.stats().requests['POST /api/v1/records/bulk'] ?? {};

describe('MongoDB change events against the sandbox', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => sandbox?.close());

  it('DocumentDB: 1,500 changes and the documented batch in 2 bulk requests, bad events dead-lettered, a redelivery replays', async () => {
    // Arrange
    const sb = (sandbox = await startSandbox());
    const deps = { ...mongoHarness(), certyo: client(sb), now: Date.now, deadline: Date.now() + 60_000 };
    const documented = (mongoFixture('documentdb-batch.json').events as { event: unknown }[]).map((e) => e.event);
    const event = documentDbEvent([...insertEvents(700), BAD_EVENTS[0], ...documented, ...insertEvents(800, 700), BAD_EVENTS[1], BAD_EVENTS[2], mongoFixture('change-drop.json')]);

    // Act
    const summary = await processDocumentDbBatch(event, deps);
    const again = await processDocumentDbBatch(event, deps);

    // Assert: 1,500 inserts + the documented insert and delete; the write-back update and the drop skipped.
    expect(summary).toMatchObject({ accepted: 1502, unmappable: 3, refused: 0, skipped: { 'certyo-only': 1, 'other-operation': 1 } });
    expect(again).toMatchObject({ accepted: 0, replayed: 1502 });
    expect(bulkRequests(sb)).toEqual({ '202': 4 });
    expect(sb.stats()).toMatchObject({ recordsStored: 1502, replayMismatches: 0, duplicateIngests: 0 });
    expect(deps.deadLetters.letters.slice(0, 3).map((l) => l.reason)).toEqual([
      expect.stringContaining('_id._data (the resume token) is missing'),
      expect.stringContaining('fullDocument is missing'),
      expect.stringContaining('not valid Extended JSON'),
    ]);
  });

  it('Atlas through the batched forwarder: both Extended JSON settings stored, bad and loop events not', async () => {
    // Arrange
    const sb = (sandbox = await startSandbox());
    const deps = forwarderDeps({ certyo: client(sb), now: Date.now, deadline: Date.now() + 60_000 });
    const envelope = mongoFixture('atlas-update-relaxed.json');
    const message = (detail: unknown, i: number): SQSRecord => ({ ...fixtureRecord(0), messageId: `a-${i}`, receiptHandle: `r-${i}`, body: JSON.stringify({ ...envelope, detail }) });
    const loop = { ...(envelope.detail as object), _id: { _data: '82LOOP' }, updateDescription: { updatedFields: { certyo_tx_hash: '0xabc' }, removedFields: [] } };
    const details = [envelope.detail, mongoFixture('atlas-replace-canonical.json').detail, ...insertEvents(1200), loop, ...BAD_EVENTS];

    // Act
    const response = await forwardBatch(details.map(message), deps);

    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(sb.stats()).toMatchObject({ recordsStored: 1202, replayMismatches: 0 });
    expect(bulkRequests(sb)).toEqual({ '202': 2 });
    expect(deps.deadLetters.letters).toHaveLength(3);
  });
});
