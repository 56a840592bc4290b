/**
 * One budget for one key (issue 20): every Lambda instance that spends the Certyo key's
 * requests consults one shared record of what Certyo last said — requests remaining in its
 * window, when the window ends, and any `Retry-After` deadline — before sending, and updates it
 * from every response. Without it each instance learns the limit only from its own responses,
 * so four instances draw four 429s and send before a `Retry-After` another instance was given.
 *
 * The decisions are pure functions of the record (`decide`, `observe`); a `BudgetStore` applies
 * them atomically (compare-and-set), so two instances can never both spend the last request.
 *
 * Requests granted but not answered yet are leases in the record. Certyo's count only includes
 * the requests that reached it, so the requests still free are its lowest `X-RateLimit-Remaining`
 * less the leases: counting grants off the remaining count instead over-grants as soon as
 * several requests are in flight when the first answer of a window comes back (a 429 per
 * instance at every window start, measured by `npm run bench -- --only concurrency`).
 */

/** Who spends the key: each path has a share of the hourly budget (docs/rate-budget.md). */
export const BUDGET_PATHS = ['ingest', 'verification', 'apiProxy'] as const;
export type BudgetPath = (typeof BUDGET_PATHS)[number];

/** What is known about the key's budget. Every field may be unknown (`undefined`). */
export interface BudgetState {
  /** The lowest `X-RateLimit-Remaining` Certyo gave for its current window. */
  readonly remaining?: number;
  /** When Certyo's current window ends (epoch ms, from `X-RateLimit-Reset`). */
  readonly windowEndsAt?: number;
  /** No request before this (epoch ms): a 429's `Retry-After`. */
  readonly blockedUntil?: number;
  /** Requests per window (`X-RateLimit-Limit`): what a window that has not started yet holds. */
  readonly limit?: number;
  /** Granted requests whose answer is not recorded yet: lease id → when it stops counting (epoch ms). */
  readonly leases?: Readonly<Record<string, number>>;
  /** Requests granted per path since the current window began. */
  readonly spent?: Readonly<Partial<Record<BudgetPath, number>>>;
}

/** What one response said about the budget. */
export interface BudgetSignal {
  readonly remaining?: number;
  readonly resetAt?: number;
  readonly limit?: number;
  /** A 429's `Retry-After` (or its fallbacks), as epoch ms. */
  readonly retryAt?: number;
}

/** How one path spends: its share, when shares are lent out, how long a grant counts unanswered. */
export interface BudgetPolicy {
  readonly path: BudgetPath;
  /**
   * Each path's share of a window, as a fraction of the window's limit; a path that has spent
   * its share waits for the lending point. @default - no shares: any path may spend what remains
   */
  readonly shares?: Readonly<Record<BudgetPath, number>>;
  /** The last fraction of a window in which any path may spend what remains. @default 0.2 */
  readonly lendingFraction?: number;
  /** Length of Certyo's window (ms): where the lending point falls. @default 3_600_000 */
  readonly windowMs?: number;
  /** A grant never answered (its instance died) stops counting after this (ms). @default 30_000 */
  readonly leaseMs?: number;
  /** A held-back request asks again up to this much after the moment it was given (ms). @default 250 */
  readonly waitJitterMs?: number;
}

export type Permit = { readonly granted: true } | { readonly granted: false; readonly until: number };

export const DEFAULT_LENDING_FRACTION = 0.2;
export const DEFAULT_WINDOW_MS = 3_600_000;
export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_WAIT_JITTER_MS = 250;
/** `X-RateLimit-Reset` is in whole seconds, rounded up: the window may end up to this much earlier. */
export const RESET_ROUNDING_MS = 1_000;
/** While the answers that will tell a new window's count are in flight, others ask again this often (ms). */
export const PROBE_WAIT_MS = 1_000;

/** The most requests `path` may be granted in a window of `limit` before the lending point. */
export function shareOf(policy: BudgetPolicy, path: BudgetPath, limit: number): number {
  const share = policy.shares?.[path];
  return share === undefined ? Infinity : Math.floor(share * limit);
}

function liveLeases(state: BudgetState, now: number): Record<string, number> {
  return Object.fromEntries(Object.entries(state.leases ?? {}).filter(([, expiresAt]) => expiresAt > now));
}

