import { Duration } from 'aws-cdk-lib';
import { ApiDestination, EventField, EventPattern, HttpMethod, IConnection, IEventBus, IRuleRef, Rule, RuleTargetInput, RuleTargetInputProperties } from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CertyoConfig } from '../config';
import { directForwardingVariants, ForwardingVariant, forwardedEventPattern, invalidEventRoutes } from '../record-event-rules';
import { DeadLetterQueue } from './dead-letter-queue';
import { OperationsTopic } from './operations-topic';
import { PropProblems } from './prop-problems';
import { IVerificationTarget } from './verification-target';

/** Most retries EventBridge allows; with its backoff they span the 24 hours of `maxEventAge`. */
export const MAX_RETRY_ATTEMPTS = 185;
/** Longest EventBridge keeps retrying an event. */
export const MAX_EVENT_AGE = Duration.hours(24);

export interface DirectForwardingProps {
  /** `apiUrl`, `tenantId` and `forwarding.{detailType, sources, apiDestinationRateLimitPerSecond}` are read from here. */
  readonly config: CertyoConfig;
  /** The bus producers publish to. */
  readonly bus: IEventBus;
  /** The Certyo connection (`X-API-Key`). */
  readonly connection: IConnection;
  /** Where the dead-letter alarms go. */
  readonly operations: OperationsTopic;
  /**
   * Gets every forwarded event through `verificationRule` and starts verifications per its policy.
   * @default - no verification
   */
  readonly verification?: IVerificationTarget;
  /**
   * Delivery attempts after the first before an event is dead-lettered.
   * @default 185 (the maximum)
   */
  readonly retryAttempts?: number;
  /**
   * How long EventBridge keeps retrying an event.
   * @default Duration.hours(24) (the maximum)
   */
  readonly maxEventAge?: Duration;
}

/** The transformer exactly as generated: CDK's `fromObject` would rename the variables. */
class GeneratedTransformer extends RuleTargetInput {
  constructor(private readonly variant: ForwardingVariant) {
    super();
  }

  bind(_rule: IRuleRef): RuleTargetInputProperties {
    return { inputPathsMap: { ...this.variant.inputPathsMap }, inputTemplate: this.variant.inputTemplate };
  }
}

/**
 * Direct mode, the seed's zero-Lambda path: rules on the bus → API Destination
 * `POST {apiUrl}/api/v1/records`, one request per event, authenticated by the Certyo connection.
 * There is one rule per combination of optional event fields (`lib/record-event-rules.ts`
 * explains why), each with an input transformer producing the Certyo record body, 185 retries
 * over 24 hours and an encrypted dead-letter queue that only these rules may write to.
 * Events of the detail-type that miss a mandatory field, or whose idempotency key the
 * transformer cannot build (`lambdas/shared/record-identity.ts`), go to an invalid-events queue
 * as `{"reason": "...", "event": {...}}`, the reason naming the field. Both queues alarm. With `verification`, one more rule hands every forwarded event to it (which verifies per its policy).
 */
