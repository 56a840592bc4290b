/**
 * One MongoDB change event → what to do with it: ingest it (with the Certyo record it becomes),
 * skip it (and why) or reject it (and why). Pure, and the one mapping both MongoDB paths use:
 * Amazon DocumentDB change streams (`../mongo-ingest/`) and MongoDB Atlas Triggers through
 * EventBridge (`./record-message.ts`, in the forwarder). The rules are seed 002's:
 *
 * - `documentKey._id` → `recordId` (an ObjectId as its 24 hex digits, a string as it is, a number
 *   as its digits, any other type as its canonical Extended JSON); `ns.db` / `ns.coll` →
 *   `database` / `collection`; `clusterTime` → `sourceTimestamp`.
 * - `insert` → `insert`, `update` and `replace` → `update`, `delete` → `delete`, whose payload is
 *   `{"_id": <id>, "_deleted": true}`. Other operations (drop, rename, invalidate, dropDatabase,
 *   DDL events) carry no document: they are skipped and counted, not dead-lettered.
 * - `certyo_*` fields are not part of the payload, and an update whose `updateDescription`
 *   touches only `certyo_*` fields is skipped: it is a write-back coming back through the stream,
 *   and ingesting it would loop forever.
 * - `recordVersion` = the resume token (`_id._data`), so the shared record identity's key
 *   (`./record-identity.ts`) makes a redelivered batch replay, while every new change (which has a
 *   new token) is a new version. Seed 002 cut the token to 16 characters and fell back to
 *   `Date.now()`: neither is unique nor stable.
 *
 * BSON types are read with the official `bson` package from canonical or relaxed Extended JSON
 * (Atlas lets users switch Extended JSON on or off; DocumentDB sends `$oid`, `$date`, ...).
 * Int64 is written as a JSON number with exactly its digits and Decimal128 as its string (seed
 * 002), neither ever through a JS number; an ObjectId becomes its hex, a Date ISO 8601, Binary
 * base64; any other BSON type keeps its canonical Extended JSON.
 */
import { Binary, BSONError, Decimal128, Double, EJSON, Int32, Long, ObjectId, Timestamp } from 'bson';
import { CertyoRecord, OperationType } from './certyo-types';
import { RawJson } from './json';
import { withIdempotencyKey } from './record-identity';

/** Field names the write-back owns (seed 002); never part of a payload. */
export const WRITE_BACK_PREFIX = 'certyo_';

const OPERATIONS: Readonly<Record<string, OperationType>> = { insert: 'insert', update: 'update', replace: 'update', delete: 'delete' };

export type MongoSkipReason = 'certyo-only' | 'other-operation';

export interface MongoIngest {
  readonly kind: 'ingest';
  readonly record: CertyoRecord;
}

export interface MongoSkip {
  readonly kind: 'skip';
  readonly reason: MongoSkipReason;
  /** The change event's `operationType`, for the log line. */
  readonly operationType: string;
  readonly resumeToken?: string;
}

export interface MongoReject {
  readonly kind: 'reject';
  /** Names the namespace, the resume token and the field that is wrong. */
  readonly reason: string;
  readonly resumeToken?: string;
}

export type MongoChange = MongoIngest | MongoSkip | MongoReject;

/** A field of the change event that cannot be mapped. */
export class MongoMappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MongoMappingError';
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Canonical Extended JSON of one value: exact for every BSON type, and plain JSON text. */
function canonical(value: unknown): string {
  return EJSON.stringify(value as never, { relaxed: false });
}

function isoDate(date: Date, field: string): string {
  if (Number.isNaN(date.getTime())) throw new MongoMappingError(`${field} is not a valid date`);
  try {
    return date.toISOString();
  } catch {
    throw new MongoMappingError(`${field} is a date outside the range ISO 8601 can write`);
  }
}

/** A non-finite double has no JSON number: write it as Extended JSON writes it. */
function doubleJson(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

/** A deserialized BSON value → JSON that Certyo stores (RawJson for exact digits). */
export function sanitize(value: unknown, field: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return doubleJson(value);
  if (value instanceof Date) return isoDate(value, field);
  if (Array.isArray(value)) return value.map((item, index) => sanitize(item, `${field}[${index}]`));
  if (value instanceof ObjectId) return value.toHexString();
  if (value instanceof Long) return new RawJson(value.toString());
  if (value instanceof Int32) return value.value;
  if (value instanceof Double) return doubleJson(value.value);
  if (value instanceof Decimal128) return value.toString();
  if (value instanceof Binary) return value.toString('base64');
  if (value instanceof Timestamp) return { t: value.t, i: value.i };
  if (isObject(value) && typeof value._bsontype === 'string') return new RawJson(canonical(value));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, sanitize(item, `${field}.${key}`)]));
  throw new MongoMappingError(`${field} has a value of type ${typeof value}, which JSON cannot carry`);
}

