import * as fs from 'node:fs';
import * as path from 'node:path';
import { MANDATORY_FIELDS, RecordEventDetail, toCertyoRecord, validateRecordEvent } from '../../lambdas/shared/record-event';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'eventbridge');

function detailOf(file: string): Record<string, unknown> {
  return (JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as { detail: Record<string, unknown> }).detail;
}

describe('validateRecordEvent', () => {
  it('accepts an event with every optional field', () => {
    // Arrange
    const detail = detailOf('record-event-full.json');

    // Act
    const result = validateRecordEvent(detail);

    // Assert
    expect(result).toEqual({ ok: true, record: detail });
  });

  it('accepts an event with the mandatory fields only', () => {
    // Act
    const result = validateRecordEvent(detailOf('record-event-minimal.json'));

    // Assert
    expect(result.ok).toBe(true);
  });

  it.each(MANDATORY_FIELDS.map((field) => [field]))('names the missing mandatory field %s', (field) => {
    // Arrange
    const detail = { ...detailOf('record-event-full.json') };
    delete detail[field];

    // Act
    const result = validateRecordEvent(detail);

    // Assert
    expect(result).toEqual({ ok: false, reason: `detail.${field} is required` });
  });

  it.each([
    ['a number as recordId', { recordId: 42 }, 'detail.recordId must be a string, got number'],
    ['an object as recordId', { recordId: { orderNo: 17 } }, 'detail.recordId must be a string, got object'],
    ['a blank collection', { collection: '  ' }, 'detail.collection must not be empty'],
    ['a null payload', { payload: null }, 'detail.payload is required'],
    ['a numeric tenantId', { tenantId: 7 }, 'detail.tenantId must be a string when present, got number'],
    ['a null idempotencyKey', { idempotencyKey: null }, 'detail.idempotencyKey must be a string when present, got null'],
    ['an empty idempotencyKey', { idempotencyKey: '' }, 'detail.idempotencyKey must not be empty when present'],
    ['an unknown operationType', { operationType: 'merge' }, 'detail.operationType must be one of upsert, insert, update, delete, got "merge"'],
  ])('rejects %s with a reason naming the field', (_name, change, reason) => {
    // Arrange
    const detail = { ...detailOf('record-event-full.json'), ...change };

    // Act
    const result = validateRecordEvent(detail);

    // Assert
    expect(result).toEqual({ ok: false, reason });
  });

  it.each([
    ['null', null, 'detail must be a JSON object, got null'],
    ['an array', [], 'detail must be a JSON object, got an array'],
    ['a string', 'INV-1', 'detail must be a JSON object, got string'],
  ])('rejects a detail that is %s', (_name, detail, reason) => {
    // Act + Assert
    expect(validateRecordEvent(detail)).toEqual({ ok: false, reason });
  });

  it('accepts a payload that is not an object (any JSON is a payload)', () => {
    // Arrange
    const detail = { ...detailOf('record-event-minimal.json'), payload: 0 };

    // Act + Assert
    expect(validateRecordEvent(detail).ok).toBe(true);
  });
});

describe('toCertyoRecord', () => {
  it('maps every field and keeps the producer tenant and idempotency key', () => {
    // Arrange
    const detail = detailOf('record-event-full.json') as unknown as RecordEventDetail;

    // Act
    const record = toCertyoRecord(detail, 'configured-tenant');

    // Assert
    expect(record).toEqual({
      tenantId: 'acme-corp',
      database: 'billing',
      collection: 'invoices',
      recordId: 'INV-2026-0042',
      recordVersion: 'v1',
      recordPayload: detail.payload,
      operationType: 'upsert',
      sourceTimestamp: '2026-04-13T10:30:00Z',
      idempotencyKey: 'billing-INV-2026-0042-v1',
    });
  });

  it('defaults the tenant and the idempotency key and leaves absent optional fields out', () => {
    // Arrange
    const detail = detailOf('record-event-minimal.json') as unknown as RecordEventDetail;

    // Act
    const record = toCertyoRecord(detail, 'configured-tenant');

    // Assert
    expect(record).toEqual({
      tenantId: 'configured-tenant',
      database: 'billing',
      collection: 'invoices',
      recordId: 'INV-2026-0043',
      recordVersion: '3',
      recordPayload: detail.payload,
      idempotencyKey: 'configured-tenant|billing|invoices|INV-2026-0043|3',
    });
    expect(Object.keys(record)).not.toContain('operationType');
  });
});

describe('the default idempotency key of an event', () => {
  it('identifies a version: a retry replays, a new version does not collapse into the old one', () => {
    // Arrange
    const v1 = { database: 'billing', collection: 'invoices', recordId: 'INV-1', recordVersion: '1', payload: {} };

    // Act
    const retry = toCertyoRecord({ ...v1 }, 'acme').idempotencyKey;
    const update = toCertyoRecord({ ...v1, recordVersion: '2' }, 'acme').idempotencyKey;

    // Assert
    expect(retry).toBe(toCertyoRecord(v1, 'acme').idempotencyKey);
    expect(update).not.toBe(retry);
    expect(retry).toBe('acme|billing|invoices|INV-1|1');
  });

  it('keeps apart the events that the API reference\'s dash-joined key would merge', () => {
    // Arrange: `billing-in-voices-A-1` either way with `-` as the separator.
    const first = { database: 'billing', collection: 'in-voices', recordId: 'A', recordVersion: '1', payload: {} };
    const second = { database: 'billing-in', collection: 'voices', recordId: 'A', recordVersion: '1', payload: {} };

    // Act
    const keys = [first, second].map((detail) => toCertyoRecord(detail, 'acme').idempotencyKey);

    // Assert
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('names the tenant, so one record version of two tenants gets two keys', () => {
    // Arrange
    const detail = { database: 'billing', collection: 'invoices', recordId: 'A', recordVersion: '1', payload: {} };

    // Act
    const own = toCertyoRecord({ ...detail, tenantId: 'other' }, 'acme').idempotencyKey;
    const configured = toCertyoRecord(detail, 'acme').idempotencyKey;

    // Assert
    expect(own).toBe('other|billing|invoices|A|1');
    expect(configured).not.toBe(own);
  });
});
