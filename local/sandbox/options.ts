/**
 * Options of the local Certyo sandbox. Defaults follow the API reference (1,000 requests/hour,
 * flush at 1,000 records or 60 s) except the anchoring delay, which is shorter than Certyo's
 * ~60-90 s so a local run finishes quickly. Tests pass small durations in milliseconds.
 */

/** Fractions (0..1) of `/api/v1/*` requests that get a fault, drawn from `seed` in arrival order. */
export interface FaultRates {
  /** Answer 500 without applying the request. @default 0 */
  readonly errorRate?: number;
  /** Answer 429 (`Retry-After: throttleRetryAfterSeconds`) without applying or counting the request. @default 0 */
  readonly throttleRate?: number;
  /**
   * Apply the request, then destroy the connection without answering: the worst case for a
   * client, which cannot know whether the request took effect. @default 0
   */
  readonly resetRate?: number;
  /** Apply the request, then never answer (until `close()`): exercises client timeouts. @default 0 */
  readonly hangRate?: number;
  /** Delay added before every `/api/v1/*` request is handled. @default 0 */
  readonly latencyMs?: number;
}

/** A fault for the next request, queued with `sandbox.injectFaults()`; taken before the random ones. */
export type ScriptedFault = 'error' | 'throttle' | 'reset' | 'hang' | 'none';

export interface SandboxOptions extends FaultRates {
  /** TCP port; 0 picks a free one (read `sandbox.url`). @default 0 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Accepted `X-API-Key` values. @default ['test-key'] */
  readonly apiKeys?: readonly string[];
  /** Requests per key per window. @default 1000 */
  readonly rateLimit?: number;
  /** Fixed rate-limit window. @default 3_600_000 (one hour) */
  readonly rateWindowMs?: number;
  /** How a 429 says when to retry: `Retry-After` in seconds, as an HTTP date, or only in the body. @default 'seconds' */
  readonly retryAfterFormat?: 'seconds' | 'http-date' | 'body-only';
  /** `Retry-After` of injected (`throttleRate`) 429s, in seconds. @default 1 */
  readonly throttleRetryAfterSeconds?: number;
  /** A tenant's pending records become a snapshot at this count... @default 1000 */
  readonly flushRecords?: number;
  /** ...or this long after the first of them arrived. @default 60_000 */
  readonly flushMs?: number;
  /** From snapshot creation to `Anchored` (or `Failed`); `Batched` comes halfway. @default 30_000 */
  readonly anchorDelayMs?: number;
  /** Fraction of snapshots whose first anchoring ends `Failed` (a retry always anchors). @default 0 */
  readonly failRate?: number;
  /**
   * Fraction of retried snapshots that fail again (an anchor that cannot succeed); drawn from
   * the same seeded stream as `failRate`. @default 0
   */
  readonly retryFailRate?: number;
  /**
   * How verify answers for a record whose snapshot `Failed`: `pending` (`verificationStatus:
   * pending`, `snapshotStatus: Failed`) or `fail` (`verificationStatus: fail`); both with
   * `reasonCategory: anchor_failed`. The API reference pins down neither. @default 'pending'
   */
  readonly anchorFailedShape?: 'pending' | 'fail';
  /**
   * Epoch milliseconds now: rate windows, `Retry-After`, timestamps. Give a virtual clock to
   * replay hours of rate limiting in milliseconds (flush and anchoring timers stay real).
   * @default Date.now
   */
  readonly clock?: () => number;
  /** Seed of every random decision (faults, failed snapshots). @default 1 */
  readonly seed?: number;
  /** Largest request body; larger bodies get 413. @default 10 MiB */
  readonly maxBodyBytes?: number;
  /**
   * How `recordHash` is written: bare hex (as in the API reference's examples) or `sha256:<hex>`
   * (also seen in the wild); use `prefixed` to check a consumer treats it as opaque. @default 'hex'
   */
  readonly recordHashFormat?: 'hex' | 'prefixed';
  /**
   * How a bulk request with bad items is answered. The real format is not published: `indexed`
   * refuses it with a 400 whose details say `items[3].tenantId is required`; `unindexed` writes
   * `tenantId is required`, as a service that does not say which item failed would (clients must
   * then isolate bad items themselves); `partial` accepts the good items (202, `accepted < total`)
   * and lists each bad one in `items` as `{index, recordId, error, message, details}`. @default 'indexed'
   */
  readonly bulkDetailFormat?: 'indexed' | 'unindexed' | 'partial';
}

export type ResolvedSandboxOptions = Required<Omit<SandboxOptions, 'apiKeys'>> & { readonly apiKeys: readonly string[] };

export const SANDBOX_DEFAULTS: ResolvedSandboxOptions = {
  port: 0,
  host: '127.0.0.1',
  apiKeys: ['test-key'],
  rateLimit: 1000,
  rateWindowMs: 3_600_000,
  retryAfterFormat: 'seconds',
  throttleRetryAfterSeconds: 1,
  flushRecords: 1000,
  flushMs: 60_000,
  anchorDelayMs: 30_000,
  failRate: 0,
  retryFailRate: 0,
  anchorFailedShape: 'pending',
  clock: Date.now,
  seed: 1,
  maxBodyBytes: 10 * 1024 * 1024,
  recordHashFormat: 'hex',
  bulkDetailFormat: 'indexed',
  errorRate: 0,
  throttleRate: 0,
  resetRate: 0,
  hangRate: 0,
  latencyMs: 0,
};

export class SandboxOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxOptionError';
  }
}

const FRACTIONS = ['failRate', 'retryFailRate', 'errorRate', 'throttleRate', 'resetRate', 'hangRate'] as const;
const NON_NEGATIVE = ['port', 'latencyMs', 'throttleRetryAfterSeconds', 'anchorDelayMs'] as const;
const POSITIVE = ['rateLimit', 'rateWindowMs', 'flushRecords', 'flushMs', 'maxBodyBytes'] as const;

/** Defaults applied and every value checked, with an error naming the option. */
export function resolveOptions(options: SandboxOptions = {}): ResolvedSandboxOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const resolved: ResolvedSandboxOptions = { ...SANDBOX_DEFAULTS, ...defined };
  for (const name of FRACTIONS) {
    const value = resolved[name];
    if (!(value >= 0 && value <= 1)) throw new SandboxOptionError(`sandbox option ${name} must be between 0 and 1, got ${value}`);
  }
  for (const name of NON_NEGATIVE) {
    if (!(Number.isFinite(resolved[name]) && resolved[name] >= 0)) throw new SandboxOptionError(`sandbox option ${name} must be >= 0, got ${resolved[name]}`);
  }
  for (const name of POSITIVE) {
    if (!(Number.isFinite(resolved[name]) && resolved[name] > 0)) throw new SandboxOptionError(`sandbox option ${name} must be > 0, got ${resolved[name]}`);
  }
  if (resolved.apiKeys.length === 0 || resolved.apiKeys.some((k) => typeof k !== 'string' || k === '')) {
    throw new SandboxOptionError('sandbox option apiKeys must list at least one non-empty key');
  }
  if (!Number.isInteger(resolved.seed)) throw new SandboxOptionError(`sandbox option seed must be an integer, got ${resolved.seed}`);
  return resolved;
}
