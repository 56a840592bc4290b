import { Duration } from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { EventPattern, IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CertyoConfig } from '../config';
import { batchedEventPattern } from '../record-event-rules';
import { CertyoFunction } from './certyo-function';
import { RateBudgetTable } from './rate-budget-table';
import { DeadLetterQueue } from './dead-letter-queue';
import { MAX_EVENT_AGE, MAX_RETRY_ATTEMPTS } from './direct-forwarding';
import { OperationsTopic } from './operations-topic';
import { PropProblems } from './prop-problems';
import { IVerificationTarget } from './verification-target';

export interface BatchedForwardingProps {
  /** `tenantId` and `forwarding.{detailType, sources, batchSize, batchWindowSeconds}` are read from here. */
  readonly config: CertyoConfig;
  /** The bus producers publish to. */
  readonly bus: IEventBus;
  /** The Certyo API-key secret; the forwarder may read this secret only. */
  readonly apiKeySecret: ISecret;
  /**
   * The key's shared rate budget, spent with the other paths' functions.
   * @default - this function's client sees only its own responses
   */
  readonly rateBudget?: RateBudgetTable;
  /** Where the alarms go. */
  readonly operations: OperationsTopic;
  /**
   * Accepted records are handed to this verification workflow.
   * @default - no verification
   */
  readonly verification?: IVerificationTarget;
  /**
   * Forwarder timeout. Ten full bulk requests take seconds; the rest is room for rate-limit waits.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Concurrent forwarder invocations. Every invocation spends the same 1,000 requests/hour, so
   * few large batches beat many small ones.
   * @default 2 (the lowest SQS allows)
   */
  readonly maxConcurrency?: number;
  /**
   * Receives of a buffered event before it goes to `failedMessages`. Rate-limited events are
   * returned to the queue and received again once per rate-limit window (their visibility is set
   * to Certyo's `Retry-After`), so this must outlast any backlog the key's budget can build up:
   * 200 receives at one per hourly window is over eight days of continuous throttling, longer than
   * the backlog alarm lets anyone ignore. Invalid events never count: they are dead-lettered with
   * their reason on first sight.
   * @default 200
   */
  readonly maxReceiveCount?: number;
  /**
   * Alarm when the oldest buffered event is older than this (the key's budget cannot keep up, or
   * Certyo is down).
   * @default Duration.hours(6)
   */
  readonly backlogAgeAlarm?: Duration;
  /**
   * Twice the forwarder's measured peak RSS under its largest input, rounded up to 128 MB
   * (`lambdaMemory` in bench/results.json, `memorySizeFor`; docs/performance.md, "Memory sizes").
   * Lambda's CPU share grows with memory: more makes a full batch finish sooner at about the same
   * cost per batch.
   * @default FORWARDER_MEMORY_MB
   */
  readonly memorySize?: number;
}

/** The forwarder function's default memory size: `memorySizeFor` of its measured peak (`lambdaMemory.functions.forwarder`). */
export const FORWARDER_MEMORY_MB = 384;

/**
 * Batched mode (beyond the seed): a rule sends every event of the detail-type to an encrypted SQS
 * buffer; the `forwarder` Lambda reads up to `batchSize` events per invocation (gathered for up to
 * `batchWindowSeconds`) and sends them to `POST /api/v1/records/bulk`, 1,000 per request: about a
 * thousand times more records per hour on the same key than direct mode. Partial batch responses
 * retry only what failed; rate-limited events wait out `Retry-After` in the queue; invalid events
 * go to `rejectedEvents` with their reason; events failing `maxReceiveCount` times go to
 * `failedMessages`; events EventBridge could not put in the buffer go to `failedDeliveries`.
 */
export class BatchedForwarding extends Construct {
  public readonly rule: Rule;
  public readonly buffer: Queue;
  public readonly forwarder: CertyoFunction;
  /** Events the forwarder rejected (contract violation, or a 400 for that record), with ERROR_MESSAGE. */
  public readonly rejectedEvents: DeadLetterQueue;
  /** Events received `maxReceiveCount` times without success (their source queue is `buffer`). */
  public readonly failedMessages: DeadLetterQueue;
  /** Events EventBridge could not deliver to the buffer, with EventBridge's error attributes. */
  public readonly failedDeliveries: DeadLetterQueue;
  /** The buffer's oldest event is older than `backlogAgeAlarm`. */
  public readonly backlogAlarm: Alarm;

