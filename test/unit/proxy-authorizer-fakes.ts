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
 * How API Gateway routes a request path to the proxy's explicit resources: literal segments match
 * exactly (case-sensitive), `{name}` matches one non-empty segment. `undefined` when no route matches.
 */
export function routeOf(method: string, path: string): { resource: string; pathParameters: Record<string, string> | null } | undefined {
  const segments = path.split('/');
  for (const route of PROXY_ROUTES) {
    const template = route.path.split('/');
    if (route.method !== method || template.length !== segments.length) continue;
    const parameters: Record<string, string> = {};
    const matches = template.every((part, i) => {
      const segment = segments[i] as string;
      const name = /^\{(.+)\}$/.exec(part)?.[1];
      if (name === undefined) return part === segment;
      parameters[name] = segment;
      return segment !== '';
    });
    if (matches) return { resource: `/${route.path}`, pathParameters: Object.keys(parameters).length > 0 ? parameters : null };
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
