import { Duration, Lazy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  ApiKey,
  ApiKeySourceType,
  AuthorizationType,
  EndpointType,
  HttpIntegration,
  IdentitySource,
  IResource,
  LambdaIntegration,
  LogGroupLogDestination,
  Method,
  MethodLoggingLevel,
  Period,
  RequestAuthorizer,
  RequestValidator,
  ResponseType,
  RestApi,
  UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { CONSUMER_KEY_HEADER } from '../../lambdas/proxy-authorizer/authorize';
import { checkedPerRequest, PATH_PARAMETER, pathParameters, PROXY_ROUTES, ProxyRoute } from '../../lambdas/proxy-authorizer/routes';
import { CertyoConfig, ProxyConsumerConfig } from '../config';
import { awsManagedPolicyFinding } from '../nag';
import { CertyoFunction } from './certyo-function';
import { PropProblems } from './prop-problems';

/** Header consumers send their API Gateway key in (one definition, shared with the authorizer). */
export { CONSUMER_KEY_HEADER };
/** Written over the consumer's key header before the request leaves the gateway. */
export const CONSUMER_KEY_OVERWRITE = "'removed-by-gateway'";

/**
 * The access log line. Identifies the consumer by name (`principalId`), never by key: no
 * `$context.identity.apiKey`, no `$context.authorizer.certyoApiKey`, no request headers.
 */
export const ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  path: '$context.path',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  consumer: '$context.authorizer.principalId',
  authorizerStatus: '$context.authorizer.status',
  authorizerLatency: '$context.authorizer.latency',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  errorType: '$context.error.responseType',
  errorMessage: '$context.error.message',
  xrayTraceId: '$context.xrayTraceId',
};

/** Gateway-generated errors in Certyo's `{error, message}` shape, so clients parse one error format. */
const GATEWAY_ERRORS: readonly { type: ResponseType; status: string; error: string; message?: string }[] = [
  { type: ResponseType.UNAUTHORIZED, status: '401', error: 'unauthorized', message: `Missing or unknown ${CONSUMER_KEY_HEADER}` },
  { type: ResponseType.ACCESS_DENIED, status: '403', error: 'forbidden', message: "This route, or the tenantId in its query, is outside the consumer's scopes or tenants" },
  { type: ResponseType.INVALID_API_KEY, status: '403', error: 'forbidden', message: 'The consumer key is not enabled for this API' },
  { type: ResponseType.MISSING_AUTHENTICATION_TOKEN, status: '404', error: 'not_found', message: 'No route for this method and path' },
  { type: ResponseType.THROTTLED, status: '429', error: 'rate_limit_exceeded' },
  { type: ResponseType.QUOTA_EXCEEDED, status: '429', error: 'quota_exceeded' },
  { type: ResponseType.BAD_REQUEST_PARAMETERS, status: '400', error: 'bad_request' },
  { type: ResponseType.BAD_REQUEST_BODY, status: '400', error: 'bad_request' },
  { type: ResponseType.REQUEST_TOO_LARGE, status: '413', error: 'request_too_large' },
  { type: ResponseType.WAF_FILTERED, status: '403', error: 'forbidden' },
  { type: ResponseType.AUTHORIZER_FAILURE, status: '500', error: 'authorizer_failure', message: 'The gateway could not authorize the request' },
  { type: ResponseType.AUTHORIZER_CONFIGURATION_ERROR, status: '500', error: 'authorizer_failure', message: 'The gateway could not authorize the request' },
  { type: ResponseType.INTEGRATION_FAILURE, status: '502', error: 'bad_gateway' },
  { type: ResponseType.INTEGRATION_TIMEOUT, status: '504', error: 'gateway_timeout' },
  { type: ResponseType.DEFAULT_4XX, status: '400', error: 'client_error' },
  { type: ResponseType.DEFAULT_5XX, status: '500', error: 'server_error' },
];