/**
 * Whether one more request of `policy.path` may be sent at `now`, and the record after granting
 * it under lease `leaseId`. A window that has ended holds `limit` requests again (unknown limit:
 * one at a time, the answer will tell); requests in flight count against it until they are answered.
 */
export function decide(state: BudgetState, now: number, policy: BudgetPolicy, leaseId: string): { readonly permit: Permit; readonly next: BudgetState } {
  if (state.blockedUntil !== undefined && state.blockedUntil > now) return { permit: { granted: false, until: state.blockedUntil }, next: state };
  const leases = liveLeases(state, now);
  const windowOpen = state.windowEndsAt !== undefined && state.windowEndsAt > now;
  const windowEnded = state.windowEndsAt !== undefined && !windowOpen;
  // A window that has ended is forgotten: the next one starts with the full limit and no spending.
  const current: BudgetState = windowEnded ? { blockedUntil: state.blockedUntil, limit: state.limit, leases, spent: {} } : { ...state, leases };
  const inFlight = Object.keys(leases).length;
  const firstExpiry = Math.min(...Object.values(leases));
  const limit = current.limit;
  const free = windowOpen && current.remaining !== undefined ? current.remaining - inFlight : (limit ?? 1) - inFlight;
  const refuse = (until: number) => ({ permit: { granted: false as const, until }, next: current });
  // Answers in flight will start the window: ask again soon.
  const soon = Math.min(firstExpiry, now + PROBE_WAIT_MS);
  // Nothing known yet (the key's first request, or a record expired): one request at a time until Certyo's answer tells the limit.
  if (free <= 0 && limit === undefined && !windowOpen) return refuse(soon);
  // Free again when the window ends, or when a lease lapses unanswered (its request may never have counted).
  if (free <= 0) return refuse(Math.min(windowOpen ? (current.windowEndsAt as number) : Infinity, firstExpiry));

  const spent = current.spent?.[policy.path] ?? 0;
  if (limit !== undefined && spent >= shareOf(policy, policy.path, limit)) {
    const lendingAt = windowOpen ? (current.windowEndsAt as number) - RESET_ROUNDING_MS - (policy.lendingFraction ?? DEFAULT_LENDING_FRACTION) * (policy.windowMs ?? DEFAULT_WINDOW_MS) : undefined;
    if (lendingAt === undefined) {
      // The share is spent before the window is known: every grant is still in flight; their answers start the window.
      if (inFlight > 0) return refuse(soon);
    } else if (now < lendingAt) return refuse(lendingAt);
  }
  return {
    permit: { granted: true },
    next: { ...current, leases: { ...leases, [leaseId]: now + (policy.leaseMs ?? DEFAULT_LEASE_MS) }, spent: { ...current.spent, [policy.path]: spent + 1 } },
  };
}

/**
 * The record after a response to the request leased as `leaseId` (its lease ends: Certyo's count
 * now includes it). A later window replaces the count; within the same window the lower count
 * wins (Certyo counts in arrival order); a response about an older window changes no count.
 * `Retry-After` deadlines only ever move later.
 */
export function observe(state: BudgetState, signal: BudgetSignal, leaseId?: string): BudgetState {
  const blockedUntil = Math.max(state.blockedUntil ?? -Infinity, signal.retryAt ?? -Infinity);
  const { [leaseId ?? '']: _answered, ...leases } = state.leases ?? {};
  let next: BudgetState = {
    ...state,
    ...(Number.isFinite(blockedUntil) ? { blockedUntil } : {}),
    ...(signal.limit === undefined ? {} : { limit: signal.limit }),
    ...(state.leases === undefined ? {} : { leases }),
  };
  if (signal.remaining !== undefined && signal.resetAt !== undefined) {
    if (state.windowEndsAt === undefined || state.remaining === undefined) {
      // The grants since the last window ended were made for this one.
      next = { ...next, remaining: signal.remaining, windowEndsAt: signal.resetAt };
    } else if (signal.resetAt > state.windowEndsAt) {
      next = { ...next, remaining: signal.remaining, windowEndsAt: signal.resetAt, spent: {} };
    } else if (signal.resetAt === state.windowEndsAt) {
      next = { ...next, remaining: Math.min(state.remaining, signal.remaining) };
    }
  }
  return next;
}

