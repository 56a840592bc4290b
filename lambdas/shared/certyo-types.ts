/**
 * The Certyo API contract (../shared/seeds/001: "Certyo Durable Records API") as types, and the
 * client interface every handler codes against. Handlers take a `CertyoApi` as a dependency, so
 * unit tests can pass a fake and integration tests the real client pointed at the sandbox.
 */
import { RawJson } from './json';

export const OPERATION_TYPES = ['upsert', 'insert', 'update', 'delete'] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];

/** Most records one bulk request may carry (API reference: "1 to 1000 records"). */
export const MAX_BULK_ITEMS = 1000;

/**
 * Default cap of one bulk body (`certyo:bulkMaxBodyBytes`). The API reference limits a bulk
 * request to 1,000 items and names no body size, so the cap only bounds what a function holds
 * (s3-ingest keeps two requests' records): 32 MiB lets 1,000 records of up to ~32 KiB fill one
 * request. A 413 splits the request in halves, so a cap above Certyo's real limit costs requests, not records.
 */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

/** The environment variable carrying `certyo:bulkMaxBodyBytes` to every function that sends bulk requests. */
export const MAX_BODY_BYTES_ENV = 'CERTYO_MAX_BODY_BYTES';

/** Accepted caps: from 64 KiB (less would refuse ordinary records) to 256 MiB (s3-ingest holds two requests' records). */
export const MAX_BODY_BYTES_RANGE = { min: 64 * 1024, max: 256 * 1024 * 1024 } as const;

/** A record as POSTed to /api/v1/records or as one item of /api/v1/records/bulk. */
export interface CertyoRecord {
  readonly tenantId: string;
  readonly clientId?: string;
  readonly database: string;
  readonly collection: string;
  readonly recordId: string;
  readonly recordVersion?: string;
  /**
   * Arbitrary JSON. A `RawJson` (anywhere inside) is written to the request body verbatim,
   * which is how DynamoDB numbers and big JSON numbers keep every digit.
   */
  readonly recordPayload: unknown | RawJson;
  readonly sourceTimestamp?: string;
  readonly operationType?: OperationType;
  /** Deterministic per record *version*: retries replay, real updates do not collapse. */
  readonly idempotencyKey: string;
}

/** 202 response of a single ingest, and one item of a bulk response. */
export interface IngestResult {
  readonly recordId: string;
  /** Opaque: seen both as bare hex and as `sha256:<hex>`. */
  readonly recordHash: string;
  readonly tenantId: string;
  readonly acceptedAt: string;
  readonly idempotencyReplayed?: boolean;
}

/**
 * An item of a bulk response that Certyo did not accept. The API reference shows only accepted
 * items; a response with `accepted < total` may list the others with the error shape of a 400
 * (`error`, `message`, `details`), located by `index` or `recordId`.
 */
export interface BulkItemError {
  readonly index?: number;
  readonly recordId?: string;
  readonly error?: string;
  readonly message?: string;
  readonly details?: readonly string[];
}

export interface BulkIngestResponse {
  readonly total: number;
  readonly accepted: number;
  readonly items: readonly (IngestResult | BulkItemError)[];
}

export interface VerifyRecordRequest {
  readonly collection: string;
  readonly recordId: string;
  readonly tenantId?: string;
  readonly database?: string;
  readonly recordVersion?: string;
  readonly payload?: unknown;
  readonly batchId?: string;
}

export interface VerifyRecordResponse {
  readonly verified: boolean;
  /** `pass` is documented; other values are not published, treat unknown ones as "not anchored yet". */
  readonly verificationStatus: string;
  readonly reasonCategory?: string;
  readonly verifiedAt?: string;
  readonly verificationId?: string;
  readonly snapshotId?: string;
  readonly snapshotHash?: string;
  readonly batchId?: string;
  readonly merkleRoot?: string;
  readonly merkleProof?: readonly string[];
  readonly anchoredOnChain?: boolean;
  readonly chainId?: number;
  readonly contractAddress?: string;
  readonly onChainMerkleRoot?: string;
  readonly onChainAnchoredAt?: string;
  readonly transactionHash?: string;
  readonly recordHash?: string;
  readonly ipfsEvidence?: {
    readonly ipfsCid?: string;
    readonly ipfsGatewayUrl?: string;
    readonly hashMatchesIpfs?: boolean;
    readonly merkleRootMatchesChain?: boolean;
  };
}

export type SnapshotStatus = 'PendingAnchor' | 'Batched' | 'Anchored' | 'Failed';

export interface SnapshotDetail {
  readonly snapshotId: string;
  readonly status: SnapshotStatus | string;
  readonly recordIds: readonly string[];
  readonly recordCount: number;
  readonly snapshotHash: string;
  readonly batchId?: string;
  readonly merkleRoot?: string;
  readonly anchorTimestamp?: string;
  readonly transactionHash?: string;
}

export interface SnapshotLifecycle {
  readonly snapshotId: string;
  readonly timeline: readonly { readonly status: string; readonly at: string }[];
}

export interface RecordQuery {
  readonly tenantId: string;
  readonly database?: string;
  readonly collection?: string;
  readonly recordId?: string;
  readonly snapshotId?: string;
}

