/**
 * ddb-ingest: DynamoDB stream (change data capture) → Certyo bulk requests.
 * Builds its dependencies once per cold start; the work is in `process-stream.ts`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { IngestManyOutcome } from '../shared/certyo-types';
import { certyoClientFromEnv } from '../shared/certyo-client';
import { sqsDeadLetterSink } from '../shared/dead-letter';
import { budgetCounters, createLogger, createMetrics, DYNAMODB_METRIC_NAMES, METRIC_NAMES, MetricUnit, publishIngestMetrics } from '../shared/observability';
import { sleep } from '../shared/retry';
import { readRuntimeEnv } from '../shared/runtime-env';
import { verificationStarterFromEnv } from '../shared/verification-starter';
import { BatchSummary, processStreamBatch } from './process-stream';
import { readDdbIngestSettings } from './settings';
import { dynamoDbWriteBack } from './write-back';
import { runInvocation } from '../shared/invocation';

/** Time kept back from the Lambda timeout for write-backs, dead letters and the response. */
const SAFETY_MS = 20_000;

const logger = createLogger('ddb-ingest');
const metrics = createMetrics('dynamodb');
const runtime = readRuntimeEnv();
const settings = readDdbIngestSettings();
const dynamodb = new DynamoDBClient({});
const certyo = certyoClientFromEnv(process.env, { log: logger, ...budgetCounters(metrics), dynamodb });
const deps = {
  certyo,
  // Queue URLs are used as given, so AWS_ENDPOINT_URL_SQS applies locally (architecture.md, pitfalls).
  deadLetters: sqsDeadLetterSink(settings.deadLetterQueueUrl, new SQSClient({ useQueueUrlAsEndpoint: false })),
  verification: verificationStarterFromEnv(process.env),
  writeBack: dynamoDbWriteBack(dynamodb),
  reporter: {
    batchSent: (outcome: IngestManyOutcome) => publishIngestMetrics(metrics, outcome, certyo.rateLimit),
    finished: (summary: BatchSummary) => {
      metrics.addMetric(METRIC_NAMES.recordsRejected, MetricUnit.Count, summary.unmappable);
      metrics.addMetric(DYNAMODB_METRIC_NAMES.recordsSkipped, MetricUnit.Count, Object.values(summary.skipped).reduce((a, b) => a + b, 0));
      metrics.addMetric(DYNAMODB_METRIC_NAMES.writeBackFailures, MetricUnit.Count, summary.writeBack.failed);
    },
  },
  options: { tenantId: runtime.tenantId, database: settings.database, ttlDeletes: settings.ttlDeletes, writeBack: settings.writeBack },
  log: logger,
  now: Date.now,
  sleep,
};

export async function handler(event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> {
  return runInvocation(context, { logger, metrics, safetyMs: SAFETY_MS }, (deadline) => processStreamBatch(event.Records, { ...deps, deadline }));
}