/** `documentKey._id` → `recordId`. */
export function recordIdOf(id: unknown): string {
  if (id === undefined || id === null) throw new MongoMappingError('documentKey._id is missing');
  if (typeof id === 'string') {
    if (id === '') throw new MongoMappingError('documentKey._id is an empty string');
    return id;
  }
  if (id instanceof ObjectId) return id.toHexString();
  if (id instanceof Long || id instanceof Int32) return id.toString();
  if (typeof id === 'number' || id instanceof Double) {
    const n = typeof id === 'number' ? id : id.value;
    if (!Number.isFinite(n)) throw new MongoMappingError(`documentKey._id is ${n}, which cannot identify a record`);
    return String(n);
  }
  return canonical(id);
}

/** `clusterTime` (a BSON Timestamp: seconds and an increment) → ISO 8601, when present. */
function sourceTimestampOf(clusterTime: unknown): string | undefined {
  if (clusterTime === undefined || clusterTime === null) return undefined;
  if (clusterTime instanceof Timestamp) return isoDate(new Date(clusterTime.t * 1000), 'clusterTime');
  if (clusterTime instanceof Date) return isoDate(clusterTime, 'clusterTime');
  // Atlas with Extended JSON off writes a Timestamp as {"T": seconds, "I": increment}.
  if (isObject(clusterTime)) {
    const seconds = clusterTime.T ?? clusterTime.t;
    if (typeof seconds === 'number' || seconds instanceof Int32 || seconds instanceof Long || seconds instanceof Double) {
      return isoDate(new Date(Number(seconds.valueOf()) * 1000), 'clusterTime');
    }
  }
  if (typeof clusterTime === 'string') return isoDate(new Date(clusterTime), 'clusterTime');
  throw new MongoMappingError('clusterTime is neither a BSON Timestamp nor a date');
}

function isWriteBackPath(path: string): boolean {
  return path.startsWith(WRITE_BACK_PREFIX);
}

/** Whether an update changed only `certyo_*` fields (dotted paths count by their first segment). */
function touchesOnlyWriteBack(updateDescription: unknown): boolean {
  if (!isObject(updateDescription)) return false;
  const updated = isObject(updateDescription.updatedFields) ? Object.keys(updateDescription.updatedFields) : [];
  const removed = Array.isArray(updateDescription.removedFields) ? updateDescription.removedFields.map(String) : [];
  const truncated = Array.isArray(updateDescription.truncatedArrays)
    ? updateDescription.truncatedArrays.map((t) => (isObject(t) ? String(t.field) : String(t)))
    : [];
  const paths = [...updated, ...removed, ...truncated];
  return paths.length > 0 && paths.every(isWriteBackPath);
}

function withoutWriteBack(document: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(document).filter(([key]) => !isWriteBackPath(key)));
}

function namespaceLabel(ns: unknown): string {
  if (!isObject(ns)) return '(no namespace)';
  return `${typeof ns.db === 'string' ? ns.db : '?'}.${typeof ns.coll === 'string' ? ns.coll : '?'}`;
}

const INT32 = { min: -(2n ** 31n), max: 2n ** 31n - 1n };
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const UINT32_MAX = 2 ** 32 - 1;
const DOUBLE_TEXT = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function integerProblem(text: unknown, range: { min: bigint; max: bigint }, kind: string): string | undefined {
  if (typeof text !== 'string' || !/^-?(0|[1-9]\d*)$/.test(text)) return `is ${kind} ${JSON.stringify(text)}, not a whole number in decimal digits`;
  const n = BigInt(text);
  return n < range.min || n > range.max ? `is ${kind} "${text}", outside the ${kind === '$numberInt' ? '32' : '64'}-bit integer range` : undefined;
}

/** Why a canonical Extended JSON number wrapper holds no number of its BSON type, or `undefined`. */
function numberWrapperProblem(value: Record<string, unknown>): string | undefined {
  if ('$numberInt' in value) return integerProblem(value.$numberInt, INT32, '$numberInt');
  if ('$numberLong' in value) return integerProblem(value.$numberLong, INT64, '$numberLong');
  if ('$numberDouble' in value) {
    const text = value.$numberDouble;
    if (text === 'Infinity' || text === '-Infinity' || text === 'NaN') return undefined;
    if (typeof text !== 'string' || !DOUBLE_TEXT.test(text) || !Number.isFinite(Number(text))) return `is $numberDouble ${JSON.stringify(text)}, not a finite double, Infinity, -Infinity or NaN`;
  }
  if ('$timestamp' in value) {
    const ts = value.$timestamp;
    const part = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= UINT32_MAX;
    if (!isObject(ts) || !part(ts.t) || !part(ts.i)) return `is $timestamp ${JSON.stringify(ts)}: t and i must be whole numbers from 0 to ${UINT32_MAX}`;
  }
  return undefined;
}

