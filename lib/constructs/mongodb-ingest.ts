import { Duration, Stack } from 'aws-cdk-lib';
import { SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CfnEventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CertyoConfig } from '../config';
import { nagEnvironment } from '../nag';
import { BatchedForwarding } from './batched-forwarding';
import { CertyoFunction } from './certyo-function';
import { DeadLetterQueue } from './dead-letter-queue';
import { MAX_EVENT_AGE, MAX_RETRY_ATTEMPTS } from './direct-forwarding';
import { OperationsTopic } from './operations-topic';
import { PropProblems } from './prop-problems';
import { RateBudgetTable } from './rate-budget-table';
import { IVerificationTarget } from './verification-target';

export interface MongoDbIngestProps {
  /** `mongodb.*` settings are read from here. */
  readonly config: CertyoConfig;
  /** The Certyo API-key secret; `mongo-ingest` may read this secret only (and the clusters' secrets). */
  readonly apiKeySecret: ISecret;
  /**
   * The key's shared rate budget, spent with the other paths' functions.
   * @default - `mongo-ingest`'s client sees only its own responses
   */
  readonly rateBudget?: RateBudgetTable;
  /** Where the dead-letter alarm goes. */
  readonly operations: OperationsTopic;
  /**
   * The batched forwarder that packs Atlas change events into bulk requests. Required when
   * `config.mongodb.atlasEventSources` is not empty.
   * @default - no Atlas routes
   */
  readonly batchedForwarding?: BatchedForwarding;
  /**
   * Accepted DocumentDB changes are handed to this verification workflow.
   * @default - no verification is started
   */
  readonly verification?: IVerificationTarget;
  /**
   * `mongo-ingest` timeout. A rate-limited invocation waits up to this long before failing, and
   * Lambda retries a failed DocumentDB batch at once, so a longer timeout spends fewer retries.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Twice mongo-ingest's measured peak RSS under its largest input, rounded up to 128 MB
   * (`lambdaMemory` in bench/results.json, `memorySizeFor`; docs/performance.md, "Memory sizes").
   * Lambda's CPU share grows with memory: more makes a full batch finish sooner at about the same
   * cost per batch.
   * @default MONGO_INGEST_MEMORY_MB
   */
  readonly memorySize?: number;
  /**
   * Change events per invocation (DocumentDB allows up to 10,000). 1,000 fills one bulk request.
   * @default 1000
   */
  readonly batchSize?: number;
  /** @default Duration.seconds(30) */
  readonly batchWindow?: Duration;
  /**
   * Where a new mapping starts: `TRIM_HORIZON` reads what the change stream still holds (its
   * retention, 3 hours by default), `LATEST` starts at the next change.
   * @default 'TRIM_HORIZON'
   */
  readonly startingPosition?: 'TRIM_HORIZON' | 'LATEST';
}

/** One DocumentDB change stream the function reads. */
export interface IngestedCluster {
  readonly clusterArn: string;
  readonly database: string;
  readonly collection?: string;
  readonly mapping: CfnEventSourceMapping;
}

/** One Atlas Trigger partner event source, its partner bus and the rule into the forwarder's buffer. */
export interface AtlasRoute {
  readonly eventSourceName: string;
  readonly bus: EventBus;
  readonly rule: Rule;
}

/** The mongo-ingest function's default memory size: `memorySizeFor` of its measured peak (`lambdaMemory.functions['mongo-ingest']`). */
export const MONGO_INGEST_MEMORY_MB = 384;

/**
 * MongoDB → Certyo change data capture, both managed ways (nothing created when neither key is
 * set):
 * - **Atlas**: each configured Atlas Trigger partner event source gets its partner event bus and
 *   a rule that puts its change events into the batched forwarder's buffer. The forwarder maps
 *   them with the same MongoDB mapping as DocumentDB (`lambdas/shared/mongo-change.ts`) and packs
 *   them with every other event into bulk requests of 1,000, under the same rate budget.
 * - **DocumentDB**: each configured cluster gets an event source mapping (`fullDocument:
 *   UpdateLookup`, credentials from its Secrets Manager secret) onto the `mongo-ingest` Lambda,
 *   which runs in the clusters' VPC. Events that cannot be mapped or that Certyo refuses go to an
 *   encrypted dead-letter queue with their reason and an alarm.
 */
export class MongoDbIngest extends Construct {
  /** `mongo-ingest`, when `config.mongodb.documentdb` is not empty. */
  public readonly function?: CertyoFunction;
  /** Dead letters of `mongo-ingest` (the change event and the reason), with it. */
  public readonly deadLetterQueue?: DeadLetterQueue;
  public readonly clusters: readonly IngestedCluster[];
  public readonly atlasRoutes: readonly AtlasRoute[];

