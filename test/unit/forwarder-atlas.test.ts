import type { SQSRecord } from 'aws-lambda';
import { forwardBatch } from '../../lambdas/forwarder/forward-batch';
import { stringifyJson } from '../../lambdas/shared/json';
import { insertEvents, mongoFixture } from '../helpers/mongo-fakes';
import { fixtureRecord, forwarderDeps, validMessages } from './forwarder-fakes';

const ATLAS_SOURCE = 'aws.partner/mongodb.com/stitch.trigger/5f7e1f5bc52b3ea5b2f51f2b';

/** An SQS message carrying an EventBridge event, as the Atlas rule delivers it to the buffer. */
function message(id: string, event: unknown): SQSRecord {
  return { ...fixtureRecord(0), messageId: id, receiptHandle: `rh-${id}`, body: JSON.stringify(event) };
}

function atlasEvent(detail: unknown): Record<string, unknown> {
  return { ...mongoFixture('atlas-update-relaxed.json'), detail };
}

describe('forwardBatch with MongoDB Atlas change events', () => {
  it('maps Atlas events of both Extended JSON settings into the same bulk request as contract events; skips and dead-letters the rest', async () => {
    // Arrange
    const deps = forwarderDeps();
    const certyoOnly = { ...(mongoFixture('atlas-update-relaxed.json').detail as object), updateDescription: { updatedFields: { certyo_status: 'anchored' }, removedFields: [] } };
    const messages = [
      message('relaxed', mongoFixture('atlas-update-relaxed.json')),
      message('canonical', mongoFixture('atlas-replace-canonical.json')),
      ...validMessages(1, 'contract'),
      message('loop', atlasEvent(certyoOnly)),
      message('drop', atlasEvent(mongoFixture('change-drop.json'))),
      message('bad', atlasEvent({ operationType: 'insert', ns: { db: 'a', coll: 'b' } })),
    ];

    // Act
    const response = await forwardBatch(messages, deps);

    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.certyo.calls).toHaveLength(1);
    expect(deps.certyo.requests).toEqual([['5f7f4a871c54f9b8ad7ad5f9', '5f7f4a871c54f9b8ad7ad5f9', 'INV-0']]);
    const canonical = deps.certyo.calls[0]?.records[1];
    expect(canonical && stringifyJson(canonical.recordPayload)).toContain('"views":9007199254740993,"revenue":"9999999999999999999999999999999999"');
    expect(canonical?.tenantId).toBe('configured-tenant');
    expect(deps.deadLetters.letters.map((l) => [l.source, l.reason])).toEqual([['sqs message bad', expect.stringContaining('_id._data (the resume token) is missing')]]);
    expect(deps.log.lines.filter((l) => l.message === 'event skipped').map((l) => l.attributes.reason)).toEqual([
      'MongoDB update skipped (certyo-only)',
      'MongoDB drop skipped (other-operation)',
    ]);
  });

  it('10,000 Atlas changes go out in 10 full bulk requests', async () => {
    const deps = forwarderDeps();
    const messages = insertEvents(10_000).map((detail, i) => message(`c-${i}`, { ...atlasEvent(detail), source: ATLAS_SOURCE }));
    await forwardBatch(messages, deps);
    expect(deps.certyo.requests.map((r) => r.length)).toEqual(Array.from({ length: 10 }, () => 1000));
  });
});
