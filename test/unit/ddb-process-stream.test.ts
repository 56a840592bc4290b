import type { DynamoDBRecord } from 'aws-lambda';
import { processStreamBatch } from '../../lambdas/ddb-ingest/process-stream';
import { AuthError } from '../../lambdas/shared/certyo-types';
import { RawJson } from '../../lambdas/shared/json';
import { fixtureRecord, harness, inserts, NOW } from '../helpers/ddb-fakes';

const seq = (record: DynamoDBRecord | undefined): string => record?.dynamodb?.SequenceNumber as string;

/** A record whose attribute cannot be mapped: a number that is not one. */
function unmappable(base: DynamoDBRecord): DynamoDBRecord {
  const copy = JSON.parse(JSON.stringify(base)) as DynamoDBRecord;
  (copy.dynamodb?.NewImage as Record<string, unknown>).amount = { N: 'twelve' };
  return copy;
}

describe('processStreamBatch: bulk requests and order', () => {
  it('sends 2,500 changes in 3 bulk requests (1,000 + 1,000 + 500), in stream order, with the deadline', async () => {
    // Arrange
    const deps = harness();
    const records = inserts(2500);

    // Act
    const response = await processStreamBatch(records, deps);

    // Assert
    expect(response).toEqual({ batchItemFailures: [] });
    expect(deps.certyo.bulks.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(deps.certyo.bulks.flat().map((r) => r.recordVersion)).toEqual(records.map(seq));
    expect(deps.certyo.deadlines).toEqual([deps.deadline]);
    expect(deps.reporter.summaries[0]).toMatchObject({ records: 2500, inserts: 2500, accepted: 2500, requests: 3 });
    expect(deps.verification.started).toHaveLength(2500);
  });

  it('on a 429 after the first bulk, fails from the first unsent sequence number, and the redelivery completes without resending', async () => {
    // Arrange
    const deps = harness();
    deps.certyo.failFrom(2);
    const records = inserts(2500);

    // Act
    const response = await processStreamBatch(records, deps);

    // Assert: Lambda re-delivers the shard from record 1,000 (the first of the second bulk).
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: seq(records[1000]) }] });
    expect(deps.certyo.stored.size).toBe(1000);
    expect(deps.verification.started.map((a) => a.record.recordVersion)).toEqual(records.slice(0, 1000).map(seq));
    expect(deps.reporter.summaries[0]).toMatchObject({ accepted: 1000, unsent: 1500, resumeFrom: seq(records[1000]), cause: 'rate limit' });
    // Retry-After (11:00) is after the deadline: the invocation holds until the deadline.
    expect(deps.slept).toEqual([deps.deadline - NOW]);

    // Act: the stream redelivers from the failed record.
    deps.certyo.recover();
    const retry = await processStreamBatch(records.slice(1000), deps);

    // Assert: every change once, none replayed, none skipped.
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(deps.certyo.stored.size).toBe(2500);
    expect(deps.reporter.summaries[1]).toMatchObject({ accepted: 1500, replayed: 0 });
  });

  it('holds only until Retry-After when that comes before the deadline', async () => {
    // Arrange
    const deps = harness();
    deps.certyo.failFrom(1);
    deps.certyo.retryAt = new Date(NOW + 30_000);

    // Act
    const response = await processStreamBatch(inserts(3), deps);

    // Assert
    expect(response.batchItemFailures).toHaveLength(1);
    expect(deps.slept).toEqual([30_000]);
  });

  it('holds until the deadline after an outage, whose end nobody knows', async () => {
    // Arrange: the client's last backoff would allow a retry in 2 s.
    const deps = harness();
    deps.certyo.failFrom(1, 'outage');
    deps.certyo.retryAt = new Date(NOW + 2_000);
    const records = inserts(3);

    // Act
    const response = await processStreamBatch(records, deps);

    // Assert
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: seq(records[0]) }] });
    expect(deps.slept).toEqual([deps.deadline - NOW]);
    expect(deps.reporter.summaries[0]?.cause).toBe('POST /api/v1/records/bulk failed after 5 attempts: 503');
  });

  it('replays a redelivered batch instead of creating second versions', async () => {
    // Arrange
    const deps = harness();
    const records = inserts(5);
    await processStreamBatch(records, deps);

    // Act
    await processStreamBatch(records, deps);

    // Assert
    expect(deps.certyo.stored.size).toBe(5);
    expect(deps.reporter.summaries[1]).toMatchObject({ accepted: 0, replayed: 5 });
  });
});