export interface ProxyThrottle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface CertyoApiProxyProps {
  /** `apiUrl`, `apiProxy.consumers`, `logRetentionDays` and the Lambda settings are read from here. */
  readonly config: CertyoConfig;
  /** The Certyo API-key secret; only the authorizer may read it. */
  readonly apiKeySecret: ISecret;
  /**
   * Stage name: consumers call `https://<api>.execute-api.<region>.amazonaws.com/<stageName>/records`.
   * @default 'v1'
   */
  readonly stageName?: string;
  /**
   * How long API Gateway caches the authorizer's answer per consumer key. The Certyo key in that
   * answer is as old as this plus the authorizer's own cache (`cacheMaxAge`) after a rotation.
   * @default Duration.minutes(5)
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * How long the authorizer caches the Certyo key and the consumers' key values.
   * @default Duration.minutes(5)
   */
  readonly cacheMaxAge?: Duration;
  /**
   * Stage-wide method throttling (all consumers and unauthenticated routes together).
   * @default - the sum of the consumers' rates and bursts, at least 10 requests/second and 20 burst
   */
  readonly stageThrottle?: ProxyThrottle;
  /**
   * Associate a WAFv2 web ACL (AWS IP reputation list and known-bad-inputs managed rules). Record
   * payloads are arbitrary business data, so no body-inspecting rule set is used.
   * @default true
   */
  readonly webAcl?: boolean;
}

/** Per consumer: its API Gateway key (value generated by API Gateway, never in the template) and usage plan. */
export interface ProxyConsumer {
  readonly config: ProxyConsumerConfig;
  readonly apiKey: ApiKey;
  readonly usagePlan: UsagePlan;
}

/**
 * Regional REST API in front of Certyo for internal consumers. Each route of `PROXY_ROUTES`
 * (`POST /records`, `GET /snapshots/{snapshotId}`, ...) is its own method, an HTTP proxy to
 * the same path below `{apiUrl}/api/v1/` (query strings pass through); there is no greedy
 * `{proxy+}`, so no caller-chosen path reaches Certyo. `GET /health` proxies Certyo's
 * unauthenticated `/api/Admin/health`. A REQUEST authorizer identifies the consumer by the key in
 * `X-Consumer-Key`, allows the routes of its scopes, and returns the Certyo key, which the
 * integration sends as `X-API-Key`; the API's key source is `AUTHORIZER`, so each consumer's
 * usage plan (throttle, monthly quota: 429 beyond them) applies to the key the authorizer names.
 */
export class CertyoApiProxy extends Construct {
  public readonly api: RestApi;
  /** A plain string (the stage's own `stageName` is a token), for monitoring in other stacks. */
  public readonly stageName: string;
  public readonly accessLogs: LogGroup;
  /** `accessLogs`' name as a plain string (no token), for dashboards in other stacks. */
  public readonly accessLogGroupName: string;
  public readonly authorizerFunction: CertyoFunction;
  /** Authorizes the routes without path parameters or tenant queries; its answer is cached per consumer key for `authorizerCacheTtl`. */
  public readonly authorizer: RequestAuthorizer;
  /**
   * Authorizes the routes with a path parameter or a tenant in the query (`GET records`,
   * `GET verify/history`), uncached: the authorizer checks every path value (one segment of safe
   * characters) before API Gateway puts it into the Certyo URL, and the query's `tenantId`
   * against the consumer's `tenantIds`; a cached answer would let a later query name any tenant.
   */
  public readonly parameterAuthorizer: RequestAuthorizer;
  /**
   * The integration of the routes whose bodies name tenants (`tenantBody` in `PROXY_ROUTES`):
   * checks every `tenantId` against the consumer's `tenantIds` and forwards the body unchanged.
   */
  public readonly tenantGuardFunction: CertyoFunction;
  /** Validates required request parameters (headers, path parameters) of every method. */
  public readonly requestValidator: RequestValidator;
  /** One method per entry of `PROXY_ROUTES`, in that order; no greedy `{proxy+}` resource exists. */
  public readonly routeMethods: readonly Method[];
  public readonly healthMethod: Method;
  public readonly consumers: readonly ProxyConsumer[];
  /** `undefined` when `webAcl` is false. */
  public readonly webAcl?: CfnWebACL;

