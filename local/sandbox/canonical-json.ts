/**
 * The sandbox's canonical JSON, over which a record's hash is computed:
 * - object keys sorted by UTF-16 code units (JavaScript's default sort), at every depth;
 * - no whitespace;
 * - strings escaped as `JSON.stringify` escapes them;
 * - numbers written exactly as they appeared in the request (`1.0` stays `1.0`, a 30-digit
 *   integer keeps its digits), because rounding would make the hash depend on the parser.
 *
 * The real service's canonical form is not published; this one is documented so a test can
 * recompute a hash by hand. recordHash = lowercase hex SHA-256 of the canonical JSON of
 * `recordPayload` (UTF-8).
 */
import { createHash } from 'node:crypto';
import { JsonNumber, JsonValue } from './lossless-json';

export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof JsonNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as JsonValue)}`).join(',')}}`;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The record hash of a payload: SHA-256 hex of its canonical JSON. */
export function payloadHash(payload: JsonValue): string {
  return sha256Hex(canonicalJson(payload));
}
