/**
 * Helpers for the proxy-authorizer tests: fixtures of real REQUEST-authorizer events, an
 * evaluator of the returned policy (what API Gateway does with it), and a recording log.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { APIGatewayRequestAuthorizerEvent, PolicyDocument } from 'aws-lambda';
import { PROXY_ROUTES } from '../../lambdas/proxy-authorizer/routes';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'apigateway');

export type AuthorizerFixture = 'authorizer-request-post-bulk' | 'authorizer-request-get-history';

/** A fixture with the consumer key header set to `key` (or removed when `undefined`), in its own case. */
export function authorizerEvent(fixture: AuthorizerFixture, key: string | undefined): APIGatewayRequestAuthorizerEvent {
  const event = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${fixture}.json`), 'utf8')) as APIGatewayRequestAuthorizerEvent;
  for (const map of [event.headers, event.multiValueHeaders] as Record<string, unknown>[]) {
    const name = Object.keys(map).find((h) => h.toLowerCase() === 'x-consumer-key') as string;
    if (key === undefined) delete map[name];
    else map[name] = map === event.headers ? key : [key];
  }
  return event;
}

/**
 * How API Gateway matches a request path to one resource path: literal segments exactly
 * (case-sensitive), `{name}` one non-empty segment, handed on raw or (`decode`) percent-decoded.
 * The path parameters when it matches, `undefined` otherwise. Both paths start with `/`.
 */
export function matchResource(resourcePath: string, requestPath: string, decode = false): Record<string, string> | undefined {
  const template = resourcePath.split('/');
  const segments = requestPath.split('/');
  if (template.length !== segments.length) return undefined;
  const parameters: Record<string, string> = {};
  for (const [i, part] of template.entries()) {
    const segment = segments[i] as string;
    const name = /^\{(.+)\}$/.exec(part)?.[1];
    if (name === undefined) {
      if (part !== segment) return undefined;
      continue;
    }
    if (segment === '') return undefined;
    try {
      parameters[name] = decode ? decodeURIComponent(segment) : segment;
    } catch {
      return undefined;
    }
  }
  return parameters;
}

/** The proxy route API Gateway would route `method path` (no leading `/`) to, or `undefined`. */
export function routeOf(method: string, path: string): { resource: string; pathParameters: Record<string, string> | null } | undefined {
  for (const route of PROXY_ROUTES) {
    const parameters = route.method === method ? matchResource(`/${route.path}`, `/${path}`) : undefined;
    if (parameters) return { resource: `/${route.path}`, pathParameters: Object.keys(parameters).length > 0 ? parameters : null };
  }
  return undefined;
}

/** The same request on another route, as API Gateway would describe it for the explicit resources. */
export function onRoute(event: APIGatewayRequestAuthorizerEvent, method: string, route: string): APIGatewayRequestAuthorizerEvent {
  const stagePrefix = event.methodArn.split('/').slice(0, 2).join('/');
  const routed = routeOf(method, route) ?? { resource: `/${route}`, pathParameters: null };
  return {
    ...event,
    methodArn: `${stagePrefix}/${method}/${route}`,
    resource: routed.resource,
    path: `/${route}`,
    httpMethod: method,
    pathParameters: routed.pathParameters,
    requestContext: { ...event.requestContext, httpMethod: method, resourcePath: routed.resource, path: `/${event.requestContext.stage}/${route}` },
  };
}

/** IAM string matching as API Gateway applies it to execute-api ARNs: `*` any run of characters, `?` one. */
function arnMatches(pattern: string, arn: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return regex.test(arn);
}

const asList = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Whether API Gateway would let a request with this method ARN through the (cached) policy. */
export function policyAllows(policy: PolicyDocument, methodArn: string): boolean {
  const matching = (effect: string) =>
    policy.Statement.some((s) => {
      const statement = s as { Effect: string; Action?: string | string[]; Resource?: string | string[] };
      return (
        statement.Effect === effect &&
        asList(statement.Action).some((a) => arnMatches(a, 'execute-api:Invoke')) &&
        asList(statement.Resource).some((r) => arnMatches(r, methodArn))
      );
    });
  return matching('Allow') && !matching('Deny');
}

export interface LogEntry {
  readonly level: string;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

export function recordingLog() {
  const entries: LogEntry[] = [];
  const at = (level: string) => (message: string, details: Record<string, unknown>) => entries.push({ level, message, details });
  return { entries, info: at('info'), warn: at('warn'), error: at('error') };
}
