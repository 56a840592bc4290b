/**
 * A webhook body is the `detail` of the forwarding event contract (`../shared/record-event.ts`),
 * validated by the same function the forwarder uses, then confined to what its source may write:
 * - `tenantId` must be one of the source's tenants (absent: the source's first tenant is written);
 * - `database` must be one of the source's databases;
 * - an explicit `idempotencyKey` is namespaced by the source (`webhookIdempotencyKey`), so no
 *   source can claim another's key, or a key of the pipeline's own record identities;
 * - a body without `recordVersion` gets the delivery id, since each delivery is one version of
 *   the record as far as the sender tells us (a redelivery keeps its id, so it replays).
 */
import { RawJson, stringifyJson } from '../shared/json';
import { rawMembers } from '../shared/raw-json-path';
import { validateRecordEvent } from '../shared/record-event';
import { escapeKeyPart, HASHED_KEY_PREFIX, KEY_SEPARATOR, MAX_KEY_BYTES } from '../shared/record-identity';
import { createHash } from 'node:crypto';

/** EventBridge's limit for a whole PutEvents entry; the body is most of it. */
export const MAX_ENTRY_BYTES = 256 * 1024;

/** What one webhook source may write (`certyo:webhook.sources`). */
export interface WebhookSourcePolicy {
  readonly source: string;
  /** Non-empty; the first is written when a body has no `tenantId`. */
  readonly tenantIds: readonly string[];
  readonly databases: readonly string[];
}

export type RecordBody =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly status: 400 | 403 | 413; readonly message: string };

/**
 * `webhook.<source>|<key>`, both parts escaped as in a record identity key: one bare separator,
 * so it never equals another source's key, nor a record identity key (four separators) or a
 * hashed one (none). Over `MAX_KEY_BYTES` it is hashed like an identity key.
 */
export function webhookIdempotencyKey(source: string, key: string): string {
  const text = `${escapeKeyPart(`webhook.${source}`)}${KEY_SEPARATOR}${escapeKeyPart(key)}`;
  if (Buffer.byteLength(text, 'utf8') <= MAX_KEY_BYTES) return text;
  return `${HASHED_KEY_PREFIX}${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/**
 * Validates the body and returns the event `Detail` as JSON *text* built from the body's own
 * member texts, so numbers beyond what a double holds keep their digits (`JSON.parse` then
 * `JSON.stringify` would round them and change the record's hash). Duplicate members collapse
 * to the last, as `JSON.parse` (and so the validation) read them.
 */
export function recordBodyToDetail(text: string, deliveryId: string, envelopeBytes: number, policy: WebhookSourcePolicy): RecordBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, status: 400, message: 'body must be JSON' };
  }
  const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  const withVersion = isObject && !('recordVersion' in (parsed as object)) ? { ...(parsed as object), recordVersion: deliveryId } : parsed;
  const validation = validateRecordEvent(withVersion);
  if (!validation.ok) return { ok: false, status: 400, message: validation.reason.replace(/^detail/, 'body') };
  const record = validation.record;

  const tenantId = record.tenantId ?? (policy.tenantIds[0] as string);
  if (!policy.tenantIds.includes(tenantId)) {
    return { ok: false, status: 403, message: `body.tenantId ${JSON.stringify(tenantId)} is not a tenant source ${policy.source} may write (${policy.tenantIds.join(', ')})` };
  }
  if (!policy.databases.includes(record.database)) {
    return { ok: false, status: 403, message: `body.database ${JSON.stringify(record.database)} is not a database source ${policy.source} may write (${policy.databases.join(', ')})` };
  }

  const members = new Map((rawMembers(text) ?? []).map(([name, raw]) => [name, new RawJson(raw)] as const));
  const detail = stringifyJson({
    recordVersion: record.recordVersion,
    ...Object.fromEntries(members),
    tenantId,
    ...(record.idempotencyKey === undefined ? {} : { idempotencyKey: webhookIdempotencyKey(policy.source, record.idempotencyKey) }),
  });
  if (Buffer.byteLength(detail, 'utf8') + envelopeBytes > MAX_ENTRY_BYTES) {
    return { ok: false, status: 413, message: `body must be smaller than ${MAX_ENTRY_BYTES - envelopeBytes} bytes (EventBridge entries are limited to 256 KB)` };
  }
  return { ok: true, detail };
}
