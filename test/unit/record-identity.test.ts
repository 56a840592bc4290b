/**
 * The record identity's key, for every input (issue 15): injective, deterministic, within the
 * assumed length, and the same for one record version whichever path carries it. Inputs are
 * built to collide: separators and escape sequences inside parts, parts that differ only in where
 * a separator falls, unicode, empty-looking and very long parts.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import fc from 'fast-check';
import { toChange } from '../../lambdas/ddb-ingest/stream-change';
import { mapRecord } from '../../lambdas/s3-ingest/record-mapping';
import { RawElement } from '../../lambdas/s3-ingest/json-splitter';
import { RecordEventDetail, toCertyoRecord, validateRecordEvent } from '../../lambdas/shared/record-event';
import {
  HASHED_KEY_PREFIX,
  IDENTITY_FIELDS,
  idempotencyKeyOf,
  isTemplateSafe,
  KEY_SEPARATOR,
  MAX_KEY_BYTES,
  RecordIdentity,
  withIdempotencyKey,
} from '../../lambdas/shared/record-identity';
import { recordBodyToDetail } from '../../lambdas/webhook-intake/record-body';
import { directForwardingVariants, invalidEventRoutes } from '../../lib/record-event-rules';
import { evaluateInputTransformer, matchesPattern } from '../../local/harness/eventbridge';
import { itemRecord } from '../../scripts/backfill/item-record';

/** Characters that make keys collide when joined or escaped naively. */
const TRICKY = ['|', '%', '%7C', '%25', '-', '\\', '"', '#', '@', '/', ':', ' ', '\u0000', '\n', 'é', '😀', '\u202e'];

const part = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...TRICKY, 'a', 'b', '1'), minLength: 1, maxLength: 8 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('x', '|', '%'), minLength: 60, maxLength: 120 }) },
);

const identity: fc.Arbitrary<RecordIdentity> = fc.record({ tenantId: part, database: part, collection: part, recordId: part, recordVersion: part });

/** Undoes the key's escaping: the structural proof that unhashed keys are injective. */
function decode(key: string): string[] {
  return key.split(KEY_SEPARATOR).map((p) => p.replace(/%7C/g, '|').replace(/%25/g, '%'));
}

const tupleOf = (i: RecordIdentity): string[] => IDENTITY_FIELDS.map((f) => i[f]);