  constructor(scope: Construct, id: string, props: BatchedForwardingProps) {
    super(scope, id);
    const { batchSize, batchWindowSeconds, detailType, sources } = props.config.forwarding;
    const timeout = props.timeout ?? Duration.minutes(5);
    const maxConcurrency = props.maxConcurrency ?? 2;
    const maxReceiveCount = props.maxReceiveCount ?? 200;
    const backlogAge = props.backlogAgeAlarm ?? Duration.hours(6);
    validate(id, { timeout, maxConcurrency, maxReceiveCount, batchSize, batchWindowSeconds });

    this.failedDeliveries = new DeadLetterQueue(this, 'FailedDeliveries', {
      operations: props.operations,
      purpose: 'Record events EventBridge could not put into the forwarding buffer; ERROR_CODE / ERROR_MESSAGE say why.',
    });
    this.failedMessages = new DeadLetterQueue(this, 'FailedMessages', {
      operations: props.operations,
      purpose: `Record events the forwarder failed ${maxReceiveCount} times (see its logs), e.g. a lasting authentication error.`,
    });
    this.rejectedEvents = new DeadLetterQueue(this, 'RejectedEvents', {
      operations: props.operations,
      purpose: 'Record events that break the event contract or that Certyo rejected; ERROR_MESSAGE names the field.',
    });

    this.buffer = new Queue(this, 'Buffer', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS: at least six times the function timeout plus the batching window, so a batch is not
      // redelivered while a throttled invocation still works on it.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6 + batchWindowSeconds),
      // The longest SQS allows: a backlog waiting for the rate budget must not expire.
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: this.failedMessages.queue, maxReceiveCount },
    });

    this.forwarder = new CertyoFunction(this, 'Forwarder', {
      lambdaName: 'forwarder',
      config: props.config,
      apiKeySecret: props.apiKeySecret,
      rateBudget: props.rateBudget,
      timeout,
      memorySize: props.memorySize ?? FORWARDER_MEMORY_MB,
      description: 'Forwards record events from the buffer queue to Certyo bulk requests',
      environment: {
        BUFFER_QUEUE_URL: this.buffer.queueUrl,
        REJECTED_QUEUE_URL: this.rejectedEvents.queue.queueUrl,
        // The forwarder carries a trailing partial request only when the batch was cut short, and only while events are younger than the window.
        BATCH_SIZE: String(batchSize),
        BATCH_WINDOW_SECONDS: String(batchWindowSeconds),
      },
    });
    this.forwarder.addEventSource(
      new SqsEventSource(this.buffer, {
        batchSize,
        maxBatchingWindow: batchWindowSeconds > 0 ? Duration.seconds(batchWindowSeconds) : undefined,
        maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    // ChangeMessageVisibility: rate-limited events come back when Certyo's budget resets.
    this.buffer.grant(this.forwarder, 'sqs:ChangeMessageVisibility');
    this.rejectedEvents.queue.grantSendMessages(this.forwarder);
    props.verification?.grantStartTo(this.forwarder);

    this.rule = new Rule(this, 'Rule', {
      eventBus: props.bus,
      description: `"${detailType}" events → forwarding buffer → POST /api/v1/records/bulk`,
      eventPattern: batchedEventPattern({ detailType, sources }) as EventPattern,
    });
    this.rule.addTarget(
      new targets.SqsQueue(this.buffer, { retryAttempts: MAX_RETRY_ATTEMPTS, maxEventAge: MAX_EVENT_AGE, deadLetterQueue: this.failedDeliveries.queue }),
    );

    this.backlogAlarm = props.operations.alarmOnQueueAge(
      this,
      'BacklogAge',
      this.buffer,
      backlogAge,
      `Record events wait in the forwarding buffer for more than ${backlogAge.toHumanString()}: the key's 1,000 requests/hour cannot keep up, or Certyo fails (see the forwarder's logs).`,
    );
  }
}

function validate(
  id: string,
  values: { timeout: Duration; maxConcurrency: number; maxReceiveCount: number; batchSize: number; batchWindowSeconds: number },
): void {
  const problems = new PropProblems(`BatchedForwarding ${id}`);
  problems.ingestTimeout(values.timeout);
  problems.wholeNumber('maxConcurrency', values.maxConcurrency, 2, 1000);
  problems.wholeNumber('maxReceiveCount', values.maxReceiveCount, 100, 1000, ' (throttling alone must never dead-letter an event)');
  problems.wholeNumber('config.forwarding.batchSize', values.batchSize, 1, 10_000);
  if (values.batchSize > 10 && values.batchWindowSeconds < 1) {
    problems.add(`config.forwarding.batchWindowSeconds must be at least 1 when batchSize is above 10, got ${values.batchWindowSeconds}`);
  }
  if (values.batchWindowSeconds < 0 || values.batchWindowSeconds > 300) {
    problems.add(`config.forwarding.batchWindowSeconds must be from 0 to 300, got ${values.batchWindowSeconds}`);
  }
  problems.throwIfAny();
}
