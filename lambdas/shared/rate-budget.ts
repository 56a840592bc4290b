/**
 * One budget for one key (issue 20): every Lambda instance that spends the Certyo key's
 * requests consults one shared record of what Certyo last said — requests remaining in its
 * window, when the window ends, and any `Retry-After` deadline — before sending, and updates it
 * from every response. Without it each instance learns the limit only from its own responses,
 * so four instances draw four 429s and send before a `Retry-After` another instance was given.
 *
 * The decisions are pure functions of the record (`decide`, `observe`); a `BudgetStore` applies
 * them atomically (compare-and-set), so two instances can never both spend the last request.
 */

/** What is known about the key's budget. Every field may be unknown (`undefined`). */
export interface BudgetState {
  /** Requests left in Certyo's current window, less the ones granted since Certyo said so. */
  readonly remaining?: number;
  /** When Certyo's current window ends (epoch ms, from `X-RateLimit-Reset`). */
  readonly windowEndsAt?: number;
  /** No request before this (epoch ms): a 429's `Retry-After`. */
  readonly blockedUntil?: number;
}

/** What one response said about the budget. */
export interface BudgetSignal {
  readonly remaining?: number;
  readonly resetAt?: number;
  /** A 429's `Retry-After` (or its fallbacks), as epoch ms. */
  readonly retryAt?: number;
}

export type Permit = { readonly granted: true } | { readonly granted: false; readonly until: number };

/**
 * Whether one more request may be sent at `now`, and the record after granting it. Unknown
 * budget grants (the response will tell); a window that has ended is unknown again.
 */
export function decide(state: BudgetState, now: number): { readonly permit: Permit; readonly next: BudgetState } {
  if (state.blockedUntil !== undefined && state.blockedUntil > now) return { permit: { granted: false, until: state.blockedUntil }, next: state };
  const windowOpen = state.windowEndsAt !== undefined && state.windowEndsAt > now;
  if (!windowOpen || state.remaining === undefined) {
    return { permit: { granted: true }, next: { blockedUntil: state.blockedUntil } };
  }
  if (state.remaining <= 0) return { permit: { granted: false, until: state.windowEndsAt as number }, next: state };
  return { permit: { granted: true }, next: { ...state, remaining: state.remaining - 1 } };
}

/**
 * The record after a response. A later window replaces the count; within the same window the
 * lower count wins (grants still in flight have already been taken off ours); a response about
 * an older window changes nothing. `Retry-After` deadlines only ever move later.
 */
export function observe(state: BudgetState, signal: BudgetSignal): BudgetState {
  const blockedUntil = Math.max(state.blockedUntil ?? -Infinity, signal.retryAt ?? -Infinity);
  let next: BudgetState = { ...state, ...(Number.isFinite(blockedUntil) ? { blockedUntil } : {}) };
  if (signal.remaining !== undefined && signal.resetAt !== undefined) {
    if (state.windowEndsAt === undefined || state.remaining === undefined || signal.resetAt > state.windowEndsAt) {
      next = { ...next, remaining: signal.remaining, windowEndsAt: signal.resetAt };
    } else if (signal.resetAt === state.windowEndsAt) {
      next = { ...next, remaining: Math.min(state.remaining, signal.remaining) };
    }
  }
  return next;
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

/** What the Certyo client asks before and tells after each request. */
export interface RateGovernor {
  acquire(now: number): Promise<Permit>;
  record(signal: BudgetSignal): Promise<void>;
}

/**
 * The governor over a shared store. If the store fails (table missing, throttled, no
 * permission), the request goes ahead on the client's own knowledge — today's per-instance
 * behaviour — and `onUnavailable` is told, so a metric and the log show it: the governor never
 * holds back or loses a record because of its own trouble.
 */
export function sharedGovernor(store: BudgetStore, onUnavailable: (error: unknown) => void): RateGovernor {
  return {
    async acquire(now) {
      try {
        return await store.update((state) => {
          const { permit, next } = decide(state, now);
          return { next, result: permit };
        });
      } catch (error) {
        onUnavailable(error);
        return { granted: true };
      }
    },
    async record(signal) {
      if (signal.remaining === undefined && signal.retryAt === undefined) return;
      try {
        await store.update((state) => ({ next: observe(state, signal), result: undefined }));
      } catch (error) {
        onUnavailable(error);
      }
    },
  };
}