/**
 * The first number wrapper (`$numberInt`, `$numberLong`, `$numberDouble`, `$timestamp`) that holds
 * no value of its type, named by its path. `bson` does not refuse them: it wraps `$numberLong`
 * `9223372036854775808` to `-9223372036854775808` and `$numberInt` `2147483648` to `-2147483648`,
 * reads `$numberInt` `"abc"` as 0 and `$numberDouble` `"1.5abc"` as 1.5, so the record would be
 * anchored with another number than its source holds; no BSON document can hold such values.
 */
function invalidNumber(value: unknown): { readonly path: string; readonly problem: string } | undefined {
  // The path is built on the way back from a problem only: every change event of both MongoDB
  // paths is walked, and almost none has one.
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = invalidNumber(value[i]);
      if (found !== undefined) return { path: `[${i}]${found.path}`, problem: found.problem };
    }
    return undefined;
  }
  if (!isObject(value)) return undefined;
  const problem = numberWrapperProblem(value);
  if (problem !== undefined) return { path: '', problem };
  for (const key of Object.keys(value)) {
    const found = invalidNumber(value[key]);
    if (found !== undefined) return { path: `.${key}${found.path}`, problem: found.problem };
  }
  return undefined;
}

function deserialize(event: unknown): Record<string, unknown> {
  const invalid = invalidNumber(event);
  if (invalid !== undefined) throw new MongoMappingError(`the event is not valid Extended JSON: ${invalid.path.replace(/^\./, '')} ${invalid.problem}`);
  try {
    return EJSON.deserialize(event as never, { relaxed: false }) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof BSONError) throw new MongoMappingError(`the event is not valid Extended JSON: ${error.message}`);
    throw error;
  }
}

export interface MongoChangeOptions {
  readonly tenantId: string;
}

/** One change event (canonical or relaxed Extended JSON, as received) → ingest, skip or reject. */
export function toMongoChange(event: unknown, options: MongoChangeOptions): MongoChange {
  const rawToken = isObject(event) && isObject(event._id) ? event._id._data : undefined;
  const resumeToken = typeof rawToken === 'string' && rawToken !== '' ? rawToken : undefined;
  const label = `${namespaceLabel(isObject(event) ? event.ns : undefined)}, resume token ${resumeToken ?? '(none)'}`;
  const reject = (problem: string): MongoReject => ({ kind: 'reject', reason: `change ${label}: ${problem}`, resumeToken });
  if (!isObject(event)) return reject('the change event is not a JSON object');
  if (resumeToken === undefined) return reject('_id._data (the resume token) is missing or not a string');
  const operation = event.operationType;
  if (typeof operation !== 'string' || operation === '') return reject('operationType is missing or not a string');
  const operationType = OPERATIONS[operation];
  if (!operationType) return { kind: 'skip', reason: 'other-operation', operationType: operation, resumeToken };
  const ns = event.ns;
  if (!isObject(ns) || typeof ns.db !== 'string' || ns.db === '') return reject('ns.db is missing or not a string');
  if (typeof ns.coll !== 'string' || ns.coll === '') return reject('ns.coll is missing or not a string');
  if (operation === 'update' && touchesOnlyWriteBack(event.updateDescription)) {
    return { kind: 'skip', reason: 'certyo-only', operationType: operation, resumeToken };
  }

  try {
    const change = deserialize(event);
    const documentKey = change.documentKey;
    const id = isObject(documentKey) ? documentKey._id : undefined;
    const recordId = recordIdOf(id);
    let payload: unknown;
    if (operationType === 'delete') {
      payload = { _id: sanitize(id, 'documentKey._id'), _deleted: true };
    } else {
      const fullDocument = change.fullDocument;
      if (!isObject(fullDocument)) {
        return reject(
          `fullDocument is missing: a ${operation} needs the document (DocumentDB: the mapping's fullDocument UpdateLookup; Atlas: "Full Document" on the trigger), or it was deleted before the lookup`,
        );
      }
      payload = sanitize(withoutWriteBack(fullDocument), 'fullDocument');
    }
    const record = withIdempotencyKey({
      tenantId: options.tenantId,
      database: ns.db,
      collection: ns.coll,
      recordId,
      recordVersion: resumeToken,
      recordPayload: payload,
      sourceTimestamp: sourceTimestampOf(change.clusterTime),
      operationType,
    });
    return { kind: 'ingest', record };
  } catch (error) {
    if (error instanceof MongoMappingError) return reject(error.message);
    throw error;
  }
}
