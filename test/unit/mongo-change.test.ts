import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { MongoChange, toMongoChange } from '../../lambdas/shared/mongo-change';
import { stringifyJson } from '../../lambdas/shared/json';
import { idempotencyKeyOf } from '../../lambdas/shared/record-identity';

const OPTIONS = { tenantId: 'acme' };
const FIXTURES = join(__dirname, '..', 'fixtures', 'mongodb');

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

function docdbEvents(): Record<string, unknown>[] {
  return (fixture('documentdb-batch.json').events as { event: Record<string, unknown> }[]).map((e) => e.event);
}

/** The record as it goes on the wire, payload as its exact JSON text. */
function sent(change: MongoChange) {
  if (change.kind !== 'ingest') throw new Error(`expected an ingest, got ${JSON.stringify(change)}`);
  return { ...change.record, recordPayload: stringifyJson(change.record.recordPayload) };
}

describe('toMongoChange on the documented shapes', () => {
  it('DocumentDB insert → insert: ObjectId hex, exact Int64 and Decimal128 digits, ISO date, base64 binary, no certyo_* field', () => {
    // Act
    const change = toMongoChange(docdbEvents()[0], OPTIONS);

    // Assert
    expect(sent(change)).toEqual({
      tenantId: 'acme',
      database: 'test_database',
      collection: 'test_collection',
      recordId: '63eeb6e7d418cd98afb1c1d7',
      recordVersion: '0163eeb6e7000000090100000009000041e1',
      recordPayload:
        '{"_id":"63eeb6e7d418cd98afb1c1d7","customer":"ACME","total":"1234567890123456789012345678.901234",' +
        '"lineCount":9007199254740993,"issuedAt":"2023-02-16T23:06:15.000Z","signature":"AQIDBA=="}',
      sourceTimestamp: '2023-02-16T23:06:15.000Z',
      operationType: 'insert',
      idempotencyKey: 'acme|test_database|test_collection|63eeb6e7d418cd98afb1c1d7|0163eeb6e7000000090100000009000041e1',
    });
  });

  it('an update touching only certyo_* fields is skipped (loop guard)', () => {
    expect(toMongoChange(docdbEvents()[1], OPTIONS)).toEqual({ kind: 'skip', reason: 'certyo-only', operationType: 'update', resumeToken: '0163eeb6e80000000a0100000009000041e1' });
  });

  it('delete → delete with {"_id", "_deleted": true}', () => {
    const record = sent(toMongoChange(docdbEvents()[2], OPTIONS));
    expect(record.operationType).toBe('delete');
    expect(record.recordPayload).toBe('{"_id":"63eeb6e7d418cd98afb1c1d7","_deleted":true}');
    expect(record.sourceTimestamp).toBe('2023-02-16T23:06:17.000Z');
  });

  it('Atlas with Extended JSON off: string ids, {"T","I"} cluster time, certyo_* removed', () => {
    const record = sent(toMongoChange(fixture('atlas-update-relaxed.json').detail, OPTIONS));
    expect(record).toMatchObject({
      database: 'my_store',
      collection: 'reports',
      recordId: '5f7f4a871c54f9b8ad7ad5f9',
      operationType: 'update',
      sourceTimestamp: '2020-10-08T17:21:11.000Z',
      recordPayload: '{"_id":"5f7f4a871c54f9b8ad7ad5f9","type":"Monthly","storeId":42,"amount":19.5}',
    });
  });

  it('Atlas with canonical Extended JSON: replace → update, every number exact', () => {
    const record = sent(toMongoChange(fixture('atlas-replace-canonical.json').detail, OPTIONS));
    expect(record.operationType).toBe('update');
    expect(record.recordId).toBe('5f7f4a871c54f9b8ad7ad5f9');
    expect(record.recordPayload).toBe(
      '{"_id":"5f7f4a871c54f9b8ad7ad5f9","type":"Yearly","storeId":42,"views":9007199254740993,' +
        '"revenue":"9999999999999999999999999999999999","ratio":0.25,"closedAt":"2020-10-08T17:21:18.000Z"}',
    );
  });

  it('an ObjectId and a relaxed string of the same document give the same record id', () => {
    const canonical = sent(toMongoChange(fixture('atlas-replace-canonical.json').detail, OPTIONS));
    const relaxed = sent(toMongoChange(fixture('atlas-update-relaxed.json').detail, OPTIONS));
    expect(canonical.recordId).toBe(relaxed.recordId);
  });

  it('an update with a string id that also touches certyo_* is ingested, without the certyo_* field', () => {
    const record = sent(toMongoChange(fixture('change-update-string-id.json'), OPTIONS));
    expect(record.recordId).toBe('INV-1001');
    expect(record.recordPayload).toBe('{"_id":"INV-1001","status":"paid","amount":"100.10"}');
  });

  it('drop (and every operation without a document) is skipped as other-operation, not rejected', () => {
    expect(toMongoChange(fixture('change-drop.json'), OPTIONS)).toMatchObject({ kind: 'skip', reason: 'other-operation', operationType: 'drop' });
    for (const operationType of ['rename', 'invalidate', 'dropDatabase', 'createIndexes']) {
      expect(toMongoChange({ ...fixture('change-drop.json'), operationType }, OPTIONS)).toMatchObject({ kind: 'skip', reason: 'other-operation' });
    }
  });
});

