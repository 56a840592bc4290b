/** Reading the sandbox's request counters (`GET /__sandbox/stats`) for the figures. */
import { SandboxStats } from '../local/sandbox';

/** Requests to one endpoint, every status and fault included: the rate budget they spent. */
export function requestsTo(stats: SandboxStats, endpoint: string): number {
  return Object.values(stats.requests[endpoint] ?? {}).reduce((sum, n) => sum + n, 0);
}

/** Requests to `/api/v1/*` endpoints (health excluded): what counts against the key's budget. */
export function apiRequests(stats: SandboxStats): number {
  return Object.entries(stats.requests)
    .filter(([endpoint]) => endpoint.includes(' /api/v1/'))
    .reduce((sum, [, byStatus]) => sum + Object.values(byStatus).reduce((s, n) => s + n, 0), 0);
}
