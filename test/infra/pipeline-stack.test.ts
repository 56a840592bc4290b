import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
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

  it('writes the templates into the cloud assembly', () => {
    expect(fs.existsSync(path.join(synthesized.outdir, 'CertyoPipelineStack.template.json'))).toBe(true);
  });
});
