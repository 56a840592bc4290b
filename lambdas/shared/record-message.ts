/**
 * One SQS message holding a forwarded record event → a Certyo record (the batched forwarder and
 * the direct mode's verification starter). The body is the EventBridge event exactly as the
 * rule delivered it; its `detail` must follow the event contract (`../shared/record-event.ts`).
 */
import { CertyoRecord } from './certyo-types';
import { RawJson } from './json';
import { toCertyoRecord, validateRecordEvent } from './record-event';
import { rawAtPath } from './raw-json-path';

export type ParsedMessage = { readonly ok: true; readonly record: CertyoRecord } | { readonly ok: false; readonly reason: string };

export function parseRecordMessage(body: string, defaultTenantId: string): ParsedMessage {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'message body is not JSON (expected an EventBridge event)' };
  }
  if (typeof event !== 'object' || event === null || !('detail' in event)) {
    return { ok: false, reason: 'message body is not an EventBridge event: it has no detail' };
  }
  const validation = validateRecordEvent((event as { detail: unknown }).detail);
  if (!validation.ok) return validation;
  // The payload's own text, so numbers beyond 2^53 keep every digit (and the record its hash).
  const rawPayload = rawAtPath(body, 'detail.payload');
  const detail = rawPayload === undefined ? validation.record : { ...validation.record, payload: new RawJson(rawPayload) };
  return { ok: true, record: toCertyoRecord(detail, defaultTenantId) };
}
