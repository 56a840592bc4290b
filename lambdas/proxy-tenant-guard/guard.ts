/**
 * The integration of the proxy routes whose bodies name tenants (`POST records`,
 * `POST records/bulk`, `POST verify/record`): the REQUEST authorizer cannot see bodies, so this
 * function checks every `tenantId` in the body against the consumer's tenants and only then
 * sends the body, byte for byte, to the same Certyo route with the Certyo key. A body naming any
 * other tenant, or naming one ambiguously, is refused (403 naming the field and item) and never
 * reaches Certyo.
 *
 * The consumer is the one the authorizer identified (`context.authorizer.consumer`, set by API
 * Gateway, not by the caller); its tenants are read from this function's own configuration, so a
 * cached authorizer answer cannot carry stale tenants. Logs carry the consumer, route, counts and
 * the refusal reason; never the body, a key or a header value.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { PROXY_ROUTES } from '../proxy-authorizer/routes';
import { errorReply } from '../shared/api-response';
import type { ForwardedRequest } from '../shared/certyo-client';
import { AuthError, CallOptions, RateLimitedError, RetryableError, SHORT_WAIT_MS } from '../shared/certyo-types';
import { headerValue } from '../shared/headers';
import type { HttpResponse } from '../shared/http';
import type { Log } from '../shared/observability';
import { checkTenants } from './tenant-check';

/** Certyo's answer headers passed back to the consumer (the rest are Certyo's transport details). */
export const RESPONSE_HEADERS = ['Content-Type', 'Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'] as const;
/** Request headers passed on to Certyo besides the body: the API takes the idempotency key as a header too. */
export const REQUEST_HEADERS = ['Idempotency-Key'] as const;

export interface GuardDeps {
  /** The tenants consumer `name` may write; `undefined` for a consumer without any. */
  readonly tenantsOf: (name: string) => readonly string[] | undefined;
  readonly certyo: { forward(request: ForwardedRequest, options?: CallOptions): Promise<HttpResponse> };
  readonly log: Log;
  readonly now: () => number;
  /** How long the Certyo request may take, within API Gateway's 29 s integration timeout. */
  readonly forwardTimeoutMs: number;
}

export async function guardTenants(event: APIGatewayProxyEvent, deps: GuardDeps): Promise<APIGatewayProxyResult> {
  const route = PROXY_ROUTES.find((r) => r.tenantBody !== undefined && r.method === event.httpMethod && `/${r.path}` === event.resource);
  const consumer = event.requestContext?.authorizer?.consumer;
  const request = { requestId: event.requestContext?.requestId, consumer, route: `${event.httpMethod} ${event.resource}` };
  if (!route?.tenantBody) {
    deps.log.error('Tenant guard invoked for a route it does not guard; refused', request);
    return errorReply(403, 'forbidden', 'This route is not served here');
  }
  const tenants = typeof consumer === 'string' ? deps.tenantsOf(consumer) : undefined;
  if (typeof consumer !== 'string' || !tenants || tenants.length === 0) {
    deps.log.warn('Consumer has no tenants; refused', request);
    return errorReply(403, 'forbidden', 'This consumer may not write records of any tenant');
  }
  const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  const check = checkTenants(route.tenantBody, body, consumer, tenants);
  if (!check.ok) {
    deps.log.warn('Body refused by the tenant guard; not sent to Certyo', { ...request, status: check.status, reason: check.message });
    return errorReply(check.status, check.status === 403 ? 'forbidden' : 'bad_request', check.message);
  }

  const headers = Object.fromEntries(REQUEST_HEADERS.flatMap((name) => {
    const value = headerValue(event.headers, name);
    return value === undefined ? [] : [[name, value]];
  }));
  try {
    const response = await deps.certyo.forward(
      { method: 'POST', path: `/api/v1/${route.path}`, body, headers },
      { deadline: deps.now() + deps.forwardTimeoutMs, maxWaitMs: SHORT_WAIT_MS },
    );
    deps.log.info('Body forwarded to Certyo', { ...request, records: check.records, status: response.status });
    const answerHeaders = Object.fromEntries(RESPONSE_HEADERS.flatMap((name) => {
      const value = response.headers.get(name);
      return value === null ? [] : [[name, value]];
    }));
    return { statusCode: response.status, headers: answerHeaders, body: response.text };
  } catch (error) {
    return failedForward(error, request, deps);
  }
}

function failedForward(error: unknown, request: Record<string, unknown>, deps: GuardDeps): APIGatewayProxyResult {
  // Names only: a client message could quote an upstream text.
  deps.log.warn('Certyo request failed', { ...request, error: error instanceof Error ? error.name : 'unknown' });
  if (error instanceof RateLimitedError) {
    const seconds = Math.max(1, Math.ceil((error.retryAt.getTime() - deps.now()) / 1000));
    return errorReply(429, 'rate_limit_exceeded', `The Certyo key's rate limit is spent; retry in ${seconds} s`, { 'Retry-After': String(seconds) });
  }
  if (error instanceof AuthError) return errorReply(502, 'bad_gateway', 'The gateway could not authenticate to Certyo');
  if (error instanceof RetryableError) return errorReply(504, 'gateway_timeout', 'Certyo did not answer in time; retry the request');
  throw error;
}
