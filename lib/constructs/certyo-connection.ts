import { Duration, SecretValue } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator } from 'aws-cdk-lib/aws-cloudwatch';
import { Authorization, Connection, Match, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CertyoConfig } from '../config';
import { CertyoFunction } from './certyo-function';
import { DeadLetterQueue } from './dead-letter-queue';
import { notifyingAlarm, OperationsTopic } from './operations-topic';

/** The header Certyo reads the API key from (API reference, "Authentication"). */
export const API_KEY_HEADER = 'X-API-Key';

/** JSON field of the Certyo secret that holds the key. */
export const API_KEY_JSON_FIELD = 'apiKey';

/**
 * Secrets Manager calls after which the secret's current value may have changed.
 * `RotateSecret` only *starts* a rotation; the new value becomes AWSCURRENT with the rotation
 * function's final `UpdateSecretVersionStage`, so that call is listened to as well.
 */
export const KEY_CHANGE_EVENT_NAMES = ['PutSecretValue', 'UpdateSecret', 'RotateSecret', 'UpdateSecretVersionStage'] as const;

export interface CertyoConnectionProps {
  /** `secretName` is read from here. */
  readonly config: CertyoConfig;
  /** The Certyo API-key secret; the key-sync function may read this secret only. */
  readonly apiKeySecret: ISecret;
  /** Where the key-sync failure alarm goes. */
  readonly operations: OperationsTopic;
  /**
   * Safety net for accounts without a CloudTrail trail (the Secrets Manager events are only
   * delivered to EventBridge when one records management events) and for missed events: the
   * key is also pushed on this schedule.
   * @default Duration.hours(1)
   */
  readonly keySyncInterval?: Duration;
}

/** The connection-key-sync function's default memory size: `memorySizeFor` of its measured peak (`lambdaMemory.functions['connection-key-sync']`). */
export const KEY_SYNC_MEMORY_MB = 128;

/**
 * The EventBridge connection that authenticates every call EventBridge makes to Certyo (API
 * Destination in direct mode, Step Functions HTTP Task of the verification workflow), created in
 * every forwarding mode.
 *
 * Its `X-API-Key` value is a CloudFormation dynamic reference to the secret, resolved at deploy
 * time and never written to the template. Because the connection keeps its own copy of the key,
 * a small Lambda reacts to changes of the secret (CloudTrail events on the default bus, plus a
 * schedule) and calls `UpdateConnection` with the current value: a rotated key is used within
 * minutes, without a redeploy. That function may read only this secret and update only this
 * connection, and its failures alarm.
 */
export class CertyoConnection extends Construct {
  public readonly connection: Connection;
  public readonly keySyncFunction: CertyoFunction;
  /** Secret-change events (default bus) → key sync. */
  public readonly keySyncRule: Rule;
  /** Periodic key sync (`keySyncInterval`). */
  public readonly keySyncSchedule: Rule;
  /** Rule deliveries to the key-sync function that failed after retries. */
  public readonly deadLetterQueue: DeadLetterQueue;
  /** Any key-sync error: until it is fixed, the connection may send a stale key. */
  public readonly keySyncAlarm: Alarm;

  constructor(scope: Construct, id: string, props: CertyoConnectionProps) {
    super(scope, id);
    const interval = props.keySyncInterval ?? Duration.hours(1);
    if (interval.toSeconds() < 60 || interval.toSeconds() > 86_400) {
      throw new Error(`CertyoConnection ${id}: keySyncInterval must be from 1 minute to 1 day, got ${interval.toHumanString()}`);
    }
    const secretName = props.config.secretName;

    this.connection = new Connection(this, 'Connection', {
      description: 'Certyo API (X-API-Key from Secrets Manager; kept in sync by the key-sync function)',
      authorization: Authorization.apiKey(API_KEY_HEADER, SecretValue.secretsManager(secretName, { jsonField: API_KEY_JSON_FIELD })),
    });

    this.keySyncFunction = new CertyoFunction(this, 'KeySync', {
      lambdaName: 'connection-key-sync',
      config: props.config,
      apiKeySecret: props.apiKeySecret,
      timeout: Duration.seconds(30),
      memorySize: KEY_SYNC_MEMORY_MB,
      description: 'Pushes the current Certyo API key into the EventBridge connection',
      environment: { CONNECTION_NAME: this.connection.connectionName, API_KEY_HEADER },
    });
    this.keySyncFunction.addToRolePolicy(new PolicyStatement({ actions: ['events:UpdateConnection'], resources: [this.connection.connectionArn] }));

    this.deadLetterQueue = new DeadLetterQueue(this, 'KeySyncDeliveries', {
      operations: props.operations,
      purpose: 'Secret-change events that EventBridge could not deliver to the connection key-sync function; run the function once by hand (docs/operations.md, "Rotating the Certyo API key").',
    });
    const target = new LambdaFunction(this.keySyncFunction, {
      deadLetterQueue: this.deadLetterQueue.queue,
      retryAttempts: 10,
      maxEventAge: Duration.hours(2),
    });

    this.keySyncRule = new Rule(this, 'SecretChanged', {
      description: `Changes of the Certyo secret ${secretName} → connection key sync`,
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: [...KEY_CHANGE_EVENT_NAMES],
          // Callers name the secret by name, full ARN or partial ARN.
          requestParameters: {
            secretId: Match.anyOf(Match.exactString(secretName), Match.wildcard(`arn:*:secretsmanager:*:*:secret:${secretName}*`)),
          },
        },
      },
      targets: [target],
    });

    this.keySyncSchedule = new Rule(this, 'Schedule', {
      description: 'Periodic connection key sync (safety net for missed secret-change events)',
      schedule: Schedule.rate(interval),
      targets: [new LambdaFunction(this.keySyncFunction, { deadLetterQueue: this.deadLetterQueue.queue })],
    });

    this.keySyncAlarm = notifyingAlarm(this, 'KeySyncErrors', props.operations.topic, {
      description:
        'The connection key-sync function failed: the EventBridge connection may still hold an old Certyo key. See its logs, fix, and run it again (docs/operations.md, "Rotating the Certyo API key").',
      metric: this.keySyncFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
  }
}
