/**
 * Allow/deny matrix over the *synthesized* proxy: the API's resources, methods, authorizers
 * (cached or not) and integration URIs are read from the template, requests are routed over them
 * the way API Gateway routes (literal segments exact and case-sensitive, `{name}` one non-empty
 * segment), the real authorizer decides, its policy is cached per authorizer and consumer key
 * and reused on later requests, and whatever is let through is normalised the way a URL parser
 * on Certyo's side would. Every scope set × every route × traversal variants, on two stages.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent, PolicyDocument } from 'aws-lambda';
import fc from 'fast-check';
import { authorize, AuthorizerDeps, ProxyAuthorizerResult } from '../../lambdas/proxy-authorizer/authorize';
import { cachedConsumerDirectory } from '../../lambdas/proxy-authorizer/consumers';
import { PATH_PARAMETER, PROXY_ROUTES, PROXY_SCOPES, ProxyScope } from '../../lambdas/proxy-authorizer/routes';
import { guardTenants } from '../../lambdas/proxy-tenant-guard/guard';
import { loadConfig } from '../../lib/config';
import { CertyoApiProxy } from '../../lib/constructs/api-proxy';
import { WebhookIntake } from '../../lib/constructs/webhook-intake';
import { projectContext } from '../helpers/synth';
import { matchResource, policyAllows } from '../unit/proxy-authorizer-fakes';

type Cfn = Record<string, { Type: string; Properties: Record<string, unknown> }>;

interface SynthMethod {
  readonly httpMethod: string;
  /** `/snapshots/{snapshotId}` */
  readonly resourcePath: string;
  readonly authorizer?: { readonly id: string; readonly ttl: number };
  readonly uri: string;
}

/** Every non-empty set of scopes, one consumer each. */
const SCOPE_SETS: readonly (readonly ProxyScope[])[] = [...Array(2 ** PROXY_SCOPES.length).keys()]
  .slice(1)
  .map((mask) => PROXY_SCOPES.filter((_, bit) => (mask & (1 << bit)) !== 0));
const consumerName = (scopes: readonly ProxyScope[]) => `c-${scopes.join('-')}`;
const keyOf = (scopes: readonly ProxyScope[]) => `consumerkey-${scopes.join('-')}-0123456789abcdef`;

const LAMBDA = 'lambda';

function synthesizeProxy(): { methods: SynthMethod[]; wafPattern: RegExp; stage: string } {
  const context = projectContext({ 'certyo:apiProxy.consumers': SCOPE_SETS.map((scopes) => ({ name: consumerName(scopes), scopes, tenantIds: ['acme'] })) });
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Matrix');
  const config = loadConfig(context);
  const proxy = new CertyoApiProxy(stack, 'Proxy', { config, apiKeySecret: Secret.fromSecretNameV2(stack, 'S', 'certyo/api-key') });
  new WebhookIntake(stack, 'Webhooks', { config, api: proxy.api, bus: EventBus.fromEventBusName(stack, 'Bus', 'domain-events') });
  const resources = Template.fromStack(stack).toJSON().Resources as Cfn;

  const pathOf = (ref: unknown): string => {
    const id = (ref as { Ref?: string }).Ref;
    if (id === undefined) return ''; // Fn::GetAtt RootResourceId
    const r = resources[id]?.Properties as { ParentId: unknown; PathPart: string };
    return `${pathOf(r.ParentId)}/${r.PathPart}`;
  };
  const methods = Object.values(resources)
    .filter((r) => r.Type === 'AWS::ApiGateway::Method')
    .map((r): SynthMethod => {
      const p = r.Properties as { HttpMethod: string; ResourceId: unknown; AuthorizerId?: { Ref: string }; Integration: { Uri: unknown } };
      const authorizerId = p.AuthorizerId?.Ref;
      const ttl = authorizerId === undefined ? undefined : (resources[authorizerId]?.Properties.AuthorizerResultTtlInSeconds as number);
      return {
        httpMethod: p.HttpMethod,
        resourcePath: pathOf(p.ResourceId),
        authorizer: authorizerId === undefined ? undefined : { id: authorizerId, ttl: ttl ?? 300 },
        uri: typeof p.Integration.Uri === 'string' ? p.Integration.Uri : LAMBDA,
      };
    });
  const acl = Object.values(resources).find((r) => r.Type === 'AWS::WAFv2::WebACL') as unknown as { Properties: { Rules: { Name: string; Statement: unknown }[] } };
  const rule = acl.Properties.Rules.find((r) => r.Name === 'OnlyDefinedRoutes') as { Statement: { NotStatement: { Statement: { RegexMatchStatement: { RegexString: string } } } } };
  return { methods, wafPattern: new RegExp(rule.Statement.NotStatement.Statement.RegexMatchStatement.RegexString), stage: proxy.stageName };
}