  constructor(scope: Construct, id: string, props: CertyoApiProxyProps) {
    super(scope, id);
    const consumers = props.config.apiProxy.consumers;
    const stageName = props.stageName ?? 'v1';
    const cacheTtl = props.authorizerCacheTtl ?? Duration.minutes(5);
    const cacheMaxAge = props.cacheMaxAge ?? Duration.minutes(5);
    const stageThrottle = props.stageThrottle ?? defaultStageThrottle(consumers);
    validate(id, { consumers, stageName, cacheTtl, cacheMaxAge, stageThrottle });
    this.stageName = stageName;

    // A fixed name, so the pipeline's dashboard can query consumer usage without a cross-stack reference.
    this.accessLogGroupName = `/aws/apigateway/${Stack.of(this).stackName}-${id}-access`;
    this.accessLogs = new LogGroup(this, 'AccessLogs', { logGroupName: this.accessLogGroupName, retention: props.config.logRetentionDays as RetentionDays });
    this.api = new RestApi(this, 'Api', {
      restApiName: `${Stack.of(this).stackName}-certyo-proxy`,
      description: 'Certyo API proxy for internal consumers: usage plans per consumer, the Certyo key injected by the authorizer',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      apiKeySourceType: ApiKeySourceType.AUTHORIZER,
      // Execution logs need API Gateway's account-level CloudWatch role.
      cloudWatchRole: true,
      deployOptions: {
        stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        // ERROR without data trace: execution logs at INFO with data trace would contain the
        // integration request headers, X-API-Key included.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: stageThrottle.rateLimit,
        throttlingBurstLimit: stageThrottle.burstLimit,
        // The unauthenticated health check gets a small budget of its own.
        methodOptions: { '/health/GET': { throttlingRateLimit: 10, throttlingBurstLimit: 20 } },
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    // The stack outputs the URL with a description; CDK's own unnamed duplicate would only confuse.
    this.api.node.tryRemoveChild('Endpoint');
    for (const { type, status, error, message } of GATEWAY_ERRORS) {
      const messageJson = message === undefined ? '$context.error.messageString' : JSON.stringify(message);
      this.api.addGatewayResponse(`Error${type.responseType}`, {
        type,
        statusCode: status,
        templates: { 'application/json': `{"error":"${error}","message":${messageJson}}` },
      });
    }
    this.requestValidator = this.api.addRequestValidator('ParameterValidator', { validateRequestParameters: true, validateRequestBody: false });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason: "Request parameters are validated (consumer key header, path). Bodies are validated where their contract lives: the tenant guard Lambda checks every tenantId of the write routes against the consumer's tenants, Certyo validates the rest, and the webhook Lambda names the bad field; a gateway model would duplicate that contract and drift from it.",
    });

    this.authorizerFunction = new CertyoFunction(this, 'AuthorizerFunction', {
      lambdaName: 'proxy-authorizer',
      config: props.config,
      apiKeySecret: props.apiKeySecret,
      timeout: Duration.seconds(10),
      memorySize: 256,
      description: 'Certyo proxy authorizer: consumer key and scopes, injects the Certyo key',
    });
    this.authorizer = new RequestAuthorizer(this, 'Authorizer', {
      handler: this.authorizerFunction,
      identitySources: [IdentitySource.header(CONSUMER_KEY_HEADER)],
      resultsCacheTtl: cacheTtl,
    });
    this.parameterAuthorizer = new RequestAuthorizer(this, 'ParameterAuthorizer', {
      handler: this.authorizerFunction,
      identitySources: [IdentitySource.header(CONSUMER_KEY_HEADER)],
      resultsCacheTtl: Duration.seconds(0),
    });

    this.consumers = consumers.map((consumer) => this.addConsumer(consumer));
    this.authorizerFunction.addEnvironment(
      'PROXY_CONSUMERS',
      Stack.of(this).toJsonString(this.consumers.map((c) => ({ name: c.config.name, keyId: c.apiKey.keyId, scopes: c.config.scopes }))),
    );
    this.authorizerFunction.addEnvironment('CACHE_MAX_AGE_SECONDS', String(cacheMaxAge.toSeconds()));
    this.authorizerFunction.addEnvironment('PROXY_TENANTS', tenantsJson(consumers));
    if (this.consumers.length > 0) {
      // GetApiKey on exactly the consumers' keys: the authorizer cannot list or read other keys.
      this.authorizerFunction.addToRolePolicy(
        new PolicyStatement({ effect: Effect.ALLOW, actions: ['apigateway:GET'], resources: this.consumers.map((c) => c.apiKey.keyArn) }),
      );
    }

    this.tenantGuardFunction = new CertyoFunction(this, 'TenantGuardFunction', {
      lambdaName: 'proxy-tenant-guard',
      config: props.config,
      apiKeySecret: props.apiKeySecret,
      // Within API Gateway's 29 s integration timeout; the Certyo request gets 20 s of it.
      timeout: Duration.seconds(25),
      memorySize: 256,
      description: "Certyo proxy: lets a body reach Certyo only when every tenantId in it is one of the consumer's",
      environment: { PROXY_TENANTS: tenantsJson(consumers), FORWARD_TIMEOUT_MS: '20000' },
    });

    const certyo = props.config.apiUrl;
    this.routeMethods = PROXY_ROUTES.map((route) => this.addRoute(route, certyo));

    this.healthMethod = this.api.root.addResource('health').addMethod(
      'GET',
      new HttpIntegration(`${certyo}/api/Admin/health`, {
        proxy: true,
        httpMethod: 'GET',
        options: { requestParameters: { [`integration.request.header.${CONSUMER_KEY_HEADER}`]: CONSUMER_KEY_OVERWRITE } },
      }),
      { authorizationType: AuthorizationType.NONE, apiKeyRequired: false, requestValidator: this.requestValidator },
    );
    Validations.of(this.healthMethod).acknowledge(
      { id: 'AwsSolutions-APIG4', reason: "Certyo's health endpoint is unauthenticated by design (API reference: GET /api/Admin/health, no authentication); it carries no Certyo key." },
      { id: 'AwsSolutions-COG4', reason: "Certyo's health endpoint is unauthenticated by design; it is throttled on its own (10 requests/second)." },
    );

    if (props.webAcl ?? true) this.webAcl = this.addWebAcl();
    this.acknowledgeCloudWatchRole();
  }

  /** Base URL consumers call, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/v1/`. */
  get url(): string {
    return this.api.url;
  }

  /**
   * `{apiUrl}/api/v1/<route path>`, path parameters mapped one to one: only the parameter's
   * value (validated by the uncached authorizer) comes from the caller, never the rest of the path.
   */
  private addRoute(route: ProxyRoute, certyo: string): Method {
    let resource: IResource = this.api.root;
    for (const part of route.path.split('/')) resource = resource.getResource(part) ?? resource.addResource(part);
    const parameters = pathParameters(route.path);
    // Bodies that name tenants go through the guard, which sends them on with the Certyo key itself.
    const integration = route.tenantBody
      ? new LambdaIntegration(this.tenantGuardFunction, { proxy: true, allowTestInvoke: false })
      : new HttpIntegration(`${certyo}/api/v1/${route.path}`, {
          proxy: true,
          httpMethod: route.method,
          options: {
            requestParameters: {
              ...Object.fromEntries(parameters.map((name) => [`integration.request.path.${name}`, `method.request.path.${name}`])),
              // Overrides any X-API-Key (x-api-key) the caller sent.
              'integration.request.header.X-API-Key': 'context.authorizer.certyoApiKey',
              [`integration.request.header.${CONSUMER_KEY_HEADER}`]: CONSUMER_KEY_OVERWRITE,
            },
          },
        });
    const method = resource.addMethod(route.method, integration, {
      authorizationType: AuthorizationType.CUSTOM,
      authorizer: checkedPerRequest(route) ? this.parameterAuthorizer : this.authorizer,
      apiKeyRequired: true,
      requestParameters: {
        ...Object.fromEntries(parameters.map((name) => [`method.request.path.${name}`, true])),
        [`method.request.header.${CONSUMER_KEY_HEADER}`]: true,
      },
      requestValidator: this.requestValidator,
    });
    Validations.of(method).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'Consumers are services identified by their API Gateway key through a Lambda REQUEST authorizer that also enforces their scopes; there are no Cognito users.',
    });
    return method;
  }

  private addConsumer(consumer: ProxyConsumerConfig): ProxyConsumer {
    const prefix = `${Stack.of(this).stackName}-${consumer.name}`;
    const apiKey = new ApiKey(this, `Key${consumer.name}`, {
      apiKeyName: prefix,
      description: `Certyo proxy consumer ${consumer.name} (scopes: ${consumer.scopes.join(', ')}); send it as ${CONSUMER_KEY_HEADER}`,
      enabled: true,
    });
    const usagePlan = this.api.addUsagePlan(`Plan${consumer.name}`, {
      name: prefix,
      description: `Certyo proxy consumer ${consumer.name}: at most ${Math.floor(consumer.hourlyRequests)} Certyo requests/hour`,
      throttle: { rateLimit: consumer.rateLimit, burstLimit: consumer.burstLimit },
      // Usage plans have no hourly quota; the throttle bounds each hour (burst + rate × 3600) and
      // the daily quota is 24 of those hours, so API Gateway's usage report shows the spend.
      quota:
        consumer.monthlyQuota === undefined
          ? { limit: Math.floor(consumer.hourlyRequests * 24), period: Period.DAY }
          : { limit: consumer.monthlyQuota, period: Period.MONTH },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    usagePlan.addApiKey(apiKey);
    return { config: consumer, apiKey, usagePlan };
  }

  private addWebAcl(): CfnWebACL {
    const managed = (name: string, priority: number): CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true },
    });
    const webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description: 'Certyo proxy: blocks known-bad sources and inputs',
      rules: [
        managed('AWSManagedRulesAmazonIpReputationList', 0),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 1),
        {
          // A second gate before the authorizer and its cache: a raw path that is not exactly one
          // of the API's resources (`..`, `%2e`, `%2f`, `//`, `;`, another case) is refused here.
          name: 'OnlyDefinedRoutes',
          priority: 2,
          action: { block: {} },
          statement: {
            notStatement: {
              statement: {
                regexMatchStatement: {
                  fieldToMatch: { uriPath: {} },
                  regexString: Lazy.string({ produce: () => routePathPattern(this.stageName, this.api.methods.map((m) => m.resource.path)) }),
                  textTransformations: [{ priority: 0, type: 'NONE' }],
                },
              },
            },
          },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'CertyoProxyUndefinedRoute', sampledRequestsEnabled: true },
        },
      ],
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'CertyoProxyWebAcl', sampledRequestsEnabled: true },
    });
    new CfnWebACLAssociation(this, 'WebAclAssociation', { resourceArn: this.api.deploymentStage.stageArn, webAclArn: webAcl.attrArn });
    return webAcl;
  }

  private acknowledgeCloudWatchRole(): void {
    const role = this.api.node.tryFindChild('CloudWatchRole');
    if (!role) return;
    Validations.of(role).acknowledge({
      id: awsManagedPolicyFinding('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      reason: "API Gateway's account-level logging role: AWS documents this managed policy for it, and the log groups it writes are named by API Gateway per API and stage.",
    });
  }
}

