/**
 * The two wire forms of a DynamoDB attribute value: stream records and JSON files carry binary
 * (`B`, `BS`) as base64 text, the AWS SDK as bytes. Everything else is the same in both.
 * The write-back turns stream images into SDK values; the backfill keeps scan keys in its JSON
 * checkpoint and writes rejected items as JSON.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** Attribute name → value in the JSON (stream) form. */
export type JsonAttributeMap = Record<string, unknown>;

function mapValues(map: Record<string, unknown>, convert: (value: unknown) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).map(([name, value]) => [name, convert(value)]));
}

/** A value in the JSON form (already validated by `dynamodb-mapping.ts`) → SDK form. */
export function toSdkAttributeValue(value: unknown): AttributeValue {
  const v = value as Record<string, unknown>;
  if (typeof v.B === 'string') return { B: Buffer.from(v.B, 'base64') };
  if (Array.isArray(v.BS)) return { BS: v.BS.map((b) => (typeof b === 'string' ? Buffer.from(b, 'base64') : (b as Uint8Array))) };
  if (Array.isArray(v.L)) return { L: v.L.map(toSdkAttributeValue) };
  if (typeof v.M === 'object' && v.M !== null) return { M: toSdkAttributeMap(v.M as JsonAttributeMap) };
  return value as AttributeValue;
}

export function toSdkAttributeMap(map: JsonAttributeMap): Record<string, AttributeValue> {
  return mapValues(map, toSdkAttributeValue) as Record<string, AttributeValue>;
}

/** A value in the SDK form → JSON form (bytes as base64), for files. */
export function toJsonAttributeValue(value: AttributeValue): unknown {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.L !== undefined) return { L: value.L.map(toJsonAttributeValue) };
  if (value.M !== undefined) return { M: toJsonAttributeMap(value.M) };
  return value;
}

export function toJsonAttributeMap(map: Record<string, AttributeValue>): JsonAttributeMap {
  return mapValues(map, (value) => toJsonAttributeValue(value as AttributeValue));
}
