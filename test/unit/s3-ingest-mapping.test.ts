import * as fc from 'fast-check';
import { FileTask } from '../../lambdas/s3-ingest/file-task';
import { RawElement } from '../../lambdas/s3-ingest/json-splitter';
import { collectionOf, mapRecord, MappingOptions } from '../../lambdas/s3-ingest/record-mapping';
import { rawAtPath } from '../../lambdas/shared/raw-json-path';
import { stringifyJson } from '../../lambdas/shared/json';
import { TASK } from '../helpers/s3-ingest-fakes';

const OPTIONS: MappingOptions = { tenantId: 'acme', recordIdPath: 'id', recordVersionPath: 'version' };

function element(text: string, index = 4): RawElement {
  const bytes = Buffer.from(text, 'utf8');
  return { index, line: index + 1, bytes, size: bytes.length, excerpt: bytes, next: { mode: 'lines', offset: 0, index: index + 1, line: index + 2 } };
}

function map(text: string, task: FileTask = TASK, options: MappingOptions = OPTIONS) {
  return mapRecord(element(text), task, options, 1024);
}

describe('mapRecord', () => {
  it('maps with the seed defaults, the element\'s place in the object version as its version, and the identity\'s key', () => {
    const mapped = map('{"id":"INV-1","amount":1500.00}');

    expect(mapped.ok && { ...mapped.record, recordPayload: stringifyJson(mapped.record.recordPayload) }).toEqual({
      tenantId: 'acme',
      database: 's3-records-bucket',
      collection: 'orders/2026',
      recordId: 'INV-1',
      recordVersion: 'orders/2026/batch.ndjson@v-1#4',
      recordPayload: '{"id":"INV-1","amount":1500.00}',
      sourceTimestamp: '2026-04-13T10:30:00.000Z',
      operationType: 'upsert',
      idempotencyKey: 'acme|s3-records-bucket|orders/2026|INV-1|orders/2026/batch.ndjson@v-1#4',
    });
  });

  it('gives two uploads of the same key different idempotency keys, and a redelivery the same one', () => {
    const first = map('{"id":"INV-1"}');
    const redelivered = map('{"id":"INV-1"}');
    const secondUpload = map('{"id":"INV-1"}', { ...TASK, versionId: 'v-2' });

    const key = (m: ReturnType<typeof map>) => (m.ok ? m.record.idempotencyKey : m.reason);
    expect(key(first)).toBe(key(redelivered));
    expect(key(first)).not.toBe(key(secondUpload));
  });

  it('uses the ETag when the bucket is not versioned', () => {
    const mapped = map('{"id":"INV-1"}', { ...TASK, versionId: undefined });

    expect(mapped.ok && [mapped.record.idempotencyKey, mapped.record.recordVersion]).toEqual(['acme|s3-records-bucket|orders/2026|INV-1|orders/2026/batch.ndjson@etag-1#4', 'orders/2026/batch.ndjson@etag-1#4']);
  });

  it('keeps every digit of a numeric id and of numbers in the payload', () => {
    const mapped = map('{"id":12345678901234567890123,"total":0.10000000000000000000001}');

    expect(mapped.ok && mapped.record.recordId).toBe('12345678901234567890123');
    expect(mapped.ok && stringifyJson(mapped.record.recordPayload)).toBe('{"id":12345678901234567890123,"total":0.10000000000000000000001}');
  });

  it('falls back to {key}#{index} without an id, and takes the record version when present', () => {
    const mapped = map('{"name":"no id","version":7}');

    expect(mapped.ok && [mapped.record.recordId, mapped.record.recordVersion]).toEqual(['orders/2026/batch.ndjson#4', '7']);
  });

  it('reads the id from a configured dot path and the collection "root" for a top-level key', () => {
    const mapped = map('{"meta":{"id":"nested-9","id2":1},"id":"top"}', { ...TASK, key: 'file.json' }, { ...OPTIONS, recordIdPath: 'meta.id' });

    expect(mapped.ok && [mapped.record.recordId, mapped.record.collection]).toEqual(['nested-9', 'root']);
  });

  it('uses a configured database name', () => {
    const mapped = map('{"id":"a"}', TASK, { ...OPTIONS, database: 'archive' });

    expect(mapped.ok && mapped.record.database).toBe('archive');
  });

  it.each([
    ['{"id": tru}', /not valid JSON/],
    ['[1,2]', /record is an array, expected a JSON object/],
    ['42', /record is a number, expected a JSON object/],
    ['{"id":{"x":1}}', /field "id" is an object, expected a string or a number/],
    ['{"id":"  "}', /field "id" is an empty string/],
    ['{"id":"a","version":[1]}', /field "version" is an array/],
  ])('rejects %s with a reason naming the problem', (text, reason) => {
    const mapped = map(text);

    expect(mapped.ok).toBe(false);
    expect(!mapped.ok && mapped.reason).toMatch(reason);
  });

  it('rejects invalid UTF-8 and records above the size limit', () => {
    const invalid = { ...element('{}'), bytes: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]) };
    const huge = { ...element('{}'), bytes: undefined, size: 5000 };

    expect(mapRecord(invalid, TASK, OPTIONS, 1024)).toEqual({ ok: false, reason: 'record is not valid UTF-8' });
    expect(mapRecord(huge, TASK, OPTIONS, 1024)).toEqual({ ok: false, reason: 'record is 5000 bytes, more than the 1024-byte limit' });
  });
});

describe('rawAtPath', () => {
  it('finds members by path, skipping strings and nested values that look alike', () => {
    const text = '{ "a" : {"id": "inner"}, "s": "\\"id\\": 1", "id" : -1.5e3 , "b": {"c": {"d": [1, {"e": 2}]}} }';

    expect(rawAtPath(text, 'id')).toBe('-1.5e3');
    expect(rawAtPath(text, 'a.id')).toBe('"inner"');
    expect(rawAtPath(text, 'b.c.d')).toBe('[1, {"e": 2}]');
    expect(rawAtPath(text, 'b.x')).toBeUndefined();
    expect(rawAtPath(text, 's.id')).toBeUndefined();
  });

  it('takes the last of duplicate keys, as JSON.parse does', () => {
    expect(rawAtPath('{"id":1,"id":2}', 'id')).toBe('2');
  });

  it('reads what JSON.parse reads, for any object, however its strings are escaped and spaced', () => {
    // Strings full of quotes and backslashes (runs of them), the cases a fast string skip can get wrong.
    const tricky = fc.string({ unit: fc.constantFrom('"', '\\', 'a', ' ', '{', '}', ',', ':', '\u00e9', '\n') });
    const value = fc.oneof(tricky, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(tricky, { maxLength: 3 }), fc.dictionary(tricky, tricky, { maxKeys: 3 }));
    fc.assert(
      fc.property(fc.dictionary(tricky, value, { minKeys: 1, maxKeys: 6 }), fc.constantFrom(undefined, 2), (object, indent) => {
        const text = JSON.stringify(object, null, indent);
        for (const key of Object.keys(object).filter((k) => !k.includes('.'))) {
          expect(JSON.parse(rawAtPath(text, key) as string)).toEqual(JSON.parse(JSON.stringify(object[key])));
        }
      }),
    );
  });
});

describe('collectionOf', () => {
  it.each([
    ['a/b/c.json', 'a/b'],
    ['c.json', 'root'],
    ['/c.json', 'root'],
  ])('%s → %s', (key, collection) => {
    expect(collectionOf(key)).toBe(collection);
  });
});
