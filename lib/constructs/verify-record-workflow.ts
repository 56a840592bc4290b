import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, Duration, Validations } from 'aws-cdk-lib';
import { IConnection, IRuleTarget } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { formatVerificationPolicy, VerificationPolicy } from '../../lambdas/shared/verification-starter';
import { CertyoFunction } from './certyo-function';
import { writeBackStatement } from './dynamodb-ingest';
import { DeadLetterQueue } from './dead-letter-queue';
import { CertyoConfig } from '../config';
import { OperationsTopic } from './operations-topic';
import { IVerificationTarget } from './verification-target';

export const VERIFY_RECORD_ASL = path.join(__dirname, '..', '..', 'statemachines', 'verify-record.asl.json');

/** Longest an Express execution may run. */
const EXPRESS_LIMIT_SECONDS = 300;

/**
 * The attributes the workflow's DynamoDB UpdateItem tasks name (set, remove or compare), read
 * from the definition itself, so the write-back grant cannot drift from what the tasks send.
 */
export function workflowWriteBackAttributes(text = fs.readFileSync(VERIFY_RECORD_ASL, 'utf8')): string[] {
  // Placeholders stand for numbers or for text inside strings: 0 keeps both valid JSON.
  const definition: unknown = JSON.parse(text.replace(/\$\{\w+\}/g, '0'));
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const state = node as { Resource?: unknown; Parameters?: { ExpressionAttributeNames?: Record<string, string> } };
    if (state.Resource === 'arn:aws:states:::dynamodb:updateItem') {
      const declared = state.Parameters?.ExpressionAttributeNames;
      if (!declared) throw new Error(`${VERIFY_RECORD_ASL}: an updateItem task must name its attributes in ExpressionAttributeNames (its IAM grant lists them)`);
      Object.values(declared).forEach((name) => names.add(name));
    }
    Object.values(node).forEach(visit);
  };
  visit(definition);
  return [...names].sort();
}

/** The `${...}` placeholders of `statemachines/verify-record.asl.json`. */
export interface VerifyRecordSubstitutions {
  /** Certyo API origin, no trailing slash. */
  readonly ApiUrl: string;
  readonly ConnectionArn: string;
  readonly TopicArn: string;
  /** Used when the input carries no `tenantId`. */
  readonly DefaultTenantId: string;
  readonly WaitSeconds: string;
  readonly MaxAttempts: string;
  readonly PollIntervalSeconds: string;
  readonly HorizonSeconds: string;
  /** CloudWatch namespace of the `Verifications` outcome metric. */
  readonly MetricsNamespace: string;
}

/**
 * The definition text with every placeholder replaced, as Step Functions will see it; throws
 * naming any placeholder left without a value (or any value given for no placeholder).
 */
export function renderVerifyRecordDefinition(substitutions: VerifyRecordSubstitutions, text = fs.readFileSync(VERIFY_RECORD_ASL, 'utf8')): string {
  const used = new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1] as string));
  const given = new Set(Object.keys(substitutions));
  const missing = [...used].filter((name) => !given.has(name));
  const unused = [...given].filter((name) => !used.has(name));
  if (missing.length > 0 || unused.length > 0) {
    throw new Error(`${VERIFY_RECORD_ASL}: placeholders without a value: [${missing.join(', ')}]; values without a placeholder: [${unused.join(', ')}]`);
  }
  return text.replace(/\$\{(\w+)\}/g, (_m, name: string) => substitutions[name as keyof VerifyRecordSubstitutions]);
}

/**
 * Worst-case time an execution spends in its Wait state: every pause is checked against the
 * horizon before it starts, and a retried snapshot grants one more horizon.
 */
export function worstCaseWaitSeconds(horizonSeconds: number): number {
  return 2 * horizonSeconds;
}

/** Events a direct-mode verification batch takes: one bulk request's worth, as in batched mode. */
export const DIRECT_BATCH_SIZE = 1000;
/** How long direct mode's verification queue gathers events before starting executions. */
export const DIRECT_BATCH_WINDOW_SECONDS = 300;
/** Direct mode's verification starter: at most this many concurrent pollers. */
export const DIRECT_MAX_CONCURRENCY = 2;
/**
 * Backoff step between verify attempts (`pollIntervalSeconds`). 10, not 30: after the 120 s wait
 * (`certyo:verify.waitSeconds`) the calls land at 120, 130 and 150 s, and 150 s is the latest a
 * snapshot anchors (flush 60 s + anchor 90 s); 90 s with 30 s steps left a gap to 180 s. The
 * `latency` figure: about 30 s off every path's p99, with fewer verify calls.
 */
