import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { loadConfig } from '../../lib/config';
import { DDB_INGEST_MEMORY_MB, DynamoDbIngest, DynamoDbIngestProps } from '../../lib/constructs/dynamodb-ingest';
import { heapOptions } from '../../lib/constructs/certyo-function';
import { OperationsTopic } from '../../lib/constructs/operations-topic';
import { formatFindings, projectContext, synth } from '../helpers/synth';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** The statements of the ddb-ingest function's own policy. */
function functionStatements(template: Template): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('^DynamoDbIngestFunctionServiceRoleDefaultPolicy') } });
  return Object.values(policies).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
/** Statements on the key's shared rate budget record (checked on their own below). */
const onRateBudget = (s: Statement): boolean => JSON.stringify(s.Resource).includes('RateBudget');
const dynamodbStatements = (template: Template) => functionStatements(template).filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')) && !onRateBudget(s));
const logicalId = (template: Template, type: string, pattern: RegExp): string => {
  const ids = Object.keys(template.findResources(type)).filter((id) => pattern.test(id));
  if (ids.length !== 1) throw new Error(`expected one ${type} matching ${pattern}, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
};

const STREAM_ACTIONS = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];

describe('DynamoDbIngest with the demo table', () => {
  const synthesized = synth();
  const template = synthesized.template('CertyoPipelineStack');
  const table = logicalId(template, 'AWS::DynamoDB::Table', /^DynamoDbIngestDemoTable/);
  const dlq = logicalId(template, 'AWS::SQS::Queue', /^DynamoDbIngestFailedRecordsQueue/);
  const fn = logicalId(template, 'AWS::Lambda::Function', /^DynamoDbIngestFunction[0-9A-F]{8}$/);

  it('creates a table with a NEW_AND_OLD_IMAGES stream, point-in-time recovery, KMS encryption and TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('maps the stream to the function in order, with partial batch failures, bisection, bounded retries, 24 h and the on-failure queue', () => {
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: { Ref: fn } } }));
    expect(mappings).toHaveLength(1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fn },
      EventSourceArn: { 'Fn::GetAtt': [table, 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 20,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 300,
      MaximumRecordAgeInSeconds: 86400,
      ParallelizationFactor: 1,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlq, 'Arn'] } } },
    });
  });

  it('encrypts the on-failure queue, keeps messages 14 days and alarms on the first one', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^OperationsTopic') }],
    });
  });

  it('gives the function the dead-letter queue, the database and the TTL and write-back policies', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Ingests DynamoDB stream changes into Certyo bulk requests',
      Timeout: 300,
      MemorySize: DDB_INGEST_MEMORY_MB,
      Environment: {
        Variables: Match.objectLike({
          NODE_OPTIONS: heapOptions(DDB_INGEST_MEMORY_MB),
          DEAD_LETTER_QUEUE_URL: { Ref: dlq },
          CERTYO_DATABASE: 'dynamodb',
          TTL_DELETES: 'ingest',
          WRITE_BACK: 'false',
          CERTYO_SECRET_ARN: 'certyo/api-key',
        }),
      },
    });
  });

  it('lets the function read and compare-and-set only the rate budget record, by its table ARN', () => {
    const budget = functionStatements(template).filter(onRateBudget);
    const budgetTable = logicalId(template, 'AWS::DynamoDB::Table', /^RateBudgetTable/);
    expect(budget).toEqual([{ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: { 'Fn::GetAtt': [budgetTable, 'Arn'] } }]);
    // The default shares (700 ingest, 100 verification, 200 proxy of 1,000) and 12 lending minutes.
    const policy = JSON.stringify({ shares: { ingest: 0.7, verification: 0.1, apiProxy: 0.2 }, lendingFraction: 0.2 });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ CERTYO_BUDGET_TABLE: { Ref: budgetTable }, CERTYO_BUDGET_POLICY: policy }) } });
    template.hasResourceProperties('AWS::DynamoDB::Table', { BillingMode: 'PAY_PER_REQUEST', TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } });
  });

  it('lets the function read only the demo stream, write nothing to the table, and send only to its dead-letter queue', () => {
    const statements = functionStatements(template);
    expect(dynamodbStatements(template)).toEqual([{ Effect: 'Allow', Action: STREAM_ACTIONS, Resource: { 'Fn::GetAtt': [table, 'StreamArn'] } }]);
    const sqsSend = statements.filter((s) => actions(s).includes('sqs:SendMessage'));
    expect(sqsSend.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [dlq, 'Arn'] }]);
    const wildcard = statements.filter((s) => s.Resource === '*').flatMap(actions);
    expect(wildcard.every((a) => a.startsWith('xray:'))).toBe(true);
  });

  it('alarms when the stream consumer falls behind', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^OperationsTopic') }],
      Metrics: [Match.objectLike({ MetricStat: Match.objectLike({ Metric: { Namespace: 'AWS/Lambda', MetricName: 'IteratorAge', Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }] } }) })],
    });
  });

  it('is cdk-nag clean', () => {
    expect(formatFindings(synthesized.findings)).toBe('(none)');
  });
});

describe('DynamoDbIngest with existing tables and write-back', () => {
  const orders = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-04-01T08:00:00.000';
  const sessions = 'arn:aws:dynamodb:eu-west-1:123456789012:table/sessions/stream/2026-03-01T00:00:00.000';
  const synthesized = synth({
    'certyo:dynamodb.tables': [
      { tableName: 'orders', streamArn: orders, keyAttributes: ['pk', 'sk'] },
      { tableName: 'sessions', streamArn: sessions, keyAttributes: ['sessionId'] },
    ],
    'certyo:dynamodb.writeBack': true,
    'certyo:dynamodb.ttlDeletes': 'skip',
    'certyo:dynamodb.database': 'shop',
    'certyo:dynamodb.batchSize': 500,
    'certyo:dynamodb.batchWindowSeconds': 10,
  });
  const template = synthesized.template('CertyoPipelineStack');

  it('creates no table and one mapping per table with the configured batching', () => {
    expect(Object.keys(template.findResources('AWS::DynamoDB::Table')).filter((id) => id.startsWith('DynamoDbIngest'))).toEqual([]);
    for (const arn of [orders, sessions]) {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: arn, BatchSize: 500, MaximumBatchingWindowInSeconds: 10, ParallelizationFactor: 1 });
    }
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')) as { Properties: { EventSourceArn: unknown } }[];
    expect(mappings.filter((m) => typeof m.Properties.EventSourceArn === 'string' && m.Properties.EventSourceArn.includes(':dynamodb:'))).toHaveLength(2);
  });

  it("reads exactly those streams and may update exactly those tables, only the write-back's certyo_* attributes and each table's key, reading nothing back", () => {
    const onlyWriteBack = (keys: string[]) => ({
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...keys, 'certyo_status', 'certyo_record_hash', 'certyo_ingested_at'] },
      StringEquals: { 'dynamodb:ReturnValues': 'NONE' },
    });
    expect(dynamodbStatements(template)).toEqual([
      { Effect: 'Allow', Action: STREAM_ACTIONS, Resource: [orders, sessions] },
      { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders', Condition: onlyWriteBack(['pk', 'sk']) },
      { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/sessions', Condition: onlyWriteBack(['sessionId']) },
    ]);
  });

  it('refuses write-back on a table without keyAttributes, naming both keys', () => {
    expect(() => loadConfig({ ...projectContext(), 'certyo:dynamodb.writeBack': true, 'certyo:dynamodb.tables': [{ tableName: 'orders', streamArn: orders }] })).toThrow(
      'certyo:dynamodb.tables: orders need keyAttributes (["<partition key>", "<sort key>"?]) because certyo:dynamodb.writeBack is true',
    );
  });

  it('passes the database, TTL policy and write-back to the function', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CERTYO_DATABASE: 'shop', TTL_DELETES: 'skip', WRITE_BACK: 'true' }) },
    });
  });

  it('is cdk-nag clean', () => {
    expect(formatFindings(synthesized.findings)).toBe('(none)');
  });
});

describe('DynamoDbIngest switched off', () => {
  it('creates no ddb-ingest function when certyo:dynamodb.enabled is false', () => {
    const template = synth({ 'certyo:dynamodb.enabled': false }).template('CertyoPipelineStack');
    expect(Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => id.startsWith('DynamoDbIngest'))).toEqual([]);
    expect(Object.keys(template.findResources('AWS::Lambda::EventSourceMapping')).filter((id) => id.startsWith('DynamoDbIngest'))).toEqual([]);
  });
});

describe('DynamoDbIngest props', () => {
  function build(overrides: Partial<DynamoDbIngestProps>, context: Record<string, unknown> = {}): Stack {
    const stack = new Stack(new App(), 'Test');
    new DynamoDbIngest(stack, 'Ingest', {
      config: loadConfig(projectContext(context)),
      apiKeySecret: Secret.fromSecretNameV2(stack, 'Key', 'certyo/api-key'),
      operations: new OperationsTopic(stack, 'Ops'),
      ...overrides,
    });
    return stack;
  }

  it('takes a memorySize above the measured default, with heap limits to match', () => {
    Template.fromStack(build({ memorySize: 1024 })).hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1024,
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: heapOptions(1024) }) },
    });
  });

  it.each([
    [{ timeout: Duration.seconds(10) }, 'DynamoDbIngest Ingest: timeout must be from 30 seconds to 15 minutes, got 10 seconds'],
    [{ startingPosition: StartingPosition.AT_TIMESTAMP }, 'startingPosition must be TRIM_HORIZON or LATEST for DynamoDB streams, got AT_TIMESTAMP'],
    [{ retryAttempts: -1 }, 'retryAttempts must be a whole number from 0 to 10000, got -1'],
    [{ memorySize: 64 }, 'memorySize must be a whole number of MB from 128 to 10240, got 64'],
  ])('refuses %j, naming the prop', (overrides, message) => {
    expect(() => build(overrides)).toThrow(message);
  });

  it('refuses a table configured twice, naming config.dynamodb.tables', () => {
    const table = { tableName: 'orders', streamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-04-01T08:00:00.000' };
    expect(() => build({}, { 'certyo:dynamodb.tables': [table, table] })).toThrow('config.dynamodb.tables lists orders more than once');
  });
});
