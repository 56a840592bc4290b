import { Annotations, App, CfnParameter, CfnRule, Fn, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CertyoApiProxyStack } from './api-proxy-stack';
import { CertyoConfig, CONTEXT_PREFIX, loadConfig } from './config';
import { CertyoPipelineStack } from './pipeline-stack';

export interface CertyoStacks {
  readonly config: CertyoConfig;
  readonly pipeline: CertyoPipelineStack;
  /** `undefined` when `certyo:apiProxy.enabled` is false. */
  readonly apiProxy?: CertyoApiProxyStack;
}

/**
 * Builds every stack of the app from the `certyo:` context. Shared by `bin/certyo.ts` and
 * the tests, so what the tests check is what `cdk synth` produces. cdk-nag's AwsSolutions
 * pack runs as a CDK validation plugin: any unacknowledged finding fails synth.
 */
export function buildApp(app: App): CertyoStacks {
  const { context, tenantIdMissing } = withSynthOnlyTenant(app.node.getAllContext());
  const config = loadConfig(context);
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const pipeline = new CertyoPipelineStack(app, 'CertyoPipelineStack', {
    config,
    env,
    description: 'Certyo pipeline: domain-events bus, ingest paths, verification workflow and notifications',
  });
  let apiProxy: CertyoApiProxyStack | undefined;
  if (config.apiProxy.enabled) {
    apiProxy = new CertyoApiProxyStack(app, 'CertyoApiProxyStack', {
      config,
      env,
      pipelineStackName: pipeline.stackName,
      description: 'Certyo API proxy: internal consumers with usage plans, Certyo key injected by the gateway; webhook intake',
    });
    // The webhook intake puts events on the pipeline's bus, imported by name (no export): deploy the bus first.
    apiProxy.addStackDependency(pipeline);
    // Plain strings only: a token from the proxy stack in the pipeline's dashboard would make
    // the two stacks depend on each other.
    pipeline.monitoring.addApiGateway({
      apiName: apiProxy.proxy.api.restApiName,
      stageName: apiProxy.proxy.stageName,
      label: 'proxy',
      consumerUsage: { accessLogGroupName: apiProxy.proxy.accessLogGroupName, hourlyRequestShare: config.apiProxy.hourlyRequestShare },
    });
  }
  if (tenantIdMissing) {
    for (const stack of [pipeline, apiProxy]) if (stack) refuseDeployment(stack);
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { config, pipeline, apiProxy };
}

const TENANT_KEY = `${CONTEXT_PREFIX}tenantId`;

/**
 * Stands in for `certyo:tenantId` when it is not set, so `cdk synth` works on a fresh clone. The
 * templates that carry it cannot be deployed (`refuseDeployment`).
 */
export const SYNTH_ONLY_TENANT_ID = 'certyo-tenant-id-not-set';

export const TENANT_ID_MISSING = `${TENANT_KEY} is not set: these templates cannot be deployed. Deploy with -c ${TENANT_KEY}=<your Certyo tenant id>.`;

/** An explicitly empty tenant id is still a configuration error; only an absent one is tolerated. */
function withSynthOnlyTenant(context: Readonly<Record<string, unknown>>): { context: Record<string, unknown>; tenantIdMissing: boolean } {
  const raw = context[TENANT_KEY];
  if (raw !== undefined && raw !== null) return { context: { ...context }, tenantIdMissing: false };
  return { context: { ...context, [TENANT_KEY]: SYNTH_ONLY_TENANT_ID }, tenantIdMissing: true };
}

/**
 * Makes a stack undeployable: a parameter without a default (the CDK CLI refuses to deploy
 * without a value for it) that no value satisfies (at least one character, matching `^$`), and
 * a rule no value passes either, each failing the change set with the message naming the key.
 */
function refuseDeployment(stack: Stack): void {
  const parameter = new CfnParameter(stack, 'CertyoTenantIdNotSet', {
    type: 'String',
    description: TENANT_ID_MISSING,
    allowedPattern: '^$',
    minLength: 1,
    constraintDescription: TENANT_ID_MISSING,
  });
  new CfnRule(stack, 'CertyoTenantIdRequired', {
    // Holds only for an empty value, which the parameter's MinLength already refuses.
    assertions: [{ assert: Fn.conditionEquals(parameter.valueAsString, ''), assertDescription: TENANT_ID_MISSING }],
  });
  Annotations.of(stack).addWarningV2('certyo:tenantId-not-set', TENANT_ID_MISSING);
}
