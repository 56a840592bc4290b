import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { loadConfig } from '../../lib/config';
import { OperationsTopic } from '../../lib/constructs/operations-topic';
import { S3_INGEST_MEMORY_MB, S3Ingest, S3IngestProps } from '../../lib/constructs/s3-ingest';
import { heapOptions } from '../../lib/constructs/certyo-function';
import { formatFindings, NagFinding, projectContext, synth } from '../helpers/synth';

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string };

/** The statements of the s3-ingest function's own policy. */
function functionStatements(template: Template): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('^S3IngestFunctionServiceRoleDefaultPolicy') } });
  return Object.values(policies).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const logicalId = (template: Template, type: string, pattern: RegExp): string => {
  const ids = Object.keys(template.findResources(type)).filter((id) => pattern.test(id));
  if (ids.length !== 1) throw new Error(`expected one ${type} matching ${pattern}, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
};

/** Findings on this construct and on CDK's bucket-notifications handler it brings in. */
function ownFindings(findings: readonly NagFinding[]): NagFinding[] {
  return findings.filter((f) => f.paths.some((p) => p.includes('/S3Ingest/') || p.includes('/BucketNotificationsHandler')));
}

describe('S3Ingest with the bucket the stack creates', () => {
  const synthesized = synth();
  const template = synthesized.template('CertyoPipelineStack');

  it('is cdk-nag clean', () => {
    expect(formatFindings(ownFindings(synthesized.findings))).toBe('(none)');
  });
  const bucket = logicalId(template, 'AWS::S3::Bucket', /^S3IngestBucket[0-9A-F]{8}$/);
  const logs = logicalId(template, 'AWS::S3::Bucket', /^S3IngestAccessLogs/);
  const queue = logicalId(template, 'AWS::SQS::Queue', /^S3IngestQueue[0-9A-F]{8}$/);
  const failed = logicalId(template, 'AWS::SQS::Queue', /^S3IngestFailedMessagesQueue/);
  const rejected = logicalId(template, 'AWS::SQS::Queue', /^S3IngestRejectedRecordsQueue/);

  it('creates an encrypted, versioned, private bucket that logs access to a second bucket', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: logs }, LogFilePrefix: 'ingest-bucket/' },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('grants S3 log delivery by bucket policy, not by ACL (cdk.json serverAccessLogsUseBucketPolicy)', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logs },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' })]),
      },
    });
    expect(template.toJSON().Resources[logs].Properties.AccessControl).toBeUndefined();
  });

  it('sends every ObjectCreated notification of the bucket to the ingest queue', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: bucket },
      NotificationConfiguration: { QueueConfigurations: [{ Events: ['s3:ObjectCreated:*'], QueueArn: { 'Fn::GetAtt': [queue, 'Arn'] } }] },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: Match.arrayWith(['sqs:SendMessage']), Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucket, 'Arn'] } } } }),
        ]),
      },
    });
  });

  it('encrypts the queue and moves a message to the failed-messages queue after 5 deliveries', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 1802,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [failed, 'Arn'] }, maxReceiveCount: 5 },
    });
  });

  it('invokes the s3-ingest Lambda from the queue with up to 100 files gathered for 2 s (they share bulk requests), partial batch responses and bounded concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 2,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Streams S3 objects into Certyo bulk requests',
      Timeout: 300,
      Environment: {
        Variables: Match.objectLike({
          INGEST_QUEUE_URL: { Ref: queue },
          REJECTED_QUEUE_URL: { Ref: rejected },
          RECORD_ID_FIELD: 'id',
          CERTYO_SECRET_ARN: 'certyo/api-key',
          // The default policy (`all`) verifies accepted records.
          VERIFY_STATE_MACHINE_ARN: Match.anyValue(),
        }),
      },
    });
  });

  it('deploys the function at its measured memory size, with V8 heap limits for that size and no source-map support', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: S3_INGEST_MEMORY_MB,
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 's3-ingest', NODE_OPTIONS: heapOptions(S3_INGEST_MEMORY_MB) }) },
    });
    expect(heapOptions(S3_INGEST_MEMORY_MB)).not.toMatch(/enable-source-maps/);
  });

  it('alarms when the ingest queue\'s oldest message is older than 6 hours', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      Threshold: 21600,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^OperationsTopic') }],
    });
  });

  it('alarms on both dead-letter queues', () => {
    for (const dlq of [failed, rejected]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
        Threshold: 0,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^OperationsTopic') }],
      });
    }
  });

  it('lets the function read only the ingest bucket and send only to its own queue and the rejected-records queue', () => {
    const statements = functionStatements(template);
    const s3 = statements.filter((s) => actions(s).some((a) => a.startsWith('s3:')));
    const sqsSend = statements.filter((s) => actions(s).includes('sqs:SendMessage'));

    expect(s3).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/*']] } },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [bucket, 'Arn'] } },
    ]);
    expect(sqsSend.map((s) => s.Resource)).toEqual(expect.arrayContaining([{ 'Fn::GetAtt': [queue, 'Arn'] }, { 'Fn::GetAtt': [rejected, 'Arn'] }]));
    expect(sqsSend).toHaveLength(2);
    const wildcard = statements.filter((s) => s.Resource === '*').flatMap(actions);
    expect(wildcard.every((a) => a.startsWith('xray:'))).toBe(true);
  });
});

describe('S3Ingest with an existing bucket and filters', () => {
  const overrides = { 'certyo:s3.bucketName': 'existing-bucket', 'certyo:s3.prefix': 'incoming/', 'certyo:s3.suffix': '.ndjson', 'certyo:s3.recordIdField': 'order.id' };
  const synthesized = synth(overrides);
  const template = synthesized.template('CertyoPipelineStack');

  it('creates no bucket and filters notifications by prefix and suffix', () => {
    expect(Object.keys(template.findResources('AWS::S3::Bucket')).filter((id) => id.startsWith('S3Ingest'))).toEqual([]);
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: 'existing-bucket',
      NotificationConfiguration: {
        QueueConfigurations: [
          Match.objectLike({ Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.ndjson' }, { Name: 'prefix', Value: 'incoming/' }] } } }),
        ],
      },
    });
  });

  it('reads only objects under the prefix and lists only that prefix', () => {
    const s3 = functionStatements(template).filter((s) => actions(s).some((a) => a.startsWith('s3:')));
    const arn = (suffix: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::existing-bucket${suffix}`]] });

    expect(s3).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: arn('/incoming/*') },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: arn(''), Condition: { StringLike: { 's3:prefix': ['incoming/*'] } } },
    ]);
  });

  it('passes the configured record id field to the function', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ RECORD_ID_FIELD: 'order.id' }) } });
  });

  it('is cdk-nag clean', () => {
    expect(formatFindings(ownFindings(synthesized.findings))).toBe('(none)');
  });
});

