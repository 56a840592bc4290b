/**
 * What `GET /__sandbox/stats` reports, so tests can assert on the traffic a client produced
 * (requests per endpoint and status, replays, duplicates) rather than only on its return values.
 */
import { ScriptedFault } from './options';

export interface SandboxStats {
  /** `"POST /api/v1/records/bulk": {"202": 3, "429": 1}`; a dropped connection counts as `reset`, a hang as `hang`. */
  readonly requests: Record<string, Record<string, number>>;
  /** Requests to `/api/v1/*` and health, all statuses. */
  readonly totalRequests: number;
  /** Record ingests stored (replays excluded). */
  readonly recordsStored: number;
  /** Ingests answered from the idempotency store (`idempotencyReplayed: true`). */
  readonly idempotentReplays: number;
  /** Replays whose record (identity fields or payload) differs from the one first stored under the key: a record lost to a key collision. */
  readonly replayMismatches: number;
  /** Requests that arrived before the `Retry-After` a 429 had given their key. */
  readonly retryAfterViolations: number;
  /** Each rate window opened (every key's, in order): its charged requests, the 429s it answered and the records it stored. */
  readonly rateWindows: readonly RateWindowStats[];
  /** Stores of a record version (tenant, database, collection, recordId, recordVersion, hash) already stored under another key. */
  readonly duplicateIngests: number;
  /** Snapshots by status, plus `pendingRecords` not yet in a snapshot. */
  readonly snapshots: Record<string, number>;
  /** TCP connections accepted: a keep-alive client reuses one for sequential requests. */
  readonly connections: number;
  /** Faults injected, by kind. */
  readonly faults: Partial<Record<Exclude<ScriptedFault, 'none'>, number>>;
}

export interface RateWindowStats {
  /** Epoch ms at which the window ends (`X-RateLimit-Reset`, before rounding). */
  readonly endsAt: number;
  readonly requests: number;
  /** Rate-limit 429s (the window was spent), injected ones excluded. */
  readonly throttled: number;
  readonly recordsStored: number;
}

export class RequestCounts {
  readonly requests: Record<string, Record<string, number>> = {};
  readonly faults: Partial<Record<Exclude<ScriptedFault, 'none'>, number>> = {};
  total = 0;
  connections = 0;

  count(endpoint: string, status: number | 'reset' | 'hang'): void {
    const byStatus = (this.requests[endpoint] ??= {});
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
    this.total += 1;
  }

  fault(kind: Exclude<ScriptedFault, 'none'>): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
  }
}
