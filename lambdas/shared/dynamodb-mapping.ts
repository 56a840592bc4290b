/**
 * DynamoDB items → Certyo payloads and record ids, shared by the stream Lambda (`ddb-ingest`)
 * and the backfill CLI so a record anchored from the stream and the same item anchored by a
 * backfill carry the same payload and the same `recordId`.
 *
 * The payload is built as JSON text (a `RawJson`), not as a JavaScript object, so that every
 * choice below is exact and the same item always produces byte-for-byte the same payload:
 *
 * | DynamoDB | JSON |
 * |---|---|
 * | `S` | string |
 * | `N` | number, every digit kept, in canonical form (`dynamodb-number.ts`) |
 * | `B` | base64 string (standard alphabet, padded) |
 * | `BOOL` / `NULL` | `true`/`false` / `null` |
 * | `L` | array, in order |
 * | `M` | object, keys in UTF-16 code-unit order |
 * | `SS` | array of strings in code-unit order (a set has no order of its own) |
 * | `NS` | array of numbers in ascending numeric order |
 * | `BS` | array of base64 strings in byte order |
 *
 * Top-level attributes whose name starts with `certyo_` are left out: they are the status this
 * project writes back, not the record (seed 002, rule 10), and including them would change the
 * payload every time the status does.
 *
 * Accepts both wire forms of an attribute value: stream records (binary as base64 text) and the
 * SDK (binary as bytes). Anything else — an unknown type, several type keys, the `null`-filled
 * shapes of aws-lambda-go's fixtures — is refused with the attribute's path, never guessed.
 */
import { RawJson } from './json';
import { canonicalNumber, compareCanonicalNumbers, NumberFormatError } from './dynamodb-number';

/** Attributes with this prefix are write-back status, excluded from payloads (case-sensitive). */
export const CERTYO_ATTRIBUTE_PREFIX = 'certyo_';

export function isCertyoAttribute(name: string): boolean {
  return name.startsWith(CERTYO_ATTRIBUTE_PREFIX);
}

/** An item, image or key as DynamoDB sends it: attribute name → typed value. */
export type AttributeMap = Readonly<Record<string, unknown>>;

export class AttributeMappingError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`attribute ${path}: ${problem}`);
    this.name = 'AttributeMappingError';
  }
}

const TYPES = ['S', 'N', 'B', 'BOOL', 'NULL', 'L', 'M', 'SS', 'NS', 'BS'] as const;
type AttributeType = (typeof TYPES)[number];

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The one type key of an attribute value and its content. */
function typed(value: unknown, path: string): { type: AttributeType; content: unknown } {
  if (!isPlainObject(value)) throw new AttributeMappingError(path, 'is not a DynamoDB attribute value (expected an object such as {"S": "text"})');
  const keys = Object.keys(value);
  if (keys.length !== 1) {
    throw new AttributeMappingError(path, `has ${keys.length === 0 ? 'no type' : `${keys.length} type keys (${keys.join(', ')})`}; expected exactly one of ${TYPES.join(', ')}`);
  }
  const type = keys[0] as string;
  if (!(TYPES as readonly string[]).includes(type)) throw new AttributeMappingError(path, `has unknown type ${JSON.stringify(type)}`);
  return { type: type as AttributeType, content: value[type] };
}

function bytesOf(content: unknown, path: string): Buffer {
  if (content instanceof Uint8Array) return Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  if (typeof content === 'string' && BASE64.test(content)) return Buffer.from(content, 'base64');
  throw new AttributeMappingError(path, 'binary value is neither bytes nor base64 text');
}

function numberText(content: unknown, path: string): string {
  if (typeof content !== 'string') throw new AttributeMappingError(path, `number must be given as text, got ${content === null ? 'null' : typeof content}`);
  try {
    return canonicalNumber(content);
  } catch (error) {
    if (error instanceof NumberFormatError) throw new AttributeMappingError(path, error.message);
    throw error;
  }
}

function stringText(content: unknown, path: string): string {
  if (typeof content !== 'string') throw new AttributeMappingError(path, `string value is ${content === null ? 'null' : typeof content}`);
  return content;
}

