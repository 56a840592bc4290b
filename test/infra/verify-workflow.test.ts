import * as fs from 'node:fs';
import { App, CfnElement, SecretValue, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Authorization, Connection, EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { loadConfig } from '../../lib/config';
import { OperationsTopic } from '../../lib/constructs/operations-topic';
import { VERIFY_RECORD_ASL, VerifyRecordWorkflow, workflowWriteBackAttributes, worstCaseWaitSeconds } from '../../lib/constructs/verify-record-workflow';
import { formatFindings, Synthesized, synth } from '../helpers/synth';

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
type AslState = Record<string, unknown> & { Retry?: Record<string, unknown>[] };

function logicalIdOf(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** The verification state machine's definition with its substitutions applied, as Step Functions will run it. */
function deployedDefinition(template: Template): { States: Record<string, AslState> } {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine', { Properties: { DefinitionSubstitutions: { WaitSeconds: Match.anyValue() } } }));
  const props = machine?.Properties as { DefinitionString: string; DefinitionSubstitutions: Record<string, unknown> };
  const text = props.DefinitionString.replace(/\$\{(\w+)\}/g, (m, name: string) => {
    const value = props.DefinitionSubstitutions[name];
    return typeof value === 'string' ? value : m;
  });
  return JSON.parse(text) as { States: Record<string, AslState> };
}

function rolePolicyStatements(template: Template, roleId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('verification workflow in the pipeline stack (default configuration)', () => {
  let synthesized: Synthesized;
  let template: Template;
  let workflow: VerifyRecordWorkflow;
  const idOf = (construct: IConstruct) => logicalIdOf(synthesized.pipeline, construct);

  beforeAll(() => {
    synthesized = synth();
    template = synthesized.template('CertyoPipelineStack');
    workflow = synthesized.pipeline.verification as VerifyRecordWorkflow;
  });

  it('is a STANDARD state machine with X-Ray and ERROR logging without execution data', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ERROR', IncludeExecutionData: false }),
      DefinitionSubstitutions: Match.objectLike({ WaitSeconds: '120', PollIntervalSeconds: '10', MaxAttempts: '10', HorizonSeconds: '7200', MetricsNamespace: 'Certyo', ApiUrl: 'https://www.certyos.com' }),
    });
  });

  it('has no ${...} in its definition that CloudFormation could not substitute (cfn-lint E1029)', () => {
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine', { Properties: { DefinitionSubstitutions: { WaitSeconds: Match.anyValue() } } }));
    const props = machine?.Properties as { DefinitionString: string; DefinitionSubstitutions: Record<string, unknown> };
    const placeholders = [...JSON.stringify(props.DefinitionString).matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1] as string);

    expect(placeholders.length).toBeGreaterThan(0);
    expect(placeholders.filter((name) => !(name in props.DefinitionSubstitutions))).toEqual([]);
  });

  it('waits 120 seconds before the first verification, within a 2-hour horizon', () => {
    const { States } = deployedDefinition(template);

    expect(States.Initialize).toMatchObject({ Parameters: { pause: { seconds: 120, endsAt: 120 }, clock: { elapsed: 0, horizon: 7200 } } });
    expect(States.Pause).toMatchObject({ Type: 'Wait', SecondsPath: '$.pause.seconds', Next: 'Tick' });
  });

  it('may put the outcome metric only into its own namespace', () => {
    const roleId = logicalIdOf(synthesized.pipeline, workflow.stateMachine.role);
    const statements = rolePolicyStatements(template, roleId).filter((s) => actionsOf(s).includes('cloudwatch:PutMetricData'));

    expect(statements).toEqual([expect.objectContaining({ Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'Certyo' } } })]);
  });

  it('verifies with an HTTP task authenticated by the Certyo connection', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionSubstitutions: Match.objectLike({ ConnectionArn: synthesized.pipeline.resolve(synthesized.pipeline.connection.connectionArn) }),
    });
    expect(deployedDefinition(template).States.Verify).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::http:invoke',
      Parameters: { ApiEndpoint: 'https://www.certyos.com/api/v1/verify/record', Method: 'POST', Authentication: { ConnectionArn: '${ConnectionArn}' } },
    });
  });

  it('turns 429 and 5xx into pauses (caught, not retried) and other errors into an unverified outcome', () => {
    const verify = deployedDefinition(template).States.Verify as AslState;

    expect(verify.Retry).toBeUndefined();
    expect(verify.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['States.Http.StatusCode.404'], Next: 'NotFound' }),
      expect.objectContaining({ ErrorEquals: ['States.Http.StatusCode.429'], Next: 'RateLimited' }),
      expect.objectContaining({ ErrorEquals: expect.arrayContaining(['States.Http.StatusCode.500', 'States.Http.StatusCode.503', 'States.Http.Socket']), Next: 'Unavailable' }),
      expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'CallFailed' }),
    ]);
  });

  it('may invoke only Certyo /api/v1 endpoints, read only this connection and its secret, publish only to the topic', () => {
    const roleId = idOf(workflow.stateMachine.role);
    const machineId = idOf(workflow.stateMachine);
    const connection = synthesized.pipeline.connection;
    const topicId = idOf(workflow.notifications);
    const statements = rolePolicyStatements(template, roleId);

    expect(statements.filter((s) => actionsOf(s).includes('states:InvokeHTTPEndpoint'))).toEqual([
      expect.objectContaining({
        Resource: { Ref: machineId },
        Condition: { StringLike: { 'states:HTTPEndpoint': 'https://www.certyos.com/api/v1/*' }, StringEquals: { 'states:HTTPMethod': ['GET', 'POST'] } },
      }),
    ]);
    expect(statements.filter((s) => actionsOf(s).includes('events:RetrieveConnectionCredentials'))).toEqual([
      expect.objectContaining({ Resource: synthesized.pipeline.resolve(connection.connectionArn) }),
    ]);
    expect(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')))).toEqual([
      expect.objectContaining({ Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: synthesized.pipeline.resolve(connection.connectionSecretArn) }),
    ]);
    expect(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sns:')))).toEqual([expect.objectContaining({ Action: 'sns:Publish', Resource: { Ref: topicId } })]);
    // PutMetricData is the one other wildcard, held to the namespace by condition (tested below).
    expect(statements.filter((s) => s.Resource === '*' && !s.Condition).flatMap(actionsOf).every((a) => a.startsWith('xray:') || a.startsWith('logs:'))).toBe(true);
  });

  it('may not touch any DynamoDB table while certyo:dynamodb.writeBack is off (the default)', () => {
    const statements = rolePolicyStatements(template, idOf(workflow.stateMachine.role));

    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
  });

  it('publishes to a KMS-encrypted (rotated key), SSL-only topic, output as NotificationsTopicArn', () => {
    const topicId = idOf(workflow.notifications);
    const keyId = idOf(workflow.notificationsKey);

    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasOutput('NotificationsTopicArn', { Value: { Ref: topicId } });
    expect(synthesized.pipeline.notifications).toBe(workflow.notifications);
  });

  it('has no unacknowledged cdk-nag finding on the workflow', () => {
    expect(formatFindings(synthesized.findings.filter((f) => f.paths.some((p) => p.includes('/Verification/'))))).toBe('(none)');
  });
});

