/**
 * Per-key fixed-window rate limiting, as the API reference describes it: a limit per window
 * (default 1,000 per hour) and `X-RateLimit-Limit/Remaining/Reset` on every response, `Reset`
 * being the Unix time (seconds, rounded up) when the key's window ends.
 */

export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Epoch ms at which the key's window ends. */
  readonly resetAt: number;
}

export class FixedWindowRateLimiter {
  private windows = new Map<string, { start: number; used: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  private window(key: string): { start: number; used: number } {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now >= window.start + this.windowMs) {
      window = { start: now, used: 0 };
      this.windows.set(key, window);
    }
    return window;
  }

  /** Counts one request against `key` if the window has room. */
  take(key: string): RateDecision {
    const window = this.window(key);
    const allowed = window.used < this.limit;
    if (allowed) window.used += 1;
    return { allowed, limit: this.limit, remaining: this.limit - window.used, resetAt: window.start + this.windowMs };
  }

  /** The key's state without counting a request (for responses that are not charged, like injected 429s). */
  peek(key: string): RateDecision {
    const window = this.window(key);
    return { allowed: window.used < this.limit, limit: this.limit, remaining: this.limit - window.used, resetAt: window.start + this.windowMs };
  }

  reset(): void {
    this.windows.clear();
  }
}

export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(decision.limit),
    'X-RateLimit-Remaining': String(Math.max(0, decision.remaining)),
    'X-RateLimit-Reset': String(Math.ceil(decision.resetAt / 1000)),
  };
}
