import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DirectForwarding } from '../../lib/constructs/direct-forwarding';
import { OPTIONAL_STRING_FIELDS, RecordEventDetail, toCertyoRecord } from '../../lambdas/shared/record-event';
import { evaluateInputTransformer, InputTransformerJson, matchesPattern } from '../../local/harness/eventbridge';
import { formatFindings, synth, TEST_TENANT_ID } from '../helpers/synth';
import { assemblyText, FakeVerification, fixtureEvent, forwardingFindings, ofType, Resource, resources, single, testStack } from './forwarding-support';

type Target = {
  Arn: unknown;
  Id: string;
  RetryPolicy?: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
  DeadLetterConfig?: { Arn: unknown };
  InputTransformer?: InputTransformerJson;
};
type RuleProps = { EventPattern: Record<string, unknown>; Targets: Target[]; EventBusName: unknown };
const ruleProps = (rule: Resource): RuleProps => rule.Properties as unknown as RuleProps;

/** The full fixture with only the optional fields in `keep`. */
function eventWith(keep: readonly string[]): ReturnType<typeof fixtureEvent> {
  const event = fixtureEvent('record-event-full.json');
  for (const field of OPTIONAL_STRING_FIELDS) if (!keep.includes(field)) delete event.detail[field];
  return event;
}

const subsets = OPTIONAL_STRING_FIELDS.reduce<string[][]>((all, f) => [...all, ...all.map((s) => [...s, f])], [[]]);

