/**
 * Request validation with the API reference's field rules. Every problem is reported (not just
 * the first) as one `details` entry naming the field; bulk items are named `items[<i>].<field>`
 * so a client can tell which items to drop and which to resend. A bulk request with any bad item
 * is refused whole (nothing stored), the safe reading of an all-or-nothing 400.
 */
import { RecordInput, VerifyInput } from './ledger';
import { JsonNumber, JsonValue } from './lossless-json';

export const OPERATION_TYPES = ['upsert', 'insert', 'update', 'delete'];
export const MAX_BULK_ITEMS = 1000;

type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly details: string[] };

function asObject(value: JsonValue | undefined): { [key: string]: JsonValue } | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber) ? value : undefined;
}

function stringField(body: { [key: string]: JsonValue }, field: string, required: boolean, prefix: string, details: string[]): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (required) details.push(`${prefix}${field} is required`);
    return undefined;
  }
  if (typeof value !== 'string') {
    details.push(`${prefix}${field} must be a string`);
    return undefined;
  }
  if (required && value.trim() === '') details.push(`${prefix}${field} must not be empty`);
  return value;
}

/** One record (the single endpoint's body, or one bulk item with `prefix` `items[i].`). */
export function checkRecord(value: JsonValue | undefined, prefix = '', headerKey?: string): Checked<RecordInput> {
  const body = asObject(value);
  if (!body) return { ok: false, details: [`${prefix ? prefix.slice(0, -1) : 'body'} must be a JSON object`] };
  const details: string[] = [];
  const required = (field: string) => stringField(body, field, true, prefix, details) as string;
  const optional = (field: string) => stringField(body, field, false, prefix, details);
  const tenantId = required('tenantId');
  const database = required('database');
  const collection = required('collection');
  const recordId = required('recordId');
  const clientId = optional('clientId');
  const recordVersion = optional('recordVersion');
  const sourceTimestamp = optional('sourceTimestamp');
  const bodyKey = optional('idempotencyKey');
  const operationType = optional('operationType') ?? 'upsert';
  if (!OPERATION_TYPES.includes(operationType)) details.push(`${prefix}operationType must be one of ${OPERATION_TYPES.join(', ')}`);
  if (sourceTimestamp !== undefined && Number.isNaN(Date.parse(sourceTimestamp))) details.push(`${prefix}sourceTimestamp must be an ISO 8601 date-time`);
  const recordPayload = body.recordPayload;
  if (recordPayload === undefined || recordPayload === null) details.push(`${prefix}recordPayload is required`);
  if (details.length > 0) return { ok: false, details };
  return {
    ok: true,
    value: {
      tenantId,
      clientId,
      database,
      collection,
      recordId,
      recordVersion,
      recordPayload: recordPayload as JsonValue,
      sourceTimestamp,
      operationType,
      // The header is the HTTP-level statement of intent, so it wins over the body field.
      idempotencyKey: headerKey ?? bodyKey,
    },
  };
}

/** The bulk envelope: `items`, an array of 1 to 1000 values. */
function bulkItems(value: JsonValue): Checked<JsonValue[]> {
  const items = asObject(value)?.items;
  if (!Array.isArray(items)) return { ok: false, details: ['items must be an array of 1 to 1000 records'] };
  if (items.length === 0 || items.length > MAX_BULK_ITEMS) {
    return { ok: false, details: [`items must contain 1 to ${MAX_BULK_ITEMS} records, got ${items.length}`] };
  }
  return { ok: true, value: items };
}

/** The envelope, then each item on its own (details prefixed `items[i].`), for partial answers. */
export function checkBulkItems(value: JsonValue): Checked<{ readonly raw: JsonValue; readonly checked: Checked<RecordInput> }[]> {
  const items = bulkItems(value);
  if (!items.ok) return items;
  return { ok: true, value: items.value.map((raw, i) => ({ raw, checked: checkRecord(raw, `items[${i}].`) })) };
}

export function checkBulk(value: JsonValue, detailFormat: 'indexed' | 'unindexed' = 'indexed'): Checked<RecordInput[]> {
  const items = bulkItems(value);
  if (!items.ok) return items;
  const records: RecordInput[] = [];
  const details: string[] = [];
  items.value.forEach((item, i) => {
    const checked = checkRecord(item, detailFormat === 'indexed' ? `items[${i}].` : '');
    if (checked.ok) records.push(checked.value);
    else details.push(...checked.details);
  });
  return details.length > 0 ? { ok: false, details } : { ok: true, value: records };
}

export function checkVerify(value: JsonValue): Checked<VerifyInput> {
  const body = asObject(value);
  if (!body) return { ok: false, details: ['body must be a JSON object'] };
  const details: string[] = [];
  const collection = stringField(body, 'collection', true, '', details) as string;
  const recordId = stringField(body, 'recordId', true, '', details) as string;
  const tenantId = stringField(body, 'tenantId', false, '', details);
  const database = stringField(body, 'database', false, '', details);
  const recordVersion = stringField(body, 'recordVersion', false, '', details);
  const batchId = stringField(body, 'batchId', false, '', details);
  if (details.length > 0) return { ok: false, details };
  const payload = body.payload === null ? undefined : body.payload;
  return { ok: true, value: { collection, recordId, tenantId, database, recordVersion, batchId, payload } };
}