function list(content: unknown, path: string, type: string): unknown[] {
  if (!Array.isArray(content)) throw new AttributeMappingError(path, `${type} value is not an array`);
  return content;
}

function objectJson(map: Record<string, unknown>, path: string, include: (name: string) => boolean): string {
  const members = Object.keys(map)
    .filter(include)
    .sort(codeUnitOrder)
    .map((name) => `${JSON.stringify(name)}:${attributeJson(map[name], path === '' ? name : `${path}.${name}`)}`);
  return `{${members.join(',')}}`;
}

/** One attribute value as canonical JSON text. */
export function attributeJson(value: unknown, path: string): string {
  const { type, content } = typed(value, path);
  switch (type) {
    case 'S':
      return JSON.stringify(stringText(content, path));
    case 'N':
      return numberText(content, path);
    case 'B':
      return JSON.stringify(bytesOf(content, path).toString('base64'));
    case 'BOOL':
      if (typeof content !== 'boolean') throw new AttributeMappingError(path, 'BOOL value is not true or false');
      return content ? 'true' : 'false';
    case 'NULL':
      if (content !== true) throw new AttributeMappingError(path, 'NULL value must be true');
      return 'null';
    case 'L':
      return `[${list(content, path, 'L').map((item, i) => attributeJson(item, `${path}[${i}]`)).join(',')}]`;
    case 'M':
      if (!isPlainObject(content)) throw new AttributeMappingError(path, 'M value is not an object');
      return objectJson(content, path, () => true);
    case 'SS':
      return `[${list(content, path, 'SS').map((s, i) => stringText(s, `${path}[${i}]`)).sort(codeUnitOrder).map((s) => JSON.stringify(s)).join(',')}]`;
    case 'NS':
      return `[${list(content, path, 'NS').map((n, i) => numberText(n, `${path}[${i}]`)).sort(compareCanonicalNumbers).join(',')}]`;
    case 'BS':
      return `[${list(content, path, 'BS').map((b, i) => bytesOf(b, `${path}[${i}]`)).sort(Buffer.compare).map((b) => JSON.stringify(b.toString('base64'))).join(',')}]`;
  }
}

/** An item or image, minus its `certyo_*` attributes, as canonical JSON text. */
export function payloadJson(item: unknown, what: string): string {
  if (!isPlainObject(item)) throw new AttributeMappingError(what, 'is not an attribute map');
  return objectJson(item, '', (name) => !isCertyoAttribute(name));
}

/** The payload Certyo receives for an item: `payloadJson`, written verbatim into the request. */
export function itemPayload(item: unknown, what: string): RawJson {
  return new RawJson(payloadJson(item, what));
}

/** A key attribute as text: strings as they are, numbers canonical, binary as base64. */
function keyText(value: unknown, name: string): string {
  const { type, content } = typed(value, name);
  if (type === 'S') return stringText(content, name);
  if (type === 'N') return numberText(content, name);
  if (type === 'B') return bytesOf(content, name).toString('base64');
  throw new AttributeMappingError(name, `is of type ${type}; key attributes are S, N or B`);
}

/**
 * The Certyo `recordId` of an item, from its key attributes (the stream's `Keys`, or the
 * key-schema attributes of a scanned item):
 * - one key attribute (partition key only): its value as text, e.g. `INV-001` or `42`;
 * - two (partition and sort key): both values, ordered by attribute *name* (code-unit order,
 *   because a stream record does not say which key is the partition key), each with `\` written
 *   as `\\` and `|` as `\|`, joined by `|`: `pk = ORDER#1`, `sk = ITEM|2` → `ORDER#1|ITEM\|2`.
 * A table's key schema never changes, so within one collection the id is unambiguous.
 */
export function recordIdOf(keys: unknown): string {
  if (!isPlainObject(keys)) throw new AttributeMappingError('Keys', 'is not an attribute map');
  const names = Object.keys(keys).sort(codeUnitOrder);
  if (names.length === 0) throw new AttributeMappingError('Keys', 'is empty');
  const texts = names.map((name) => keyText(keys[name], name));
  if (texts.length === 1) return texts[0] as string;
  return texts.map((text) => text.replace(/[\\|]/g, (c) => `\\${c}`)).join('|');
}
