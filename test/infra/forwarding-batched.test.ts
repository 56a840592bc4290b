import { Match, Template } from 'aws-cdk-lib/assertions';
import { BatchedForwarding } from '../../lib/constructs/batched-forwarding';
import { matchesPattern } from '../../local/harness/eventbridge';
import { formatFindings, synth, TEST_TENANT_ID } from '../helpers/synth';
import { assemblyText, FakeVerification, fixtureEvent, forwardingFindings, ofType, resources, single, testStack } from './forwarding-support';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('batched forwarding (certyo:forwardingMode = batched)', () => {
  const synthesized = synth({ 'certyo:forwardingMode': 'batched' });
  const template = synthesized.template('CertyoPipelineStack');
  const [ruleId, rule] = single(template, 'AWS::Events::Rule', /^BatchedForwardingRule/);
  const [bufferId, buffer] = single(template, 'AWS::SQS::Queue', /^BatchedForwardingBuffer/);
  const [failedMessagesId] = single(template, 'AWS::SQS::Queue', /^BatchedForwardingFailedMessagesQueue/);
  const [rejectedId] = single(template, 'AWS::SQS::Queue', /^BatchedForwardingRejectedEventsQueue/);
  const [deliveriesId] = single(template, 'AWS::SQS::Queue', /^BatchedForwardingFailedDeliveriesQueue/);
  const [functionId] = single(template, 'AWS::Lambda::Function', /^BatchedForwardingForwarder/);

  it('is cdk-nag clean', () => {
    expect(formatFindings(forwardingFindings(synthesized.findings))).toBe('(none)');
  });

  it('creates no direct-mode resource, but keeps the Certyo connection for the verification workflow', () => {
    expect(ofType(template, 'AWS::Events::ApiDestination')).toEqual([]);
    expect(ofType(template, 'AWS::Events::Rule', /^DirectForwarding/)).toEqual([]);
    expect(ofType(template, 'AWS::Events::Connection')).toHaveLength(1);
  });

  it('sends every event of the detail-type to the buffer, retrying 185 times over 24 hours into a dead-letter queue', () => {
    const props = rule.Properties as { EventPattern: Record<string, unknown>; Targets: unknown[] };
    expect(props.EventPattern).toEqual({ 'detail-type': ['Certyo Record'] });
    expect(props.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [bufferId, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [deliveriesId, 'Arn'] } },
      }),
    ]);
    // The forwarder validates with reasons, so the rule lets invalid events through to it.
    expect(matchesPattern(props.EventPattern, fixtureEvent('record-event-missing-version.json'))).toBe(true);
  });

  it('lets only the rule write to the buffer', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: bufferId }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny' }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } } }),
        ],
      },
    });
  });

  it('buffers in an encrypted queue that keeps events 14 days and dead-letters only after 200 receives', () => {
    expect(buffer.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
      VisibilityTimeout: 5 * 60 * 6 + 30,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [failedMessagesId, 'Arn'] }, maxReceiveCount: 200 },
    });
    for (const id of [failedMessagesId, rejectedId, deliveriesId]) {
      expect(resources(template)[id]?.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    }
  });

  it('invokes the forwarder with up to 4,000 events (within the 6 MB Lambda payload) gathered for 60 s, two at a time, with partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [bufferId, 'Arn'] },
      FunctionName: { Ref: functionId },
      BatchSize: 4000,
      MaximumBatchingWindowInSeconds: 30,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('lets the forwarder start verifications', () => {
    const [stateMachineId] = single(template, 'AWS::StepFunctions::StateMachine', /^Verification/);
    const env = (resources(template)[functionId]?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env).toMatchObject({ VERIFY_STATE_MACHINE_ARN: { Ref: stateMachineId }, VERIFY_POLICY: 'batch' });
  });

  it('tells the forwarder its queues, tenant and event source batching', () => {
    const env = (resources(template)[functionId]?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const [, mapping] = single(template, 'AWS::Lambda::EventSourceMapping', /^BatchedForwarding/);
    expect(env).toMatchObject({
      BATCH_SIZE: String(mapping.Properties.BatchSize),
      BATCH_WINDOW_SECONDS: String(mapping.Properties.MaximumBatchingWindowInSeconds),
      BUFFER_QUEUE_URL: { Ref: bufferId },
      REJECTED_QUEUE_URL: { Ref: rejectedId },
      CERTYO_TENANT_ID: TEST_TENANT_ID,
      CERTYO_SECRET_ARN: 'certyo/api-key',
    });
  });

  it('lets the forwarder postpone buffer messages and write rejected events, nothing more on SQS', () => {
    const policies = ofType(template, 'AWS::IAM::Policy', /^BatchedForwardingForwarderServiceRoleDefaultPolicy/);
    const statements = policies.flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const sqs = statements.filter((s) => actions(s).some((a) => a.startsWith('sqs:')));
    const allowed = (action: string) => sqs.filter((s) => actions(s).includes(action)).map((s) => s.Resource);
    expect(allowed('sqs:ChangeMessageVisibility')).toEqual([{ 'Fn::GetAtt': [bufferId, 'Arn'] }]);
    expect(allowed('sqs:SendMessage')).toEqual([{ 'Fn::GetAtt': [rejectedId, 'Arn'] }]);
    expect(sqs.flatMap(actions).filter((a) => a === 'sqs:*')).toEqual([]);
  });

  it('alarms on every dead-letter queue and on a buffer backlog older than 6 hours', () => {
    for (const id of [failedMessagesId, rejectedId, deliveriesId]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } }],
        Threshold: 0,
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [bufferId, 'QueueName'] } }],
      Threshold: 21600,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('writes no secret value anywhere in the cloud assembly', () => {
    const text = assemblyText(synthesized.outdir);
    expect([...text.matchAll(/"ApiKeyValue":\s*"([^"]*)"/g)].map((m) => m[1])).toEqual(['{{resolve:secretsmanager:certyo/api-key:SecretString:apiKey::}}']);
  });
});

