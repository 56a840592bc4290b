import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { BlockPublicAccess, Bucket, BucketEncryption, CfnBucket, EventType, IBucket } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { CertyoConfig } from '../config';
import { awsManagedPolicyFinding } from '../nag';
import { CertyoFunction } from './certyo-function';
import { RateBudgetTable } from './rate-budget-table';
import { DeadLetterQueue } from './dead-letter-queue';
import { OperationsTopic } from './operations-topic';
import { PropProblems } from './prop-problems';
import { IVerificationTarget } from './verification-target';

/** The notification queue's event source defaults; the latency bench (`bench/latency.ts`) models these. */
export const S3_INGEST_DEFAULTS = { batchSize: 100, batchWindowSeconds: 2, maxConcurrency: 2 } as const;

export interface S3IngestProps {
  /** `s3.bucketName`, `s3.prefix`, `s3.suffix` and `s3.recordIdField` are read from here. */
  readonly config: CertyoConfig;
  /** The Certyo API-key secret; the function may read this secret only. */
  readonly apiKeySecret: ISecret;
  /**
   * The key's shared rate budget, spent with the other paths' functions.
   * @default - this function's client sees only its own responses
   */
  readonly rateBudget?: RateBudgetTable;
  /** Where the dead-letter alarms go. */
  readonly operations: OperationsTopic;
  /**
   * Accepted records are handed to this verification workflow.
   * @default - no verification is started
   */
  readonly verification?: IVerificationTarget;
  /**
   * Lambda timeout. A file that needs longer continues in a new invocation.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Files (SQS messages) per invocation. The files of an invocation share bulk requests, so
   * small files uploaded together fill them (20 files of 150 records: 3 requests, not 20).
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * How long SQS gathers notifications before invoking (needed above 10 per batch): files
   * uploaded together arrive in one invocation, at the cost of this much latency.
   * @default Duration.seconds(2)
   */
  readonly batchWindow?: Duration;
  /**
   * Concurrent invocations. Every invocation spends the same 1,000 requests/hour of the key,
   * so a low value keeps bulk requests full instead of racing each other into the rate limit.
   * @default 2 (the lowest SQS allows)
   */
  readonly maxConcurrency?: number;
  /**
   * Deliveries of a message before it goes to the failed-messages queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Twice the measured peak RSS (`s3.peakRssMb`, flat in the object's size; docs/performance.md),
   * rounded up to 128 MB. Lambda's CPU share grows with memory, so more
   * memory reads a large object faster (at about the same cost per GB-second when CPU-bound).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Alarm when the oldest notification or continuation in the queue is older than this: files
   * wait (rate limit, Certyo failing, or the function failing before it can report).
   * @default Duration.hours(6)
   */
  readonly backlogAgeAlarm?: Duration;
}

/** The s3-ingest function's default memory size (see `S3IngestProps.memorySize`). */
export const S3_INGEST_MEMORY_MB = 256;

/**
 * S3 → Certyo: `ObjectCreated` notifications of a bucket (created here, or an existing one by
 * `certyo:s3.bucketName`) go to an encrypted SQS queue read by the `s3-ingest` Lambda, which
 * streams each object into bulk requests. Messages that keep failing go to a dead-letter queue;
 * records, lines and files that cannot be ingested go, with their reason, to a second one.
 * Both alarm. The function may read only that bucket (and prefix) and send only to its own
 * queue (continuations of large files) and the rejected-records queue.
 */
export class S3Ingest extends Construct {
  public readonly bucket: IBucket;
  /** Server access logs of the created bucket; `undefined` for an existing bucket. */
  public readonly accessLogsBucket?: Bucket;
  public readonly queue: Queue;
  public readonly function: CertyoFunction;
  /** Messages (notifications, continuations) that failed `maxReceiveCount` times. */
  public readonly failedMessages: DeadLetterQueue;
  /** Records, lines and files that could not be ingested, each with its reason. */
  public readonly rejectedRecords: DeadLetterQueue;
  /** The queue's oldest message is older than `backlogAgeAlarm`. */
  public readonly backlogAlarm: Alarm;

