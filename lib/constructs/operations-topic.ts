import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { IFunction } from 'aws-cdk-lib/aws-lambda';
import { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface OperationsTopicProps {
  /**
   * E-mail address subscribed to every alarm.
   * @default - no subscription; subscribe later to `topic`
   */
  readonly alarmEmail?: string;
  /**
   * An existing SNS topic (e.g. the team's paging topic) every alarm notifies instead of a topic
   * of this stack. Its access policy (and KMS key, if encrypted) must let CloudWatch publish.
   * @default - a new KMS-encrypted topic
   */
  readonly alarmTopicArn?: string;
  /**
   * A fixed topic name, so another stack can alarm here by ARN without a cross-stack export.
   * @default - a name CloudFormation generates
   */
  readonly topicName?: string;
}

/**
 * The one SNS topic every alarm of the stack notifies, KMS-encrypted (with a key CloudWatch
 * may use, since alarms cannot publish to a topic whose key they cannot use) and SSL-only.
 */
export class OperationsTopic extends Construct {
  public readonly topic: ITopic;
  /** `undefined` when `alarmTopicArn` names an existing topic. */
  public readonly key?: Key;

  constructor(scope: Construct, id: string, props: OperationsTopicProps = {}) {
    super(scope, id);
    if (props.alarmTopicArn) {
      this.topic = Topic.fromTopicArn(this, 'Topic', props.alarmTopicArn);
      if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
      return;
    }
    this.key = new Key(this, 'Key', {
      enableKeyRotation: true,
      description: 'Encrypts the Certyo operations (alarm) topic',
    });
    this.key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'Topic', {
      displayName: 'Certyo operations alarms',
      topicName: props.topicName,
      masterKey: this.key,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
  }

  /** Alarm (to this topic) when a queue's oldest message is older than `maxAge`: work waits that should be flowing. */
  alarmOnQueueAge(scope: Construct, id: string, queue: IQueue, maxAge: Duration, description: string): Alarm {
    const metric = queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' });
    return notifyingAlarm(scope, id, this.topic, { metric, threshold: maxAge.toSeconds(), comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD, description });
  }

  /** Alarm (to this topic) when a queue holds any visible message, e.g. a dead-letter queue. */
  alarmOnQueueNotEmpty(scope: Construct, id: string, queue: IQueue, description: string): Alarm {
    const metric = queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' });
    return notifyingAlarm(scope, id, this.topic, { metric, threshold: 0, comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD, description });
  }
}

export interface NotifyingAlarmOptions {
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  readonly description: string;
  /** @default - a name CloudFormation generates */
  readonly alarmName?: string;
}

/** One evaluation period, and no data means nothing happened: not a reason to page anyone. */
export function notifyingAlarm(scope: Construct, id: string, topic: ITopic, options: NotifyingAlarmOptions): Alarm {
  const alarm = new Alarm(scope, id, {
    alarmName: options.alarmName,
    alarmDescription: options.description,
    metric: options.metric,
    threshold: options.threshold,
    comparisonOperator: options.comparisonOperator,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new SnsAction(topic));
  return alarm;
}

/** The operations topic's name in a pipeline stack, known to other stacks without an export. */
export function operationsTopicName(pipelineStackName: string): string {
  return `${pipelineStackName}-operations`;
}

/**
 * Alarm to an operations topic when a Lambda fails at least once in five minutes. For functions
 * in other stacks (the API proxy's), which cannot register with the pipeline's monitoring
 * without a dependency cycle; the alarm lives in the caller's stack.
 */
export function alarmOnFunctionErrors(scope: Construct, id: string, fn: IFunction, topic: ITopic, description: string): Alarm {
  const metric = fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' });
  return notifyingAlarm(scope, id, topic, { metric, threshold: 1, comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, description });
}
