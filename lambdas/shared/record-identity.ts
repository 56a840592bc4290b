/**
 * A record version's identity and its idempotency key: the one rule every path uses (bus events
 * in both forwarding modes, webhook deliveries, S3 elements, DynamoDB changes, the backfill), so
 * the same version carried by any path replays, and two different versions never share a key.
 *
 * The key is `{tenantId}|{database}|{collection}|{recordId}|{recordVersion}`, each part with `%`
 * written `%25` and `|` written `%7C`. Why this encoding rather than a hash or length prefixes:
 * - It is injective: an escaped part holds no bare `|`, so the four separators split any key back
 *   into exactly the five parts, and percent-decoding each part gives back the original.
 * - For a part without `%` or `|` the escaped text is the part itself, so the direct mode's
 *   EventBridge input transformer, which can only concatenate, builds the very same key; events
 *   it cannot key this way are routed away by rule (`lib/record-event-rules.ts`), never mis-keyed.
 * - It stays readable in Certyo's records and in dead letters.
 * The API reference's `{database}-{collection}-{recordId}-{version}` is not injective
 * (`billing`/`in-voices` and `billing-in`/`voices` give the same key), which is why we do not use it.
 *
 * Length: Certyo does not publish a limit; we assume {@link MAX_KEY_BYTES} bytes of UTF-8. A longer
 * escaped key is replaced by `sha256:<hex>` of it: 71 characters, and never equal to an escaped key
 * (which always holds four `|`). The direct mode cannot hash, so there an over-long key is sent as
 * it is (README, "Record identity").
 */
import { createHash } from 'node:crypto';
import type { CertyoRecord } from './certyo-types';

/** The five fields that tell one record version from every other, in key order. */
export const IDENTITY_FIELDS = ['tenantId', 'database', 'collection', 'recordId', 'recordVersion'] as const;
export type IdentityField = (typeof IDENTITY_FIELDS)[number];
export type RecordIdentity = Readonly<Record<IdentityField, string>>;

export const KEY_SEPARATOR = '|';
export const KEY_ESCAPE = '%';

/** The longest key we send as text, in UTF-8 bytes (an assumption: Certyo publishes no limit). */
export const MAX_KEY_BYTES = 256;

/** Prefix of a key too long to send as text. */
export const HASHED_KEY_PREFIX = 'sha256:';

/**
 * Characters an input transformer cannot put into a key: the separator and the escape character
 * (the key would collide) and `"` and `\` (inside a JSON string they would end it or escape the
 * next character, so a crafted value could inject another `idempotencyKey` member).
 */
export const TEMPLATE_UNSAFE_CHARACTERS = [KEY_SEPARATOR, KEY_ESCAPE, '"', '\\'] as const;

/** One part as it appears in a key. */
export function escapeKeyPart(part: string): string {
  // Most parts have nothing to escape; checking first skips the regular expression for them (every record pays this).
  if (!part.includes(KEY_ESCAPE) && !part.includes(KEY_SEPARATOR)) return part;
  return part.replace(/[%|]/g, (c) => (c === KEY_ESCAPE ? '%25' : '%7C'));
}

/** The deterministic, injective idempotency key of one record version. */
export function idempotencyKeyOf(identity: RecordIdentity): string {
  // A loop rather than map/join, and no UTF-8 count for a text too short to exceed the limit
  // (at most 3 bytes per UTF-16 unit): every record of every path pays this.
  let text = escapeKeyPart(identity[IDENTITY_FIELDS[0]]);
  for (let i = 1; i < IDENTITY_FIELDS.length; i++) text += KEY_SEPARATOR + escapeKeyPart(identity[IDENTITY_FIELDS[i] as IdentityField]);
  if (text.length * 3 <= MAX_KEY_BYTES || Buffer.byteLength(text, 'utf8') <= MAX_KEY_BYTES) return text;
  return `${HASHED_KEY_PREFIX}${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/** Whether a direct-mode transformer can put this part into a key verbatim (see `TEMPLATE_UNSAFE_CHARACTERS`). */
export function isTemplateSafe(part: string): boolean {
  return !TEMPLATE_UNSAFE_CHARACTERS.some((c) => part.includes(c));
}

/** A record and its idempotency key, derived from its identity fields. */
export function withIdempotencyKey(record: Omit<CertyoRecord, 'idempotencyKey' | 'recordVersion'> & { readonly recordVersion: string }): CertyoRecord {
  // Same object as `{ ...record, idempotencyKey }`, built in two steps: V8 clones an object
  // quickly only for a bare spread, and the spread-plus-member literal cost about 1 µs per
  // record, a sixth of the S3 path's parse time (docs/performance.md).
  const keyed = Object.assign({}, record) as { -readonly [K in keyof CertyoRecord]: CertyoRecord[K] };
  keyed.idempotencyKey = idempotencyKeyOf(record);
  return keyed;
}
