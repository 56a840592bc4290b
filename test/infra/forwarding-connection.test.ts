import { Duration } from 'aws-cdk-lib';
import { CertyoConnection } from '../../lib/constructs/certyo-connection';
import { matchesPattern } from '../../local/harness/eventbridge';
import { formatFindings, synth } from '../helpers/synth';
import { fixtureEvent, forwardingFindings, resources, single, testStack } from './forwarding-support';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('Certyo connection and key sync', () => {
  const synthesized = synth();
  const template = synthesized.template('CertyoPipelineStack');
  const [connectionId] = single(template, 'AWS::Events::Connection', /^CertyoConnection/);
  const [functionId, fn] = single(template, 'AWS::Lambda::Function', /^CertyoConnectionKeySync/);
  const [, secretRule] = single(template, 'AWS::Events::Rule', /^CertyoConnectionSecretChanged/);
  const pattern = (secretRule.Properties as { EventPattern: Record<string, unknown> }).EventPattern;

  it('is cdk-nag clean', () => {
    expect(formatFindings(forwardingFindings(synthesized.findings))).toBe('(none)');
  });

  it('is exposed by the pipeline stack for the verification workflow', () => {
    expect(synthesized.pipeline.connection).toBe(synthesized.pipeline.certyoConnection.connection);
  });

  it.each([['cloudtrail-put-secret-value.json'], ['cloudtrail-update-secret-version-stage.json']])('runs the key sync on %s of the Certyo secret', (file) => {
    expect(matchesPattern(pattern, fixtureEvent(file))).toBe(true);
    expect((secretRule.Properties as { Targets: { Arn: unknown }[] }).Targets[0]?.Arn).toEqual({ 'Fn::GetAtt': [functionId, 'Arn'] });
  });

  it('ignores changes of other secrets and read-only calls', () => {
    const event = fixtureEvent('cloudtrail-put-secret-value.json');
    const other = { ...event, detail: { ...event.detail, requestParameters: { secretId: 'payments/db-password' } } };
    const read = { ...event, detail: { ...event.detail, eventName: 'GetSecretValue' } };
    expect(matchesPattern(pattern, other)).toBe(false);
    expect(matchesPattern(pattern, read)).toBe(false);
  });

  it('also syncs every hour, and reserves no concurrency (a new account cannot grant any)', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)', Targets: [{ Arn: { 'Fn::GetAtt': [functionId, 'Arn'] } }] as never });
    expect(fn.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      CONNECTION_NAME: { Ref: connectionId },
      API_KEY_HEADER: 'X-API-Key',
      CERTYO_SECRET_ARN: 'certyo/api-key',
    });
  });

  it('may update only this connection and read only this secret', () => {
    const [, policy] = single(template, 'AWS::IAM::Policy', /^CertyoConnectionKeySyncServiceRoleDefaultPolicy/);
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const update = statements.filter((s) => actions(s).some((a) => a.startsWith('events:')));
    expect(update).toEqual([expect.objectContaining({ Effect: 'Allow', Action: 'events:UpdateConnection', Resource: { 'Fn::GetAtt': [connectionId, 'Arn'] } })]);
    const secrets = statements.filter((s) => actions(s).some((a) => a.startsWith('secretsmanager:')));
    expect(secrets).toHaveLength(1);
    expect(JSON.stringify(secrets[0]?.Resource)).toContain(':secret:certyo/api-key-??????');
  });

  it('alarms on any key-sync error and on undeliverable secret-change events', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
      Threshold: 0,
    });
    const [deliveriesId] = single(template, 'AWS::SQS::Queue', /^CertyoConnectionKeySyncDeliveriesQueue/);
    expect(resources(template)[deliveriesId]?.Properties).toMatchObject({ SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deliveriesId, 'QueueName'] } }],
      Threshold: 0,
    });
  });
});

describe('CertyoConnection construct', () => {
  it.each([[Duration.seconds(30)], [Duration.days(2)]])('rejects a key-sync interval of %s naming the prop', (interval) => {
    const s = testStack();
    expect(() => new CertyoConnection(s.stack, 'Conn', { config: s.config, apiKeySecret: s.secret, operations: s.operations, keySyncInterval: interval })).toThrow(
      /CertyoConnection Conn: keySyncInterval must be from 1 minute to 1 day/,
    );
  });
});