const { methods, wafPattern, stage: deployedStage } = synthesizeProxy();
const STAGES = [deployedStage, 'prod'] as const;
const API_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5';

/** API Gateway's routing over the synthesized resources; the parameter values as API Gateway may hand them on, raw or decoded. */
function route(httpMethod: string, rawPath: string, decode: boolean): { method: SynthMethod; parameters: Record<string, string> } | undefined {
  for (const method of methods) {
    const parameters = method.httpMethod === httpMethod ? matchResource(method.resourcePath, rawPath, decode) : undefined;
    if (parameters) return { method, parameters };
  }
  return undefined;
}

function deps(): AuthorizerDeps {
  const definitions = SCOPE_SETS.map((scopes) => ({ name: consumerName(scopes), keyId: consumerName(scopes), scopes }));
  const silent = { info: () => undefined, warn: () => undefined };
  return {
    consumers: cachedConsumerDirectory({
      consumers: definitions,
      lookup: async (keyId) => {
        const scopes = SCOPE_SETS.find((s) => consumerName(s) === keyId) as readonly ProxyScope[];
        return { value: keyOf(scopes), enabled: true };
      },
      log: silent,
    }),
    tenants: new Map(SCOPE_SETS.map((scopes) => [consumerName(scopes), ['acme']])),
    certyoKey: { get: async () => 'certyo-key', refresh: async () => 'certyo-key' },
    log: silent,
  };
}

/** `multiValueQueryStringParameters` as API Gateway hands them to the authorizer (decoded once). */
type Query = Readonly<Record<string, readonly string[]>>;

/** Every value a query gives under a name some reader could take for `tenantId` (case, NFKC, NUL, one more decoding). */
function tenantsNamed(query: Query): string[] {
  const fold = (name: string): string => (name.split('\u0000')[0] as string).normalize('NFKC').toLowerCase().replace('\u0131', 'i');
  const decoded = (name: string): string => {
    try {
      return decodeURIComponent(name);
    } catch {
      return name;
    }
  };
  return Object.entries(query).flatMap(([name, values]) => (fold(name) === 'tenantid' || fold(decoded(name)) === 'tenantid' ? [...values] : []));
}

type Outcome = { forwarded: false; why: string } | { forwarded: true; url: URL; method: SynthMethod };

/**
 * One request through the gateway model. `cache` holds cached authorizer answers; `cacheKey`
 * decides what they are shared across (per stage, or — worst case — across stages too).
 */
async function send(
  d: AuthorizerDeps,
  cache: Map<string, ProxyAuthorizerResult>,
  cacheKey: (authorizerId: string, stage: string, key: string) => string,
  request: { scopes: readonly ProxyScope[]; httpMethod: string; rawPath: string; stage: string; decode: boolean; waf: boolean; query?: Query },
): Promise<Outcome> {
  // The web ACL is associated with the deployed stage; another stage is modelled without it.
  if (request.waf && request.stage === deployedStage && !wafPattern.test(`/${request.stage}${request.rawPath}`)) return { forwarded: false, why: 'waf' };
  const routed = route(request.httpMethod, request.rawPath, request.decode);
  if (!routed) return { forwarded: false, why: 'no route' };
  const { method, parameters } = routed;
  if (!method.authorizer) return { forwarded: false, why: 'unauthenticated route' };
  const key = keyOf(request.scopes);
  const methodArn = `${API_ARN}/${request.stage}/${request.httpMethod}${request.rawPath}`;
  const slot = cacheKey(method.authorizer.id, request.stage, key);
  let answer = method.authorizer.ttl > 0 ? cache.get(slot) : undefined;
  if (!answer) {
    const event = {
      type: 'REQUEST',
      methodArn,
      resource: method.resourcePath,
      path: request.rawPath,
      httpMethod: request.httpMethod,
      headers: { 'x-consumer-key': key },
      multiValueHeaders: {},
      pathParameters: Object.keys(parameters).length > 0 ? parameters : null,
      queryStringParameters: request.query ? Object.fromEntries(Object.entries(request.query).map(([name, values]) => [name, values.at(-1)])) : null,
      multiValueQueryStringParameters: request.query ?? null,
      stageVariables: null,
      requestContext: { stage: request.stage, requestId: 'r', identity: { sourceIp: '10.0.0.1' } },
    } as unknown as APIGatewayRequestAuthorizerEvent;
    answer = await authorize(event, d);
    if (method.authorizer.ttl > 0) cache.set(slot, answer);
  }
  if (!policyAllows(answer.policyDocument as PolicyDocument, methodArn)) return { forwarded: false, why: 'policy' };
  if (method.uri === LAMBDA) return throughTenantGuard(method, request.httpMethod, answer);
  const target = new URL(Object.entries(parameters).reduce((uri, [name, value]) => uri.replace(`{${name}}`, value), method.uri));
  // HTTP_PROXY hands the query on as sent.
  for (const [name, values] of Object.entries(request.query ?? {})) for (const value of values) target.searchParams.append(name, value);
  return { forwarded: true, url: target, method };
}