describe('configuration', () => {
  it('creates no workflow, topic or output when certyo:verify.policy is none', () => {
    const { pipeline, template } = synth({ 'certyo:verify.policy': 'none' });

    expect(pipeline.verification).toBeUndefined();
    expect(Object.keys(template('CertyoPipelineStack').findOutputs('NotificationsTopicArn'))).toEqual([]);
    template('CertyoPipelineStack').resourcePropertiesCountIs('AWS::StepFunctions::StateMachine', { DefinitionSubstitutions: Match.anyValue() }, 0);
  });

  it('fails synth naming certyo:verify.workflowType when EXPRESS cannot fit the horizon in 5 minutes', () => {
    expect(() => synth({ 'certyo:verify.workflowType': 'EXPRESS' })).toThrow(/certyo:verify\.workflowType = "EXPRESS".*horizonSeconds \(7200\).*14400 s/);
  });

  it('builds an EXPRESS workflow when twice the horizon fits in 5 minutes', () => {
    const { template } = synth({ 'certyo:verify.workflowType': 'EXPRESS', 'certyo:verify.waitSeconds': 60, 'certyo:verify.horizonSeconds': 150 });

    template('CertyoPipelineStack').hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'EXPRESS', DefinitionSubstitutions: Match.objectLike({ WaitSeconds: '60', HorizonSeconds: '150' }) });
  });

  it('fails synth when the anchoring wait is not shorter than the horizon', () => {
    expect(() => synth({ 'certyo:verify.waitSeconds': 600, 'certyo:verify.horizonSeconds': 600 })).toThrow(/certyo:verify\.waitSeconds \(600\) must be shorter than certyo:verify\.horizonSeconds \(600\)/);
  });

  it('counts the worst case as twice the horizon (a retried snapshot gets a second one)', () => {
    expect(worstCaseWaitSeconds(7200)).toBe(14_400);
  });
});

