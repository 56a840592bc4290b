import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { synth } from '../helpers/synth';

describe('CertyoPipelineStack', () => {
  const synthesized = synth();
  const template = synthesized.template('CertyoPipelineStack');

  it('creates the domain-events bus by default', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'domain-events' });
  });

  it('names the bus from certyo:busName', () => {
    const custom = synth({ 'certyo:busName': 'orders-events' }).template('CertyoPipelineStack');
    custom.hasResourceProperties('AWS::Events::EventBus', { Name: 'orders-events' });
  });

  it('reserves no Lambda concurrency in either stack or mode: a new account (quota 10) cannot grant any', () => {
    const batched = synth({ 'certyo:forwardingMode': 'batched' });
    const templates = [template, synthesized.template('CertyoApiProxyStack'), batched.template('CertyoPipelineStack')];
    const functions = templates.flatMap((t) => Object.values(t.findResources('AWS::Lambda::Function')));

    expect(functions.length).toBeGreaterThan(5);
    expect(functions.filter((f) => (f as { Properties: Record<string, unknown> }).Properties.ReservedConcurrentExecutions !== undefined)).toEqual([]);
  });

  it('references the Certyo secret by name and never creates one', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const json = JSON.stringify(template.toJSON());
    expect(json).toContain('certyo/api-key');
  });

  it('encrypts the operations topic, names it for the proxy stack, and allows only SSL', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue(), TopicName: 'CertyoPipelineStack-operations' });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('alarms on the proxy API from the pipeline dashboard without depending on the proxy stack', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({
              MetricName: '5XXError',
              Dimensions: Match.arrayWith([{ Name: 'ApiName', Value: 'CertyoApiProxyStack-certyo-proxy' }]),
            }),
          }),
        }),
      ]),
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('Fn::ImportValue');
  });

  it('graphs the queue of failed verification starts in direct mode', () => {
    const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
    expect(JSON.stringify(dashboards)).toContain('verify-start-failures');
  });

  it("shows each proxy consumer's Certyo requests per hour against the proxy's share, from the proxy's access log by name", () => {
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('/aws/apigateway/CertyoApiProxyStack-Proxy-access');
    expect(body).toContain('stats count(*) as requests by consumer, bin(1h)');
    expect(body).toContain('all consumers together may make 200');
    synthesized.template('CertyoApiProxyStack').hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/apigateway/CertyoApiProxyStack-Proxy-access' });
  });

  it('writes the templates into the cloud assembly', () => {
    expect(fs.existsSync(path.join(synthesized.outdir, 'CertyoPipelineStack.template.json'))).toBe(true);
  });
});

describe('alarm destinations', () => {
  const warningsOf = (s: ReturnType<typeof synth>) =>
    Annotations.fromStack(s.pipeline).findWarning('*', Match.stringLikeRegexp('Alarms reach nobody')).map((w) => String(w.entry.data));

  it('warns at synth, naming both keys, when neither certyo:alarmEmail nor certyo:alarmTopicArn is set', () => {
    // Act
    const synthesized = synth({ 'certyo:alarmEmail': undefined, 'certyo:alarmTopicArn': undefined });

    // Assert
    expect(warningsOf(synthesized)).toEqual([expect.stringMatching(/certyo:alarmEmail or certyo:alarmTopicArn/)]);
    synthesized.template('CertyoPipelineStack').resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('subscribes certyo:alarmEmail to the operations topic, without a warning', () => {
    // Act
    const synthesized = synth({ 'certyo:alarmEmail': 'ops@example.com' });

    // Assert
    synthesized.template('CertyoPipelineStack').hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    expect(warningsOf(synthesized)).toEqual([]);
  });

  it('sends every alarm of both stacks to certyo:alarmTopicArn, creating no operations topic of its own', () => {
    // Arrange
    const arn = 'arn:aws:sns:eu-west-1:123456789012:paging';

    // Act
    const synthesized = synth({ 'certyo:alarmTopicArn': arn });

    // Assert
    expect(warningsOf(synthesized)).toEqual([]);
    for (const stack of ['CertyoPipelineStack', 'CertyoApiProxyStack']) {
      const template = synthesized.template(stack);
      template.resourcePropertiesCountIs('AWS::SNS::Topic', { TopicName: 'CertyoPipelineStack-operations' }, 0);
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as { Properties: { AlarmActions?: unknown[] } }[];
      expect(alarms.length).toBeGreaterThan(0);
      for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([arn]);
    }
  });
});

describe('Lambda execution roles', () => {
  it.each(['CertyoPipelineStack', 'CertyoApiProxyStack'])('%s: each function may write logs only to its own log group, with no AWS-managed policy', (stackName) => {
    const template = synth().template(stackName);
    type Cfn = Record<string, { Type: string; Properties: Record<string, unknown> }>;
    const resources = template.toJSON().Resources as Cfn;
    const functions = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function' && (r.Properties.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup);
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      const roleId = ((fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'])[0];
      const logGroupId = ((fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup).Ref;
      expect(resources[roleId]?.Properties.ManagedPolicyArns).toBeUndefined();
      const statements = Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
        .flatMap((r) => (r.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement);
      const logs = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('logs:')));
      expect(logs).toEqual([expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } })]);
    }
  });
});

describe('record events that match no rule', () => {
  it('are archived with every other record event of the bus for 14 days, whatever their source', () => {
    const template = synth({ 'certyo:eventSources': ['billing'] }).template('CertyoPipelineStack');
    template.hasResourceProperties('AWS::Events::Archive', {
      ArchiveName: 'CertyoPipelineStack-record-events',
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DomainEvents'), 'Arn'] },
      // No source filter: an event from a source outside certyo:eventSources is kept too.
      EventPattern: { 'detail-type': ['Certyo Record'] },
      RetentionDays: 14,
    });
  });
});