describe('direct forwarding in the default configuration', () => {
  const synthesized = synth();
  const template = synthesized.template('CertyoPipelineStack');
  const forwardRules = ofType(template, 'AWS::Events::Rule', /^DirectForwardingForward/);
  const invalidRules = ofType(template, 'AWS::Events::Rule', /^DirectForwardingInvalid/);
  const [failedId] = single(template, 'AWS::SQS::Queue', /^DirectForwardingFailedDeliveriesQueue/);
  const [invalidQueueId] = single(template, 'AWS::SQS::Queue', /^DirectForwardingInvalidEventsQueue/);
  const [destinationId] = single(template, 'AWS::Events::ApiDestination', /^DirectForwardingDestination/);
  const [connectionId] = single(template, 'AWS::Events::Connection', /^CertyoConnection/);
  const [busId] = single(template, 'AWS::Events::EventBus', /^DomainEvents/);

  it('is cdk-nag clean', () => {
    expect(formatFindings(forwardingFindings(synthesized.findings))).toBe('(none)');
  });

  it('authenticates with an API_KEY connection whose X-API-Key is a dynamic reference to the secret', () => {
    template.hasResourceProperties('AWS::Events::Connection', {
      AuthorizationType: 'API_KEY',
      AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'X-API-Key', ApiKeyValue: '{{resolve:secretsmanager:certyo/api-key:SecretString:apiKey::}}' } },
    });
  });

  it('posts to /api/v1/records at the minimum invocation rate', () => {
    template.hasResourceProperties('AWS::Events::ApiDestination', {
      ConnectionArn: { 'Fn::GetAtt': [connectionId, 'Arn'] },
      InvocationEndpoint: 'https://www.certyos.com/api/v1/records',
      HttpMethod: 'POST',
      InvocationRateLimitPerSecond: 1,
    });
  });

  it('has one rule per combination of optional fields on the domain-events bus, each retrying 185 times over 24 hours into the dead-letter queue', () => {
    expect(forwardRules).toHaveLength(16);
    for (const [, rule] of forwardRules) {
      const props = ruleProps(rule);
      expect(props.EventBusName).toEqual({ Ref: busId });
      expect(props.Targets).toHaveLength(1);
      expect(props.Targets[0]).toMatchObject({
        Arn: { 'Fn::GetAtt': [destinationId, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [failedId, 'Arn'] } },
      });
    }
  });

  it('hands the forwarded events to the verification queue (the policy applies there) with one rule', () => {
    const [, verify] = single(template, 'AWS::Events::Rule', /^DirectForwardingVerifyForwarded/);
    const [queueId] = single(template, 'AWS::SQS::Queue', /^VerificationDirectQueue/);
    expect(ruleProps(verify).Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } })]);
    expect(matchesPattern(ruleProps(verify).EventPattern, fixtureEvent('record-event-minimal.json'))).toBe(true);
  });

  it('requires every mandatory string field in every forwarding pattern: present, and keyable unless the event brings its own key', () => {
    const keyable = [{ 'anything-but': { wildcard: ['*|*', '*%*', '*"*', '*\\\\*'] } }];
    for (const [, rule] of forwardRules) {
      const ownKey = (ruleProps(rule).EventPattern.detail as Record<string, unknown>).idempotencyKey;
      const condition = JSON.stringify(ownKey) === JSON.stringify([{ exists: true }]) ? [{ exists: true }] : keyable;
      expect(ruleProps(rule).EventPattern).toMatchObject({
        'detail-type': ['Certyo Record'],
        detail: { database: condition, collection: condition, recordId: condition, recordVersion: condition },
      });
    }
  });

  it('keeps every rule pattern within EventBridge\'s default 2,048-character quota', () => {
    for (const [id, rule] of ofType(template, 'AWS::Events::Rule')) {
      expect({ id, length: JSON.stringify(ruleProps(rule).EventPattern ?? {}).length <= 2048 }).toEqual({ id, length: true });
    }
  });

  it('encrypts the dead-letter queues, keeps messages 14 days and refuses plain HTTP', () => {
    for (const id of [failedId, invalidQueueId]) {
      expect(resources(template)[id]?.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    }
  });

  it('lets only these rules write to the failed-deliveries queue, in one statement within the SQS policy quotas', () => {
    const [, policy] = single(template, 'AWS::SQS::QueuePolicy', /^DirectForwardingFailedDeliveriesQueuePolicy/);
    const statements = (policy.Properties.PolicyDocument as { Statement: { Effect: string; Condition?: Record<string, Record<string, unknown>> }[] }).Statement;
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [failedId, 'Arn'] } });
    const sourceArns = allows[0]?.Condition?.ArnEquals?.['aws:SourceArn'];
    expect(sourceArns).toEqual(expect.arrayContaining([...forwardRules, ...invalidRules].map(([id]) => ({ 'Fn::GetAtt': [id, 'Arn'] }))));
    expect(sourceArns).toHaveLength(16 + 6);
    // SQS: at most 20 statements and 10 conditions per queue policy.
    expect(statements.length).toBeLessThanOrEqual(20);
    expect(statements.filter((s) => s.Condition).length).toBeLessThanOrEqual(10);
  });

  it('keeps every queue policy of the stack within the SQS quotas (20 statements, 10 conditions, 8 KiB)', () => {
    for (const [id, policy] of ofType(template, 'AWS::SQS::QueuePolicy')) {
      const document = policy.Properties.PolicyDocument as { Statement: { Condition?: Record<string, Record<string, unknown>> }[] };
      const conditions = document.Statement.flatMap((s) => Object.values(s.Condition ?? {}).flatMap((c) => Object.keys(c)));
      expect({ id, statements: document.Statement.length <= 20, conditions: conditions.length <= 10, bytes: JSON.stringify(document).length <= 8192 }).toEqual({
        id,
        statements: true,
        conditions: true,
        bytes: true,
      });
    }
  });

  it('lets only the invalid-events rules write to the invalid-events queue', () => {
    expect(invalidRules).toHaveLength(6);
    for (const [invalidRuleId] of invalidRules) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: invalidQueueId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [invalidRuleId, 'Arn'] } } } }),
          ]),
        },
      });
    }
  });

  it('alarms to the operations topic as soon as a dead-letter queue holds a message', () => {
    const [topicId] = single(template, 'AWS::SNS::Topic', /^OperationsTopic/);
    for (const id of [failedId, invalidQueueId]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        AlarmActions: [{ Ref: topicId }],
      });
    }
  });

  it('routes each valid event to exactly one rule, whose transformer produces the record the batched forwarder would send', () => {
    for (const keep of subsets) {
      // Arrange
      const event = eventWith(keep);

      // Act
      const matched = forwardRules.filter(([, rule]) => matchesPattern(ruleProps(rule).EventPattern, event));

      // Assert
      expect(matched).toHaveLength(1);
      expect(invalidRules.filter(([, rule]) => matchesPattern(ruleProps(rule).EventPattern, event))).toEqual([]);
      const body = evaluateInputTransformer((ruleProps(matched[0]![1]).Targets[0] as Target).InputTransformer!, event);
      expect(JSON.parse(body)).toEqual(toCertyoRecord(event.detail as unknown as RecordEventDetail, TEST_TENANT_ID));
    }
  });

  it('fills in the configured tenant and the default idempotency key, and passes the payload through', () => {
    // Arrange
    const event = fixtureEvent('record-event-minimal.json');
    const [[, rule]] = forwardRules.filter(([, r]) => matchesPattern(ruleProps(r).EventPattern, event)) as [[string, Resource]];

    // Act
    const body = JSON.parse(evaluateInputTransformer(ruleProps(rule).Targets[0]!.InputTransformer!, event)) as Record<string, unknown>;

    // Assert
    expect(body).toMatchObject({ tenantId: TEST_TENANT_ID, idempotencyKey: `${TEST_TENANT_ID}|billing|invoices|INV-2026-0043|3`, recordPayload: { note: 'say "hi"' } });
    expect(Object.keys(body)).toEqual(['tenantId', 'database', 'collection', 'recordId', 'recordVersion', 'recordPayload', 'idempotencyKey']);
  });

  /** The dead letter an invalid-events rule writes for an event: `{reason, event}`. */
  function deadLetterOf(rule: Resource, event: unknown): { reason: string; event: unknown } {
    return JSON.parse(evaluateInputTransformer(ruleProps(rule).Targets[0]!.InputTransformer!, event)) as { reason: string; event: unknown };
  }

  it.each([['record-event-missing-version.json'], ['record-event-object-id.json']])('sends %s to the invalid-events queue only, with the event and a reason', (file) => {
    // Arrange
    const event = fixtureEvent(file);

    // Act
    const forwarded = forwardRules.filter(([, rule]) => matchesPattern(ruleProps(rule).EventPattern, event));
    const invalid = invalidRules.filter(([, rule]) => matchesPattern(ruleProps(rule).EventPattern, event));

    // Assert
    expect(forwarded).toEqual([]);
    expect(invalid.map(([id]) => id)).toEqual([expect.stringMatching(/^DirectForwardingInvalidmissingfield/)]);
    const [, rule] = invalid[0]!;
    expect(ruleProps(rule).Targets[0]).toMatchObject({ Arn: { 'Fn::GetAtt': [invalidQueueId, 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [failedId, 'Arn'] } } });
    expect(deadLetterOf(rule, event)).toEqual({ reason: expect.stringContaining('mandatory detail field'), event });
  });

  it.each([
    ['tenantId', 'acme|eu'],
    ['database', 'billing%2Din'],
    ['collection', 'in"voices'],
    ['recordId', 'INV\\1'],
    ['recordVersion', 'x","idempotencyKey":"victim'],
  ])('routes an event whose %s the transformer cannot key (%j) to the invalid-events queue, naming the field', (field, value) => {
    // Arrange
    const event = fixtureEvent('record-event-minimal.json');
    event.detail[field] = value;

    // Act
    const forwarded = forwardRules.filter(([, rule]) => matchesPattern(ruleProps(rule).EventPattern, event));
    const invalid = invalidRules.filter(([, rule]) => matchesPattern(ruleProps(rule).EventPattern, event));

    // Assert
    expect(forwarded).toEqual([]);
    expect(invalid).toHaveLength(1);
    expect(deadLetterOf(invalid[0]![1], event)).toEqual({ reason: expect.stringMatching(new RegExp(`^detail\\.${field} contains one of`)), event });
  });

  it('forwards an event that brings its own idempotencyKey whatever its identity fields hold', () => {
    // Arrange
    const event = fixtureEvent('record-event-minimal.json');
    Object.assign(event.detail, { recordId: 'a|b"c\\d%e', idempotencyKey: 'producer-key-1' });

    // Act
    const forwarded = forwardRules.filter(([, rule]) => matchesPattern(ruleProps(rule).EventPattern, event));

    // Assert
    expect(forwarded).toHaveLength(1);
    expect(invalidRules.filter(([, rule]) => matchesPattern(ruleProps(rule).EventPattern, event))).toEqual([]);
    const body = JSON.parse(evaluateInputTransformer(ruleProps(forwarded[0]![1]).Targets[0]!.InputTransformer!, event)) as Record<string, unknown>;
    expect(body).toMatchObject({ recordId: 'a|b"c\\d%e', idempotencyKey: 'producer-key-1' });
  });

  it('ignores events of another detail-type', () => {
    const event = { ...fixtureEvent('record-event-full.json'), 'detail-type': 'Invoice Paid' };
    expect([...forwardRules, ...invalidRules].filter(([, rule]) => matchesPattern(ruleProps(rule).EventPattern, event))).toEqual([]);
  });

  it('writes no secret value anywhere in the cloud assembly', () => {
    const text = assemblyText(synthesized.outdir);
    const keyValues = [...text.matchAll(/"ApiKeyValue":\s*"([^"]*)"/g)].map((m) => m[1]);
    expect(keyValues.length).toBeGreaterThan(0);
    expect(new Set(keyValues)).toEqual(new Set(['{{resolve:secretsmanager:certyo/api-key:SecretString:apiKey::}}']));
    expect(text).not.toMatch(/SecretString"?\s*:\s*"/);
  });
});

