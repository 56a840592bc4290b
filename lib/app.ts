import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CertyoApiProxyStack } from './api-proxy-stack';
import { CertyoConfig, loadConfig } from './config';
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
  const config = loadConfig(app.node.getAllContext());
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
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { config, pipeline, apiProxy };
}
