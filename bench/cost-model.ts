/**
 * What a million records cost in AWS charges, per ingest mode, from published on-demand prices
 * (US East, N. Virginia; free tiers ignored, since they are per account, not per workload) and
 * the request / invocation counts `npm run bench` measures. Certyo's own price is not public, so
 * the model reports its real constraint instead: Certyo requests, and how many hours of a
 * 1,000 requests/hour key they take.
 */

/** Published prices, USD. Checked against the AWS pricing pages named on each line. */
export const PRICES = {
  /** https://aws.amazon.com/lambda/pricing/ — Arm (Graviton), first 7.5 billion GB-s per month. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** https://aws.amazon.com/lambda/pricing/ — x86, first 6 billion GB-s per month. */
  lambdaX86PerGbSecond: 0.0000166667,
  /** https://aws.amazon.com/lambda/pricing/ — $0.20 per 1M requests (both architectures). */
  lambdaPerRequest: 0.2 / 1e6,
  /** https://aws.amazon.com/sqs/pricing/ — standard queue, $0.40 per 1M requests (each 64 KiB chunk is a request). */
  sqsPerRequest: 0.4 / 1e6,
  /** https://aws.amazon.com/eventbridge/pricing/ — custom events, $1.00 per 1M (each 64 KiB chunk is an event). */
  eventBridgePerEvent: 1.0 / 1e6,
  /** https://aws.amazon.com/eventbridge/pricing/ — API Destinations, $0.20 per 1M invocations. */
  apiDestinationPerInvocation: 0.2 / 1e6,
  /** https://aws.amazon.com/step-functions/pricing/ — Standard workflows, $0.025 per 1,000 state transitions (retries count). */
  stepFunctionsPerTransition: 0.025 / 1000,
  /** https://aws.amazon.com/sns/pricing/ — standard topic, $0.50 per 1M publishes (deliveries to SQS and Lambda are free). */
  snsPerPublish: 0.5 / 1e6,
  /**
   * https://aws.amazon.com/cloudwatch/pricing/ — Logs ingestion (Standard class), $0.50 per GB.
   * The Lambdas write metrics as embedded metric format (EMF) log lines, so each data point costs
   * its log bytes; only the verification workflow calls PutMetricData (one per execution).
   */
  logsPerGb: 0.5,
  /** https://aws.amazon.com/cloudwatch/pricing/ — API requests (PutMetricData, the verification workflow's outcome metric), $0.01 per 1,000. */
  cloudWatchPerApiRequest: 0.01 / 1000,
  /** https://aws.amazon.com/cloudwatch/pricing/ — custom metrics, $0.30 per metric per month (first 10,000): a fixed monthly cost. */
  customMetricPerMonth: 0.3,
  /** https://aws.amazon.com/s3/pricing/ — S3 Standard GET, $0.0004 per 1,000 requests. */
  s3PerGet: 0.0004 / 1000,
  /** https://aws.amazon.com/xray/pricing/ — $5.00 per 1M traces recorded (an upper bound: default sampling records fewer). */
  xrayPerTrace: 5.0 / 1e6,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ — $0.625 per 1M write request units (a write up to 1 KB; a refused conditional write counts). */
  dynamoDbPerWrite: 0.625 / 1e6,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ — $0.125 per 1M read request units (a strongly consistent read up to 4 KB). */
  dynamoDbPerRead: 0.125 / 1e6,
} as const;

/** Certyo's documented default: 1,000 requests per hour per API key. */
export const CERTYO_REQUESTS_PER_HOUR = 1000;

/** What one measured run used. Everything is a count over `records`, so it scales linearly. */
export interface Usage {
  readonly records: number;
  readonly certyoRequests: number;
  readonly lambdaInvocations: number;
  /** Summed handler wall time of the run (a local measurement standing in for billed duration). */
  readonly lambdaMs: number;
  readonly lambdaMemoryMb: number;
  readonly lambdaArchitecture: 'arm64' | 'x86_64';
  readonly sqsRequests: number;
  readonly eventBridgeEvents: number;
  readonly apiDestinationInvocations: number;
  readonly stateTransitions: number;
  readonly snsPublishes: number;
  /** Log and EMF bytes written. */
  readonly logBytes: number;
  /** CloudWatch API calls (the workflow's PutMetricData). */
  readonly metricApiRequests: number;
  readonly s3Gets: number;
  /** Traced invocations (Lambda with active tracing; Step Functions executions with X-Ray). */
  readonly traces: number;
  /** DynamoDB writes and reads (the shared rate-budget record). */
  readonly dynamoDbWrites: number;
  readonly dynamoDbReads: number;
}

export type CostLine = 'lambda' | 'sqs' | 'eventBridge' | 'apiDestinations' | 'stepFunctions' | 'sns' | 'cloudWatchLogs' | 'cloudWatchMetrics' | 's3' | 'xray' | 'dynamoDb';

export interface CostPerMillion {
  readonly usd: number;
  readonly lines: Readonly<Record<CostLine, number>>;
  readonly certyoRequests: number;
  /** Hours of a 1,000 requests/hour key the Certyo requests take. */
  readonly certyoBudgetHours: number;
}

