/**
 * A webhook body is the `detail` of the forwarding event contract (`../shared/record-event.ts`),
 * validated by the same function the forwarder uses, with one default: a body without
 * `recordVersion` gets the delivery id, since each delivery is one version of the record as far
 * as the sender tells us (and a redelivery keeps its id, so it replays instead of duplicating).
 */
import { validateRecordEvent } from '../shared/record-event';

/** EventBridge's limit for a whole PutEvents entry; the body is most of it. */
export const MAX_ENTRY_BYTES = 256 * 1024;

export type RecordBody =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly status: 400 | 413; readonly message: string };

/**
 * Validates the body and returns the event `Detail` as JSON *text* built from the body's own
 * text, so numbers beyond what a double holds keep their digits (`JSON.parse` then
 * `JSON.stringify` would round them and change the record's hash).
 */
export function recordBodyToDetail(text: string, deliveryId: string, envelopeBytes: number): RecordBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, status: 400, message: 'body must be JSON' };
  }
  const hasVersion = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'recordVersion' in parsed;
  const withVersion = hasVersion ? parsed : { ...(parsed as object), recordVersion: deliveryId };
  const validation = validateRecordEvent(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? withVersion : parsed);
  if (!validation.ok) return { ok: false, status: 400, message: validation.reason.replace(/^detail/, 'body') };

  // The body is a JSON object: add the default right after its opening brace.
  const brace = text.indexOf('{');
  const detail = hasVersion ? text : `{"recordVersion":${JSON.stringify(deliveryId)},${text.slice(brace + 1)}`;
  if (Buffer.byteLength(detail, 'utf8') + envelopeBytes > MAX_ENTRY_BYTES) {
    return { ok: false, status: 413, message: `body must be smaller than ${MAX_ENTRY_BYTES - envelopeBytes} bytes (EventBridge entries are limited to 256 KB)` };
  }
  return { ok: true, detail };
}
