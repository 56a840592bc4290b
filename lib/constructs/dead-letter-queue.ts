import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { OperationsTopic } from './operations-topic';

export interface DeadLetterQueueProps {
  /** Alarms go to this topic. */
  readonly operations: OperationsTopic;
  /** What lands here and what to do about it; becomes the alarm description. */
  readonly purpose: string;
  /** @default Duration.days(14), the SQS maximum, so operators have two weeks to redrive */
  readonly retentionPeriod?: Duration;
}

/**
 * An encrypted, SSL-only SQS dead-letter queue with 14-day retention and an alarm as soon as
 * it holds a message: every failure path of the stack ends in one of these, never in silence.
 */
export class DeadLetterQueue extends Construct {
  public readonly queue: Queue;
  public readonly alarm: Alarm;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    if (props.purpose.trim() === '') throw new Error(`DeadLetterQueue ${id}: purpose must describe what lands in the queue`);
    this.queue = new Queue(this, 'Queue', {
      // SSE-SQS: encrypted at rest, and usable as a target by EventBridge, S3 and Lambda
      // without a customer key policy to maintain.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself a dead-letter queue; cdk-nag only recognises DLQs referenced by another queue, not by EventBridge targets, Lambda event sources or handlers.',
    });
    this.alarm = props.operations.alarmOnQueueNotEmpty(this, 'NotEmpty', this.queue, `${props.purpose} Messages are waiting in ${id}: inspect and redrive them (docs/operations.md, "Operating the dead-letter queues").`);
  }
}