/**
 * The raw URI paths the API serves, as one anchored regular expression: `/<stage>` and each
 * resource path, a `{parameter}` standing for one segment of `PATH_PARAMETER`'s characters.
 */
export function routePathPattern(stageName: string, resourcePaths: readonly string[]): string {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const segment = PATH_PARAMETER.source.replace(/^\^|\$$/g, '');
  const paths = [...new Set(resourcePaths)]
    .filter((p) => p !== '/')
    .sort()
    .map((p) => p.split('/').map((part) => (/^\{[A-Za-z0-9_]+\}$/.test(part) ? segment : escape(part))).join('/'));
  return `^/${escape(stageName)}(${paths.join('|')})$`;
}

/** `PROXY_TENANTS` of the tenant guard and the authorizer: each consumer that has tenants, with them. */
function tenantsJson(consumers: readonly ProxyConsumerConfig[]): string {
  return JSON.stringify(Object.fromEntries(consumers.filter((c) => c.tenantIds.length > 0).map((c) => [c.name, c.tenantIds])));
}

function defaultStageThrottle(consumers: readonly ProxyConsumerConfig[]): ProxyThrottle {
  const sum = (pick: (c: ProxyConsumerConfig) => number) => consumers.reduce((total, c) => total + pick(c), 0);
  // API Gateway's default account limits: 10,000 requests/second, burst 5,000.
  return { rateLimit: Math.min(10_000, Math.max(10, sum((c) => c.rateLimit))), burstLimit: Math.min(5_000, Math.max(20, sum((c) => c.burstLimit))) };
}

