/**
 * One SQS message holding a forwarded record event → a Certyo record (the batched forwarder and
 * the direct mode's verification starter). The body is the EventBridge event exactly as the
 * rule delivered it; its `detail` must follow the event contract (`./record-event.ts`), except
 * for MongoDB Atlas Trigger events (source `aws.partner/mongodb.com/...`), whose `detail` is a
 * change event: those are mapped by the one MongoDB mapping (`./mongo-change.ts`), so Atlas
 * changes are packed into the same bulk requests as every other event.
 */
import { CertyoRecord } from './certyo-types';
import { RawJson } from './json';
import { toCertyoRecord, validateRecordEvent } from './record-event';
import { rawAtPath } from './raw-json-path';

/** Partner event sources of MongoDB Atlas Triggers start with this. */
export const ATLAS_SOURCE_PREFIX = 'aws.partner/mongodb.com/';

/** `skip`: nothing to anchor and nothing wrong (a write-back coming back, a drop); `reason` says which. */
export type ParsedMessage =
  | { readonly ok: true; readonly record: CertyoRecord }
  | { readonly ok: false; readonly reason: string }
  | { readonly ok: 'skip'; readonly reason: string };

/**
 * The MongoDB mapping and the `bson` package under it are loaded on the first Atlas event, not at
 * start: `bson` is the largest package besides the SDK that the forwarder and the verify starter
 * would load on every cold start (docs/performance.md), and most deployments send no Atlas events.
 */
let mongoChange: Promise<typeof import('./mongo-change')> | undefined;

export async function parseRecordMessage(body: string, defaultTenantId: string): Promise<ParsedMessage> {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'message body is not JSON (expected an EventBridge event)' };
  }
  if (typeof event !== 'object' || event === null || !('detail' in event)) {
    return { ok: false, reason: 'message body is not an EventBridge event: it has no detail' };
  }
  const source = (event as { source?: unknown }).source;
  if (typeof source === 'string' && source.startsWith(ATLAS_SOURCE_PREFIX)) {
    mongoChange ??= import('./mongo-change');
    const { toMongoChange } = await mongoChange;
    const change = toMongoChange((event as { detail: unknown }).detail, { tenantId: defaultTenantId });
    if (change.kind === 'ingest') return { ok: true, record: change.record };
    if (change.kind === 'skip') return { ok: 'skip', reason: `MongoDB ${change.operationType} skipped (${change.reason})` };
    return { ok: false, reason: change.reason };
  }
  const validation = validateRecordEvent((event as { detail: unknown }).detail);
  if (!validation.ok) return validation;
  // The payload's own text, so numbers beyond 2^53 keep every digit (and the record its hash).
  const rawPayload = rawAtPath(body, 'detail.payload');
  const detail = rawPayload === undefined ? validation.record : { ...validation.record, payload: new RawJson(rawPayload) };
  return { ok: true, record: toCertyoRecord(detail, defaultTenantId) };
}
