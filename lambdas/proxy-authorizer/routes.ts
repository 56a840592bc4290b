/**
 * The Certyo API routes the proxy exposes, which consumer scope opens each, and the authorizer
 * policy that allows them. The construct builds one API Gateway resource and method per route
 * from this table and the authorizer checks requests against it: one definition for both.
 *
 * Why the policy lists every allowed route and not just the request's `methodArn`: API Gateway
 * caches the authorizer's answer per consumer key (identity source) for the result TTL and
 * applies the cached policy to every later request with that key on the methods of that
 * authorizer, whatever the route. A policy scoped to the first route would deny the consumer's
 * other routes until the cache expires.
 */

export const PROXY_SCOPES = ['ingest', 'verify', 'read', 'admin'] as const;
export type ProxyScope = (typeof PROXY_SCOPES)[number];

export interface ProxyRoute {
  readonly scope: ProxyScope;
  readonly method: 'GET' | 'POST';
  /** Resource path below the stage (and below Certyo's `/api/v1/`), in API Gateway's syntax: `snapshots/{snapshotId}`. */
  readonly path: string;
  /**
   * The route's body names tenants (`record`: the body is one record; `bulk`: `{"items": [...]}`),
   * so it goes through the tenant guard (`lambdas/proxy-tenant-guard/`), which lets a body reach
   * Certyo only when every tenant in it is one the consumer may write.
   * @default - no body tenant: an HTTP proxy straight to Certyo
   */
  readonly tenantBody?: TenantBody;
  /**
   * The route reads records of the tenant named by its `tenantId` query parameter, so the
   * authorizer (uncached for such routes) lets it through only for one of the consumer's tenants
   * (`tenant-query.ts`).
   * @default false
   */
  readonly tenantQuery?: boolean;
}

export type TenantBody = 'record' | 'bulk';

/** From the Certyo API reference (seed 001). The health check is unauthenticated and not listed here. */
export const PROXY_ROUTES: readonly ProxyRoute[] = [
  { scope: 'ingest', method: 'POST', path: 'records', tenantBody: 'record' },
  { scope: 'ingest', method: 'POST', path: 'records/bulk', tenantBody: 'bulk' },
  { scope: 'verify', method: 'POST', path: 'verify/record', tenantBody: 'record' },
  { scope: 'verify', method: 'GET', path: 'verify/history', tenantQuery: true },
  { scope: 'read', method: 'GET', path: 'records', tenantQuery: true },
  { scope: 'read', method: 'GET', path: 'snapshots/{snapshotId}' },
  { scope: 'read', method: 'GET', path: 'snapshots/{snapshotId}/lifecycle' },
  { scope: 'admin', method: 'POST', path: 'snapshots/{snapshotId}/retry' },
];

/**
 * A path parameter value is one segment of these characters (Certyo's ids look like
 * `snap_xyz789`). No dot, percent, slash, backslash or semicolon, so no value can climb out of
 * its segment once Certyo (or anything before it) decodes and normalises the path.
 */
export const PATH_PARAMETER = /^[A-Za-z0-9_-]{1,128}$/;

/** The `{name}` path parameters of a route path, in order. */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string);
}

/** Scopes with a route that names tenants (in its body or its query): a consumer with one of them must be given its tenants. */
export const TENANT_SCOPES: readonly ProxyScope[] = PROXY_SCOPES.filter((scope) =>
  PROXY_ROUTES.some((route) => route.scope === scope && (route.tenantBody !== undefined || route.tenantQuery === true)),
);

/** Routes whose authorizer answer may not be cached: a path parameter or a tenant query is checked on every request. */
export function checkedPerRequest(route: ProxyRoute): boolean {
  return pathParameters(route.path).length > 0 || route.tenantQuery === true;
}

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
 * (the request being authorized), e.g. `arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/snapshots/*`.
 * A path parameter becomes `*`; only the explicit resources exist, and API Gateway routes a
 * parameter to one segment, so `*` there stands for one validated snapshot id.
 */
export function allowedResources(methodArn: string, scopes: readonly ProxyScope[]): string[] {
  const match = METHOD_ARN.exec(methodArn);
  if (!match) throw new MethodArnError(methodArn);
  const stagePrefix = match[1] as string;
  const resources = PROXY_ROUTES.filter((route) => scopes.includes(route.scope)).map(
    (route) => `${stagePrefix}${route.method}/${route.path.replace(/\{[A-Za-z0-9_]+\}/g, '*')}`,
  );
  return [...new Set(resources)].sort();
}

/** What the authorizer knows of the request it decides on (a REQUEST authorizer event). */
export interface ProxyRequest {
  readonly httpMethod: string;
  readonly resource: string;
  readonly pathParameters?: Readonly<Record<string, string | undefined>> | null;
}

/** The proxy route of a request (by method and resource), or `undefined`. */
export function proxyRouteOf(request: ProxyRequest): ProxyRoute | undefined {
  return PROXY_ROUTES.find((r) => r.method === request.httpMethod && `/${r.path}` === request.resource);
}

/**
 * Why a request may not reach Certyo whatever the consumer's scopes, or `undefined` when it may:
 * it must be one of the proxy's routes (by method and resource) and every path parameter one
 * segment of safe characters.
 */
export function unsafeRequest(request: ProxyRequest): string | undefined {
  const route = proxyRouteOf(request);
  if (!route) return `${request.httpMethod} ${request.resource} is not a proxy route`;
  const given = request.pathParameters ?? {};
  const expected = pathParameters(route.path);
  const extra = Object.keys(given).filter((name) => !expected.includes(name));
  if (extra.length > 0) return `unexpected path parameter ${extra.join(', ')}`;
  for (const name of expected) {
    const value = given[name];
    if (value === undefined || !PATH_PARAMETER.test(value)) return `path parameter ${name} must be 1-128 letters, digits, _ or -`;
  }
  return undefined;
}