/** A Lambda-integrated method is the tenant guard: what it sends Certyo for a body of an allowed tenant. */
async function throughTenantGuard(method: SynthMethod, httpMethod: string, answer: ProxyAuthorizerResult): Promise<Outcome> {
  const sent: string[] = [];
  const event = {
    resource: method.resourcePath,
    httpMethod,
    headers: {},
    // Passes as a record and as a bulk body.
    body: '{"tenantId":"acme","items":[{"tenantId":"acme"}]}',
    isBase64Encoded: false,
    requestContext: { requestId: 'r', authorizer: { ...answer.context, principalId: answer.principalId } },
  } as unknown as APIGatewayProxyEvent;
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
  await guardTenants(event, {
    tenantsOf: () => ['acme'],
    certyo: { forward: async (r) => (sent.push(r.path), { status: 202, headers: new Headers(), text: '{}' }) },
    log: silent,
    now: () => 0,
    forwardTimeoutMs: 1000,
  });
  return sent.length === 0 ? { forwarded: false, why: 'tenant guard' } : { forwarded: true, url: new URL(`https://www.certyos.com${sent[0]}`), method };
}

/** The scope of the route a forwarded URL lands on at Certyo, if it is exactly one of them with a safe parameter. */
function landedScope(httpMethod: string, url: URL): ProxyScope | undefined {
  const path = url.pathname.replace(/^\/api\/v1\//, '');
  if (path === url.pathname) return undefined;
  const found = PROXY_ROUTES.find((r) => {
    if (r.method !== httpMethod) return false;
    const template = r.path.split('/');
    const segments = path.split('/');
    return template.length === segments.length && template.every((part, i) => (part.startsWith('{') ? PATH_PARAMETER.test(segments[i] as string) : part === segments[i]));
  });
  return found?.scope;
}

const SAFE_ID = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
const TRAVERSAL = fc.constantFrom('..', '.', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '%2f', '%2F', 'a%2fb', '..%2f', '%5c', '\\', '', ';', 'a;b', '..;', ';x=1', '%00', '%252e%252e');
const ROUTE = fc.constantFrom(...PROXY_ROUTES);
const METHOD = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH');

/** A route's path with a snapshot id that is safe or a traversal variant. */
const ROUTE_PATH = fc
  .tuple(ROUTE, fc.oneof(SAFE_ID, TRAVERSAL, fc.tuple(SAFE_ID, TRAVERSAL).map(([a, b]) => a + b)))
  .map(([r, id]) => r.path.replace('{snapshotId}', id).split('/'));

/** A request path: a route path, as is or mangled by traversal segments, extra segments, casing or a trailing slash. */
const REQUEST_PATH = fc
  .oneof(
    ROUTE_PATH,
    fc
      .record({
        segments: ROUTE_PATH,
        insertAt: fc.nat(4),
        inserted: fc.array(TRAVERSAL, { maxLength: 3 }),
        suffix: fc.array(fc.oneof(TRAVERSAL, fc.constantFrom('verify', 'history', 'records', 'bulk', 'Admin', 'users', 'retry')), { maxLength: 4 }),
        upper: fc.boolean(),
      })
      .map(({ segments, insertAt, inserted, suffix, upper }) => {
        const mangled = [...segments];
        mangled.splice(Math.min(insertAt, mangled.length), 0, ...inserted);
        return [...mangled, ...suffix].map((s, i) => (upper && i === 0 ? s.toUpperCase() : s));
      }),
  )
  .map((segments) => `/${segments.join('/')}`);

/** A query naming the consumers' tenant (acme), another, several, or lookalike and encoded spellings of `tenantId`. */
const QUERY: fc.Arbitrary<Query> = fc
  .uniqueArray(
    fc.tuple(
      fc.constantFrom('tenantId', 'TenantId', 'tenantid', 'tenant\u0131d', '\uFF54enantId', 'tenantId\u0000', 'tenant%49d', 'recordId', 'database'),
      fc.array(fc.constantFrom('acme', 'globex', 'ACME'), { minLength: 1, maxLength: 2 }),
    ),
    { maxLength: 3, selector: ([name]) => name },
  )
  .map((entries) => Object.fromEntries(entries));

const REQUEST = fc.record({
  httpMethod: fc.oneof(METHOD, ROUTE.map((r) => r.method)),
  rawPath: REQUEST_PATH,
  stage: fc.constantFrom(...STAGES),
  decode: fc.boolean(),
  query: fc.oneof(QUERY, fc.constant({ tenantId: ['acme'] })),
});

describe('synthesized proxy: allow/deny matrix', () => {
  it('synthesizes one method per route plus health and webhooks, and no greedy resource', () => {
    expect(methods.map((m) => `${m.httpMethod} ${m.resourcePath}`).sort()).toEqual(
      [...PROXY_ROUTES.map((r) => `${r.method} /${r.path}`), 'GET /health', 'POST /webhooks/{source}'].sort(),
    );
    expect(methods.some((m) => m.resourcePath.includes('+'))).toBe(false);
  });

  it.each([
    ['with the web ACL', true],
    ['without the web ACL (authorizer alone)', false],
  ])('%s: a forwarded request is always exactly a route of the consumer\u2019s scopes with a safe id, whatever was cached before it, even across stages', async (_, waf) => {
    await fc.assert(
      // One consumer per run, so its cached answers meet its later, mangled requests.
      fc.asyncProperty(fc.constantFrom(...SCOPE_SETS), fc.array(REQUEST, { minLength: 1, maxLength: 12 }), async (scopes, requests) => {
        const d = deps();
        const cache = new Map<string, ProxyAuthorizerResult>();
        for (const request of requests) {
          // Worst case: one cache for all stages.
          const outcome = await send(d, cache, (id, _stage, key) => `${id}|${key}`, { ...request, scopes, waf });
          if (!outcome.forwarded) continue;
          const scope = landedScope(request.httpMethod, outcome.url);
          expect(scope).toBeDefined();
          expect(scopes).toContain(scope);
          expect(outcome.url.pathname).not.toMatch(/\.\.|%|;|\/\/|\\/);
          // A read of records names exactly the consumer's tenant, once, as every reader of the query sees it.
          if (['/api/v1/records', '/api/v1/verify/history'].includes(outcome.url.pathname) && request.httpMethod === 'GET') expect(tenantsNamed(request.query)).toEqual(['acme']);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('every traversal variant in the path is blocked by the web ACL', () => {
    fc.assert(
      fc.property(REQUEST_PATH, fc.constantFrom(...STAGES), (rawPath, stage) => {
        const safe = /^\/[A-Za-z0-9_/-]*$/.test(rawPath) && !rawPath.includes('//') && route('GET', rawPath, false) !== undefined;
        if (!/^\/(records|verify|snapshots)/.test(rawPath) || safe) return;
        const segments = rawPath.split('/').slice(1);
        const mangled = segments.some((s) => !/^[A-Za-z0-9_-]+$/.test(s));
        if (mangled) expect(wafPattern.test(`/${stage}${rawPath}`)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('forwards every route of a consumer\u2019s scopes with a safe id, the cached answer reused across its routes on each stage', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SCOPE_SETS), fc.array(fc.tuple(ROUTE, SAFE_ID, fc.constantFrom(...STAGES)), { minLength: 1, maxLength: 10 }), async (scopes, calls) => {
        const d = deps();
        const cache = new Map<string, ProxyAuthorizerResult>();
        for (const [r, id, stage] of calls) {
          const rawPath = `/${r.path.replace('{snapshotId}', id)}`;
          const outcome = await send(d, cache, (authorizerId, s, key) => `${authorizerId}|${s}|${key}`, { scopes, httpMethod: r.method, rawPath, stage, decode: true, waf: true, query: { tenantId: ['acme'] } });
          expect(outcome.forwarded).toBe(scopes.includes(r.scope));
          if (outcome.forwarded) expect(outcome.url.pathname).toBe(`/api/v1${rawPath}`);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reuses a cached answer only through the cached authorizer: the parameter and tenant-query routes ask the authorizer every time', () => {
    const cached = methods.filter((m) => m.authorizer && m.authorizer.ttl > 0).map((m) => m.resourcePath);
    const uncached = methods.filter((m) => m.authorizer && m.authorizer.ttl === 0).map((m) => m.resourcePath);
    expect(cached.every((p) => !p.includes('{'))).toBe(true);
    expect(uncached.sort()).toEqual(['/records', '/snapshots/{snapshotId}', '/snapshots/{snapshotId}/lifecycle', '/snapshots/{snapshotId}/retry', '/verify/history']);
  });
});
