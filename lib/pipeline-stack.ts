import { Annotations, CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Archive, Connection, EventBus } from 'aws-cdk-lib/aws-events';
import { ITopic } from 'aws-cdk-lib/aws-sns';
import { ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CertyoConfig, CONTEXT_PREFIX } from './config';
import { BatchedForwarding } from './constructs/batched-forwarding';
import { CertyoConnection } from './constructs/certyo-connection';
import { DirectForwarding } from './constructs/direct-forwarding';
import { DynamoDbIngest } from './constructs/dynamodb-ingest';
import { MongoDbIngest } from './constructs/mongodb-ingest';
import { CertyoMonitoring } from './constructs/monitoring';
import { OperationsTopic, operationsTopicName } from './constructs/operations-topic';
import { RateBudgetTable } from './constructs/rate-budget-table';
import { S3Ingest } from './constructs/s3-ingest';
import { IVerificationTarget } from './constructs/verification-target';
import { VerifyRecordWorkflow } from './constructs/verify-record-workflow';


/** As long as the dead-letter queues keep messages, so an unmatched event can be found and replayed as late as a failed one. */
export const RECORD_ARCHIVE_RETENTION = Duration.days(14);

export interface CertyoPipelineStackProps extends StackProps {
  readonly config: CertyoConfig;
}

/**
 * Everything that moves records into Certyo and reports back. Composes constructs only;
 * each capability lives in `lib/constructs/`.
 */
export class CertyoPipelineStack extends Stack {
  public readonly config: CertyoConfig;
  public readonly bus: EventBus;
  /** Every record event (detail-type `certyo:detailType`) of the bus, for `RECORD_ARCHIVE_RETENTION`. */
  public readonly recordArchive: Archive;
  /** The Certyo API key, imported by name: the stack never holds or creates its value. */
  public readonly apiKeySecret: ISecret;
  public readonly operations: OperationsTopic;
  /** The dashboard and the alarms; every construct registers what it creates. */
  public readonly monitoring: CertyoMonitoring;
  /** The EventBridge connection to Certyo (and its key sync), in every forwarding mode. */
  public readonly certyoConnection: CertyoConnection;
  /** Authenticates EventBridge API Destinations and Step Functions HTTP Tasks to Certyo. */
  public readonly connection: Connection;
  /** Starts verification workflows; `undefined` when `certyo:verify.policy` is `none`. */
  public readonly verification?: IVerificationTarget;
  /** Anchored / failed / unverified notifications (message attribute `status`); `undefined` when verification is off. */
  public readonly notifications?: ITopic;
  /** Bus → API Destination; set when `certyo:forwardingMode` is `direct`. */
  public readonly directForwarding?: DirectForwarding;
  /** Bus → SQS → forwarder → bulk; set when `certyo:forwardingMode` is `batched`. */
  public readonly batchedForwarding?: BatchedForwarding;
  /** S3 → Certyo ingest; `undefined` when `certyo:s3.enabled` is false. */
  public readonly s3Ingest?: S3Ingest;
  /** DynamoDB stream → Certyo ingest; `undefined` when `certyo:dynamodb.enabled` is false. */
  public readonly dynamoDbIngest?: DynamoDbIngest;
  /** Atlas partner routes and DocumentDB ingest; `undefined` when neither `certyo:mongodb.*` key is set. */
  public readonly mongoDbIngest?: MongoDbIngest;
  /** The key's shared rate budget, used by every ingest Lambda; `undefined` when no Lambda calls Certyo. */
  public readonly rateBudget?: RateBudgetTable;