export const DEFAULT_POLL_INTERVAL_SECONDS = 10;

/** The verify-starter function's default memory size: `memorySizeFor` of its measured peak (`lambdaMemory.functions['verify-starter']`). */
export const VERIFY_STARTER_MEMORY_MB = 256;

/** What direct mode's verification is built from (`VerifyRecordWorkflow.ruleTarget()`). */
export interface DirectVerificationStarter {
  readonly queue: Queue;
  readonly function: CertyoFunction;
  /** Events EventBridge could not put on `queue`. */
  readonly deliveryFailures: DeadLetterQueue;
  /** Events whose batch failed to start its executions 5 times. */
  readonly startFailures: DeadLetterQueue;
}

export interface VerifyRecordWorkflowProps {
  /**
   * `apiUrl`, `tenantId` (for inputs without one), `logRetentionDays`, `metricsNamespace` and
   * `verify.*` (policy, waitSeconds, maxAttempts, horizonSeconds, workflowType) are read from here.
   */
  readonly config: CertyoConfig;
  /** The EventBridge Connection holding the Certyo API key; the HTTP tasks authenticate with it. */
  readonly connection: IConnection;
  /** The dead-letter alarm of the rule target goes here. */
  readonly operations: OperationsTopic;
  /**
   * Backoff step between verify attempts: the pauses are 1×, 2×, 3×… this.
   * @default 10
   */
  readonly pollIntervalSeconds?: number;
}

