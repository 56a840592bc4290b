/**
 * The REQUEST authorizer of the Certyo proxy: identifies the consumer by its API Gateway key,
 * allows exactly the routes of its scopes, and hands API Gateway the Certyo key to inject.
 * A request outside the proxy's route table, or with a path parameter that is not one segment
 * of safe characters, is denied whatever the scopes (see `routes.ts`), and so is a read route
 * whose query names a tenant that is not the consumer's (`tenant-query.ts`); routes with a path
 * parameter or a tenant query use an uncached authorizer, so those checks run on every request.
 *
 * Header names, chosen so the consumer's own key is never forwarded to Certyo:
 * - consumers send their key in `X-Consumer-Key` (not `x-api-key`, which is the same header as
 *   Certyo's `X-API-Key`);
 * - the API's key source is `AUTHORIZER`: API Gateway meters and throttles the usage plan of the
 *   key this authorizer returns as `usageIdentifierKey`, and reads no key header itself;
 * - the integration sets `X-API-Key` from `context.certyoApiKey` (overriding anything the caller
 *   sent under that name) and overwrites `X-Consumer-Key` before the request leaves the gateway.
 */
import type { APIGatewayAuthorizerWithContextResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { ApiKeyProvider } from '../shared/api-key';
import { headerValue } from '../shared/headers';
import { Consumer, ConsumerDirectory } from './consumers';
import { allowedResources, proxyRouteOf, unsafeRequest } from './routes';
import { tenantQueryProblem } from './tenant-query';

/** Not `x-api-key`: that is the same header as Certyo's `X-API-Key`. */
export const CONSUMER_KEY_HEADER = 'X-Consumer-Key';

/** What the integration and the access log read from `$context.authorizer.*`. */
export interface ProxyAuthorizerContext {
  [key: string]: string;
  readonly consumer: string;
  /** Space-separated scopes of the consumer. */
  readonly scopes: string;
  /** Mapped to the integration's `X-API-Key` header; never logged. */
  readonly certyoApiKey: string;
}

export type ProxyAuthorizerResult = APIGatewayAuthorizerWithContextResult<ProxyAuthorizerContext>;

export interface AuthorizerLog {
  info(message: string, details: Record<string, unknown>): void;
  warn(message: string, details: Record<string, unknown>): void;
}

export interface AuthorizerDeps {
  readonly consumers: ConsumerDirectory;
  /** Consumer name → the tenants its read routes may name (`PROXY_TENANTS`); a consumer not listed may name none. */
  readonly tenants: ReadonlyMap<string, readonly string[]>;
  readonly certyoKey: ApiKeyProvider;
  readonly log: AuthorizerLog;
}

/**
 * API Gateway answers 401 only when the authorizer fails with exactly this message; any other
 * error becomes a 500. The message never includes the presented key.
 */
export class Unauthorized extends Error {
  constructor() {
    super('Unauthorized');
    this.name = 'Unauthorized';
  }
}

export async function authorize(event: APIGatewayRequestAuthorizerEvent, deps: AuthorizerDeps): Promise<ProxyAuthorizerResult> {
  const request = { requestId: event.requestContext?.requestId, sourceIp: event.requestContext?.identity?.sourceIp };
  const presented = headerValue(event.headers, CONSUMER_KEY_HEADER);
  if (!presented) {
    deps.log.warn(`Request without ${CONSUMER_KEY_HEADER} header`, request);
    throw new Unauthorized();
  }
  const consumer = await deps.consumers.identify(presented);
  if (!consumer) {
    deps.log.warn('Unknown or disabled consumer key', request);
    throw new Unauthorized();
  }
  const unsafe = unsafeRequest(event);
  if (unsafe !== undefined) {
    deps.log.warn('Request refused: not a proxy route or an unsafe path parameter', { ...request, consumer: consumer.name, reason: unsafe });
    return deny(event, consumer, presented);
  }
  if (proxyRouteOf(event)?.tenantQuery === true) {
    const problem = tenantQueryProblem(event.multiValueQueryStringParameters, consumer.name, deps.tenants.get(consumer.name) ?? []);
    if (problem !== undefined) {
      deps.log.warn('Request refused: tenant in the query', { ...request, consumer: consumer.name, reason: problem });
      return deny(event, consumer, presented);
    }
  }
  const resources = allowedResources(event.methodArn, consumer.scopes);
  const certyoApiKey = await deps.certyoKey.get();
  deps.log.info('Consumer authorized', { ...request, consumer: consumer.name, scopes: consumer.scopes, routes: resources.length });
  return {
    principalId: consumer.name,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: resources }],
    },
    context: { consumer: consumer.name, scopes: consumer.scopes.join(' '), certyoApiKey },
    // With the API's key source AUTHORIZER, this is the key whose usage plan is metered.
    usageIdentifierKey: presented,
  };
}

/** Denied whatever the scopes, and without the Certyo key: this request never reaches Certyo. */
function deny(event: APIGatewayRequestAuthorizerEvent, consumer: Consumer, presented: string): ProxyAuthorizerResult {
  return {
    principalId: consumer.name,
    policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'execute-api:Invoke', Resource: event.methodArn }] },
    context: { consumer: consumer.name, scopes: consumer.scopes.join(' '), certyoApiKey: '' },
    usageIdentifierKey: presented,
  };
}