describe('processStreamBatch: what each fixture becomes', () => {
  it('sends INSERT, MODIFY, REMOVE and TTL REMOVE in order, skips certyo_*-only MODIFYs and dead-letters the unmappable one', async () => {
    // Arrange
    const deps = harness();
    const records = [
      fixtureRecord('insert.json'),
      fixtureRecord('certyo-only-modify.json', 0),
      fixtureRecord('modify.json'),
      fixtureRecord('certyo-only-modify.json', 1),
      fixtureRecord('keys-only-insert.json'),
      fixtureRecord('remove.json'),
      fixtureRecord('ttl-remove.json'),
    ];

    // Act
    const response = await processStreamBatch(records, deps);

    // Assert
    expect(response).toEqual({ batchItemFailures: [] });
    expect(deps.certyo.bulks).toHaveLength(1);
    expect(deps.certyo.bulks[0]?.map((r) => [r.operationType, r.collection, r.recordVersion])).toEqual([
      ['insert', 'orders', '4421584500000000017450439091'],
      ['update', 'orders', '4421584600000000017450441172'],
      ['delete', 'orders', '4421584700000000017450450503'],
      ['delete', 'sessions', '4421584800000000017450462211'],
    ]);
    expect(deps.certyo.bulks[0]?.every((r) => r.recordPayload instanceof RawJson && !r.recordPayload.json.includes('certyo_'))).toBe(true);
    expect(deps.deadLetters.letters).toEqual([
      {
        body: JSON.stringify(records[4]),
        reason: "table audit, sequence number 4421585300000000017450490001, INSERT: no NewImage: the table's stream view type must be NEW_AND_OLD_IMAGES",
        source: 'dynamodb stream arn:aws:dynamodb:eu-west-1:123456789012:table/audit/stream/2026-04-01T08:00:00.000 sequence number 4421585300000000017450490001',
      },
    ]);
    expect(deps.reporter.summaries[0]).toMatchObject({
      records: 7,
      inserts: 1,
      updates: 1,
      deletes: 2,
      ttlDeletes: 1,
      skipped: { 'certyo-only': 2, ttl: 0 },
      unmappable: 1,
      accepted: 4,
    });
    expect(deps.log.lines).toContainEqual({
      level: 'info',
      message: 'TTL deletion ingested',
      attributes: { table: 'sessions', recordId: 'sess-7f3a', sequenceNumber: '4421584800000000017450462211' },
    });
  });

  it('skips and logs TTL deletions when ttlDeletes is skip', async () => {
    // Arrange
    const deps = harness({ options: { tenantId: 'acme', database: 'dynamodb', ttlDeletes: 'skip', writeBack: false } });

    // Act
    const response = await processStreamBatch([fixtureRecord('ttl-remove.json')], deps);

    // Assert
    expect(response).toEqual({ batchItemFailures: [] });
    expect(deps.certyo.deadlines).toEqual([]);
    expect(deps.reporter.summaries[0]?.skipped).toEqual({ 'certyo-only': 0, ttl: 1 });
    expect(deps.log.lines).toContainEqual(expect.objectContaining({ level: 'info', message: expect.stringContaining('TTL deletion skipped') }));
  });

  it('never logs a payload', async () => {
    // Arrange
    const deps = harness();

    // Act
    await processStreamBatch([fixtureRecord('insert.json'), fixtureRecord('keys-only-insert.json'), fixtureRecord('ttl-remove.json')], deps);

    // Assert: values that only occur inside payloads.
    const logged = JSON.stringify(deps.log.lines);
    expect(logged).not.toContain('SKU-1');
    expect(logged).not.toContain('u-1001');
  });
});