function wholeNumber(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`VerifyRecordWorkflow: ${name} must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/**
 * The verification workflow: a Step Functions state machine (`statemachines/verify-record.asl.json`)
 * that waits for Certyo to anchor a record, verifies it through the Certyo Connection (HTTP
 * Task: the key never leaves the Connection), pauses through rate limits and outages within
 * `certyo:verify.horizonSeconds`, and publishes `anchored`, `failed` or `unverified` to the
 * KMS-encrypted, SSL-only `notifications` topic with message attribute `status`, so
 * subscribers can filter; each outcome is also counted in the `Verifications` metric.
 */
export class VerifyRecordWorkflow extends Construct implements IVerificationTarget {
  public readonly stateMachine: StateMachine;
  /** Anchored / failed / unverified notifications (message attribute `status`). */
  public readonly notifications: Topic;
  public readonly notificationsKey: Key;
  public readonly logGroup: LogGroup;
  public readonly policy: VerificationPolicy;
  private readonly operations: OperationsTopic;
  private readonly config: CertyoConfig;
  private directStarts?: DirectVerificationStarter;

  constructor(scope: Construct, id: string, props: VerifyRecordWorkflowProps) {
    super(scope, id);
    const { verify, apiUrl, tenantId } = props.config;
    const waitSeconds = wholeNumber('certyo:verify.waitSeconds', verify.waitSeconds, 1, 86_400);
    const maxAttempts = wholeNumber('certyo:verify.maxAttempts', verify.maxAttempts, 1, 100);
    const pollIntervalSeconds = wholeNumber('pollIntervalSeconds', props.pollIntervalSeconds ?? DEFAULT_POLL_INTERVAL_SECONDS, 1, 3_600);
    const horizonSeconds = wholeNumber('certyo:verify.horizonSeconds', verify.horizonSeconds, 60, 86_400);
    if (waitSeconds >= horizonSeconds) {
      throw new Error(`VerifyRecordWorkflow: certyo:verify.waitSeconds (${waitSeconds}) must be shorter than certyo:verify.horizonSeconds (${horizonSeconds}), or no verify call would ever be made`);
    }
    const worstCase = worstCaseWaitSeconds(horizonSeconds);
    if (verify.workflowType === 'EXPRESS' && worstCase > EXPRESS_LIMIT_SECONDS) {
      throw new Error(
        `certyo:verify.workflowType = "EXPRESS" needs every wait to fit in ${EXPRESS_LIMIT_SECONDS} s, but certyo:verify.horizonSeconds (${horizonSeconds}), doubled for a retried snapshot, allows ${worstCase} s. Use "STANDARD", or lower certyo:verify.horizonSeconds to ${EXPRESS_LIMIT_SECONDS / 2} or less.`,
      );
    }
    if (!/^https?:\/\/[^/]+$/.test(apiUrl)) {
      throw new Error(`VerifyRecordWorkflow: config.apiUrl must be an http(s) origin without a path or trailing slash, got "${apiUrl}"`);
    }
    if (tenantId.trim() === '') throw new Error('VerifyRecordWorkflow: config.tenantId must not be empty');
    if (!apiUrl.startsWith('https://')) {
      // Allowed for local runs against the sandbox; in AWS every verify call would fail.
      Annotations.of(this).addWarningV2('certyo:verify-https', `certyo:apiUrl = "${apiUrl}": Step Functions HTTP Tasks call HTTPS endpoints only, so deployed verifications will fail.`);
    }
    this.policy = verify.policy;
    this.operations = props.operations;
    this.config = props.config;

    this.notificationsKey = new Key(this, 'NotificationsKey', {
      enableKeyRotation: true,
      description: 'Encrypts the Certyo verification notifications topic',
    });
    this.notifications = new Topic(this, 'Notifications', {
      displayName: 'Certyo record anchored / failed / unverified',
      masterKey: this.notificationsKey,
      enforceSSL: true,
    });

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.config.logRetentionDays as RetentionDays,
    });

    const substitutions: VerifyRecordSubstitutions = {
      ApiUrl: apiUrl,
      ConnectionArn: props.connection.connectionArn,
      TopicArn: this.notifications.topicArn,
      // Substituted inside a JSON string: escape it as one.
      DefaultTenantId: JSON.stringify(tenantId).slice(1, -1),
      WaitSeconds: String(waitSeconds),
      MaxAttempts: String(maxAttempts),
      PollIntervalSeconds: String(pollIntervalSeconds),
      HorizonSeconds: String(horizonSeconds),
      MetricsNamespace: JSON.stringify(props.config.metricsNamespace).slice(1, -1),
    };
    const text = fs.readFileSync(VERIFY_RECORD_ASL, 'utf8');
    // Fails synth on a placeholder typo instead of at deploy time.
    renderVerifyRecordDefinition({ ...substitutions, ConnectionArn: 'arn', TopicArn: 'arn' }, text);

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      // Inline (fromString) rather than DefinitionBody.fromFile, which uploads an S3 asset:
      // inline, `cdk diff` shows workflow changes and the template states what is deployed.
      definitionBody: DefinitionBody.fromString(text),
      definitionSubstitutions: { ...substitutions },
      stateMachineType: verify.workflowType === 'EXPRESS' ? StateMachineType.EXPRESS : StateMachineType.STANDARD,
      tracingEnabled: true,
      // ERROR without execution data: state inputs carry record payloads, which stay out of logs.
      logs: { destination: this.logGroup, level: LogLevel.ERROR, includeExecutionData: false },
    });
    this.notifications.grantPublish(this.stateMachine);
    this.grantHttpInvoke(apiUrl, props.connection);
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': props.config.metricsNamespace } },
      }),
    );
    this.acknowledgeFindings();
  }

  /**
   * HTTP Task permissions, scoped as the Step Functions HTTP Task guide describes: invoke only
   * Certyo's /api/v1 endpoints with GET/POST, read this Connection's credentials and secret.
   * A separate Policy (not the role's default policy) because it names the state machine's own
   * ARN, which the state machine resource depends on through its role.
   */
  private grantHttpInvoke(apiUrl: string, connection: IConnection): void {
    const policy = new Policy(this, 'HttpInvokePolicy', {
      statements: [
        new PolicyStatement({
          actions: ['states:InvokeHTTPEndpoint'],
          resources: [this.stateMachine.stateMachineArn],
          conditions: {
            StringLike: { 'states:HTTPEndpoint': `${apiUrl}/api/v1/*` },
            StringEquals: { 'states:HTTPMethod': ['GET', 'POST'] },
          },
        }),
        new PolicyStatement({ actions: ['events:RetrieveConnectionCredentials'], resources: [connection.connectionArn] }),
        // Step Functions reads the connection's credentials with the execution role: the HTTP
        // Task guide ("IAM permissions to run an HTTP Task", step-functions/latest/dg/call-https-apis.html)
        // lists GetSecretValue and DescribeSecret on the connection's events!connection/* secret,
        // and CDK's own HttpInvoke task (aws-stepfunctions-tasks/lib/http/invoke.ts) grants exactly
        // these two. Kept although our code never calls DescribeSecret: the service does.
        new PolicyStatement({
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          resources: [connection.connectionSecretArn],
        }),
      ],
    });
    this.stateMachine.role.attachInlinePolicy(policy);
  }

  private acknowledgeFindings(): void {
    Validations.of(this.stateMachine).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords, xray:GetSampling*), CloudWatch Logs delivery (logs:CreateLogDelivery and friends) and cloudwatch:PutMetricData (the outcome metric; limited to the certyo:metricsNamespace namespace by condition) do not support resource-level permissions.',
      },
      {
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason: 'Publishing to the KMS-encrypted notifications topic needs kms:GenerateDataKey* (the SNS-documented grant), on that one key only.',
      },
      {
        id: 'AwsSolutions-SF1',
        reason: 'Logging is ERROR level on purpose (issue 8): ALL would log every state transition of every record; the execution history keeps every event for 90 days, and ERROR logs carry no execution data, so payloads stay out of logs.',
      },
      {
        id: 'CloudFormation-Validate::E1029',
        reason: 'The ${...} in the definition are Step Functions DefinitionSubstitutions (the documented way to parameterize an ASL file), not Fn::Sub parameters.',
      },
    );
  }

  /** Where forwarded events go when EventBridge could not queue them for verification; created by `ruleTarget()`. */
  public get ruleTargetDeadLetterQueue(): DeadLetterQueue | undefined {
    return this.directStarts?.deliveryFailures;
  }

  /** Direct mode's verification queue, starter Lambda and start failures; created by `ruleTarget()`. */
  public get directStarter(): DirectVerificationStarter | undefined {
    return this.directStarts;
  }

  /**
   * Lets the workflow settle `certyo_status` on these tables' items after notifying (DynamoDB
   * ingest with `certyo:dynamodb.writeBack`, which lists them in the execution input's
   * `writeBacks`): `dynamodb:UpdateItem` on exactly these table ARNs, nothing else. Without this
   * grant an input with `writeBacks` still notifies, then fails its execution (alarmed).
   * Tables encrypted with a customer-managed KMS key also need that key granted.
   */
  grantWriteBack(...tables: readonly { readonly tableArn: string; readonly keyAttributes: readonly string[] }[]): void {
    if (tables.length === 0) throw new Error('VerifyRecordWorkflow.grantWriteBack: tables must name at least one table');
    const attributes = workflowWriteBackAttributes();
    for (const table of tables) this.stateMachine.addToRolePolicy(writeBackStatement(table, attributes));
  }

  grantStartTo(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    this.stateMachine.grantStartExecution(fn);
    fn.addEnvironment('VERIFY_STATE_MACHINE_ARN', this.stateMachine.stateMachineArn);
    fn.addEnvironment('VERIFY_POLICY', formatVerificationPolicy(this.policy));
  }

  /**
   * Direct mode: the verification rule's target. Forwarded events go to a queue, and the
   * `verify-starter` Lambda hands them to the same starter the ingest Lambdas use, so
   * `certyo:verify.policy` applies: `batch` starts one execution per SQS batch (up to 1,000
   * events gathered for up to 5 minutes), `sample` and `all` as in batched mode. Events
   * EventBridge cannot queue are retried for 24 h, then dead-lettered; batches whose starts keep
   * failing are dead-lettered after 5 receives (both with an alarm).
   */
  ruleTarget(): IRuleTarget {
    this.directStarts ??= this.createDirectStarter();
    return new SqsQueue(this.directStarts.queue, {
      deadLetterQueue: this.directStarts.deliveryFailures.queue,
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    });
  }

  private createDirectStarter(): DirectVerificationStarter {
    const deliveryFailures = new DeadLetterQueue(this, 'RuleTargetDeadLetters', {
      operations: this.operations,
      purpose: 'Forwarded events EventBridge could not put on the verification queue (gave up after 24 h of retries).',
    });
    const startFailures = new DeadLetterQueue(this, 'StartFailures', {
      operations: this.operations,
      purpose: 'Forwarded events whose verification executions could not be started after 5 receives (redrive them to the verification queue).',
    });
    const fn = new CertyoFunction(this, 'DirectStarter', {
      lambdaName: 'verify-starter',
      config: this.config,
      timeout: Duration.seconds(60),
      memorySize: VERIFY_STARTER_MEMORY_MB,
      description: 'Direct mode: forwarded events → verification executions, per certyo:verify.policy',
    });
    const queue = new Queue(this, 'DirectQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's guidance: at least the function timeout plus the batching window.
      visibilityTimeout: Duration.minutes(10),
      deadLetterQueue: { queue: startFailures.queue, maxReceiveCount: 5 },
    });
    this.grantStartTo(fn);
    fn.addEventSource(
      new SqsEventSource(queue, {
        batchSize: DIRECT_BATCH_SIZE,
        maxBatchingWindow: Duration.seconds(DIRECT_BATCH_WINDOW_SECONDS),
        // Two pollers at most: batches stay full under load, so `batch` stays near one execution per 1,000 events.
        maxConcurrency: DIRECT_MAX_CONCURRENCY,
      }),
    );
    return { queue, function: fn, deliveryFailures, startFailures };
  }
}