describe('loop guard', () => {
  const update = (updateDescription: unknown) => toMongoChange({ ...fixture('change-update-string-id.json'), updateDescription }, OPTIONS).kind;

  it.each([
    [{ updatedFields: { certyo_status: 'anchored', certyo_verified_at: 'x' }, removedFields: [] }],
    [{ updatedFields: { 'certyo_status.detail': 1 }, removedFields: ['certyo_tx_hash'] }],
    [{ updatedFields: {}, removedFields: ['certyo_record_hash'], truncatedArrays: [{ field: 'certyo_history', newSize: 1 }] }],
  ])('skips %j', (description) => expect(update(description)).toBe('skip'));

  it.each([
    [{ updatedFields: { status: 'x', certyo_status: 'pending' }, removedFields: [] }],
    [{ updatedFields: { certyo_status: 'pending' }, removedFields: ['status'] }],
    [{ updatedFields: { 'nested.certyo_status': 1 }, removedFields: [] }],
    [{ updatedFields: { certyostatus: 1 }, removedFields: [] }],
    [{ updatedFields: {}, removedFields: [], truncatedArrays: [{ field: 'lines', newSize: 0 }] }],
    [undefined],
  ])('ingests %j', (description) => expect(update(description)).toBe('ingest'));

  it('a replace is never skipped, even when only certyo_* differ (no updateDescription to tell)', () => {
    const replace = { ...fixture('change-update-string-id.json'), operationType: 'replace', updateDescription: { updatedFields: { certyo_status: 'x' } } };
    expect(toMongoChange(replace, OPTIONS).kind).toBe('ingest');
  });
});

describe('resume-token idempotency', () => {
  const event = fixture('atlas-replace-canonical.json').detail as Record<string, unknown>;

  it('a redelivered change gets the same key; a new change (new token) of the same document a new one', () => {
    const first = sent(toMongoChange(event, OPTIONS));
    const again = sent(toMongoChange(JSON.parse(JSON.stringify(event)), OPTIONS));
    const next = sent(toMongoChange({ ...event, _id: { _data: '825F7F4A8F000000012B022C0100296E5A1004C4E8' } }, OPTIONS));
    expect(again.idempotencyKey).toBe(first.idempotencyKey);
    expect(next.idempotencyKey).not.toBe(first.idempotencyKey);
    expect(next.recordId).toBe(first.recordId);
  });

  it('the key is the shared identity key of (tenant, ns.db, ns.coll, id, resume token), for any token and id', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (token, id, coll) => {
        const record = sent(toMongoChange({ ...event, _id: { _data: token }, documentKey: { _id: id }, ns: { db: 'my_store', coll } }, OPTIONS));
        expect(record.idempotencyKey).toBe(idempotencyKeyOf({ tenantId: 'acme', database: 'my_store', collection: coll, recordId: id, recordVersion: token }));
      }),
    );
  });
});