/** An all-zero usage for `records` records, to spread the counts a mode actually has over. */
export function emptyUsage(records: number, lambdaMemoryMb = 512, lambdaArchitecture: Usage['lambdaArchitecture'] = 'arm64'): Usage {
  return {
    records,
    certyoRequests: 0,
    lambdaInvocations: 0,
    lambdaMs: 0,
    lambdaMemoryMb,
    lambdaArchitecture,
    sqsRequests: 0,
    eventBridgeEvents: 0,
    apiDestinationInvocations: 0,
    stateTransitions: 0,
    snsPublishes: 0,
    logBytes: 0,
    metricApiRequests: 0,
    s3Gets: 0,
    traces: 0,
    dynamoDbWrites: 0,
    dynamoDbReads: 0,
  };
}

/** Adds two usages of the same records (e.g. an ingest path plus its verification policy). */
export function addUsage(a: Usage, b: Usage): Usage {
  if (a.records !== b.records) throw new Error(`addUsage: usages cover ${a.records} and ${b.records} records; scale them first`);
  return {
    ...a,
    certyoRequests: a.certyoRequests + b.certyoRequests,
    lambdaInvocations: a.lambdaInvocations + b.lambdaInvocations,
    lambdaMs: a.lambdaMs + b.lambdaMs,
    sqsRequests: a.sqsRequests + b.sqsRequests,
    eventBridgeEvents: a.eventBridgeEvents + b.eventBridgeEvents,
    apiDestinationInvocations: a.apiDestinationInvocations + b.apiDestinationInvocations,
    stateTransitions: a.stateTransitions + b.stateTransitions,
    snsPublishes: a.snsPublishes + b.snsPublishes,
    logBytes: a.logBytes + b.logBytes,
    metricApiRequests: a.metricApiRequests + b.metricApiRequests,
    s3Gets: a.s3Gets + b.s3Gets,
    traces: a.traces + b.traces,
    dynamoDbWrites: a.dynamoDbWrites + b.dynamoDbWrites,
    dynamoDbReads: a.dynamoDbReads + b.dynamoDbReads,
  };
}

/** Rescales a usage to another record count (counts are linear in records). */
export function scaleUsage(usage: Usage, records: number): Usage {
  const f = records / usage.records;
  return {
    ...usage,
    records,
    certyoRequests: usage.certyoRequests * f,
    lambdaInvocations: usage.lambdaInvocations * f,
    lambdaMs: usage.lambdaMs * f,
    sqsRequests: usage.sqsRequests * f,
    eventBridgeEvents: usage.eventBridgeEvents * f,
    apiDestinationInvocations: usage.apiDestinationInvocations * f,
    stateTransitions: usage.stateTransitions * f,
    snsPublishes: usage.snsPublishes * f,
    logBytes: usage.logBytes * f,
    metricApiRequests: usage.metricApiRequests * f,
    s3Gets: usage.s3Gets * f,
    traces: usage.traces * f,
    dynamoDbWrites: usage.dynamoDbWrites * f,
    dynamoDbReads: usage.dynamoDbReads * f,
  };
}

const round = (usd: number): number => Math.round(usd * 10_000) / 10_000;

export function costPerMillionRecords(usage: Usage): CostPerMillion {
  if (!(usage.records > 0)) throw new Error(`costPerMillionRecords: usage.records must be positive, got ${usage.records}`);
  const u = scaleUsage(usage, 1e6);
  const gbSeconds = (u.lambdaMemoryMb / 1024) * (u.lambdaMs / 1000);
  const perGbSecond = u.lambdaArchitecture === 'arm64' ? PRICES.lambdaArmPerGbSecond : PRICES.lambdaX86PerGbSecond;
  const lines: Record<CostLine, number> = {
    lambda: round(u.lambdaInvocations * PRICES.lambdaPerRequest + gbSeconds * perGbSecond),
    sqs: round(u.sqsRequests * PRICES.sqsPerRequest),
    eventBridge: round(u.eventBridgeEvents * PRICES.eventBridgePerEvent),
    apiDestinations: round(u.apiDestinationInvocations * PRICES.apiDestinationPerInvocation),
    stepFunctions: round(u.stateTransitions * PRICES.stepFunctionsPerTransition),
    sns: round(u.snsPublishes * PRICES.snsPerPublish),
    cloudWatchLogs: round((u.logBytes / 1e9) * PRICES.logsPerGb),
    cloudWatchMetrics: round(u.metricApiRequests * PRICES.cloudWatchPerApiRequest),
    s3: round(u.s3Gets * PRICES.s3PerGet),
    xray: round(u.traces * PRICES.xrayPerTrace),
    dynamoDb: round(u.dynamoDbWrites * PRICES.dynamoDbPerWrite + u.dynamoDbReads * PRICES.dynamoDbPerRead),
  };
  const usd = round(Object.values(lines).reduce((sum, v) => sum + v, 0));
  return { usd, lines, certyoRequests: Math.round(u.certyoRequests), certyoBudgetHours: Math.round((u.certyoRequests / CERTYO_REQUESTS_PER_HOUR) * 10) / 10 };
}

/**
 * SQS requests to move `messages` messages through a queue consumed by a Lambda event source
 * mapping: one SendMessage each (EventBridge and S3 notifications send one by one), and
 * ReceiveMessage / DeleteMessageBatch of up to 10 messages each (the mapping's poller). Empty
 * long-poll receives of an idle queue are not counted: they do not depend on record volume.
 */
export function sqsRequestsFor(messages: number): number {
  return messages + 2 * Math.ceil(messages / 10);
}
