/**
 * Which Certyo API routes each consumer scope opens, and the authorizer policy that allows them.
 *
 * Why the policy lists every allowed route and not just the request's `methodArn`: API Gateway
 * caches the authorizer's answer per consumer key (identity source) for the result TTL and
 * applies the cached policy to every later request with that key, whatever its route. A policy
 * scoped to the first route would deny the consumer's other routes until the cache expires.
 */

export const PROXY_SCOPES = ['ingest', 'verify', 'read', 'admin'] as const;
export type ProxyScope = (typeof PROXY_SCOPES)[number];

/** A route below `/api/v1/` as it appears at the end of a method ARN; `*` spans any characters, `/` included. */
export interface ScopeRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
}

/** From the Certyo API reference (seed 001): the routes behind each scope. */
export const SCOPE_ROUTES: Readonly<Record<ProxyScope, readonly ScopeRoute[]>> = {
  ingest: [
    { method: 'POST', path: 'records' },
    { method: 'POST', path: 'records/bulk' },
  ],
  verify: [
    { method: 'POST', path: 'verify/record' },
    { method: 'GET', path: 'verify/history' },
  ],
  read: [
    { method: 'GET', path: 'records' },
    // GET /snapshots/{id} and /snapshots/{id}/lifecycle.
    { method: 'GET', path: 'snapshots/*' },
  ],
  admin: [{ method: 'POST', path: 'snapshots/*/retry' }],
};

export function isProxyScope(value: unknown): value is ProxyScope {
  return typeof value === 'string' && (PROXY_SCOPES as readonly string[]).includes(value);
}

export class MethodArnError extends Error {
  constructor(methodArn: string) {
    super(`methodArn "${methodArn}" is not arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>/<method>/<path>`);
    this.name = 'MethodArnError';
  }
}

const METHOD_ARN = /^(arn:aws[a-z-]*:execute-api:[a-z0-9-]+:\d{12}:[a-z0-9]+\/[^/]+\/)[A-Z]+\/.*$/;

/**
 * The execute-api ARNs of every route the scopes open, on the API and stage of `methodArn`
 * (the request being authorized), e.g. `arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/POST/records`.
 */
export function allowedResources(methodArn: string, scopes: readonly ProxyScope[]): string[] {
  const match = METHOD_ARN.exec(methodArn);
  if (!match) throw new MethodArnError(methodArn);
  const stagePrefix = match[1] as string;
  const resources = scopes.flatMap((scope) => SCOPE_ROUTES[scope].map((route) => `${stagePrefix}${route.method}/${route.path}`));
  return [...new Set(resources)].sort();
}
