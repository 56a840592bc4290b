import { Duration } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CertyoConfig } from '../config';
import { CertyoFunction } from './certyo-function';
import { WRITE_BACK_ATTRIBUTES } from '../../lambdas/ddb-ingest/write-back';
import { RateBudgetTable } from './rate-budget-table';
import { DeadLetterQueue } from './dead-letter-queue';
import { OperationsTopic } from './operations-topic';
import { PropProblems } from './prop-problems';
import { IVerificationTarget } from './verification-target';

export interface DynamoDbIngestProps {
  /** `dynamodb.*` settings are read from here. */
  readonly config: CertyoConfig;
  /** The Certyo API-key secret; the function may read this secret only. */
  readonly apiKeySecret: ISecret;
  /**
   * The key's shared rate budget, spent with the other paths' functions.
   * @default - this function's client sees only its own responses
   */
  readonly rateBudget?: RateBudgetTable;
  /** Where the dead-letter alarm goes. */
  readonly operations: OperationsTopic;
  /**
   * Accepted records are handed to this verification workflow.
   * @default - no verification is started
   */
  readonly verification?: IVerificationTarget;
  /**
   * Lambda timeout. A rate-limited invocation waits for Certyo up to this long before the
   * stream redelivers, so a longer timeout spends fewer retry attempts per hour of waiting.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Twice ddb-ingest's measured peak RSS under its largest input, rounded up to 128 MB
   * (`lambdaMemory` in bench/results.json, `memorySizeFor`; docs/performance.md, "Memory sizes").
   * Lambda's CPU share grows with memory: more makes a full batch finish sooner at about the same
   * cost per batch.
   * @default DDB_INGEST_MEMORY_MB
   */
  readonly memorySize?: number;
  /**
   * Where a new mapping starts reading. `TRIM_HORIZON` reads everything the stream still holds
   * (up to 24 hours), so changes made between enabling the stream and the mapping's first poll
   * are not lost; replays are harmless (idempotency keys name the sequence number). `LATEST`
   * starts at the next change. `AT_TIMESTAMP` is not available for DynamoDB streams.
   * @default StartingPosition.TRIM_HORIZON
   */
  readonly startingPosition?: StartingPosition;
  /**
   * Redeliveries of a failed batch before its records go to the on-failure queue. While Certyo
   * rate-limits or is down, each attempt waits out most of the timeout (see
   * `lambdas/ddb-ingest/process-stream.ts`), so with the default timeout 300 attempts last about
   * as long as the stream keeps records (24 hours, `maxRecordAge`): a long rate limit or outage
   * does not discard records early, and a batch that keeps failing for another reason is bounded.
   * @default 300
   */
  readonly retryAttempts?: number;
}

/** One stream the function reads, and its event source mapping. */
export interface IngestedTable {
  readonly tableName: string;
  readonly tableArn: string;
  /** Key attribute names (from `certyo:dynamodb.tables`, or `pk` for the demo table); empty when not configured. */
  readonly keyAttributes: readonly string[];
  readonly streamArn: string;
  readonly mapping: EventSourceMapping;
}

/** The ddb-ingest function's default memory size: `memorySizeFor` of its measured peak (`lambdaMemory.functions['ddb-ingest']`). */
export const DDB_INGEST_MEMORY_MB = 384;

/**
 * DynamoDB → Certyo change data capture: the streams of the configured tables (or of a demo
 * table created here) are read by the `ddb-ingest` Lambda, one event source mapping per table,
 * in order (parallelization factor 1, so the changes of one item are ingested in the order they
 * were made). Batches that cannot be finished resume at the first unfinished record
 * (`ReportBatchItemFailures`); batches the mapping gives up on (after `retryAttempts` or
 * 24 hours) and records that cannot be mapped go to one encrypted dead-letter queue with an
 * alarm. The function may read only those streams and, with `certyo:dynamodb.writeBack`,
 * update only those tables.
 */
