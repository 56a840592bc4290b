/**
 * Reading Certyo's rate-limit signals: the `X-RateLimit-*` headers of every response and, on
 * a 429, when to try again. The budget (1,000 requests/hour per key) is the design's one hard
 * constraint, so the client reads these on every response and exposes them.
 */
import { RateLimitState } from './certyo-types';

/** A reset below this is read as "seconds from now" rather than a Unix time (some gateways send that). */
const UNIX_SECONDS_FLOOR = 1_000_000_000;

function numberHeader(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

/** `X-RateLimit-Limit/Remaining/Reset`; `Reset` is Unix seconds. Missing headers stay undefined. */
export function parseRateLimitHeaders(headers: Headers, now: number): RateLimitState {
  const reset = numberHeader(headers, 'x-ratelimit-reset');
  return {
    limit: numberHeader(headers, 'x-ratelimit-limit'),
    remaining: numberHeader(headers, 'x-ratelimit-remaining'),
    resetAt:
      reset === undefined ? undefined : new Date(reset >= UNIX_SECONDS_FLOOR ? reset * 1000 : now + reset * 1000),
  };
}

/** `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3), as epoch ms; undefined if absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return now + Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(now, date);
}

/**
 * When a 429 may be retried, in order of preference: the `Retry-After` header, the body's
 * `retryAfter` (seconds), the body's `resetTime`, the `X-RateLimit-Reset` header, else
 * `fallbackMs` from now (the API documents no default, so guessing short would only burn budget).
 */
export function retryAtAfter429(
  headers: Headers,
  body: { retryAfter?: unknown; resetTime?: unknown } | undefined,
  now: number,
  fallbackMs = 60_000,
): number {
  const fromHeader = parseRetryAfter(headers.get('retry-after'), now);
  if (fromHeader !== undefined) return fromHeader;
  if (typeof body?.retryAfter === 'number' && Number.isFinite(body.retryAfter) && body.retryAfter >= 0) {
    return now + body.retryAfter * 1000;
  }
  if (typeof body?.resetTime === 'string') {
    const reset = Date.parse(body.resetTime);
    if (!Number.isNaN(reset)) return Math.max(now, reset);
  }
  const resetAt = parseRateLimitHeaders(headers, now).resetAt;
  if (resetAt) return Math.max(now, resetAt.getTime());
  return now + fallbackMs;
}
