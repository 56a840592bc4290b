/**
 * `ratelimited.recordsPerWindow`: how many records each forwarding mode gets accepted in one
 * rate-limit window of 1,000 requests (Certyo's hourly budget, with the hour compressed so the
 * benchmark ends). Both modes are fed more events than the window can take and run until the
 * sandbox answers 429; each mode gets a fresh sandbox (a fresh window) in the same run.
 *
 * Direct mode: the synthesized forwarding rules and input transformers → one POST per event,
 * as the API Destination does. Batched mode: the synthesized buffer rule → the real forwarder,
 * 10,000 messages per invocation.
 */
import { staticApiKey } from '../lambdas/shared/api-key';
import { createCertyoClient } from '../lambdas/shared/certyo-client';
import { runDirectPath } from '../local/harness/direct-path';
import { eventRoutes } from '../local/harness/event-routes';
import { runForwarderPath } from '../local/harness/forwarder-path';
import { recordEvent, recordEvents } from '../local/harness/record-events';
import { projectConfig, synthesizeTemplates } from '../local/harness/synthesized';
import { startSandbox } from '../local/sandbox';
import { emptyUsage } from './cost-model';
import type { RateLimitedFigure } from './report';

export interface RateLimitedOptions {
  /** @default 1000 */
  readonly requestsPerWindow?: number;
  /** The compressed hour. Long enough for the batched mode to spend the whole budget. @default 600_000 */
  readonly windowMs?: number;
  readonly log?: (line: string) => void;
}

const TENANT = 'bench';

async function windowSandbox(requestsPerWindow: number, windowMs: number) {
  return startSandbox({ rateLimit: requestsPerWindow, rateWindowMs: windowMs, flushMs: 3_600_000, anchorDelayMs: 3_600_000 });
}

export async function measureRateLimited(options: RateLimitedOptions = {}): Promise<RateLimitedFigure> {
  const { requestsPerWindow = 1000, windowMs = 600_000, log = () => undefined } = options;
  const notes: string[] = [];

  const directSandbox = await windowSandbox(requestsPerWindow, windowMs);
  let direct: number;
  try {
    const routes = eventRoutes(synthesizeTemplates({ 'certyo:forwardingMode': 'direct', 'certyo:apiUrl': directSandbox.url, 'certyo:tenantId': TENANT }));
    const events = Array.from({ length: Math.ceil(requestsPerWindow * 1.1) }, (_, i) => recordEvent({ events: 0, idPrefix: 'direct' }, i));
    const run = await runDirectPath(events, { routes, apiKey: directSandbox.apiKey, stopOnThrottle: true });
    direct = directSandbox.stats().recordsStored;
    notes.push(`direct: ${run.accepted} events accepted in ${run.ms} ms, then 429 (${run.unsent} events left for the next window)`);
    log(`ratelimited direct: ${direct} records in the window (${run.requests} requests, ${run.ms} ms)`);
  } finally {
    await directSandbox.close();
  }

  const batchedSandbox = await windowSandbox(requestsPerWindow, windowMs);
  let batched: number;
  try {
    const overrides = { 'certyo:forwardingMode': 'batched' };
    const routes = eventRoutes(synthesizeTemplates(overrides));
    const certyo = createCertyoClient({ apiUrl: batchedSandbox.url, apiKey: staticApiKey(batchedSandbox.apiKey) });
    const started = Date.now();
    const run = await runForwarderPath(recordEvents({ events: Math.ceil(requestsPerWindow * 1000 * 1.01), idPrefix: 'batched' }), {
      routes,
      certyo,
      tenantId: TENANT,
      batchSize: projectConfig(overrides).forwarding.batchSize,
      stopOnRateLimit: true,
      invocationMs: 5_000,
    });
    const elapsed = Date.now() - started;
    batched = batchedSandbox.stats().recordsStored;
    if (elapsed > windowMs) throw new Error(`ratelimited: the batched run took ${elapsed} ms, longer than the ${windowMs} ms window; raise windowMs`);
    notes.push(`batched: ${batched} records accepted in ${elapsed} ms over ${run.invocations} forwarder invocations, then 429`);
    log(`ratelimited batched: ${batched} records in the window (${run.invocations} invocations, ${elapsed} ms)`);
  } finally {
    await batchedSandbox.close();
  }

  return {
    requestsPerWindow,
    windowMs,
    recordsPerWindow: { direct, batched },
    batchedOverDirect: Math.round((batched / direct) * 10) / 10,
    // The one 429 at the end is retried in the next window: one invocation and one request per record.
    directUsage: { ...emptyUsage(direct), eventBridgeEvents: direct, apiDestinationInvocations: direct, certyoRequests: direct },
    notes: [`the window is an hour compressed to ${windowMs / 1000} s; both modes get a fresh window`, ...notes],
  };
}