export class DynamoDbIngest extends Construct {
  public readonly function: CertyoFunction;
  /** The demo table (`NEW_AND_OLD_IMAGES`, PITR, encrypted), when `certyo:dynamodb.tables` is empty. */
  public readonly demoTable?: Table;
  /** Every table whose stream is ingested, with its mapping. */
  public readonly tables: readonly IngestedTable[];
  /**
   * On-failure destination of every mapping (Lambda's record of a batch it discarded: shard,
   * sequence-number range) and of the handler's dead letters (the stream record and the reason).
   */
  public readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: DynamoDbIngestProps) {
    super(scope, id);
    const ddb = props.config.dynamodb;
    const timeout = props.timeout ?? Duration.minutes(5);
    const startingPosition = props.startingPosition ?? StartingPosition.TRIM_HORIZON;
    const retryAttempts = props.retryAttempts ?? 300;
    const memorySize = props.memorySize ?? DDB_INGEST_MEMORY_MB;
    validate(id, { config: props.config, timeout, startingPosition, retryAttempts, memorySize });

    this.deadLetterQueue = new DeadLetterQueue(this, 'FailedRecords', {
      operations: props.operations,
      purpose:
        'DynamoDB stream records that could not be ingested. Messages with ERROR_MESSAGE are single records that cannot be mapped or that Certyo refused (body: the stream record); ' +
        'messages without it are batches Lambda discarded after its retries (body: shard and sequence-number range, readable from the stream for 24 hours).',
    });

    let sources: { tableName: string; tableArn: string; streamArn: string; keyAttributes: readonly string[]; id: string }[];
    if (ddb.tables.length > 0) {
      sources = ddb.tables.map((t) => ({ ...t, keyAttributes: t.keyAttributes ?? [], tableArn: tableArnOf(t.streamArn), id: `Stream-${t.tableName}` }));
    } else {
      this.demoTable = createDemoTable(this);
      sources = [
        { tableName: this.demoTable.tableName, tableArn: this.demoTable.tableArn, streamArn: this.demoTable.tableStreamArn as string, keyAttributes: [DEMO_KEY], id: 'DemoTableStream' },
      ];
    }

    this.function = new CertyoFunction(this, 'Function', {
      lambdaName: 'ddb-ingest',
      config: props.config,
      apiKeySecret: props.apiKeySecret,
      rateBudget: props.rateBudget,
      timeout,
      memorySize,
      description: 'Ingests DynamoDB stream changes into Certyo bulk requests',
      environment: {
        DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queue.queueUrl,
        CERTYO_DATABASE: ddb.database,
        TTL_DELETES: ddb.ttlDeletes,
        WRITE_BACK: String(ddb.writeBack),
      },
    });
    this.deadLetterQueue.queue.grantSendMessages(this.function);
    props.verification?.grantStartTo(this.function);

    // Granted here rather than through DynamoEventSource, which adds dynamodb:ListStreams on "*":
    // the AWS example policy for stream-reading Lambdas scopes all four actions to the stream.
    this.function.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        resources: sources.map((s) => s.streamArn),
      }),
    );
    if (ddb.writeBack) {
      for (const source of sources) this.function.addToRolePolicy(writeBackStatement(source, WRITE_BACK_ATTRIBUTES));
    }

    const onFailure = new SqsDlq(this.deadLetterQueue.queue);
    this.tables = sources.map(({ id: mappingId, ...source }) => ({
      ...source,
      mapping: this.function.addEventSourceMapping(mappingId, {
        eventSourceArn: source.streamArn,
        startingPosition,
        batchSize: ddb.batchSize,
        maxBatchingWindow: Duration.seconds(ddb.batchWindowSeconds),
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts,
        maxRecordAge: Duration.hours(24),
        parallelizationFactor: 1,
        onFailure,
      }),
    }));
  }
}

/**
 * UpdateItem on one table, limited to `attributes` and the table's key (`dynamodb:Attributes`
 * counts what a request reads, writes or evaluates in its condition; AWS requires the key
 * attributes in the list) and to `ReturnValues` NONE, so nothing else of an item is read back.
 */
export function writeBackStatement(table: { readonly tableArn: string; readonly keyAttributes: readonly string[] }, attributes: readonly string[]): PolicyStatement {
  if (table.keyAttributes.length === 0) throw new Error(`writeBackStatement: table ${table.tableArn} has no keyAttributes (certyo:dynamodb.tables)`);
  return new PolicyStatement({
    effect: Effect.ALLOW,
    actions: ['dynamodb:UpdateItem'],
    resources: [table.tableArn],
    conditions: {
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...table.keyAttributes, ...attributes] },
      StringEquals: { 'dynamodb:ReturnValues': 'NONE' },
    },
  });
}

const DEMO_KEY = 'pk';

function createDemoTable(scope: Construct): Table {
  return new Table(scope, 'DemoTable', {
    partitionKey: { name: DEMO_KEY, type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    stream: StreamViewType.NEW_AND_OLD_IMAGES,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: TableEncryption.AWS_MANAGED,
    // Items with an `expiresAt` (epoch seconds) expire, so the TTL path can be tried out.
    timeToLiveAttribute: 'expiresAt',
  });
}

/** `arn:...:table/NAME/stream/LABEL` → `arn:...:table/NAME` (config validated the shape). */
function tableArnOf(streamArn: string): string {
  return streamArn.slice(0, streamArn.indexOf('/stream/'));
}

function validate(
  id: string,
  values: { config: CertyoConfig; timeout: Duration; startingPosition: StartingPosition; retryAttempts: number; memorySize: number },
): void {
  const problems = new PropProblems(`DynamoDbIngest ${id}`);
  const ddb = values.config.dynamodb;
  problems.ingestTimeout(values.timeout);
  if (values.startingPosition !== StartingPosition.TRIM_HORIZON && values.startingPosition !== StartingPosition.LATEST) {
    problems.add(`startingPosition must be TRIM_HORIZON or LATEST for DynamoDB streams, got ${values.startingPosition}`);
  }
  problems.wholeNumber('retryAttempts', values.retryAttempts, 0, 10_000);
  if (!Number.isInteger(values.memorySize) || values.memorySize < 128 || values.memorySize > 10_240) {
    problems.add(`memorySize must be a whole number of MB from 128 to 10240, got ${values.memorySize}`);
  }
  problems.wholeNumber('config.dynamodb.batchSize', ddb.batchSize, 1, 10_000);
  problems.wholeNumber('config.dynamodb.batchWindowSeconds', ddb.batchWindowSeconds, 0, 300);
  const names = ddb.tables.map((t) => t.tableName);
  const duplicates = names.filter((name, i) => names.indexOf(name) !== i);
  if (duplicates.length > 0) problems.add(`config.dynamodb.tables lists ${[...new Set(duplicates)].join(', ')} more than once`);
  problems.throwIfAny();
}