/**
 * The shares and lending point of `CERTYO_BUDGET_POLICY` (JSON `{"shares": {path: fraction},
 * "lendingFraction"}`, written by the CertyoFunction construct from `certyo:rateBudget.*`).
 */
export function budgetPolicyFromEnv(text: string | undefined, path: BudgetPath): BudgetPolicy {
  if (text === undefined || text.trim() === '') return { path };
  const fail = (what: string): never => {
    throw new Error(`CERTYO_BUDGET_POLICY: ${what}, got ${text}`);
  };
  let value: { shares?: Record<string, unknown>; lendingFraction?: unknown };
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    return fail('expected JSON');
  }
  const fraction = (raw: unknown, name: string): number => (typeof raw === 'number' && raw >= 0 && raw <= 1 ? raw : fail(`${name} must be a number from 0 to 1`));
  const shares = value.shares === undefined ? undefined : Object.fromEntries(BUDGET_PATHS.map((p) => [p, fraction(value.shares?.[p], `shares.${p}`)]));
  return {
    path,
    ...(shares ? { shares: shares as Record<BudgetPath, number> } : {}),
    ...(value.lendingFraction === undefined ? {} : { lendingFraction: fraction(value.lendingFraction, 'lendingFraction') }),
  };
}

/** Applies a change to the shared record atomically; the change may run again on a conflict. */
export interface BudgetStore {
  update<T>(change: (state: BudgetState) => { readonly next: BudgetState; readonly result: T }): Promise<T>;
}

/** One process's record: the per-instance behaviour, and the store the tests model instances with. */
export class MemoryBudgetStore implements BudgetStore {
  state: BudgetState = {};

  async update<T>(change: (state: BudgetState) => { readonly next: BudgetState; readonly result: T }): Promise<T> {
    const { next, result } = change(this.state);
    this.state = next;
    return result;
  }
}

/** A grant names its lease, which the answer's `record` ends. */
export type Grant = Permit & { readonly lease?: string };

/** What the Certyo client asks before and tells after each request. */
export interface RateGovernor {
  acquire(now: number): Promise<Grant>;
  /** `lease` is the grant's; a request that got no answer (reset, timeout) is not recorded and its lease lapses. */
  record(signal: BudgetSignal, lease?: string): Promise<void>;
}

let instanceCounter = 0;

/**
 * The governor over a shared store. If the store fails (table missing, throttled, no
 * permission), the request goes ahead on the client's own knowledge — today's per-instance
 * behaviour — and `onUnavailable` is told, so a metric and the log show it: the governor never
 * holds back or loses a record because of its own trouble.
 */
export function sharedGovernor(
  store: BudgetStore,
  onUnavailable: (error: unknown) => void,
  policy: BudgetPolicy = { path: 'ingest' },
  /** Told each time a request is held back. */
  onWait: () => void = () => undefined,
): RateGovernor {
  // Unique among the instances sharing a record: a random part, and this process's count.
  const instance = `${Math.random().toString(36).slice(2, 10)}${(instanceCounter++).toString(36)}`;
  let grants = 0;
  return {
    async acquire(now) {
      const lease = `${instance}.${(grants++).toString(36)}`;
      let grant: Grant;
      try {
        grant = await store.update((state) => {
          const { permit, next } = decide(state, now, policy, lease);
          return { next, result: permit.granted ? { ...permit, lease } : permit };
        });
      } catch (error) {
        onUnavailable(error);
        return { granted: true };
      }
      if (grant.granted) return grant;
      onWait();
      // Instances held back until the same moment would all write the record at once and retry
      // each other's conflicts: spread them (only ever later than the record allows).
      return { granted: false, until: grant.until + Math.floor(Math.random() * (policy.waitJitterMs ?? DEFAULT_WAIT_JITTER_MS)) };
    },
    async record(signal, lease) {
      // An answer that says nothing about the budget leaves its lease to lapse: it may have counted.
      if (signal.remaining === undefined && signal.retryAt === undefined) return;
      try {
        await store.update((state) => ({ next: observe(state, signal, lease), result: undefined }));
      } catch (error) {
        onUnavailable(error);
      }
    },
  };
}
