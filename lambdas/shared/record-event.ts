/**
 * The forwarding event contract: what producers put on the `domain-events` bus to have a record
 * anchored (docs/forwarding.md, "Event contract"). One table of fields drives everything that depends on it:
 * the batched forwarder's validation and mapping (here), and the direct mode's rule patterns and
 * input transformers (`lib/record-event-rules.ts`), so the two modes cannot drift apart.
 *
 * ```json
 * { "source": "billing", "detail-type": "Certyo Record",
 *   "detail": { "database": "billing", "collection": "invoices", "recordId": "INV-1",
 *               "recordVersion": "3", "payload": { "amount": 100 },
 *               "operationType": "upsert", "sourceTimestamp": "2026-04-13T10:30:00Z",
 *               "tenantId": "acme", "idempotencyKey": "..." } }
 * ```
 */
import { CertyoRecord, OPERATION_TYPES, OperationType } from './certyo-types';
import { idempotencyKeyOf } from './record-identity';

/** Default `detail-type` (`certyo:detailType`). */
export const DEFAULT_DETAIL_TYPE = 'Certyo Record';

export interface RecordEventDetail {
  readonly database: string;
  readonly collection: string;
  readonly recordId: string;
  /**
   * Required (the API makes it optional): it is what tells two versions of a record apart in
   * the idempotency key, so a real update is never mistaken for a retry.
   */
  readonly recordVersion: string;
  /** Any JSON; becomes the Certyo `recordPayload`. */
  readonly payload: unknown;
  readonly operationType?: OperationType;
  readonly sourceTimestamp?: string;
  /** @default - the configured tenant (`certyo:tenantId`) */
  readonly tenantId?: string;
  /** @default - the record identity's key (`lambdas/shared/record-identity.ts`) */
  readonly idempotencyKey?: string;
}

/**
 * Mandatory string fields: with the tenant, the record identity that the default idempotency key
 * is made of. They are JSON leaves, so an EventBridge pattern can require them with `exists`.
 */
export const MANDATORY_STRING_FIELDS = ['database', 'collection', 'recordId', 'recordVersion'] as const;

/**
 * Mandatory too, but usually an object: EventBridge `exists` only matches leaf values, so no
 * rule pattern can require it (an object payload would look "absent"). The forwarder checks it;
 * in direct mode Certyo rejects a body without `recordPayload` and the event lands in the
 * dead-letter queue with that 400.
 */
export const PAYLOAD_FIELD = 'payload';

export const MANDATORY_FIELDS = [...MANDATORY_STRING_FIELDS, PAYLOAD_FIELD] as const;

/** Optional fields, each a string when present. */
export const OPTIONAL_STRING_FIELDS = ['tenantId', 'idempotencyKey', 'operationType', 'sourceTimestamp'] as const;

export type MandatoryStringField = (typeof MANDATORY_STRING_FIELDS)[number];
export type OptionalStringField = (typeof OPTIONAL_STRING_FIELDS)[number];

export type RecordEventValidation =
  | { readonly ok: true; readonly record: RecordEventDetail }
  | { readonly ok: false; readonly reason: string };

function invalid(reason: string): RecordEventValidation {
  return { ok: false, reason };
}

/**
 * Checks an event's `detail` against the contract. The reason names the field
 * (`detail.recordVersion is required`) so a producer can fix it from the dead-letter message.
 */
export function validateRecordEvent(detail: unknown): RecordEventValidation {
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    return invalid(`detail must be a JSON object, got ${Array.isArray(detail) ? 'an array' : detail === null ? 'null' : typeof detail}`);
  }
  const fields = detail as Record<string, unknown>;
  for (const field of MANDATORY_STRING_FIELDS) {
    const value = fields[field];
    if (value === undefined || value === null) return invalid(`detail.${field} is required`);
    if (typeof value !== 'string') return invalid(`detail.${field} must be a string, got ${typeof value}`);
    if (value.trim() === '') return invalid(`detail.${field} must not be empty`);
  }
  if (fields[PAYLOAD_FIELD] === undefined || fields[PAYLOAD_FIELD] === null) return invalid(`detail.${PAYLOAD_FIELD} is required`);
  for (const field of OPTIONAL_STRING_FIELDS) {
    const value = fields[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') return invalid(`detail.${field} must be a string when present, got ${value === null ? 'null' : typeof value}`);
    if (value.trim() === '') return invalid(`detail.${field} must not be empty when present`);
  }
  const op = fields.operationType;
  if (op !== undefined && !(OPERATION_TYPES as readonly unknown[]).includes(op)) {
    return invalid(`detail.operationType must be one of ${OPERATION_TYPES.join(', ')}, got ${JSON.stringify(op)}`);
  }
  return { ok: true, record: detail as RecordEventDetail };
}

/**
 * The Certyo record of an event. Field order and defaults match the direct mode's input
 * transformer (a test compares both), so an event becomes the same record in either mode.
 */
export function toCertyoRecord(detail: RecordEventDetail, defaultTenantId: string): CertyoRecord {
  const tenantId = detail.tenantId ?? defaultTenantId;
  return {
    tenantId,
    database: detail.database,
    collection: detail.collection,
    recordId: detail.recordId,
    recordVersion: detail.recordVersion,
    recordPayload: detail.payload,
    ...(detail.operationType === undefined ? {} : { operationType: detail.operationType }),
    ...(detail.sourceTimestamp === undefined ? {} : { sourceTimestamp: detail.sourceTimestamp }),
    // A producer retrying PutEvents replays; its own key, when it sends one, is used as given.
    idempotencyKey: detail.idempotencyKey ?? idempotencyKeyOf({ ...detail, tenantId }),
  };
}
