import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { formatFindings, readFindings, synth, synthesizeApp } from '../helpers/synth';

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['default configuration', {}],
    ['batched forwarding', { 'certyo:forwardingMode': 'batched' }],
    [
      'existing tables, existing bucket, proxy consumers',
      {
        'certyo:dynamodb.tables': [
          { tableName: 'orders', streamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000' },
        ],
        'certyo:s3.bucketName': 'existing-records-bucket',
        'certyo:apiProxy.consumers': [{ name: 'billing', scopes: ['ingest', 'read'], tenantIds: ['acme'] }],
        'certyo:alarmEmail': 'ops@example.com',
      },
    ],
  ])('reports no unacknowledged finding for %s', (_name, overrides) => {
    // Act
    const { findings } = synth(overrides);

    // Assert
    expect(formatFindings(findings)).toBe('(none)');
  });

  it('grants secretsmanager:DescribeSecret only to the workflow, on the connection secret its HTTP Tasks read (the Lambdas call only GetSecretValue)', () => {
    const synthesized = synth({ 'certyo:apiProxy.consumers': [{ name: 'billing', scopes: ['ingest'], tenantIds: ['acme'] }], 'certyo:forwardingMode': 'batched' });
    const describing: string[] = [];
    for (const stack of ['CertyoPipelineStack', 'CertyoApiProxyStack']) {
      const policies = synthesized.template(stack).findResources('AWS::IAM::Policy');
      for (const [id, policy] of Object.entries(policies)) {
        for (const statement of policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]) {
          if ([statement.Action].flat().includes('secretsmanager:DescribeSecret')) describing.push(`${stack}/${id} ${JSON.stringify(statement.Resource)}`);
        }
      }
    }

    expect(describing).toHaveLength(1);
    expect(describing[0]).toMatch(/^CertyoPipelineStack\/VerificationHttpInvokePolicy\w+ .*SecretArn/);
  });

  it('reports no unacknowledged finding when the CLI knows the account and region', () => {
    // Arrange: `cdk synth` with a profile sets these, which turns pseudo parameters into literals.
    const saved = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
    process.env.CDK_DEFAULT_ACCOUNT = '123456789012';
    process.env.CDK_DEFAULT_REGION = 'us-east-1';
    try {
      // Act
      const { findings } = synth({ 'certyo:apiProxy.consumers': [{ name: 'billing', scopes: ['ingest'], tenantIds: ['acme'] }] });

      // Assert
      expect(formatFindings(findings)).toBe('(none)');
    } finally {
      for (const [key, value] of [['CDK_DEFAULT_ACCOUNT', saved.account], ['CDK_DEFAULT_REGION', saved.region]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('is live: a deliberately non-compliant resource is reported', () => {
    // Arrange: a test-only stack with an unencrypted queue that allows plain HTTP.
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'certyo-nag-'));
    const app = new App({ outdir });
    new Queue(new Stack(app, 'NonCompliant'), 'PlainQueue');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act
    synthesizeApp(app);

    // Assert
    const rules = readFindings(outdir).map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });
});