describe('idempotencyKeyOf', () => {
  it('gives distinct identities distinct keys', () => {
    fc.assert(
      fc.property(identity, identity, (a, b) => {
        fc.pre(JSON.stringify(tupleOf(a)) !== JSON.stringify(tupleOf(b)));
        expect(idempotencyKeyOf(a)).not.toBe(idempotencyKeyOf(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives distinct keys to identities that differ only in where a separator or escape falls', () => {
    // Arrange: one text cut into five parts at two different places.
    const cuts = fc.uniqueArray(fc.integer({ min: 0, max: 12 }), { minLength: 4, maxLength: 4 }).map((c) => c.sort((x, y) => x - y));
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('|', '%', '7', 'C', '2', '5', 'a'), minLength: 12, maxLength: 12 }), cuts, cuts, (text, first, second) => {
        fc.pre(first.join() !== second.join());
        const split = (at: number[]): RecordIdentity => {
          const bounds = [0, ...at, text.length];
          const [tenantId, database, collection, recordId, recordVersion] = bounds.slice(1).map((end, i) => text.slice(bounds[i], end)) as string[];
          return { tenantId, database, collection, recordId, recordVersion } as RecordIdentity;
        };

        // Act + Assert
        expect(idempotencyKeyOf(split(first))).not.toBe(idempotencyKeyOf(split(second)));
      }),
      { numRuns: 2000 },
    );
  });

  it('is deterministic, decodes back to the identity when short, and is hashed when longer than the assumed limit', () => {
    fc.assert(
      fc.property(identity, (i) => {
        const key = idempotencyKeyOf(i);
        expect(idempotencyKeyOf({ ...i })).toBe(key);
        expect(Buffer.byteLength(key, 'utf8')).toBeLessThanOrEqual(MAX_KEY_BYTES);
        if (key.startsWith(HASHED_KEY_PREFIX) && !key.includes(KEY_SEPARATOR)) expect(key).toMatch(/^sha256:[0-9a-f]{64}$/);
        else expect(decode(key)).toEqual(tupleOf(i));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps apart the pairs the API reference\'s dash-joined key merges', () => {
    const pairs: [RecordIdentity, RecordIdentity][] = [
      [
        { tenantId: 't', database: 'billing', collection: 'in-voices', recordId: 'A', recordVersion: '1' },
        { tenantId: 't', database: 'billing-in', collection: 'voices', recordId: 'A', recordVersion: '1' },
      ],
      [
        { tenantId: 't', database: 'a|b', collection: 'c', recordId: 'A', recordVersion: '1' },
        { tenantId: 't', database: 'a', collection: 'b|c', recordId: 'A', recordVersion: '1' },
      ],
      [
        { tenantId: 't', database: 'a%7C', collection: 'c', recordId: 'A', recordVersion: '1' },
        { tenantId: 't', database: 'a|', collection: 'c', recordId: 'A', recordVersion: '1' },
      ],
    ];
    for (const [a, b] of pairs) expect(idempotencyKeyOf(a)).not.toBe(idempotencyKeyOf(b));
  });
});

describe('withIdempotencyKey', () => {
  it('is the record with its key appended: same members in the same order, input untouched', () => {
    // Member order is what a bulk body serializes, so it is compared through JSON text.
    const optional = fc.record(
      { clientId: part, sourceTimestamp: part, operationType: fc.constantFrom('upsert' as const, 'insert' as const, 'delete' as const), recordPayload: fc.jsonValue() },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(identity, optional, fc.boolean(), (i, extra, extraFirst) => {
        const record = extraFirst ? { recordPayload: null, ...extra, ...i } : { ...i, recordPayload: null, ...extra };
        const before = JSON.stringify(record);

        const keyed = withIdempotencyKey(record);

        expect(JSON.stringify(keyed)).toBe(`${before.slice(0, -1)},"idempotencyKey":${JSON.stringify(idempotencyKeyOf(i))}}`);
        expect(JSON.stringify(record)).toBe(before);
        expect(keyed).not.toBe(record);
      }),
      { numRuns: 500 },
    );
  });
});

/** A detail carrying an identity (the configured tenant when `tenantId` is left out). */
function detailOf(i: RecordIdentity, ownTenant: boolean): RecordEventDetail {
  return { ...(ownTenant ? { tenantId: i.tenantId } : {}), database: i.database, collection: i.collection, recordId: i.recordId, recordVersion: i.recordVersion, payload: { n: 1 } };
}

/** Identities the event contract accepts (its mandatory strings are not blank). */
const eventIdentity = identity.filter((i) => IDENTITY_FIELDS.every((f) => i[f].trim() !== ''));

describe('one key whichever path carries a record version', () => {
  const selector = { detailType: 'Certyo Record', sources: [] };
  const configuredTenant = 'acme-1';
  const variants = directForwardingVariants(selector, configuredTenant);
  const invalid = invalidEventRoutes(selector);

  it('bus event (batched), webhook delivery and direct mode agree; the direct mode forwards exactly the keyable events and dead-letters the rest naming the field', () => {
    fc.assert(
      fc.property(eventIdentity, fc.boolean(), (i, ownTenant) => {
        const tenantId = ownTenant ? i.tenantId : configuredTenant;
        const expected = idempotencyKeyOf({ ...i, tenantId });
        const detail = detailOf(i, ownTenant);

        // Batched forwarder.
        expect(validateRecordEvent(detail).ok).toBe(true);
        expect(toCertyoRecord(detail, configuredTenant).idempotencyKey).toBe(expected);

        // Webhook: the body becomes the event's detail text (a source allowed this tenant and
        // database, whose first tenant is the configured one).
        const policy = { source: 'test', tenantIds: [...new Set([configuredTenant, i.tenantId])], databases: [i.database] };
        const body = recordBodyToDetail(JSON.stringify(detail), 'delivery-1', 0, policy);
        if (!body.ok) throw new Error(body.message);
        expect(toCertyoRecord(JSON.parse(body.detail) as RecordEventDetail, configuredTenant).idempotencyKey).toBe(expected);

        // Direct mode: exactly one rule of all of them matches.
        const event = { source: 'test', 'detail-type': 'Certyo Record', detail };
        const forwarding = variants.filter((v) => matchesPattern(v.pattern, event));
        const refusing = invalid.filter((r) => matchesPattern(r.pattern, event));
        expect(forwarding.length + refusing.length).toBe(1);
        const keyable = IDENTITY_FIELDS.filter((f) => f !== 'tenantId' || ownTenant).every((f) => isTemplateSafe(i[f]));
        if (keyable) {
          expect(refusing).toEqual([]);
          // A control character would be written raw into the key's JSON string (README, "Record
          // identity": the patterns cannot exclude them within EventBridge's pattern quota).
          if (IDENTITY_FIELDS.some((f) => [...i[f]].some((c) => c.charCodeAt(0) < 0x20))) return;
          const [variant] = forwarding as [(typeof variants)[number]];
          const sent = JSON.parse(evaluateInputTransformer({ InputPathsMap: { ...variant.inputPathsMap }, InputTemplate: variant.inputTemplate }, event)) as Record<string, unknown>;
          const batched = JSON.parse(JSON.stringify(toCertyoRecord(detail, configuredTenant))) as Record<string, unknown>;
          if (expected.startsWith(HASHED_KEY_PREFIX) && !expected.includes(KEY_SEPARATOR)) {
            // Too long for the assumed limit: the batched mode hashes, the transformer cannot.
            expect({ ...sent, idempotencyKey: expected }).toEqual(batched);
            expect(decode(sent.idempotencyKey as string)).toEqual(tupleOf({ ...i, tenantId }));
          } else {
            expect(sent).toEqual(batched);
          }
        } else {
          const firstUnsafe = IDENTITY_FIELDS.find((f) => (f !== 'tenantId' || ownTenant) && !isTemplateSafe(i[f]));
          expect(refusing.map((r) => r.name)).toEqual([`unsafe-${firstUnsafe}`]);
          expect(refusing[0]!.reason).toMatch(new RegExp(`^detail\\.${firstUnsafe} contains one of`));
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('an S3 element has the key of the same identity on the bus', () => {
    // The collection is the object key's folder; a folder never ends in `/` and is never blank.
    const folder = part.filter((p) => p.trim() !== '' && !p.endsWith('/') && !p.startsWith('/'));
    fc.assert(
      fc.property(eventIdentity, folder, (i, collection) => {
        const text = JSON.stringify({ id: i.recordId, version: i.recordVersion, amount: 1 });
        const bytes = Buffer.from(text, 'utf8');
        const element: RawElement = { index: 0, line: 1, bytes, size: bytes.length, excerpt: bytes, next: { mode: 'lines', offset: 0, index: 1, line: 2 } };
        const task = { bucket: 'bucket', key: `${collection}/file.ndjson`, versionId: 'v1', eventTime: '2026-04-13T10:30:00.000Z', nextIndex: 0 };

        const mapped = mapRecord(element, task, { tenantId: i.tenantId, database: i.database, recordIdPath: 'id', recordVersionPath: 'version' }, 1 << 20);

        if (!mapped.ok) throw new Error(mapped.reason);
        expect(mapped.record.idempotencyKey).toBe(idempotencyKeyOf({ ...i, collection }));
        expect(mapped.record.idempotencyKey).toBe(toCertyoRecord(detailOf({ ...i, collection }, true), 'unused').idempotencyKey);
      }),
      { numRuns: 500 },
    );
  });

  it('a DynamoDB change and a backfilled item have the key of the same identity on the bus', () => {
    const tableName = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '_', '-', '.'), minLength: 3, maxLength: 40 });
    const sequenceNumber = fc.bigInt({ min: 1n, max: 10n ** 40n }).map(String);
    fc.assert(
      fc.property(eventIdentity, tableName, sequenceNumber, (i, table, seq) => {
        const keys = { pk: { S: i.recordId } };
        const record = {
          eventName: 'INSERT',
          eventSourceARN: `arn:aws:dynamodb:eu-west-1:123456789012:table/${table}/stream/2026-04-13T10:30:00.000`,
          dynamodb: { Keys: keys, NewImage: { ...keys, amount: { N: '9007199254740993' } }, SequenceNumber: seq },
        } as unknown as DynamoDBRecord;

        const change = toChange(record, 0, { tenantId: i.tenantId, database: i.database, ttlDeletes: 'ingest', writeBack: false });
        const item = itemRecord({ ...keys, amount: { N: '1' } }, { tenantId: i.tenantId, database: i.database, table, keyNames: ['pk'] });

        if (change.kind !== 'ingest') throw new Error(JSON.stringify(change));
        expect(change.record.idempotencyKey).toBe(idempotencyKeyOf({ ...i, collection: table, recordVersion: seq }));
        expect(change.record.idempotencyKey).toBe(toCertyoRecord(detailOf({ ...i, collection: table, recordVersion: seq }, true), 'unused').idempotencyKey);
        if (!item.ok) throw new Error(item.reason);
        expect(item.record.idempotencyKey).toBe(idempotencyKeyOf({ ...i, collection: table, recordVersion: item.record.recordVersion as string }));
      }),
      { numRuns: 500 },
    );
  });
});