describe('processStreamBatch: bad records and failures', () => {
  it('dead-letters a record Certyo refuses, with its reason, and the rest go through', async () => {
    // Arrange
    const deps = harness();
    const records = inserts(4);
    deps.certyo.refuseWhen = (r) => (r.recordId === 'order-2' ? 'Certyo rejected record "order-2": recordPayload too large' : undefined);

    // Act
    const response = await processStreamBatch(records, deps);

    // Assert
    expect(response).toEqual({ batchItemFailures: [] });
    expect(deps.certyo.stored.size).toBe(3);
    expect(deps.deadLetters.letters).toEqual([
      expect.objectContaining({ body: JSON.stringify(records[2]), reason: `table orders, sequence number ${seq(records[2])}: Certyo rejected record "order-2": recordPayload too large` }),
    ]);
    expect(deps.reporter.summaries[0]).toMatchObject({ refused: 1, accepted: 3 });
  });

  it('dead-letters unmappable records before the stop now and leaves those after it to the redelivery', async () => {
    // Arrange: 1,004 records; #5 and #1,003 unmappable; the second bulk is rate limited.
    const deps = harness();
    deps.certyo.failFrom(2);
    const records = inserts(1004);
    records[5] = unmappable(records[5] as DynamoDBRecord);
    records[1003] = unmappable(records[1003] as DynamoDBRecord);

    // Act
    const response = await processStreamBatch(records, deps);

    // Assert: records 0..1000 minus #5 fill the first bulk; #1,001 is the first unsent.
    expect(deps.certyo.bulks.map((b) => b.length)).toEqual([1000, 2]);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: seq(records[1001]) }] });
    expect(deps.deadLetters.letters.map((l) => l.reason)).toEqual([`table orders, sequence number ${seq(records[5])}, INSERT: attribute amount: "twelve" is not a number`]);
  });

  it('fails from the first dead letter when the dead-letter queue cannot be reached', async () => {
    // Arrange
    const deps = harness();
    deps.deadLetters.failure = new Error('SQS unavailable');
    const records = inserts(4);
    records[2] = unmappable(records[2] as DynamoDBRecord);

    // Act
    const response = await processStreamBatch(records, deps);

    // Assert
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: seq(records[2]) }] });
    expect(deps.reporter.summaries[0]).toMatchObject({ unmappable: 0, cause: 'dead-letter queue unavailable: Error: SQS unavailable' });
    expect(deps.slept).toEqual([]);
  });

  it('lets a refused API key fail the whole batch after holding until the deadline', async () => {
    // Arrange
    const deps = harness();
    deps.certyo.ingestMany = async () => {
      throw new AuthError('Certyo answered 401 after the API key was reloaded', 401);
    };

    // Act / Assert
    await expect(processStreamBatch(inserts(2), deps)).rejects.toThrow(AuthError);
    expect(deps.slept).toEqual([deps.deadline - NOW]);
    expect(deps.log.lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'ingest failed; the whole batch is retried after the hold' }));
  });
});

describe('processStreamBatch: write-back', () => {
  const options = { tenantId: 'acme', database: 'dynamodb', ttlDeletes: 'ingest' as const, writeBack: true };

  it('writes back the newest accepted version of each item, with its key and Certyo result, and never for deletes', async () => {
    // Arrange
    const deps = harness({ options });

    // Act
    await processStreamBatch([fixtureRecord('insert.json'), fixtureRecord('modify.json'), fixtureRecord('ttl-remove.json')], deps);

    // Assert
    expect(deps.writeBack.writes).toEqual([
      {
        target: { table: 'orders', keys: fixtureRecord('modify.json').dynamodb?.Keys },
        result: { recordId: 'CUSTOMER#42|ORDER#2026-0001', recordHash: 'sha256:4421584600000000017450441172', tenantId: 'acme', acceptedAt: '2026-04-13T10:30:05Z', idempotencyReplayed: false },
      },
    ]);
    expect(deps.reporter.summaries[0]?.writeBack).toEqual({ written: 1, superseded: 0, failed: 0 });
  });

  it('does not ingest the write-back coming back through the stream (loop guard)', async () => {
    // Arrange: the INSERT is ingested and written back ...
    const deps = harness({ options });
    await processStreamBatch([fixtureRecord('insert.json')], deps);
    expect(deps.writeBack.writes).toHaveLength(1);

    // Act: ... and the stream delivers the MODIFY the write-back caused, then the verify workflow's.
    const response = await processStreamBatch([fixtureRecord('certyo-only-modify.json', 0), fixtureRecord('certyo-only-modify.json', 1)], deps);

    // Assert
    expect(response).toEqual({ batchItemFailures: [] });
    expect(deps.certyo.bulks).toHaveLength(1);
    expect(deps.writeBack.writes).toHaveLength(1);
    expect(deps.reporter.summaries[1]?.skipped).toEqual({ 'certyo-only': 2, ttl: 0 });
  });

  it('counts a write-back superseded by a newer change as fine', async () => {
    // Arrange
    const deps = harness({ options });
    deps.writeBack.results.set('order-1', 'superseded');

    // Act
    const response = await processStreamBatch(inserts(3), deps);

    // Assert
    expect(response).toEqual({ batchItemFailures: [] });
    expect(deps.reporter.summaries[0]?.writeBack).toEqual({ written: 2, superseded: 1, failed: 0 });
  });

  it('fails from the record whose write-back failed, so it is retried in order', async () => {
    // Arrange
    const deps = harness({ options });
    deps.writeBack.failures.set('order-2', new Error('ProvisionedThroughputExceededException'));
    const records = inserts(4);

    // Act
    const response = await processStreamBatch(records, deps);

    // Assert
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: seq(records[2]) }] });
    expect(deps.reporter.summaries[0]).toMatchObject({ writeBack: { written: 3, superseded: 0, failed: 1 }, cause: 'write-back failed: Error: ProvisionedThroughputExceededException' });
    expect(deps.slept).toEqual([]);
  });

  it('writes nothing when write-back is off', async () => {
    // Arrange
    const deps = harness();

    // Act
    await processStreamBatch(inserts(3), deps);

    // Assert
    expect(deps.writeBack.writes).toEqual([]);
  });
});