describe('BSON exactness', () => {
  const withDocument = (fullDocument: unknown) => sent(toMongoChange({ ...fixture('change-update-string-id.json'), operationType: 'insert', fullDocument }, OPTIONS)).recordPayload;

  it('every Int64 keeps its digits, in canonical Extended JSON', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
        expect(withDocument({ n: { $numberLong: n.toString() } })).toBe(`{"n":${n.toString()}}`);
      }),
    );
  });

  it('every $numberLong beyond 64 bits is rejected naming its path, never wrapped into another number', () => {
    const beyond = fc.oneof(fc.bigInt({ min: 2n ** 63n, max: 10n ** 20n - 1n }), fc.bigInt({ min: -(10n ** 20n) + 1n, max: -(2n ** 63n) - 1n }));
    fc.assert(
      fc.property(beyond, fc.constantFrom('n', 'items[1]', 'a.b'), (n, where) => {
        const value = { $numberLong: n.toString() };
        const fullDocument = where === 'n' ? { n: value } : where === 'a.b' ? { a: { b: value } } : { items: [1, value] };
        const change = toMongoChange({ ...fixture('change-update-string-id.json'), operationType: 'insert', fullDocument }, OPTIONS);
        expect(change).toMatchObject({ kind: 'reject', reason: expect.stringContaining(`fullDocument.${where} is $numberLong "${n.toString()}", outside the 64-bit integer range`) });
      }),
    );
  });

  it.each([
    [{ $numberInt: '2147483648' }, 'is $numberInt "2147483648", outside the 32-bit integer range'],
    [{ $numberInt: '-2147483649' }, 'is $numberInt "-2147483649", outside the 32-bit integer range'],
    [{ $numberInt: '1.5' }, 'is $numberInt "1.5", not a whole number in decimal digits'],
    [{ $numberInt: 'abc' }, 'is $numberInt "abc", not a whole number in decimal digits'],
    [{ $numberInt: 7 }, 'is $numberInt 7, not a whole number in decimal digits'],
    [{ $numberLong: '' }, 'is $numberLong "", not a whole number in decimal digits'],
    [{ $numberDouble: '1.5abc' }, 'is $numberDouble "1.5abc", not a finite double, Infinity, -Infinity or NaN'],
    [{ $numberDouble: '1e400' }, 'is $numberDouble "1e400", not a finite double, Infinity, -Infinity or NaN'],
    [{ $timestamp: { t: 4294967296, i: 1 } }, 'is $timestamp {"t":4294967296,"i":1}: t and i must be whole numbers from 0 to 4294967295'],
    [{ $date: { $numberLong: '9223372036854775808' } }, '.$date is $numberLong "9223372036854775808", outside the 64-bit integer range'],
  ])('rejects %j, which bson would turn into another value, naming its path', (value, problem) => {
    const change = toMongoChange({ ...fixture('change-update-string-id.json'), operationType: 'insert', fullDocument: { _id: 1, list: [0, { v: value }] } }, OPTIONS);
    expect(change).toMatchObject({ kind: 'reject', reason: expect.stringContaining(`fullDocument.list[1].v${problem.startsWith('.') ? '' : ' '}${problem}`) });
  });

  it('every Int32 and every finite double keeps its value', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.double({ noNaN: true, noDefaultInfinity: true }), (i, d) => {
        const payload = JSON.parse(withDocument({ i: { $numberInt: String(i) }, d: { $numberDouble: String(d) } }) as string) as { i: number; d: number };
        expect(payload).toEqual({ i, d: Object.is(d, -0) ? 0 : d });
      }),
    );
  });

  it('every 34-digit Decimal128 keeps its digits as a string', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[1-9][0-9]{33}$/), fc.boolean(), (digits, negative) => {
        const text = `${negative ? '-' : ''}${digits}`;
        expect(withDocument({ d: { $numberDecimal: text } })).toBe(`{"d":"${text}"}`);
      }),
    );
  });

  it('2^53 + 1 as Int64 id and value, ObjectId in an array, nested Binary and Date', () => {
    const change = toMongoChange(
      {
        ...fixture('change-update-string-id.json'),
        operationType: 'insert',
        documentKey: { _id: { $numberLong: '9007199254740993' } },
        fullDocument: { a: [{ $oid: '63eeb6e7d418cd98afb1c1d7' }, { b: { $binary: { base64: '/w==', subType: '00' } }, d: { $date: '1970-01-01T00:00:00Z' } }] },
      },
      OPTIONS,
    );
    expect(sent(change).recordId).toBe('9007199254740993');
    expect(sent(change).recordPayload).toBe('{"a":["63eeb6e7d418cd98afb1c1d7",{"b":"/w==","d":"1970-01-01T00:00:00.000Z"}]}');
  });

  it('other BSON types keep their canonical Extended JSON', () => {
    expect(withDocument({ r: { $regularExpression: { pattern: 'a|b', options: 'i' } }, k: { $minKey: 1 } })).toBe(
      '{"r":{"$regularExpression":{"pattern":"a|b","options":"i"}},"k":{"$minKey":1}}',
    );
  });
});

describe('malformed events are rejected naming the field', () => {
  const base = fixture('change-update-string-id.json');
  it.each([
    ['not an object', 'x', 'not a JSON object'],
    ['no resume token', { ...base, _id: {} }, '_id._data'],
    ['no operationType', { ...base, operationType: undefined }, 'operationType'],
    ['no ns.coll', { ...base, ns: { db: 'billing' } }, 'ns.coll'],
    ['no documentKey', { ...base, documentKey: undefined }, 'documentKey._id'],
    ['update without fullDocument', { ...base, fullDocument: null }, 'fullDocument is missing'],
    ['bad ObjectId', { ...base, documentKey: { _id: { $oid: 'zz' } } }, 'not valid Extended JSON'],
    ['bad clusterTime', { ...base, clusterTime: true }, 'clusterTime'],
  ])('%s', (_name, event, words) => {
    const change = toMongoChange(event, OPTIONS);
    expect(change.kind).toBe('reject');
    expect(change.kind === 'reject' && change.reason).toContain(words);
  });

  it('the reason locates the change by namespace and resume token', () => {
    const change = toMongoChange({ ...base, fullDocument: null }, OPTIONS);
    expect(change.kind === 'reject' && change.reason).toMatch(/^change billing\.invoices, resume token 8263EEB6EB000000012B022C0100296E5A1004D1: /);
  });
});
