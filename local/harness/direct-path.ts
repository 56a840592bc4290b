/**
 * Runs the direct mode offline: each event goes through the bus's rules as synthesized; a
 * forwarding rule's input transformer (evaluated from the template) produces the body the API
 * Destination POSTs with the Connection's `X-API-Key`, as EventBridge would. EventBridge retries
 * 429 and 5xx (and 401/407/409) and dead-letters other 4xx; here a retry is immediate and
 * bounded, and `stopOnThrottle` ends the run at the first 429 (the budget-per-window figure).
 */
import { evaluateInputTransformer } from './eventbridge';
import { EventRoutes, matchingRoutes } from './event-routes';

export interface DirectPathOptions {
  readonly routes: EventRoutes;
  readonly apiKey: string;
  /** Attempts per event for retryable answers. @default 5 */
  readonly maxAttempts?: number;
  /** Stop at the first 429 instead of retrying (the rest of the events stay unsent). @default false */
  readonly stopOnThrottle?: boolean;
  /** Called for each delivered event the verification rule matches: the whole event, as it queues it. */
  readonly queueVerification?: (event: unknown) => void;
}

export interface DirectPathRun {
  readonly events: number;
  readonly accepted: number;
  readonly replayed: number;
  /** Matched an invalid-events rule (the reason is the one its dead letter carries), or no rule at all. */
  readonly invalid: { readonly event: unknown; readonly reason: string }[];
  /** Dead-lettered by the API Destination (a 4xx EventBridge does not retry). */
  readonly deadLettered: { readonly event: unknown; readonly reason: string }[];
  /** Not delivered because the run stopped at a 429. */
  readonly unsent: number;
  readonly requests: number;
  readonly ms: number;
}

/** Statuses EventBridge retries for an API Destination (EventBridge User Guide, "API destinations"). */
const RETRIED = new Set([401, 407, 409, 429]);

/** The dead letter's reason, as the invalid-events rule's transformer writes it. */
function invalidReason(routes: EventRoutes, event: unknown): string {
  const [route, ...others] = matchingRoutes(routes.invalid, event, (r) => r.pattern);
  if (!route) return 'matched no rule on the bus';
  if (others.length > 0) throw new Error(`an event matches ${others.length + 1} invalid-events rules; the patterns must be exclusive`);
  const letter = route.transformer ? (JSON.parse(evaluateInputTransformer(route.transformer, event)) as { reason?: unknown }) : {};
  return `matched the invalid-events rule: ${typeof letter.reason === 'string' ? letter.reason : '(no reason in the dead letter)'}`;
}

export async function runDirectPath(events: readonly unknown[], options: DirectPathOptions): Promise<DirectPathRun> {
  const run = { events: events.length, accepted: 0, replayed: 0, invalid: [] as DirectPathRun['invalid'], deadLettered: [] as DirectPathRun['deadLettered'], unsent: 0, requests: 0, ms: 0 };
  const started = Date.now();
  const maxAttempts = options.maxAttempts ?? 5;
  for (const [index, event] of events.entries()) {
    const [route, ...others] = matchingRoutes(options.routes.apiDestination, event, (r) => r.pattern);
    if (others.length > 0) throw new Error(`event ${index} matches ${others.length + 1} forwarding rules; the patterns must be exclusive`);
    if (!route) {
      run.invalid.push({ event, reason: invalidReason(options.routes, event) });
      continue;
    }
    let outcome: 'accepted' | 'throttled' | 'dead' | undefined;
    for (let attempt = 1; attempt <= maxAttempts && outcome === undefined; attempt++) {
      run.requests++;
      const response = await fetch(route.endpoint, {
        method: route.method,
        headers: { 'Content-Type': 'application/json', 'X-API-Key': options.apiKey },
        body: evaluateInputTransformer(route.transformer, event),
      });
      const text = await response.text();
      if (response.ok) {
        outcome = 'accepted';
        if ((JSON.parse(text) as { idempotencyReplayed?: boolean }).idempotencyReplayed) run.replayed++;
        else run.accepted++;
      } else if (response.status === 429 && options.stopOnThrottle) {
        outcome = 'throttled';
      } else if (!(RETRIED.has(response.status) || response.status >= 500) || attempt === maxAttempts) {
        outcome = 'dead';
        run.deadLettered.push({ event, reason: `${response.status}: ${text.slice(0, 300)}` });
      }
    }
    if (outcome === 'throttled') {
      run.unsent = events.length - index;
      break;
    }
    if (outcome === 'accepted' && matchingRoutes(options.routes.verification, event, (p) => p).length > 0) {
      options.queueVerification?.(event);
    }
  }
  run.ms = Date.now() - started;
  return run;
}