  constructor(scope: Construct, id: string, props: MongoDbIngestProps) {
    super(scope, id);
    const mongo = props.config.mongodb;
    const timeout = props.timeout ?? Duration.minutes(5);
    const batchSize = props.batchSize ?? 1000;
    const batchWindow = props.batchWindow ?? Duration.seconds(30);
    const memorySize = props.memorySize ?? MONGO_INGEST_MEMORY_MB;
    validate(id, props, { timeout, batchSize, batchWindow, memorySize });

    this.atlasRoutes = mongo.atlasEventSources.map((eventSourceName, index) => {
      const forwarding = props.batchedForwarding as BatchedForwarding;
      const bus = new EventBus(this, `AtlasBus${index}`, { eventSourceName });
      const rule = new Rule(this, `AtlasRule${index}`, {
        eventBus: bus,
        description: `MongoDB Atlas change events from ${eventSourceName} → forwarding buffer → POST /api/v1/records/bulk`,
        eventPattern: { source: [eventSourceName] },
      });
      rule.addTarget(new targets.SqsQueue(forwarding.buffer, { retryAttempts: MAX_RETRY_ATTEMPTS, maxEventAge: MAX_EVENT_AGE, deadLetterQueue: forwarding.failedDeliveries.queue }));
      return { eventSourceName, bus, rule };
    });

    if (mongo.documentdb.length === 0) {
      this.clusters = [];
      return;
    }
    this.deadLetterQueue = new DeadLetterQueue(this, 'FailedEvents', {
      operations: props.operations,
      purpose: 'DocumentDB change events that could not be ingested (cannot be mapped, or Certyo refused them); ERROR_MESSAGE names the namespace, resume token and field.',
    });
    const first = mongo.documentdb[0] as (typeof mongo.documentdb)[number];
    const subnetIds = [...new Set(mongo.documentdb.flatMap((d) => d.subnetIds))];
    const securityGroupIds = [...new Set(mongo.documentdb.flatMap((d) => d.securityGroupIds))];
    const vpc = Vpc.fromVpcAttributes(this, 'Vpc', { vpcId: first.vpcId, availabilityZones: Stack.of(this).availabilityZones.slice(0, 1) });
    const fn = new CertyoFunction(this, 'Function', {
      lambdaName: 'mongo-ingest',
      config: props.config,
      apiKeySecret: props.apiKeySecret,
      rateBudget: props.rateBudget,
      timeout,
      memorySize,
      description: 'Ingests Amazon DocumentDB change stream events into Certyo bulk requests',
      environment: { DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queue.queueUrl },
      network: {
        vpc,
        subnets: subnetIds.map((subnetId, i) => Subnet.fromSubnetId(this, `Subnet${i}`, subnetId)),
        securityGroups: securityGroupIds.map((groupId, i) => SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${i}`, groupId, { mutable: false })),
      },
    });
    this.function = fn;
    this.deadLetterQueue.queue.grantSendMessages(fn);
    props.verification?.grantStartTo(fn);

    // The permissions the AWS Lambda developer guide lists for a DocumentDB event source mapping,
    // each scoped as far as the action allows (network-interface actions come with the VPC policy).
    const { partition, region, account } = Stack.of(this);
    fn.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['rds:DescribeDBClusters'], resources: mongo.documentdb.map((d) => d.clusterArn) }));
    fn.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['rds:DescribeDBClusterParameters', 'rds:DescribeDBSubnetGroups'],
        resources: [`arn:${partition}:rds:${region}:${account}:cluster-pg:*`, `arn:${partition}:rds:${region}:${account}:subgrp:*`],
      }),
    );
    const nag = nagEnvironment(this);
    for (const kind of ['cluster-pg', 'subgrp']) {
      fn.acknowledgePolicyFindings({
        id: `AwsSolutions-IAM5[Resource::arn:${nag.partition}:rds:${nag.region}:${nag.account}:${kind}:*]`,
        reason: 'The event source mapping reads the parameter group and subnet group of each configured cluster; their names are not in the configuration, so the grant is limited to describe actions on those two resource types in this account and region.',
      });
    }
    fn.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['secretsmanager:GetSecretValue'], resources: mongo.documentdb.map((d) => d.secretArn) }));

    this.clusters = mongo.documentdb.map((source, index) => ({
      clusterArn: source.clusterArn,
      database: source.database,
      collection: source.collection,
      mapping: new CfnEventSourceMapping(this, `Cluster${index}`, {
        functionName: fn.functionName,
        eventSourceArn: source.clusterArn,
        startingPosition: props.startingPosition ?? 'TRIM_HORIZON',
        batchSize,
        maximumBatchingWindowInSeconds: batchWindow.toSeconds(),
        sourceAccessConfigurations: [{ type: 'BASIC_AUTH', uri: source.secretArn }],
        documentDbEventSourceConfig: { databaseName: source.database, collectionName: source.collection, fullDocument: 'UpdateLookup' },
      }),
    }));
    for (const cluster of this.clusters) cluster.mapping.node.addDependency(fn.role ?? fn);
  }
}

function validate(id: string, props: MongoDbIngestProps, values: { timeout: Duration; batchSize: number; batchWindow: Duration; memorySize: number }): void {
  const problems = new PropProblems(`MongoDbIngest ${id}`);
  if (props.config.mongodb.atlasEventSources.length > 0 && !props.batchedForwarding) {
    problems.add('batchedForwarding is required when config.mongodb.atlasEventSources is not empty (Atlas change events go through the batched forwarder)');
  }
  problems.ingestTimeout(values.timeout);
  problems.wholeNumber('batchSize', values.batchSize, 1, 10_000);
  problems.wholeNumber('batchWindow (seconds)', values.batchWindow.toSeconds(), 0, 300);
  problems.wholeNumber('memorySize', values.memorySize, 128, 10_240);
  const names = props.config.mongodb.atlasEventSources;
  const repeated = names.filter((name, i) => names.indexOf(name) !== i);
  if (repeated.length > 0) problems.add(`config.mongodb.atlasEventSources lists ${[...new Set(repeated)].join(', ')} more than once`);
  problems.throwIfAny();
}
