import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AuthorizationType, IRestApi, LambdaIntegration, Method, RequestValidator } from 'aws-cdk-lib/aws-apigateway';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { IEventBus } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CertyoConfig } from '../config';
import { CertyoFunction } from './certyo-function';
import { PropProblems } from './prop-problems';
import { nagEnvironment } from '../nag';

const WEBHOOK_TIMEOUT = Duration.seconds(10);

export interface WebhookIntakeProps {
  /** `forwarding.detailType` and the Lambda settings are read from here. */
  readonly config: CertyoConfig;
  /** The API that gets `POST /webhooks/{source}`. */
  readonly api: IRestApi;
  /** The `domain-events` bus the records are published to. */
  readonly bus: IEventBus;
  /**
   * Validates the method's required path parameter.
   * @default - no request validation
   */
  readonly requestValidator?: RequestValidator;
  /**
   * Secrets Manager name prefix of the per-source signing secrets: source `orders` is signed with
   * the plain-string secret `<prefix>orders`. A source without a secret is refused.
   * @default 'certyo/webhooks/'
   */
  readonly secretPrefix?: string;
  /**
   * How far a delivery's `X-Webhook-Timestamp` may be from the current time.
   * @default Duration.minutes(5)
   */
  readonly signatureTolerance?: Duration;
  /**
   * How long delivery ids are remembered for replay protection; more than twice the tolerance.
   * @default Duration.hours(24)
   */
  readonly deliveryRetention?: Duration;
}

/** The webhook-intake function's default memory size: `memorySizeFor` of its measured peak (`lambdaMemory.functions['webhook-intake']`, with the floor of a function a caller waits on). */
export const WEBHOOK_INTAKE_MEMORY_MB = 256;

/**
 * `POST /webhooks/{source}` → `webhook-intake` Lambda → `domain-events` bus. The Lambda verifies
 * the HMAC-SHA256 signature with the source's secret, validates the body against the forwarding
 * event contract and the tenants and databases `config.webhook.sources` allows the source,
 * refuses replayed delivery ids (two-phase claims in a DynamoDB table with TTL) and puts it on the
 * bus. It may read only the secrets under `secretPrefix`, write only its table, and put events
 * only on that bus.
 */
export class WebhookIntake extends Construct {
  public readonly function: CertyoFunction;
  /** Delivery ids seen per source, forgotten by TTL (`expiresAt`). */
  public readonly deliveries: Table;
  public readonly method: Method;

  constructor(scope: Construct, id: string, props: WebhookIntakeProps) {
    super(scope, id);
    const secretPrefix = props.secretPrefix ?? 'certyo/webhooks/';
    const tolerance = props.signatureTolerance ?? Duration.minutes(5);
    const retention = props.deliveryRetention ?? Duration.hours(24);
    validate(id, { secretPrefix, tolerance, retention });

    this.deliveries = new Table(this, 'Deliveries', {
      partitionKey: { name: 'deliveryKey', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Only delivery ids younger than the retention live here; nothing to keep after the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.function = new CertyoFunction(this, 'Function', {
      lambdaName: 'webhook-intake',
      config: props.config,
      timeout: WEBHOOK_TIMEOUT,
      memorySize: WEBHOOK_INTAKE_MEMORY_MB,
      description: 'Verifies signed webhooks and puts their records on the domain-events bus',
      environment: {
        EVENT_BUS_NAME: props.bus.eventBusName,
        DETAIL_TYPE: props.config.forwarding.detailType,
        DELIVERIES_TABLE_NAME: this.deliveries.tableName,
        WEBHOOK_SECRET_PREFIX: secretPrefix,
        SIGNATURE_TOLERANCE_SECONDS: String(tolerance.toSeconds()),
        DELIVERY_RETENTION_SECONDS: String(retention.toSeconds()),
        // A pending claim outlives any attempt (the function's timeout), then a retry may take it over.
        PENDING_CLAIM_SECONDS: String(3 * WEBHOOK_TIMEOUT.toSeconds()),
        WEBHOOK_SOURCES: JSON.stringify(props.config.webhook.sources),
      },
    });
    this.deliveries.grant(this.function, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
    props.bus.grantPutEventsTo(this.function);
    this.grantSourceSecrets(secretPrefix);

    this.method = props.api.root
      .addResource('webhooks')
      .addResource('{source}')
      .addMethod('POST', new LambdaIntegration(this.function, { allowTestInvoke: false }), {
        authorizationType: AuthorizationType.NONE,
        apiKeyRequired: false,
        requestParameters: { 'method.request.path.source': true },
        requestValidator: props.requestValidator,
      });
    Validations.of(this.method).acknowledge(
      { id: 'AwsSolutions-APIG4', reason: "Webhook senders are third-party systems without AWS or API Gateway identities; every delivery is authenticated by the Lambda with an HMAC-SHA256 signature keyed with the source's secret." },
      { id: 'AwsSolutions-COG4', reason: 'Webhook senders are systems, not Cognito users; deliveries are authenticated by their HMAC-SHA256 signature.' },
    );
  }

  /** Secrets under the prefix only: sources are added by creating a secret, without a redeploy. */
  private grantSourceSecrets(secretPrefix: string): void {
    const resource = Arn.format({ service: 'secretsmanager', resource: 'secret', resourceName: `${secretPrefix}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, Stack.of(this));
    this.function.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['secretsmanager:GetSecretValue'], resources: [resource] }));
    const { partition, region, account } = nagEnvironment(this);
    this.function.acknowledgePolicyFindings({
      id: `AwsSolutions-IAM5[Resource::arn:${partition}:secretsmanager:${region}:${account}:secret:${secretPrefix}*]`,
      reason: 'Webhook sources are added by creating a secret under this prefix, without a redeploy; no other secret can be read.',
    });
  }
}

function validate(id: string, values: { secretPrefix: string; tolerance: Duration; retention: Duration }): void {
  const problems = new PropProblems(`WebhookIntake ${id}`);
  if (!/^[A-Za-z0-9/_+=.@-]{1,256}\/$/.test(values.secretPrefix)) problems.add(`secretPrefix must be a secret name path ending in "/", got "${values.secretPrefix}"`);
  const tolerance = values.tolerance.toSeconds();
  if (tolerance < 1 || tolerance > 3600) problems.add(`signatureTolerance must be from 1 second to 1 hour, got ${tolerance} seconds`);
  const retention = values.retention.toSeconds();
  if (retention <= 2 * tolerance || retention > 30 * 86_400) {
    problems.add(`deliveryRetention must exceed twice signatureTolerance (${2 * tolerance} seconds) and be at most 30 days, got ${retention} seconds`);
  }
  problems.throwIfAny();
}