  constructor(scope: Construct, id: string, props: CertyoPipelineStackProps) {
    super(scope, id, props);
    this.config = props.config;

    this.bus = new EventBus(this, 'DomainEvents', { eventBusName: props.config.busName });
    // EventBridge drops an event no rule matches (e.g. a source missing from certyo:eventSources)
    // without a trace; the archive keeps every record event, matched or not, for a replay.
    this.recordArchive = this.bus.archive('RecordEvents', {
      archiveName: `${this.stackName}-record-events`,
      description: 'Every record event on the bus, matched by a forwarding rule or not; replay with aws events start-replay',
      eventPattern: { detailType: [props.config.forwarding.detailType] },
      retention: RECORD_ARCHIVE_RETENTION,
    });
    this.apiKeySecret = Secret.fromSecretNameV2(this, 'CertyoApiKey', props.config.secretName);
    this.operations = new OperationsTopic(this, 'Operations', {
      alarmEmail: props.config.alarmEmail,
      alarmTopicArn: props.config.alarmTopicArn,
      topicName: operationsTopicName(this.stackName),
    });
    if (!props.config.alarmEmail && !props.config.alarmTopicArn) {
      Annotations.of(this).addWarningV2(
        'certyo:alarmDestination',
        `Alarms reach nobody: set ${CONTEXT_PREFIX}alarmEmail or ${CONTEXT_PREFIX}alarmTopicArn, or subscribe to the ${operationsTopicName(this.stackName)} topic yourself.`,
      );
    }
    this.monitoring = new CertyoMonitoring(this, 'Monitoring', { operations: this.operations, metricsNamespace: props.config.metricsNamespace });
    this.certyoConnection = new CertyoConnection(this, 'CertyoConnection', { config: props.config, apiKeySecret: this.apiKeySecret, operations: this.operations });
    this.connection = this.certyoConnection.connection;
    // Right after the connection its HTTP tasks authenticate with, before the ingest paths that start it.
    if (props.config.verify.policy.kind !== 'none') {
      const workflow = new VerifyRecordWorkflow(this, 'Verification', { config: props.config, connection: this.connection, operations: this.operations });
      this.monitoring.addWorkflow(workflow.stateMachine, 'verify', { notifications: workflow.notifications, outcomes: true });
      this.verification = workflow;
      this.notifications = workflow.notifications;
      new CfnOutput(this, 'NotificationsTopicArn', { value: workflow.notifications.topicArn, description: 'Subscribe here for anchored / failed / unverified notifications (filter on message attribute status)' });
    }
    const lambdasCallCertyo = props.config.forwarding.mode === 'batched' || props.config.s3.enabled || props.config.dynamodb.enabled || props.config.mongodb.documentdb.length > 0;
    if (lambdasCallCertyo) this.rateBudget = new RateBudgetTable(this, 'RateBudget');
    const rateBudget = this.rateBudget;
    this.monitoring.addFunction(this.certyoConnection.keySyncFunction, 'key-sync', { errorsAlarm: this.certyoConnection.keySyncAlarm });
    this.monitoring.addDeadLetterQueue(this.certyoConnection.deadLetterQueue, 'key-sync-deliveries');
    if (props.config.forwarding.mode === 'direct') {
      this.directForwarding = new DirectForwarding(this, 'DirectForwarding', { config: props.config, bus: this.bus, connection: this.connection, operations: this.operations, verification: this.verification });
      this.monitoring.addEventBus(this.bus, { label: 'domain-events', deliversToCertyo: true });
      this.monitoring.addDeadLetterQueue(this.directForwarding.failedDeliveries, 'direct-failed-deliveries');
      this.monitoring.addDeadLetterQueue(this.directForwarding.invalidEvents, 'direct-invalid-events');
      // Direct mode starts verifications through a queue and the verify-starter Lambda.
      const starter = this.verification instanceof VerifyRecordWorkflow ? this.verification.directStarter : undefined;
      if (starter) {
        this.monitoring.addFunction(starter.function, 'verify-starter');
        this.monitoring.addDeadLetterQueue(starter.deliveryFailures, 'verify-start-failures');
        this.monitoring.addDeadLetterQueue(starter.startFailures, 'verify-starts-abandoned');
      }
    } else {
      this.batchedForwarding = new BatchedForwarding(this, 'BatchedForwarding', { config: props.config, bus: this.bus, apiKeySecret: this.apiKeySecret, rateBudget, operations: this.operations, verification: this.verification });
      this.monitoring.addEventBus(this.bus, { label: 'domain-events' });
      this.monitoring.addIngestFunction(this.batchedForwarding.forwarder, 'forwarder');
      this.monitoring.addDeadLetterQueue(this.batchedForwarding.rejectedEvents, 'forwarder-rejected-events');
      this.monitoring.addDeadLetterQueue(this.batchedForwarding.failedMessages, 'forwarder-failed-messages');
      this.monitoring.addDeadLetterQueue(this.batchedForwarding.failedDeliveries, 'forwarder-failed-deliveries');
      this.monitoring.addAlarm(this.batchedForwarding.backlogAlarm);
    }
    if (props.config.s3.enabled) {
      this.s3Ingest = new S3Ingest(this, 'S3Ingest', { config: props.config, apiKeySecret: this.apiKeySecret, rateBudget, operations: this.operations, verification: this.verification });
      this.monitoring.addIngestFunction(this.s3Ingest.function, 's3');
      this.monitoring.addDeadLetterQueue(this.s3Ingest.failedMessages, 's3-failed-messages');
      this.monitoring.addDeadLetterQueue(this.s3Ingest.rejectedRecords, 's3-rejected-records');
      new CfnOutput(this, 'IngestBucketName', { value: this.s3Ingest.bucket.bucketName, description: 'Upload JSON, JSON Lines or gzip files here to anchor their records' });
    }
    if (props.config.dynamodb.enabled) {
      this.dynamoDbIngest = new DynamoDbIngest(this, 'DynamoDbIngest', { config: props.config, apiKeySecret: this.apiKeySecret, rateBudget, operations: this.operations, verification: this.verification });
      this.monitoring.addIngestFunction(this.dynamoDbIngest.function, 'dynamodb');
      this.monitoring.addStreamSource(this.dynamoDbIngest.function, 'dynamodb');
      this.monitoring.addDeadLetterQueue(this.dynamoDbIngest.deadLetterQueue, 'dynamodb-failed-records');
      // The ingest writes `pending`; the workflow settles `anchored` / `failed` on the same tables.
      if (props.config.dynamodb.writeBack && this.verification instanceof VerifyRecordWorkflow) this.verification.grantWriteBack(...this.dynamoDbIngest.tables);
      if (this.dynamoDbIngest.demoTable) {
        new CfnOutput(this, 'DemoTableName', { value: this.dynamoDbIngest.demoTable.tableName, description: 'Write items here (partition key pk) to anchor every change' });
      }
    }
    const mongo = props.config.mongodb;
    if (mongo.atlasEventSources.length > 0 || mongo.documentdb.length > 0) {
      this.mongoDbIngest = new MongoDbIngest(this, 'MongoDbIngest', { config: props.config, apiKeySecret: this.apiKeySecret, rateBudget, operations: this.operations, batchedForwarding: this.batchedForwarding, verification: this.verification });
      if (this.mongoDbIngest.function) this.monitoring.addIngestFunction(this.mongoDbIngest.function, 'mongodb');
      if (this.mongoDbIngest.deadLetterQueue) this.monitoring.addDeadLetterQueue(this.mongoDbIngest.deadLetterQueue, 'mongodb-failed-events');
    }

    new CfnOutput(this, 'EventBusName', { value: this.bus.eventBusName, description: 'PutEvents here to anchor records' });
    new CfnOutput(this, 'CertyoSecretName', {
      value: props.config.secretName,
      description: 'Create this secret as {"apiKey": "..."} before the first deploy',
    });
    new CfnOutput(this, 'OperationsTopicArn', { value: this.operations.topic.topicArn, description: 'Alarms are published here' });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName, description: 'CloudWatch dashboard of the pipeline' });
  }
}