  constructor(scope: Construct, id: string, props: S3IngestProps) {
    super(scope, id);
    const s3 = props.config.s3;
    const timeout = props.timeout ?? Duration.minutes(5);
    const batchSize = props.batchSize ?? S3_INGEST_DEFAULTS.batchSize;
    const batchWindow = props.batchWindow ?? Duration.seconds(S3_INGEST_DEFAULTS.batchWindowSeconds);
    const maxConcurrency = props.maxConcurrency ?? S3_INGEST_DEFAULTS.maxConcurrency;
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    validate(id, { timeout, batchSize, batchWindow, maxConcurrency, maxReceiveCount, prefix: s3.prefix });

    if (s3.bucketName) {
      this.bucket = Bucket.fromBucketName(this, 'Bucket', s3.bucketName);
    } else {
      this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
        encryption: BucketEncryption.S3_MANAGED,
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        lifecycleRules: [{ expiration: Duration.days(365) }],
      });
      this.bucket = new Bucket(this, 'Bucket', {
        encryption: BucketEncryption.S3_MANAGED,
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        // Every upload is a new version, and the version id is part of each record's idempotency key.
        versioned: true,
        serverAccessLogsBucket: this.accessLogsBucket,
        serverAccessLogsPrefix: 'ingest-bucket/',
      });
    }

    this.failedMessages = new DeadLetterQueue(this, 'FailedMessages', {
      operations: props.operations,
      purpose: 'S3 notifications or file continuations that the s3-ingest Lambda failed to process repeatedly (see its logs for the error).',
    });
    this.rejectedRecords = new DeadLetterQueue(this, 'RejectedRecords', {
      operations: props.operations,
      purpose: 'Records, lines or whole files from S3 that could not be ingested; ERROR_MESSAGE names the bucket, key, line and reason.',
    });

    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS recommends six times the function timeout plus the batching window, so a message is
      // not redelivered while a throttled invocation is still working on it.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6 + batchWindow.toSeconds()),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.failedMessages.queue, maxReceiveCount },
    });

    this.function = new CertyoFunction(this, 'Function', {
      lambdaName: 's3-ingest',
      config: props.config,
      apiKeySecret: props.apiKeySecret,
      rateBudget: props.rateBudget,
      timeout,
      memorySize: props.memorySize ?? S3_INGEST_MEMORY_MB,
      description: 'Streams S3 objects into Certyo bulk requests',
      environment: {
        INGEST_QUEUE_URL: this.queue.queueUrl,
        REJECTED_QUEUE_URL: this.rejectedRecords.queue.queueUrl,
        RECORD_ID_FIELD: s3.recordIdField,
      },
    });
    const backlogAge = props.backlogAgeAlarm ?? Duration.hours(6);
    this.backlogAlarm = props.operations.alarmOnQueueAge(
      this,
      'BacklogAge',
      this.queue,
      backlogAge,
      `S3 notifications or large-file continuations wait in the ingest queue for more than ${backlogAge.toHumanString()}: the key's 1,000 requests/hour cannot keep up, Certyo fails, or the s3-ingest function fails (see its logs).`,
    );
    this.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize, maxBatchingWindow: batchWindow.toSeconds() > 0 ? batchWindow : undefined, maxConcurrency, reportBatchItemFailures: true }),
    );
    this.grantRead(s3.prefix);
    this.queue.grantSendMessages(this.function);
    this.rejectedRecords.queue.grantSendMessages(this.function);
    props.verification?.grantStartTo(this.function);

    const filters = s3.prefix || s3.suffix ? [{ prefix: s3.prefix, suffix: s3.suffix }] : [];
    this.bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(this.queue), ...filters);
    acknowledgeNotificationHandler(Stack.of(this));
  }

  /**
   * Reads objects (and their versions) under the prefix only. `s3:ListBucket`, limited to the
   * prefix, lets S3 answer 404 instead of 403 for a deleted object, which is skipped, not retried.
   */
  private grantRead(prefix: string | undefined): void {
    const objects = this.bucket.arnForObjects(`${prefix ?? ''}*`);
    this.function.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [objects] }));
    this.function.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        ...(prefix ? { conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } } } : {}),
      }),
    );
    // How cdk-nag writes the object ARN: a reference to the created bucket, or the imported name.
    const created = this.bucket instanceof Bucket ? (this.bucket.node.defaultChild as CfnBucket) : undefined;
    const bucketArn = created ? `<${Stack.of(this).getLogicalId(created)}.Arn>` : `arn:<AWS::Partition>:s3:::${this.bucket.bucketName}`;
    this.function.acknowledgePolicyFindings({
      id: `AwsSolutions-IAM5[Resource::${bucketArn}/${prefix ?? ''}*]`,
      reason: 'The objects to read are only known when they are uploaded; access is limited to the ingest bucket and prefix.',
    });
  }
}

function validate(
  id: string,
  values: { timeout: Duration; batchSize: number; batchWindow: Duration; maxConcurrency: number; maxReceiveCount: number; prefix: string | undefined },
): void {
  const problems = new PropProblems(`S3Ingest ${id}`);
  problems.ingestTimeout(values.timeout);
  problems.wholeNumber('batchSize', values.batchSize, 1, 10_000);
  const windowSeconds = values.batchWindow.toSeconds();
  problems.wholeNumber('batchWindow (seconds)', windowSeconds, 0, 300);
  if (values.batchSize > 10 && windowSeconds < 1) problems.add(`batchWindow must be at least 1 second when batchSize is above 10 (an SQS event source rule), got ${windowSeconds}`);
  problems.wholeNumber('maxConcurrency', values.maxConcurrency, 2, 1000);
  problems.wholeNumber('maxReceiveCount', values.maxReceiveCount, 1, 1000);
  if (values.prefix?.includes('*')) problems.add(`config.s3.prefix must be a literal key prefix, got "${values.prefix}"`);
  problems.throwIfAny();
}

/**
 * CDK configures bucket notifications through one Lambda-backed custom resource per stack,
 * whose role uses the AWS-managed basic-execution policy. It is CDK's, not ours to narrow.
 */
function acknowledgeNotificationHandler(stack: Stack): void {
  const handler = stack.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
  if (!handler) return;
  Validations.of(handler).acknowledge({
    id: awsManagedPolicyFinding('service-role/AWSLambdaBasicExecutionRole'),
    reason: "CDK's bucket-notifications custom resource only writes its own logs with this managed policy.",
  });
}