describe('BatchedForwarding construct', () => {
  it('uses the configured batch size, window and sources', () => {
    // Arrange
    const s = testStack({ 'certyo:forwardingMode': 'batched', 'certyo:batched.batchSize': 500, 'certyo:batched.batchWindowSeconds': 5, 'certyo:eventSources': ['a', 'b'] });

    // Act
    new BatchedForwarding(s.stack, 'Batched', { config: s.config, bus: s.bus, apiKeySecret: s.secret, operations: s.operations });
    const template = Template.fromStack(s.stack);

    // Assert
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 500, MaximumBatchingWindowInSeconds: 5 });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: ['a', 'b'], 'detail-type': ['Certyo Record'] } });
  });

  it('grants the forwarder the verification workflow', () => {
    // Arrange
    const s = testStack();
    const verification = new FakeVerification(s.stack);

    // Act
    const forwarding = new BatchedForwarding(s.stack, 'Batched', { config: s.config, bus: s.bus, apiKeySecret: s.secret, operations: s.operations, verification });

    // Assert
    expect(verification.granted).toEqual([forwarding.forwarder]);
    Template.fromStack(s.stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { VERIFY_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:fake' } },
    });
  });

  it.each([
    [{ maxReceiveCount: 10 }, 'maxReceiveCount must be a whole number from 100 to 1000 (throttling alone must never dead-letter an event), got 10'],
    [{ maxConcurrency: 1 }, 'maxConcurrency must be a whole number from 2 to 1000, got 1'],
  ])('rejects %p naming the prop', (props, message) => {
    const s = testStack();
    expect(() => new BatchedForwarding(s.stack, 'Batched', { config: s.config, bus: s.bus, apiKeySecret: s.secret, operations: s.operations, ...props })).toThrow(message);
  });
});
