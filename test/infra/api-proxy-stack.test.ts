import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { loadConfig } from '../../lib/config';
import { CertyoApiProxy, CertyoApiProxyProps } from '../../lib/constructs/api-proxy';
import { PROXY_ROUTES } from '../../lambdas/proxy-authorizer/routes';
import { WebhookIntake } from '../../lib/constructs/webhook-intake';
import { formatFindings, projectContext, synth } from '../helpers/synth';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: unknown }>;

const CONSUMERS = [
  { name: 'billing', scopes: ['ingest', 'read'], tenantIds: ['acme', 'acme-eu'], rateLimit: 0.04, burstLimit: 8, monthlyQuota: 200_000 },
  { name: 'audit', scopes: ['verify'], tenantIds: ['acme'] },
];

function single(template: Template, type: string, pattern: RegExp): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => pattern.test(id));
  if (ids.length !== 1) throw new Error(`expected one ${type} matching ${pattern}, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
}

describe('CertyoApiProxyStack', () => {
  const synthesized = synth({ 'certyo:apiProxy.consumers': CONSUMERS });
  const template = synthesized.template('CertyoApiProxyStack');
  const resources = template.toJSON().Resources as Resources;
  const api = single(template, 'AWS::ApiGateway::RestApi', /^ProxyApi/);
  const authorizer = single(template, 'AWS::ApiGateway::Authorizer', /^ProxyAuthorizer[0-9A-F]{8}$/);
  const parameterAuthorizer = single(template, 'AWS::ApiGateway::Authorizer', /^ProxyParameterAuthorizer/);
  const stage = single(template, 'AWS::ApiGateway::Stage', /^ProxyApiDeploymentStage/);
  const billingKey = single(template, 'AWS::ApiGateway::ApiKey', /^ProxyKeybilling/);
  const auditKey = single(template, 'AWS::ApiGateway::ApiKey', /^ProxyKeyaudit/);
  const authorizerFunction = single(template, 'AWS::Lambda::Function', /^ProxyAuthorizerFunction[0-9A-F]{8}$/);
  const tenantGuard = single(template, 'AWS::Lambda::Function', /^ProxyTenantGuardFunction[0-9A-F]{8}$/);

  it("alarms on the authorizer's and the webhook's errors to the pipeline's operations topic", () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as { Properties: Record<string, unknown> }[];
    const onErrors = alarms.filter((a) => a.Properties.MetricName === 'Errors' && a.Properties.Threshold === 1);
    const functions = onErrors.map((a) => JSON.stringify(a.Properties.Dimensions));
    expect(functions).toEqual(expect.arrayContaining([expect.stringContaining(authorizerFunction), expect.stringContaining(tenantGuard), expect.stringContaining('WebhooksFunction')]));
    for (const alarm of onErrors) expect(JSON.stringify(alarm.Properties.AlarmActions)).toContain(':CertyoPipelineStack-operations');
  });

  it('is a regional REST API whose usage plans meter the key the authorizer returns', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
      ApiKeySourceType: 'AUTHORIZER',
    });
  });

  it('proxies each Certyo route as its own method to the same path below {apiUrl}/api/v1/, injecting the Certyo key', () => {
    const methods = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::Method' && r.Properties.AuthorizationType === 'CUSTOM');
    const http = methods.filter((m) => (m.Properties.Integration as { Type: string }).Type === 'HTTP_PROXY');
    const uris = http.map((m) => `${m.Properties.HttpMethod} ${(m.Properties.Integration as { Uri: string }).Uri}`).sort();

    // The routes whose bodies name tenants go through the tenant guard (next test).
    expect(uris).toEqual([
      'GET https://www.certyos.com/api/v1/records',
      'GET https://www.certyos.com/api/v1/snapshots/{snapshotId}',
      'GET https://www.certyos.com/api/v1/snapshots/{snapshotId}/lifecycle',
      'GET https://www.certyos.com/api/v1/verify/history',
      'POST https://www.certyos.com/api/v1/snapshots/{snapshotId}/retry',
    ]);
    expect(methods).toHaveLength(PROXY_ROUTES.length);
    template.resourcePropertiesCountIs('AWS::ApiGateway::Resource', { PathPart: Match.stringLikeRegexp('\\+') }, 0);
    template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { HttpMethod: 'ANY' }, 0);
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: parameterAuthorizer },
      ApiKeyRequired: true,
      RequestParameters: { 'method.request.path.snapshotId': true, 'method.request.header.X-Consumer-Key': true },
      Integration: {
        Type: 'HTTP_PROXY',
        IntegrationHttpMethod: 'GET',
        Uri: 'https://www.certyos.com/api/v1/snapshots/{snapshotId}/lifecycle',
        RequestParameters: {
          'integration.request.path.snapshotId': 'method.request.path.snapshotId',
          'integration.request.header.X-API-Key': 'context.authorizer.certyoApiKey',
          // The consumer's own key never reaches Certyo.
          'integration.request.header.X-Consumer-Key': "'removed-by-gateway'",
        },
      },
    });
    // Reads naming a tenant in their query: the uncached authorizer checks that tenant on every request.
    for (const uri of ['https://www.certyos.com/api/v1/verify/history', 'https://www.certyos.com/api/v1/records']) {
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'GET',
        AuthorizerId: { Ref: parameterAuthorizer },
        Integration: { Uri: uri, RequestParameters: { 'integration.request.header.X-API-Key': 'context.authorizer.certyoApiKey' } },
      });
    }
  });

  it('gives the authorizer the consumers\u2019 tenants, the same list as the tenant guard', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const tenantsOf = (service: string): unknown =>
      Object.values(functions).find((f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service)?.Properties.Environment.Variables.PROXY_TENANTS;
    expect(tenantsOf('proxy-authorizer')).toBeDefined();
    expect(tenantsOf('proxy-authorizer')).toEqual(tenantsOf('proxy-tenant-guard'));
  });

  it('sends every route whose body names tenants, and only those, through the tenant guard Lambda', () => {
    const methods = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::ApiGateway::Method' && r.Properties.AuthorizationType === 'CUSTOM');
    const guarded = methods.filter(([, m]) => JSON.stringify(m.Properties.Integration).includes(tenantGuard));
    const pathOf = (id: string): string => {
      const resource = resources[id] as unknown as { Properties: { PathPart: string; ParentId: { Ref?: string } } };
      const parent = resource.Properties.ParentId.Ref;
      return parent && resources[parent]?.Type === 'AWS::ApiGateway::Resource' ? `${pathOf(parent)}/${resource.Properties.PathPart}` : resource.Properties.PathPart;
    };
    const routes = guarded.map(([, m]) => `${m.Properties.HttpMethod} ${pathOf((m.Properties.ResourceId as { Ref: string }).Ref)}`).sort();

    expect(routes).toEqual(PROXY_ROUTES.filter((r) => r.tenantBody !== undefined).map((r) => `${r.method} ${r.path}`).sort());
    expect(routes).toEqual(['POST records', 'POST records/bulk', 'POST verify/record']);
    for (const [, method] of guarded) {
      expect(method.Properties).toMatchObject({ AuthorizerId: { Ref: authorizer }, ApiKeyRequired: true, Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' } });
      // No Certyo key mapped into a header: the guard loads the key itself and sends only allowed bodies.
      expect(JSON.stringify(method.Properties)).not.toContain('certyoApiKey');
    }
    // API Gateway may invoke the guard only for those methods.
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter((p) => JSON.stringify(p.Properties.FunctionName).includes(tenantGuard));
    const methodOf = (arn: { 'Fn::Join': [string, unknown[]] }) => arn['Fn::Join'][1].at(-1);
    expect(permissions.map((p) => methodOf(p.Properties.SourceArn)).sort()).toEqual([
      '/POST/records',
      '/POST/records/bulk',
      '/POST/verify/record',
    ]);
  });

  it("tells the tenant guard each consumer's tenants and lets it read the Certyo secret", () => {
    const fn = resources[tenantGuard] as unknown as { Properties: { Environment: { Variables: Record<string, string> }; Role: { 'Fn::GetAtt': [string] } } };
    expect(JSON.parse(fn.Properties.Environment.Variables.PROXY_TENANTS as string)).toEqual({ billing: ['acme', 'acme-eu'], audit: ['acme'] });
    const role = fn.Properties.Role['Fn::GetAtt'][0];
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(role));
    const actions = policies.flatMap((p) => (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((st) => st.Action));
    expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'secretsmanager:GetSecretValue', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('follows certyo:apiUrl in the integration URIs', () => {
    // Act
    const sandbox = synth({ 'certyo:apiUrl': 'http://127.0.0.1:4010', 'certyo:apiProxy.consumers': CONSUMERS }).template('CertyoApiProxyStack');

    // Assert
    sandbox.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', Integration: { Uri: 'http://127.0.0.1:4010/api/v1/snapshots/{snapshotId}/retry' } });
    sandbox.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', Integration: { Uri: 'http://127.0.0.1:4010/api/Admin/health' } });
  });

  it('proxies GET /health to Certyo without consumer auth and without the Certyo key', () => {
    const health = Object.values(resources).find((r) => r.Type === 'AWS::ApiGateway::Method' && (r.Properties.Integration as { Uri?: string } | undefined)?.Uri === 'https://www.certyos.com/api/Admin/health');
    expect(health?.Properties).toMatchObject({ HttpMethod: 'GET', AuthorizationType: 'NONE', ApiKeyRequired: false });
    expect(JSON.stringify(health?.Properties)).not.toContain('X-API-Key');
  });

  it('authorizes with a REQUEST authorizer keyed on X-Consumer-Key and caches its answer for five minutes', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.X-Consumer-Key',
      AuthorizerResultTtlInSeconds: 300,
      RestApiId: { Ref: api },
    });
    // Routes with a path parameter: every request reaches the authorizer, which checks the value.
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'REQUEST', AuthorizerResultTtlInSeconds: 0, RestApiId: { Ref: api } });
  });

  it('creates one API key and usage plan per consumer, with its throttle and monthly quota, bound to the stage', () => {
    const plans = template.findResources('AWS::ApiGateway::UsagePlan');
    const byName = (name: string) => Object.entries(plans).find(([, p]) => p.Properties.UsagePlanName === `CertyoApiProxyStack-${name}`) as [string, { Properties: Record<string, unknown> }];
    const [billingPlan, billing] = byName('billing');
    const [auditPlan, audit] = byName('audit');

    expect(Object.keys(plans)).toHaveLength(2);
    expect(billing.Properties).toMatchObject({
      Throttle: { RateLimit: 0.04, BurstLimit: 8 },
      Quota: { Limit: 200_000, Period: 'MONTH' },
      ApiStages: [{ ApiId: { Ref: api }, Stage: { Ref: stage } }],
    });
    // Derived from what billing leaves of the 200 requests/hour share (200 - 8 - 0.04 × 3600 = 48):
    // a burst of 4 and 0.0122/s, at most 47.92 requests in any hour, a daily quota of 24 such hours.
    expect(audit.Properties).toMatchObject({ Throttle: { RateLimit: 0.0122, BurstLimit: 4 }, Quota: { Limit: 1150, Period: 'DAY' } });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', { KeyType: 'API_KEY', KeyId: { Ref: billingKey }, UsagePlanId: { Ref: billingPlan } });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', { KeyType: 'API_KEY', KeyId: { Ref: auditKey }, UsagePlanId: { Ref: auditPlan } });
  });

  it('lets API Gateway generate the key values: none is in the template', () => {
    const keys = template.findResources('AWS::ApiGateway::ApiKey');
    expect(Object.values(keys).map((k) => k.Properties.Name).sort()).toEqual(['CertyoApiProxyStack-audit', 'CertyoApiProxyStack-billing']);
    for (const key of Object.values(keys)) {
      expect(key.Properties.Enabled).toBe(true);
      expect(key.Properties.Value).toBeUndefined();
    }
  });

  it('tells the authorizer its consumers by key id and lets it read exactly those keys and the Certyo secret', () => {
    const fn = resources[authorizerFunction]?.Properties as { Environment: { Variables: Record<string, unknown> }; Role: unknown };
    const consumers = Stack.of(synthesized.apiProxy as Stack).resolve(fn.Environment.Variables.PROXY_CONSUMERS);
    const rendered = JSON.stringify(consumers);
    expect(rendered).toContain(`"scopes\\":[\\"ingest\\",\\"read\\"]`);
    expect(rendered).toContain(`{"Ref":"${billingKey}"}`);
    expect(fn.Environment.Variables.CERTYO_SECRET_ARN).toBe('certyo/api-key');

    const policy = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('^ProxyAuthorizerFunctionServiceRoleDefaultPolicy') } }))[0] as {
      Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } };
    };
    const apigateway = policy.Properties.PolicyDocument.Statement.find((s) => s.Action === 'apigateway:GET');
    expect(JSON.stringify(apigateway?.Resource)).toMatch(new RegExp(`::/apikeys/".*"Ref":"${auditKey}".*::/apikeys/".*"Ref":"${billingKey}"`));
    expect((apigateway?.Resource as unknown[]).length).toBe(2);
  });

  it('traces, logs execution errors without data trace and throttles methods by default', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'ERROR', DataTraceEnabled: false, ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 }),
        Match.objectLike({ HttpMethod: 'GET', ResourcePath: '/~1health', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 }),
      ]),
    });
  });

  it('writes JSON access logs that identify the consumer by name and contain no key', () => {
    const settings = (resources[stage]?.Properties as { AccessLogSetting: { Format: string; DestinationArn: unknown } }).AccessLogSetting;
    const format = JSON.parse(settings.Format) as Record<string, string>;

    expect(settings.DestinationArn).toEqual({ 'Fn::GetAtt': [single(template, 'AWS::Logs::LogGroup', /^ProxyAccessLogs/), 'Arn'] });
    expect(format).toMatchObject({ requestId: '$context.requestId', consumer: '$context.authorizer.principalId', status: '$context.status', httpMethod: '$context.httpMethod' });
    for (const secret of ['$context.identity.apiKey', 'certyoApiKey', 'apiKeyId', 'X-Consumer-Key', 'X-API-Key', '$input.params', '$context.requestOverride']) {
      expect(settings.Format).not.toContain(secret);
    }
  });

  it("answers gateway errors in Certyo's {error, message} shape, 429 when a plan is exceeded", () => {
    const responses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).map((r) => r.Properties as { ResponseType: string; StatusCode: string; ResponseTemplates: Record<string, string> });
    const byType = Object.fromEntries(responses.map((r) => [r.ResponseType, r]));

    for (const r of responses) {
      const body = JSON.parse((r.ResponseTemplates['application/json'] as string).replace('$context.error.messageString', '"message from API Gateway"')) as object;
      expect(Object.keys(body)).toEqual(['error', 'message']);
    }
    expect(byType.THROTTLED?.StatusCode).toBe('429');
    expect(byType.QUOTA_EXCEEDED?.StatusCode).toBe('429');
    expect(byType.UNAUTHORIZED?.StatusCode).toBe('401');
    expect(byType.ACCESS_DENIED?.StatusCode).toBe('403');
    expect(Object.keys(byType)).toEqual(expect.arrayContaining(['DEFAULT_4XX', 'DEFAULT_5XX', 'INVALID_API_KEY', 'AUTHORIZER_FAILURE']));
  });

  it('puts a WAF web ACL with AWS managed rules in front of the stage', () => {
    const acl = single(template, 'AWS::WAFv2::WebACL', /^ProxyWebAcl/);
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      Rules: [
        Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesAmazonIpReputationList' } } }),
        Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' } } }),
        Match.objectLike({ Name: 'OnlyDefinedRoutes', Action: { Block: {} }, Statement: { NotStatement: { Statement: { RegexMatchStatement: Match.objectLike({ FieldToMatch: { UriPath: {} } }) } } } }),
      ],
    });
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: { 'Fn::GetAtt': [acl, 'Arn'] } });
  });

  it('routes POST /webhooks/{source} to the webhook Lambda, which may put events on the domain-events bus only', () => {
    const webhook = single(template, 'AWS::Lambda::Function', /^WebhooksFunction[0-9A-F]{8}$/);
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'NONE',
      RequestParameters: { 'method.request.path.source': true },
      Integration: { Type: 'AWS_PROXY', Uri: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([{ 'Fn::GetAtt': [webhook, 'Arn'] }])]) }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ EVENT_BUS_NAME: 'domain-events', DETAIL_TYPE: 'Certyo Record', WEBHOOK_SECRET_PREFIX: 'certyo/webhooks/' }) },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', { TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true }, KeySchema: [{ AttributeName: 'deliveryKey', KeyType: 'HASH' }] });
    const statements = JSON.stringify(template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('^WebhooksFunctionServiceRoleDefaultPolicy') } }));
    expect(statements).toContain(':event-bus/domain-events');
    expect(statements).toContain(':secret:certyo/webhooks/*');
  });

  it('imports the bus by name and deploys after the pipeline stack, without cross-stack exports', () => {
    expect(JSON.stringify(template.toJSON())).not.toContain('Fn::ImportValue');
    expect(synthesized.apiProxy?.dependencies.map((s) => s.stackName)).toEqual(['CertyoPipelineStack']);
  });

  it('holds no secret: no secret strings, no resolved secrets (key values are checked above)', () => {
    const text = JSON.stringify(template.toJSON());
    expect(text.match(/SecretString|GenerateSecretString|resolve:secretsmanager/)).toBeNull();
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  it('has no unacknowledged cdk-nag finding', () => {
    const mine = synthesized.findings.filter((f) => f.paths.some((p) => p.startsWith('CertyoApiProxyStack/')));
    expect(formatFindings(mine)).toBe('(none)');
  });
});

describe('CertyoApiProxyStack switches', () => {
  it('is not created when certyo:apiProxy.enabled is false', () => {
    // Act
    const { apiProxy, app } = synth({ 'certyo:apiProxy.enabled': false });

    // Assert
    expect(apiProxy).toBeUndefined();
    expect(app.node.tryFindChild('CertyoApiProxyStack')).toBeUndefined();
  });

  it('is cdk-nag clean without consumers too (the default), refusing everyone until one is configured', () => {
    // Act
    const synthesized = synth();
    const template = synthesized.template('CertyoApiProxyStack');

    // Assert
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ PROXY_CONSUMERS: '[]' }) } });
    expect(formatFindings(synthesized.findings.filter((f) => f.paths.some((p) => p.startsWith('CertyoApiProxyStack/'))))).toBe('(none)');
  });
});

describe('construct props validation', () => {
  const base = loadConfig(projectContext());
  // Built in code, not from context (where the budget check would refuse it first).
  const config = { ...base, apiProxy: { ...base.apiProxy, consumers: [{ name: 'big', scopes: ['read' as const], tenantIds: [], rateLimit: 1, burstLimit: 10_000, hourlyRequests: 13_600 }] } };
  const scope = () => new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
  const proxy = (props: Partial<CertyoApiProxyProps>) => () => {
    const stack = scope();
    new CertyoApiProxy(stack, 'Proxy', { config, apiKeySecret: Secret.fromSecretNameV2(stack, 'S', 'certyo/api-key'), ...props });
  };

  it.each([
    [{}, 'consumer "big" burstLimit must be at most 5000, got 10000'],
    [{ stageName: 'prod-1' }, 'stageName must be letters, digits or _, got "prod-1"'],
    [{ authorizerCacheTtl: Duration.hours(2) }, 'authorizerCacheTtl must be from 0 to 3600 seconds, got 7200'],
    [{ stageThrottle: { rateLimit: 0, burstLimit: 10 } }, 'stageThrottle.rateLimit must be from 1 to 10000, got 0'],
  ])('CertyoApiProxy rejects %p naming the prop', (props, message) => {
    expect(proxy(props)).toThrow(message);
  });

  it('WebhookIntake rejects a replay log that does not outlive the signature tolerance', () => {
    const stack = scope();
    const api = new CertyoApiProxy(stack, 'Proxy', { config: loadConfig(projectContext()), apiKeySecret: Secret.fromSecretNameV2(stack, 'S', 'certyo/api-key') }).api;
    const build = () =>
      new WebhookIntake(stack, 'Webhooks', {
        config: loadConfig(projectContext()),
        api,
        bus: EventBus.fromEventBusName(stack, 'Bus', 'domain-events'),
        signatureTolerance: Duration.minutes(10),
        deliveryRetention: Duration.minutes(15),
      });
    expect(build).toThrow('WebhookIntake Webhooks: deliveryRetention must exceed twice signatureTolerance (1200 seconds) and be at most 30 days, got 900 seconds');
  });
});
