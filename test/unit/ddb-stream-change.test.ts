import type { DynamoDBRecord } from 'aws-lambda';
import { ChangeOptions, IngestChange, toChange } from '../../lambdas/ddb-ingest/stream-change';
import { RawJson } from '../../lambdas/shared/json';
import { fixtureRecord } from '../helpers/ddb-fakes';

const OPTIONS: ChangeOptions = { tenantId: 'acme', database: 'dynamodb', ttlDeletes: 'ingest', writeBack: false };

/** The record as sent, with the payload as the exact JSON text that goes on the wire. */
function sent(change: ReturnType<typeof toChange>) {
  if (change.kind !== 'ingest') throw new Error(`expected an ingest, got ${change.kind}: ${JSON.stringify(change)}`);
  const payload = change.record.recordPayload;
  if (!(payload instanceof RawJson)) throw new Error('payload is not RawJson');
  return { ...change.record, recordPayload: payload.json };
}

function withDynamodb(record: DynamoDBRecord, patch: (d: Record<string, unknown>) => void): DynamoDBRecord {
  const copy = JSON.parse(JSON.stringify(record)) as DynamoDBRecord;
  patch(copy.dynamodb as Record<string, unknown>);
  return copy;
}

describe('toChange on the AWS-shaped fixtures', () => {
  it('INSERT → insert with the new image, composite record id and a per-version idempotency key', () => {
    // Act
    const change = toChange(fixtureRecord('insert.json'), 0, OPTIONS);

    // Assert
    expect(sent(change)).toEqual({
      tenantId: 'acme',
      database: 'dynamodb',
      collection: 'orders',
      recordId: 'CUSTOMER#42|ORDER#2026-0001',
      recordVersion: '4421584500000000017450439091',
      recordPayload:
        '{"items":[{"price":49.95,"qty":2,"sku":"SKU-1"},{"price":50,"qty":1,"sku":"SKU-7"}],' +
        '"pk":"CUSTOMER#42","placedAt":"2026-04-13T10:30:00Z","sk":"ORDER#2026-0001","status":"placed","total":149.9}',
      sourceTimestamp: '2026-04-13T10:30:00.000Z',
      operationType: 'insert',
      idempotencyKey: 'acme|dynamodb|orders|CUSTOMER#42%7CORDER#2026-0001|4421584500000000017450439091',
    });
    expect((change as IngestChange).writeBack).toEqual({
      table: 'orders',
      keys: { sk: { S: 'ORDER#2026-0001' }, pk: { S: 'CUSTOMER#42' } },
    });
  });

  it('MODIFY → update with the new image, certyo_* attributes left out', () => {
    // Act
    const change = toChange(fixtureRecord('modify.json'), 0, OPTIONS);

    // Assert
    expect(sent(change)).toEqual({
      tenantId: 'acme',
      database: 'dynamodb',
      collection: 'orders',
      recordId: 'CUSTOMER#42|ORDER#2026-0001',
      recordVersion: '4421584600000000017450441172',
      recordPayload: '{"pk":"CUSTOMER#42","placedAt":"2026-04-13T10:30:00Z","shippedAt":"2026-04-13T10:31:07Z","sk":"ORDER#2026-0001","status":"shipped","total":149.9}',
      sourceTimestamp: '2026-04-13T10:31:07.000Z',
      operationType: 'update',
      idempotencyKey: 'acme|dynamodb|orders|CUSTOMER#42%7CORDER#2026-0001|4421584600000000017450441172',
    });
  });

  it('REMOVE → delete with the old image (without certyo_*) and nothing to write back', () => {
    // Act
    const change = toChange(fixtureRecord('remove.json'), 0, OPTIONS);

    // Assert
    expect(sent(change)).toEqual({
      tenantId: 'acme',
      database: 'dynamodb',
      collection: 'orders',
      recordId: 'CUSTOMER#42|ORDER#2026-0001',
      recordVersion: '4421584700000000017450450503',
      recordPayload: '{"pk":"CUSTOMER#42","sk":"ORDER#2026-0001","status":"shipped","total":149.9}',
      sourceTimestamp: '2026-04-13T10:35:00.000Z',
      operationType: 'delete',
      idempotencyKey: 'acme|dynamodb|orders|CUSTOMER#42%7CORDER#2026-0001|4421584700000000017450450503',
    });
    expect(change).toMatchObject({ ttl: false, writeBack: undefined });
  });

  it('REMOVE without an old image (KEYS_ONLY or NEW_IMAGE stream) → delete with the keys as payload', () => {
    // Arrange
    const record = withDynamodb(fixtureRecord('remove.json'), (d) => {
      delete d.OldImage;
      d.StreamViewType = 'KEYS_ONLY';
    });

    // Act
    const change = toChange(record, 0, OPTIONS);

    // Assert
    expect(sent(change)).toMatchObject({ operationType: 'delete', recordPayload: '{"pk":"CUSTOMER#42","sk":"ORDER#2026-0001"}' });
  });

  it('TTL REMOVE with ttlDeletes=ingest → delete, marked as a TTL deletion', () => {
    // Act
    const change = toChange(fixtureRecord('ttl-remove.json'), 3, OPTIONS);

    // Assert
    expect(change).toMatchObject({ kind: 'ingest', ttl: true, position: 3 });
    expect(sent(change)).toEqual({
      tenantId: 'acme',
      database: 'dynamodb',
      collection: 'sessions',
      recordId: 'sess-7f3a',
      recordVersion: '4421584800000000017450462211',
      recordPayload: '{"expiresAt":1776078000,"sessionId":"sess-7f3a","userId":"u-1001"}',
      sourceTimestamp: '2026-04-13T11:02:00.000Z',
      operationType: 'delete',
      idempotencyKey: 'acme|dynamodb|sessions|sess-7f3a|4421584800000000017450462211',
    });
  });

  it('TTL REMOVE with ttlDeletes=skip → skipped as ttl; a user REMOVE is still ingested', () => {
    // Act
    const ttl = toChange(fixtureRecord('ttl-remove.json'), 0, { ...OPTIONS, ttlDeletes: 'skip' });
    const user = toChange(fixtureRecord('remove.json'), 1, { ...OPTIONS, ttlDeletes: 'skip' });

    // Assert
    expect(ttl).toMatchObject({ kind: 'skip', reason: 'ttl', table: 'sessions', recordId: 'sess-7f3a', sequenceNumber: '4421584800000000017450462211' });
    expect(user).toMatchObject({ kind: 'ingest', ttl: false });
  });

  it('numbers beyond 2^53 and long decimals keep every digit, in the key and in the payload', () => {
    // Act
    const change = toChange(fixtureRecord('precision.json'), 0, OPTIONS);

    // Assert
    expect(sent(change)).toMatchObject({
      collection: 'ledger',
      recordId: '9007199254740993',
      recordPayload:
        '{"accountId":9007199254740993,"balance":12345678901234567890.123456789012345678,' +
        '"debt":-99999999999999999999999999999999999999,"dust":0.000000000000000000000000000001,' +
        '"ledgerIds":[-1,0.5,9007199254740993,18446744073709551617],"rate":3.14159265358979323846264338327950288}',
      idempotencyKey: 'acme|dynamodb|ledger|9007199254740993|4421584900000000017450470001',
    });
  });

  it('binary and set attributes: base64, sorted; a binary key becomes a base64 record id', () => {
    // Act
    const change = toChange(fixtureRecord('binary-and-sets.json'), 0, OPTIONS);

    // Assert
    expect(sent(change)).toMatchObject({
      collection: 'files',
      recordId: 'aGVsbG8=',
      recordPayload:
        '{"archived":false,"chunks":["AAEC","AQID","/w=="],"deletedAt":null,"fileId":"aGVsbG8=",' +
        '"meta":{"10":10,"9":9,"a":"first","b":"second"},"sizes":[-1.5,9,10,100],"tags":["Beta","alpha","zeta"],"thumbnail":"iVBORw0K"}',
    });
  });

  it('skips both MODIFYs whose only differences are certyo_* attributes (write-back and verify workflow)', () => {
    // Act
    const changes = [0, 1].map((i) => toChange(fixtureRecord('certyo-only-modify.json', i), i, { ...OPTIONS, writeBack: true }));

    // Assert
    expect(changes.map((c) => [c.kind, c.kind === 'skip' ? c.reason : undefined])).toEqual([
      ['skip', 'certyo-only'],
      ['skip', 'certyo-only'],
    ]);
  });

  it('ingests a MODIFY that changes a real attribute even when certyo_* attributes change with it', () => {
    // Arrange: the certyo-only MODIFY, plus a changed total.
    const record = withDynamodb(fixtureRecord('certyo-only-modify.json'), (d) => {
      (d.NewImage as Record<string, unknown>).total = { N: '150' };
    });

    // Act / Assert
    expect(toChange(record, 0, OPTIONS)).toMatchObject({ kind: 'ingest', record: { operationType: 'update' } });
  });

  it('rejects an INSERT from a KEYS_ONLY stream, saying which view type is needed', () => {
    // Act
    const change = toChange(fixtureRecord('keys-only-insert.json'), 0, OPTIONS);

    // Assert
    expect(change).toMatchObject({
      kind: 'reject',
      sequenceNumber: '4421585300000000017450490001',
      reason: "table audit, sequence number 4421585300000000017450490001, INSERT: no NewImage: the table's stream view type must be NEW_AND_OLD_IMAGES",
    });
  });

  it('ingests a MODIFY without an old image only while write-back is off (it could not be loop-guarded)', () => {
    // Arrange
    const record = withDynamodb(fixtureRecord('modify.json'), (d) => {
      delete d.OldImage;
      d.StreamViewType = 'NEW_IMAGE';
    });

    // Act
    const off = toChange(record, 0, OPTIONS);
    const on = toChange(record, 0, { ...OPTIONS, writeBack: true });

    // Assert
    expect(off.kind).toBe('ingest');
    expect(on).toMatchObject({ kind: 'reject', reason: expect.stringContaining('no OldImage') });
    expect(on).toMatchObject({ reason: expect.stringContaining('NEW_AND_OLD_IMAGES when certyo:dynamodb.writeBack is on') });
  });

  it('does not treat a TTL userIdentity on an INSERT as a TTL deletion (aws-lambda-go fixture quirk)', () => {
    // Arrange
    const record = { ...fixtureRecord('insert.json'), userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } };

    // Act / Assert
    expect(toChange(record, 0, { ...OPTIONS, ttlDeletes: 'skip' })).toMatchObject({ kind: 'ingest', ttl: false });
  });

  it.each([
    ['no sequence number', (r: DynamoDBRecord) => withDynamodb(r, (d) => delete d.SequenceNumber), 'dynamodb.SequenceNumber is missing'],
    ['an ARN that is not a stream', (r: DynamoDBRecord) => ({ ...r, eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:queue' }), 'eventSourceARN "arn:aws:sqs:eu-west-1:123456789012:queue" is not a DynamoDB stream ARN'],
    ['an unknown event name', (r: DynamoDBRecord) => ({ ...r, eventName: 'UPSERT' as 'INSERT' }), 'UPSERT: eventName is not INSERT, MODIFY or REMOVE'],
    ['an attribute that is not a number', (r: DynamoDBRecord) => withDynamodb(r, (d) => ((d.NewImage as Record<string, unknown>).total = { N: '149,90' })), 'INSERT: attribute total: "149,90" is not a number'],
    ['null-filled keys', (r: DynamoDBRecord) => withDynamodb(r, (d) => (d.Keys = { pk: { S: 'a', N: null } })), 'INSERT: attribute pk: has 2 type keys (S, N)'],
  ])('rejects a record with %s, with a reason naming it', (_name, patch, reason) => {
    // Act
    const change = toChange(patch(fixtureRecord('insert.json')), 0, OPTIONS);

    // Assert
    expect(change.kind).toBe('reject');
    expect(change.kind === 'reject' && change.reason).toContain(reason);
  });

  it('gives a redelivered record the same idempotency key and a later change of the item a new one', () => {
    // Arrange
    const first = toChange(fixtureRecord('insert.json'), 0, OPTIONS);
    const redelivered = toChange(fixtureRecord('insert.json'), 7, OPTIONS);
    const later = toChange(fixtureRecord('modify.json'), 0, OPTIONS);

    // Assert
    expect(sent(redelivered).idempotencyKey).toBe(sent(first).idempotencyKey);
    expect(sent(later).idempotencyKey).not.toBe(sent(first).idempotencyKey);
  });
});
