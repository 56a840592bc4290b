/**
 * Backoff for 5xx, network errors and timeouts: exponential with *full jitter*
 * (delay = random(0, min(cap, base * 2^attempt))). Full jitter rather than a fixed schedule
 * because many Lambdas share one API key: after an outage they must not all retry in step.
 */

export interface BackoffPolicy {
  /** Delay ceiling of the first retry. @default 200 */
  readonly baseMs: number;
  /** Largest delay of any retry. @default 20_000 */
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 200, capMs: 20_000 };

/** Delay before retry number `attempt` (0 = first retry); `random` returns [0, 1). */
export function fullJitterDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