describe('write-back grant (certyo:dynamodb.writeBack)', () => {
  const onlyStatus = (keys: string[]) => ({
    'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...keys, 'certyo_record_hash', 'certyo_status', 'certyo_tx_hash', 'certyo_verified_at'] },
    StringEquals: { 'dynamodb:ReturnValues': 'NONE' },
  });
  const updateItemStatements = (synthesized: Synthesized) => {
    const workflow = synthesized.pipeline.verification as VerifyRecordWorkflow;
    const roleId = logicalIdOf(synthesized.pipeline, workflow.stateMachine.role);
    return rolePolicyStatements(synthesized.template('CertyoPipelineStack'), roleId).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
  };

  it('lets the workflow update only the demo table, and nag stays clean', () => {
    const synthesized = synth({ 'certyo:dynamodb.writeBack': true });
    const demoTableId = logicalIdOf(synthesized.pipeline, synthesized.pipeline.dynamoDbIngest?.demoTable as IConstruct);

    expect(updateItemStatements(synthesized)).toEqual([
      expect.objectContaining({ Action: 'dynamodb:UpdateItem', Resource: { 'Fn::GetAtt': [demoTableId, 'Arn'] }, Condition: onlyStatus(['pk']) }),
    ]);
    expect(formatFindings(synthesized.findings)).toBe('(none)');
  });

  it('lets the workflow update exactly the configured tables (their ARNs, not their streams)', () => {
    const synthesized = synth({
      'certyo:dynamodb.writeBack': true,
      'certyo:dynamodb.tables': [
        { tableName: 'orders', streamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-04-01T08:00:00.000', keyAttributes: ['pk', 'sk'] },
        { tableName: 'sessions', streamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/sessions/stream/2026-03-01T00:00:00.000', keyAttributes: ['id'] },
      ],
    });

    expect(updateItemStatements(synthesized)).toEqual([
      expect.objectContaining({ Action: 'dynamodb:UpdateItem', Resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders', Condition: onlyStatus(['pk', 'sk']) }),
      expect.objectContaining({ Action: 'dynamodb:UpdateItem', Resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/sessions', Condition: onlyStatus(['id']) }),
    ]);
  });

  it("grants exactly the attributes the workflow's UpdateItem task names", () => {
    expect(workflowWriteBackAttributes(fs.readFileSync(VERIFY_RECORD_ASL, 'utf8'))).toEqual(['certyo_record_hash', 'certyo_status', 'certyo_tx_hash', 'certyo_verified_at']);
    // A task that names an attribute the grant would not know is refused at synth.
    const unnamed = { States: { W: { Resource: 'arn:aws:states:::dynamodb:updateItem', Parameters: { UpdateExpression: 'SET other = :v', Count: '${N}' } } } };
    expect(() => workflowWriteBackAttributes(JSON.stringify(unnamed))).toThrow(
      'an updateItem task must name its attributes in ExpressionAttributeNames',
    );
  });

  it('refuses a grant that names no table', () => {
    const stack = new Stack(new App(), 'NoTables');
    const config = loadConfig({ 'certyo:tenantId': 'acme' });
    const connection = Connection.fromEventBusArn(stack, 'C', 'arn:aws:events:eu-west-1:123456789012:connection/c/1', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:events!connection/c/1-abc');
    const workflow = new VerifyRecordWorkflow(stack, 'V', { config, connection, operations: new OperationsTopic(stack, 'Ops') });

    expect(() => workflow.grantWriteBack()).toThrow(/grantWriteBack: tables must name at least one table/);
  });
});

describe('IVerificationTarget', () => {
  function standalone(policy = 'all') {
    const stack = new Stack(new App(), 'Standalone');
    const config = loadConfig({ 'certyo:tenantId': 'acme', 'certyo:verify.policy': policy });
    const connection = new Connection(stack, 'Connection', {
      authorization: Authorization.apiKey('X-API-Key', SecretValue.secretsManager('certyo/api-key', { jsonField: 'apiKey' })),
    });
    const workflow = new VerifyRecordWorkflow(stack, 'Verification', { config, connection, operations: new OperationsTopic(stack, 'Operations') });
    return { stack, workflow };
  }

  it('grantStartTo lets a function start executions of this state machine only and tells it the policy', () => {
    const { stack, workflow } = standalone('sample:0.05');
    const fn = new LambdaFunction(stack, 'Ingest', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => {}') });

    workflow.grantStartTo(fn);

    const template = Template.fromStack(stack);
    const machineId = logicalIdOf(stack, workflow.stateMachine);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { VERIFY_STATE_MACHINE_ARN: { Ref: machineId }, VERIFY_POLICY: 'sample:0.05' } },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: machineId } }] },
    });
  });

  it('ruleTarget queues the whole event for the verify-starter, retries 24 h and dead-letters to alarmed queues', () => {
    const { stack, workflow } = standalone();

    new Rule(stack, 'Forward', { eventBus: new EventBus(stack, 'Bus'), eventPattern: { detailType: ['Certyo Record'] }, targets: [workflow.ruleTarget()] });

    const template = Template.fromStack(stack);
    const directQueueId = logicalIdOf(stack, workflow.directStarter?.queue as IConstruct);
    const queueId = logicalIdOf(stack, workflow.ruleTargetDeadLetterQueue?.queue as IConstruct);
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [directQueueId, 'Arn'] },
          InputPath: Match.absent(),
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        }),
      ],
    });
    // Events EventBridge could not queue, and batches whose starts kept failing.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
  });

  it('warns at synth that an http:// API URL cannot be called by deployed HTTP Tasks', () => {
    const stack = new Stack(new App(), 'Local');
    const config = loadConfig({ 'certyo:tenantId': 'acme', 'certyo:apiUrl': 'http://127.0.0.1:4010' });
    const connection = Connection.fromEventBusArn(stack, 'C', 'arn:aws:events:eu-west-1:123456789012:connection/c/1', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:events!connection/c/1-abc');

    new VerifyRecordWorkflow(stack, 'V', { config, connection, operations: new OperationsTopic(stack, 'Ops') });

    Annotations.fromStack(stack).hasWarning('/Local/V', Match.stringLikeRegexp('HTTPS endpoints only'));
  });

  it('rejects an API URL with a path, naming the setting', () => {
    const stack = new Stack(new App(), 'Bad');
    const config = { ...loadConfig({ 'certyo:tenantId': 'acme' }), apiUrl: 'https://www.certyos.com/api' };
    const connection = Connection.fromEventBusArn(stack, 'C', 'arn:aws:events:eu-west-1:123456789012:connection/c/1', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:events!connection/c/1-abc');

    expect(() => new VerifyRecordWorkflow(stack, 'V', { config, connection, operations: new OperationsTopic(stack, 'Ops') })).toThrow(/config\.apiUrl/);
  });
});