/** Documented error body: `{error, message, details}`; 429 adds `status`, `retryAfter`, `resetTime`. */
export interface CertyoErrorBody {
  readonly error: string;
  readonly message: string;
  readonly details?: readonly string[];
  readonly status?: number;
  readonly retryAfter?: number;
  readonly resetTime?: string;
}

/** The `X-RateLimit-*` headers of the last response. */
export interface RateLimitState {
  readonly limit?: number;
  readonly remaining?: number;
  /** From `X-RateLimit-Reset` (Unix seconds). */
  readonly resetAt?: Date;
}

/** Options every call accepts. */
export interface CallOptions {
  /**
   * Epoch milliseconds after which the client must not be waiting or sending (e.g.
   * `Date.now() + context.getRemainingTimeInMillis() - safetyMargin`). Instead of sleeping
   * past it the client throws `RateLimitedError` / `RetryableError` with `retryAt`.
   * @default - no deadline
   */
  readonly deadline?: number;
  /**
   * Longest single wait the client may sleep through (a rate limit it knows of, a back-off before
   * a retry). A longer one ends the call as the deadline would, with `retryAt`, so a caller that
   * can defer work for nothing (queue visibility, a continuation message) is not billed for a
   * sleeping Lambda. `SHORT_WAIT_MS` is the value for such callers.
   * @default - any wait that ends before the deadline
   */
  readonly maxWaitMs?: number;
}

/**
 * The waits worth sleeping through rather than deferring: the shared budget's re-asks (a second
 * while a new window's answers are in flight, plus jitter) and the first back-offs. A deferral
 * costs a re-delivery, so the line sits just above those.
 */
export const SHORT_WAIT_MS = 2_000;

/** One record, by its position in the input of `ingestMany`. */
export interface IndexedRecord {
  readonly index: number;
  readonly record: CertyoRecord;
}

export interface AcceptedRecord extends IndexedRecord {
  readonly result: IngestResult;
  readonly replayed: boolean;
}

export interface RejectedRecord extends IndexedRecord {
  /** Names the field and what was wrong, or Certyo's 400 details. Never contains the API key. */
  readonly reason: string;
}

export interface IngestManyOutcome {
  readonly accepted: readonly AcceptedRecord[];
  /** Invalid records (local validation or a 400 for that item): send them to a DLQ with the reason. */
  readonly rejected: readonly RejectedRecord[];
  /**
   * Records not sent because progress stopped (rate limit, outage, deadline), in input order.
   * Retry them later; `stoppedBy` says when.
   */
  readonly unsent: readonly IndexedRecord[];
  readonly stoppedBy?: RateLimitedError | RetryableError;
  /** HTTP requests made to Certyo, retries included: the rate budget this call spent. */
  readonly requests: number;
}

/** What handlers depend on. Implemented by `CertyoClient` and by test fakes. */
export interface CertyoApi {
  ingestRecord(record: CertyoRecord, options?: CallOptions): Promise<IngestResult>;
  /**
   * Validates every record, sends the valid ones in bulk requests of at most 1,000 items
   * (and at most the configured body size), and reports each record as accepted, rejected
   * or unsent. Never throws for a bad record or a rate limit; throws `AuthError` only.
   */
  ingestMany(records: readonly CertyoRecord[], options?: CallOptions): Promise<IngestManyOutcome>;
  verifyRecord(request: VerifyRecordRequest, options?: CallOptions): Promise<VerifyRecordResponse>;
  getSnapshot(snapshotId: string, options?: CallOptions): Promise<SnapshotDetail>;
  getSnapshotLifecycle(snapshotId: string, options?: CallOptions): Promise<SnapshotLifecycle>;
  retrySnapshot(snapshotId: string, options?: CallOptions): Promise<unknown>;
  queryRecords(query: RecordQuery, options?: CallOptions): Promise<unknown>;
  verificationHistory(query: { tenantId: string; recordId?: string }, options?: CallOptions): Promise<unknown>;
  health(options?: CallOptions): Promise<unknown>;
  /** Rate-limit headers of the most recent response. */
  readonly rateLimit: RateLimitState;
}

/** Base of every error the client throws. Messages never contain the API key. */
export class CertyoError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request is wrong; never retried. */
export class ValidationError extends CertyoError {
  constructor(
    message: string,
    readonly details: readonly string[] = [],
    /** Certyo's `error` code, e.g. `validation_error`. */
    readonly code?: string,
    /** Certyo's own `message`, without our prefix. */
    readonly certyoMessage?: string,
  ) {
    super(message, 400);
  }
}

/** 401 after one reload of the key from Secrets Manager. */
export class AuthError extends CertyoError {}

/** 404. */
export class NotFoundError extends CertyoError {}

/** 429 that cannot be waited out before the deadline: try again at `retryAt`. */
export class RateLimitedError extends CertyoError {
  constructor(
    message: string,
    readonly retryAt: Date,
  ) {
    super(message, 429);
  }
}

/** 5xx, network error or timeout that retries did not fix before the deadline. */
export class RetryableError extends CertyoError {
  constructor(
    message: string,
    readonly retryAt: Date,
    status?: number,
  ) {
    super(message, status);
  }
}

/** A record that fails local validation; names the record and the field. */
export class RecordValidationError extends CertyoError {
  constructor(
    readonly recordId: string,
    readonly field: string,
    problem: string,
  ) {
    super(`record ${recordId}: ${field} ${problem}`);
  }
}