export class DirectForwarding extends Construct {
  public readonly apiDestination: ApiDestination;
  /** The forwarding rules, one per combination of optional fields. */
  public readonly rules: readonly Rule[];
  /** Events of the detail-type missing a mandatory field, or not keyable, → `invalidEvents` (one rule per reason). */
  public readonly invalidEventsRules: readonly Rule[];
  /** Every forwarded event → the verification workflow; `undefined` without `verification`. */
  public readonly verificationRule?: Rule;
  /** Events Certyo did not accept after every retry (or rejected with a 4xx), with EventBridge's error attributes. */
  public readonly failedDeliveries: DeadLetterQueue;
  /** Events that break the event contract: `{"reason": "...", "event": <the event as published>}`. */
  public readonly invalidEvents: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: DirectForwardingProps) {
    super(scope, id);
    const retryAttempts = props.retryAttempts ?? MAX_RETRY_ATTEMPTS;
    const maxEventAge = props.maxEventAge ?? MAX_EVENT_AGE;
    const rateLimit = props.config.forwarding.apiDestinationRateLimitPerSecond;
    validate(id, retryAttempts, maxEventAge, rateLimit);
    const selector = { detailType: props.config.forwarding.detailType, sources: props.config.forwarding.sources };

    this.failedDeliveries = new DeadLetterQueue(this, 'FailedDeliveries', {
      operations: props.operations,
      purpose: 'Record events that Certyo did not accept after every retry, or rejected (4xx); ERROR_CODE / ERROR_MESSAGE say why.',
    });
    this.invalidEvents = new DeadLetterQueue(this, 'InvalidEvents', {
      operations: props.operations,
      purpose: `Events with detail-type "${selector.detailType}" that miss a mandatory detail field, or whose identity fields the direct mode cannot key; the body's reason names the field.`,
    });

    this.apiDestination = new ApiDestination(this, 'Destination', {
      description: 'Certyo single-record ingest',
      connection: props.connection,
      endpoint: `${props.config.apiUrl}/api/v1/records`,
      httpMethod: HttpMethod.POST,
      // Certyo allows 1,000 requests/hour per key; 1/s (the EventBridge minimum) is 3,600/hour,
      // so bursts still meet 429s, which EventBridge retries with backoff (docs/forwarding.md, "Forwarding modes").
      rateLimitPerSecond: rateLimit,
    });

    // SQS allows at most 10 conditions and 20 statements in a queue policy; CDK would add one
    // statement and condition per rule (17), which CloudFormation accepts and SQS refuses. So the
    // targets get a reference to the queue (to which CDK adds nothing) and one statement below
    // lists every rule ARN.
    const failedDeliveriesRef = Queue.fromQueueAttributes(this, 'FailedDeliveriesRef', {
      queueArn: this.failedDeliveries.queue.queueArn,
      queueUrl: this.failedDeliveries.queue.queueUrl,
    });

    this.rules = directForwardingVariants(selector, props.config.tenantId).map((variant) => {
      const rule = new Rule(this, `Forward-${variant.name}`, {
        eventBus: props.bus,
        description: `Certyo records carrying ${variant.present.length > 0 ? variant.present.join(', ') : 'no optional field'} → POST /api/v1/records`,
        eventPattern: variant.pattern as EventPattern,
      });
      rule.addTarget(
        new targets.ApiDestination(this.apiDestination, {
          event: new GeneratedTransformer(variant),
          retryAttempts,
          maxEventAge,
          deadLetterQueue: failedDeliveriesRef,
        }),
      );
      return rule;
    });

    if (props.verification) {
      // One rule matching what the forwarding rules match together, rather than a second target
      // on each of them: a target's dead-letter queue policy gets a statement and condition per
      // rule, and SQS refuses a policy with more than 10 conditions.
      this.verificationRule = new Rule(this, 'VerifyForwarded', {
        eventBus: props.bus,
        description: 'Forwarded Certyo records → verification workflow',
        eventPattern: forwardedEventPattern(selector) as EventPattern,
        targets: [props.verification.ruleTarget()],
      });
    }

    this.invalidEventsRules = invalidEventRoutes(selector).map((route) => {
      const rule = new Rule(this, `Invalid-${route.name}`, {
        eventBus: props.bus,
        description: `"${selector.detailType}" events → invalid-events queue: ${route.reason}`.slice(0, 512),
        eventPattern: route.pattern as EventPattern,
      });
      rule.addTarget(
        new targets.SqsQueue(this.invalidEvents.queue, {
          message: RuleTargetInput.fromObject({ reason: route.reason, event: EventField.fromPath('$') }),
          retryAttempts,
          maxEventAge,
          deadLetterQueue: failedDeliveriesRef,
        }),
      );
      return rule;
    });
    this.failedDeliveries.queue.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowForwardingRulesToDeadLetter',
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.failedDeliveries.queue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': [...this.rules, ...this.invalidEventsRules].map((rule) => rule.ruleArn) } },
      }),
    );
  }
}

function validate(id: string, retryAttempts: number, maxEventAge: Duration, rateLimit: number): void {
  const problems = new PropProblems(`DirectForwarding ${id}`);
  problems.wholeNumber('retryAttempts', retryAttempts, 0, MAX_RETRY_ATTEMPTS);
  const age = maxEventAge.toSeconds();
  if (age < 60 || age > MAX_EVENT_AGE.toSeconds()) problems.add(`maxEventAge must be from 1 minute to 24 hours, got ${age} seconds`);
  problems.wholeNumber('config.forwarding.apiDestinationRateLimitPerSecond', rateLimit, 1, 300);
  problems.throwIfAny();
}