/** Lambda environment variables may total 4 KB; the consumer list must fit with room for the rest. */
const MAX_CONSUMERS_JSON_BYTES = 3_000;
/** Length of an API Gateway key id. */
const KEY_ID_LENGTH = 10;

function validate(
  id: string,
  values: { consumers: readonly ProxyConsumerConfig[]; stageName: string; cacheTtl: Duration; cacheMaxAge: Duration; stageThrottle: ProxyThrottle },
): void {
  const problems = new PropProblems(`CertyoApiProxy ${id}`);
  const consumersJson = JSON.stringify(values.consumers.map((c) => ({ name: c.name, keyId: 'x'.repeat(KEY_ID_LENGTH), scopes: c.scopes })));
  // The authorizer holds both lists (the tenant guard only the tenants).
  const bytes = consumersJson.length + tenantsJson(values.consumers).length;
  if (bytes > MAX_CONSUMERS_JSON_BYTES) {
    problems.add(
      `config.apiProxy.consumers: ${values.consumers.length} consumers and their tenantIds do not fit the authorizer's environment (${bytes} of ${MAX_CONSUMERS_JSON_BYTES} bytes); use shorter names, fewer consumers or fewer tenant ids`,
    );
  }
  for (const c of values.consumers) {
    if (c.burstLimit > 5_000) problems.add(`config.apiProxy.consumers: consumer "${c.name}" burstLimit must be at most 5000, got ${c.burstLimit}`);
  }
  if (!/^[A-Za-z0-9_]{1,128}$/.test(values.stageName)) problems.add(`stageName must be letters, digits or _, got "${values.stageName}"`);
  const ttl = values.cacheTtl.toSeconds();
  if (ttl < 0 || ttl > 3600) problems.add(`authorizerCacheTtl must be from 0 to 3600 seconds, got ${ttl}`);
  const maxAge = values.cacheMaxAge.toSeconds();
  if (maxAge < 0 || maxAge > 3600) problems.add(`cacheMaxAge must be from 0 to 3600 seconds, got ${maxAge}`);
  const { rateLimit, burstLimit } = values.stageThrottle;
  if (!(rateLimit >= 1 && rateLimit <= 10_000)) problems.add(`stageThrottle.rateLimit must be from 1 to 10000, got ${rateLimit}`);
  problems.wholeNumber('stageThrottle.burstLimit', burstLimit, 1, 5_000);
  problems.throwIfAny();
}