describe('S3Ingest configuration', () => {
  it('is not created when certyo:s3.enabled is false', () => {
    const { pipeline } = synth({ 'certyo:s3.enabled': false });

    expect(pipeline.s3Ingest).toBeUndefined();
    expect(pipeline.node.tryFindChild('S3Ingest')).toBeUndefined();
  });

  it('exposes its resources for monitoring', () => {
    const { pipeline } = synth();

    expect(pipeline.s3Ingest?.function.node.id).toBe('Function');
  });

  function build(props: Partial<S3IngestProps>, context: Record<string, unknown> = {}): () => S3Ingest {
    return () => {
      const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
      return new S3Ingest(stack, 'Ingest', {
        config: loadConfig(projectContext(context)),
        apiKeySecret: Secret.fromSecretNameV2(stack, 'Key', 'certyo/api-key'),
        operations: new OperationsTopic(stack, 'Ops'),
        ...props,
      });
    };
  }

  it.each([
    [{ timeout: Duration.seconds(10) }, /S3Ingest Ingest: timeout must be from 30 seconds to 15 minutes, got 10 seconds/],
    [{ batchSize: 10_001 }, /batchSize must be a whole number from 1 to 10000, got 10001/],
    [{ batchSize: 11, batchWindow: Duration.seconds(0) }, /batchWindow must be at least 1 second when batchSize is above 10/],
    [{ maxConcurrency: 1 }, /maxConcurrency must be a whole number from 2 to 1000, got 1/],
    [{ maxReceiveCount: 0 }, /maxReceiveCount must be a whole number from 1 to 1000, got 0/],
  ])('rejects %o with an error naming the prop', (props, message) => {
    expect(build(props)).toThrow(message);
  });

  it('rejects a wildcard prefix, naming the setting', () => {
    expect(build({}, { 'certyo:s3.prefix': 'in/*' })).toThrow(/config\.s3\.prefix must be a literal key prefix, got "in\/\*"/);
  });

  it('grants the verification workflow to the function when given one', () => {
    const granted: string[] = [];
    const ingest = build({ verification: { grantStartTo: (fn) => granted.push(fn.node.path), ruleTarget: () => { throw new Error('not used'); } } })();

    expect(granted).toEqual([ingest.function.node.path]);
  });
});