describe('DirectForwarding construct', () => {
  it('accepts only the configured sources and uses the configured rate limit', () => {
    // Arrange
    const s = testStack({ 'certyo:eventSources': ['billing.invoices'], 'certyo:apiDestination.rateLimitPerSecond': 5 });

    // Act
    new DirectForwarding(s.stack, 'Direct', { config: s.config, bus: s.bus, connection: s.connection, operations: s.operations });
    const template = Template.fromStack(s.stack);

    // Assert
    template.hasResourceProperties('AWS::Events::ApiDestination', { InvocationRateLimitPerSecond: 5 });
    const rules = ofType(template, 'AWS::Events::Rule', /^DirectForward/).map(([, r]) => ruleProps(r));
    const event = fixtureEvent('record-event-full.json');
    expect(rules.filter((r) => matchesPattern(r.EventPattern, event))).toHaveLength(1);
    expect(rules.filter((r) => matchesPattern(r.EventPattern, { ...event, source: 'crm' }))).toHaveLength(0);
  });

  it('starts a verification for exactly the events it forwards, with one rule', () => {
    // Arrange
    const s = testStack();
    const verification = new FakeVerification(s.stack);

    // Act
    new DirectForwarding(s.stack, 'Direct', { config: s.config, bus: s.bus, connection: s.connection, operations: s.operations, verification });
    const template = Template.fromStack(s.stack);

    // Assert
    const queueId = s.stack.getLogicalId(verification.queue.node.defaultChild as never);
    const forward = ofType(template, 'AWS::Events::Rule', /^DirectForward/).map(([, r]) => ruleProps(r));
    const [, verify] = single(template, 'AWS::Events::Rule', /^DirectVerifyForwarded/);
    expect(ruleProps(verify).Targets.map((t) => t.Arn)).toEqual([{ 'Fn::GetAtt': [queueId, 'Arn'] }]);
    for (const rule of forward) expect(rule.Targets).toHaveLength(1);
    const samples = [...subsets.map(eventWith), fixtureEvent('record-event-missing-version.json'), fixtureEvent('record-event-object-id.json')];
    for (const event of samples) {
      const forwarded = forward.some((rule) => matchesPattern(rule.EventPattern, event));
      expect(matchesPattern(ruleProps(verify).EventPattern, event)).toBe(forwarded);
    }
  });

  it.each([
    [{ retryAttempts: 186 }, 'retryAttempts must be a whole number from 0 to 185, got 186'],
    [{ maxEventAge: Duration.hours(25) }, 'maxEventAge must be from 1 minute to 24 hours, got 90000 seconds'],
  ])('rejects %p naming the prop', (props, message) => {
    const s = testStack();
    expect(() => new DirectForwarding(s.stack, 'Direct', { config: s.config, bus: s.bus, connection: s.connection, operations: s.operations, ...props })).toThrow(message);
  });

  it('refuses a tenant id that would be read as a template variable', () => {
    const s = testStack({ 'certyo:tenantId': 'acme<tenant>' });
    expect(() => new DirectForwarding(s.stack, 'Direct', { config: s.config, bus: s.bus, connection: s.connection, operations: s.operations })).toThrow(
      'tenantId must not contain "<" or ">"',
    );
  });
});
