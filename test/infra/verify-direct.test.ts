/**
 * Direct mode honours `certyo:verify.policy`: the verification rule's queue feeds the
 * verify-starter Lambda, whose environment carries the policy the shared starter applies
 * (test/unit/verify-starter.test.ts runs it per policy).
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Rule } from 'aws-cdk-lib/aws-events';
import { DIRECT_BATCH_SIZE, VerifyRecordWorkflow } from '../../lib/constructs/verify-record-workflow';
import { testStack } from './forwarding-support';

function directWorkflow(policy: string) {
  const s = testStack({ 'certyo:verify.policy': policy, 'certyo:forwardingMode': 'direct' });
  const workflow = new VerifyRecordWorkflow(s.stack, 'Verification', { config: s.config, connection: s.connection, operations: s.operations });
  new Rule(s.stack, 'VerifyForwarded', { eventBus: s.bus, eventPattern: { detailType: ['Certyo Record'] }, targets: [workflow.ruleTarget()] });
  return { ...s, workflow, template: Template.fromStack(s.stack) };
}

describe.each(['all', 'sample:0.01', 'batch'])('direct mode with certyo:verify.policy = %s', (policy) => {
  const { workflow, template, stack } = directWorkflow(policy);
  const starter = workflow.directStarter;
  const id = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);

  it('gives the starter Lambda the policy and the state machine, and lets it start executions of that machine only', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ VERIFY_POLICY: policy, VERIFY_STATE_MACHINE_ARN: { Ref: id(workflow.stateMachine) }, CERTYO_TENANT_ID: Match.anyValue() }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'states:StartExecution', Resource: { Ref: id(workflow.stateMachine) } })]) },
    });
  });

  it('feeds it full batches from the verification queue: 1,000 events or 5 minutes, at most 2 pollers', () => {
    expect(starter).toBeDefined();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [id(starter?.queue as never), 'Arn'] },
      BatchSize: DIRECT_BATCH_SIZE,
      MaximumBatchingWindowInSeconds: 300,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('dead-letters undeliverable events and abandoned batches, each with an alarm', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [id(starter?.startFailures.queue as never), 'Arn'] }, maxReceiveCount: 5 },
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 600,
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ DeadLetterConfig: { Arn: { 'Fn::GetAtt': [id(starter?.deliveryFailures.queue as never), 'Arn'] } }, RetryPolicy: { MaximumRetryAttempts: 185 } })],
    });
    expect([starter?.deliveryFailures.alarm, starter?.startFailures.alarm].every(Boolean)).toBe(true);
  });
});
