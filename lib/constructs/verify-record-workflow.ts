import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { IConnection, IRuleTarget, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { formatVerificationPolicy, VerificationPolicy } from '../../lambdas/shared/verification-starter';
import { DeadLetterQueue } from './dead-letter-queue';
import { OperationsTopic } from './operations-topic';
import { IVerificationTarget } from './verification-target';

export const VERIFY_RECORD_ASL = path.join(__dirname, '..', '..', 'statemachines', 'verify-record.asl.json');

/** Longest an Express execution may run. */
const EXPRESS_LIMIT_SECONDS = 300;

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
 * Worst-case time an execution spends in Wait states: the first wait, then a linear backoff
 * (`pollIntervalSeconds` × 1, 2, …) between attempts, for up to `2 × maxAttempts` attempts
 * when a failed snapshot is re-queued (which grants a fresh allowance).
 */
export function worstCaseWaitSeconds(waitSeconds: number, maxAttempts: number, pollIntervalSeconds: number): number {
  const attempts = 2 * maxAttempts;
  return waitSeconds + (pollIntervalSeconds * (attempts - 1) * attempts) / 2;
}

export interface VerifyRecordWorkflowProps {
  /** Certyo API origin, e.g. `https://www.certyos.com` (`certyo:apiUrl`). */
  readonly apiUrl: string;
  /** Tenant used when an execution's input has no `tenantId` (`certyo:tenantId`). */
  readonly tenantId: string;
  /** The EventBridge Connection holding the Certyo API key; the HTTP tasks authenticate with it. */
  readonly connection: IConnection;
  /** Alarms (failed, timed-out, throttled executions; rule-target dead letters) go here. */
  readonly operations: OperationsTopic;
  /**
   * Which accepted records ingest Lambdas verify (`certyo:verify.policy`); passed to them as
   * `VERIFY_POLICY`. Direct mode verifies every forwarded event regardless.
   * @default { kind: 'all' }
   */
  readonly policy?: VerificationPolicy;
  /** @default 90 (`certyo:verify.waitSeconds`) */
  readonly waitSeconds?: number;
  /** Verify calls before a `failed` notification with reason `timeout`. @default 10 (`certyo:verify.maxAttempts`) */
  readonly maxAttempts?: number;
  /** Backoff step between attempts: 1×, 2×, 3×… this. @default 30 */
  readonly pollIntervalSeconds?: number;
  /**
   * EXPRESS only when every wait fits in five minutes (`worstCaseWaitSeconds`).
   * @default 'STANDARD' (`certyo:verify.workflowType`)
   */
  readonly workflowType?: 'STANDARD' | 'EXPRESS';
  /** @default 30 */
  readonly logRetentionDays?: number;
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
 * Task: the key never leaves the Connection), retries rate limits and server errors with
 * jittered backoff, and publishes `anchored` or `failed` to the KMS-encrypted, SSL-only
 * `notifications` topic with message attribute `status`, so subscribers can filter.
 */
export class VerifyRecordWorkflow extends Construct implements IVerificationTarget {
  public readonly stateMachine: StateMachine;
  /** Anchored / failed notifications (message attribute `status`). */
  public readonly notifications: Topic;
  public readonly notificationsKey: Key;
  public readonly logGroup: LogGroup;
  public readonly policy: VerificationPolicy;
  /** Alarms on executions that failed, timed out or were throttled: the workflow's own faults. */
  public readonly alarms: readonly Alarm[];
  private readonly operations: OperationsTopic;
  private ruleTargetDeadLetters?: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: VerifyRecordWorkflowProps) {
    super(scope, id);
    const waitSeconds = wholeNumber('waitSeconds', props.waitSeconds ?? 90, 1, 86_400);
    const maxAttempts = wholeNumber('maxAttempts', props.maxAttempts ?? 10, 1, 100);
    const pollIntervalSeconds = wholeNumber('pollIntervalSeconds', props.pollIntervalSeconds ?? 30, 1, 3_600);
    const workflowType = props.workflowType ?? 'STANDARD';
    const worstCase = worstCaseWaitSeconds(waitSeconds, maxAttempts, pollIntervalSeconds);
    if (workflowType === 'EXPRESS' && worstCase > EXPRESS_LIMIT_SECONDS) {
      throw new Error(
        `certyo:verify.workflowType = "EXPRESS" needs every wait to fit in ${EXPRESS_LIMIT_SECONDS} s, but verify.waitSeconds (${waitSeconds}) plus the backoff of up to ${2 * maxAttempts} attempts (verify.maxAttempts ${maxAttempts}, doubled for a retried snapshot; step ${pollIntervalSeconds} s) can take ${worstCase} s. Use "STANDARD" or lower certyo:verify.waitSeconds / certyo:verify.maxAttempts.`,
      );
    }
    if (!/^https?:\/\/[^/]+$/.test(props.apiUrl)) {
      throw new Error(`VerifyRecordWorkflow: apiUrl must be an http(s) origin without a path or trailing slash, got "${props.apiUrl}"`);
    }
    if (props.tenantId.trim() === '') throw new Error('VerifyRecordWorkflow: tenantId must not be empty');
    this.policy = props.policy ?? { kind: 'all' };
    this.operations = props.operations;

    this.notificationsKey = new Key(this, 'NotificationsKey', {
      enableKeyRotation: true,
      description: 'Encrypts the Certyo anchored/failed notifications topic',
    });
    this.notifications = new Topic(this, 'Notifications', {
      displayName: 'Certyo record anchored / failed',
      masterKey: this.notificationsKey,
      enforceSSL: true,
    });

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: (props.logRetentionDays ?? 30) as RetentionDays,
    });

    const substitutions: VerifyRecordSubstitutions = {
      ApiUrl: props.apiUrl,
      ConnectionArn: props.connection.connectionArn,
      TopicArn: this.notifications.topicArn,
      // Substituted inside a JSON string: escape it as one.
      DefaultTenantId: JSON.stringify(props.tenantId).slice(1, -1),
      WaitSeconds: String(waitSeconds),
      MaxAttempts: String(maxAttempts),
      PollIntervalSeconds: String(pollIntervalSeconds),
    };
    const text = fs.readFileSync(VERIFY_RECORD_ASL, 'utf8');
    // Fails synth on a placeholder typo instead of at deploy time.
    renderVerifyRecordDefinition({ ...substitutions, ConnectionArn: 'arn', TopicArn: 'arn' }, text);

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      // Inline (fromString) rather than DefinitionBody.fromFile, which uploads an S3 asset:
      // inline, `cdk diff` shows workflow changes and the template states what is deployed.
      definitionBody: DefinitionBody.fromString(text),
      definitionSubstitutions: { ...substitutions },
      stateMachineType: workflowType === 'EXPRESS' ? StateMachineType.EXPRESS : StateMachineType.STANDARD,
      tracingEnabled: true,
      // ERROR without execution data: state inputs carry record payloads, which stay out of logs.
      logs: { destination: this.logGroup, level: LogLevel.ERROR, includeExecutionData: false },
    });
    this.notifications.grantPublish(this.stateMachine);
    this.grantHttpInvoke(props);
    this.acknowledgeServiceWildcards();

    const alarm = (name: string, metric: ReturnType<StateMachine['metricFailed']>, description: string): Alarm => {
      const a = new Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(props.operations.action);
      return a;
    };
    const period = { period: Duration.minutes(5), statistic: 'Sum' };
    this.alarms = [
      alarm('ExecutionsFailed', this.stateMachine.metricFailed(period), 'Verification executions failed without notifying subscribers (bad input or SNS unreachable): see the Step Functions console.'),
      alarm('ExecutionsTimedOut', this.stateMachine.metricTimedOut(period), 'Verification executions timed out (EXPRESS runs longer than 5 minutes) without notifying subscribers.'),
      alarm('ExecutionsThrottled', this.stateMachine.metricThrottled(period), 'Starting verification executions was throttled; ingest handlers retry, check StartExecution quotas.'),
    ];
  }

  /**
   * HTTP Task permissions, scoped as the Step Functions HTTP Task guide describes: invoke only
   * Certyo's /api/v1 endpoints with GET/POST, read this Connection's credentials and secret.
   * A separate Policy (not the role's default policy) because it names the state machine's own
   * ARN, which the state machine resource depends on through its role.
   */
  private grantHttpInvoke(props: VerifyRecordWorkflowProps): void {
    const policy = new Policy(this, 'HttpInvokePolicy', {
      statements: [
        new PolicyStatement({
          actions: ['states:InvokeHTTPEndpoint'],
          resources: [this.stateMachine.stateMachineArn],
          conditions: {
            StringLike: { 'states:HTTPEndpoint': `${props.apiUrl}/api/v1/*` },
            StringEquals: { 'states:HTTPMethod': ['GET', 'POST'] },
          },
        }),
        new PolicyStatement({ actions: ['events:RetrieveConnectionCredentials'], resources: [props.connection.connectionArn] }),
        new PolicyStatement({
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          resources: [props.connection.connectionSecretArn],
        }),
      ],
    });
    this.stateMachine.role.attachInlinePolicy(policy);
  }

  private acknowledgeServiceWildcards(): void {
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords, xray:GetSampling*) and CloudWatch Logs delivery (logs:CreateLogDelivery and friends) do not support resource-level permissions; CDK adds exactly these.',
    });
  }

  grantStartTo(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    this.stateMachine.grantStartExecution(fn);
    fn.addEnvironment('VERIFY_STATE_MACHINE_ARN', this.stateMachine.stateMachineArn);
    fn.addEnvironment('VERIFY_POLICY', formatVerificationPolicy(this.policy));
  }

  /**
   * Direct mode: a second target of the forwarding rule. The execution input is the event's
   * `detail` as is (`$.detail`), not an input template: a template would have to name the
   * optional `recordVersion`/`payload`, which an event may leave out; the workflow applies the
   * defaults itself. Failed starts are retried for 24 h, then dead-lettered (with an alarm).
   */
  ruleTarget(): IRuleTarget {
    this.ruleTargetDeadLetters ??= new DeadLetterQueue(this, 'RuleTargetDeadLetters', {
      operations: this.operations,
      purpose: 'Forwarded events whose verification workflow could not be started (EventBridge gave up after 24 h of retries).',
    });
    return new SfnStateMachine(this.stateMachine, {
      input: RuleTargetInput.fromEventPath('$.detail'),
      deadLetterQueue: this.ruleTargetDeadLetters.queue,
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    });
  }
}
