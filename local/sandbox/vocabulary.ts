/**
 * Every status and reason string the sandbox returns, in one place, so tests and consumers
 * name them instead of repeating literals.
 *
 * Only these are documented by the API reference: snapshot statuses `PendingAnchor`, `Batched`,
 * `Anchored`, `Failed`; lifecycle `Ingested -> PendingAnchor -> Batched -> Anchored`;
 * verification `verificationStatus: "pass"` with `reasonCategory: "full_match"`. The real
 * service's non-pass values are NOT published: the `pending` / `fail` statuses and the reasons
 * below are the sandbox's own. Consumers must therefore treat any value other than `pass`
 * (with `verified: true` and `anchoredOnChain: true`) as "not anchored yet" and keep polling
 * until their own deadline, rather than switching on these strings.
 */

export const SNAPSHOT_STATUS = {
  pendingAnchor: 'PendingAnchor',
  batched: 'Batched',
  anchored: 'Anchored',
  failed: 'Failed',
} as const;
export type SandboxSnapshotStatus = (typeof SNAPSHOT_STATUS)[keyof typeof SNAPSHOT_STATUS];

/** First entry of every lifecycle timeline (documented, though never a snapshot's `status`). */
export const LIFECYCLE_INGESTED = 'Ingested';

export const VERIFICATION_STATUS = {
  /** Documented: the record is anchored and every check matched. */
  pass: 'pass',
  /** Sandbox: the record is known but its snapshot is not anchored (yet). */
  pending: 'pending',
  /** Sandbox: a check failed (the given payload does not hash to the stored record hash). */
  fail: 'fail',
} as const;

export const REASON_CATEGORY = {
  /** Documented. */
  fullMatch: 'full_match',
  /** Sandbox: still accumulating, not in a snapshot yet. */
  notInSnapshot: 'awaiting_snapshot',
  /** Sandbox: in a snapshot that is `PendingAnchor` or `Batched`. */
  anchorPending: 'anchor_pending',
  /** Sandbox: the snapshot's anchoring `Failed`; `POST /snapshots/{id}/retry` re-queues it. */
  anchorFailed: 'anchor_failed',
  /** Sandbox: tamper detected, the payload's hash differs from the ingested record hash. */
  payloadMismatch: 'payload_hash_mismatch',
} as const;

/** `error` codes of the documented error shape `{error, message, details}`. */
export const ERROR_CODE = {
  validation: 'validation_error',
  invalidJson: 'invalid_json',
  unauthorized: 'unauthorized',
  notFound: 'not_found',
  methodNotAllowed: 'method_not_allowed',
  conflict: 'invalid_state',
  payloadTooLarge: 'payload_too_large',
  rateLimited: 'rate_limit_exceeded',
  internal: 'internal_error',
} as const;

/** The only combination that means "anchored", per the API reference. */
export function isAnchoredPass(response: { verified?: unknown; verificationStatus?: unknown; anchoredOnChain?: unknown }): boolean {
  return response.verified === true && response.verificationStatus === VERIFICATION_STATUS.pass && response.anchoredOnChain === true;
}
