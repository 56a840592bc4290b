import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CertyoConfig, loadConfig } from './config';
import { CertyoPipelineStack } from './pipeline-stack';

export interface CertyoStacks {
  readonly config: CertyoConfig;
  readonly pipeline: CertyoPipelineStack;
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
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { config, pipeline };
}
