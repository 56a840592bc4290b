/**
 * s3-ingest: SQS (S3 ObjectCreated notifications and continuations) → Certyo bulk requests.
 * Builds its dependencies once per cold start; the work is in `process-batch.ts`.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { IngestManyOutcome } from '../shared/certyo-types';
import { certyoClientFromEnv } from '../shared/certyo-client';
import { sqsDeadLetterSink } from '../shared/dead-letter';
import { budgetCounters, createLogger, createMetrics, METRIC_NAMES, MetricUnit, publishIngestMetrics } from '../shared/observability';
import { readRuntimeEnv } from '../shared/runtime-env';
import { verificationStarterFromEnv } from '../shared/verification-starter';
import { sqsContinuationQueue } from './continuation';
import { s3ObjectSource } from './object-source';
import { processQueueBatch } from './process-batch';
import { readS3IngestSettings } from './settings';
import { runInvocation } from '../shared/invocation';

/** Time kept back from the Lambda timeout to flush dead letters and enqueue continuations. */
const SAFETY_MS = 20_000;

const logger = createLogger('s3-ingest');
const metrics = createMetrics('s3');
const settings = readS3IngestSettings(readRuntimeEnv().tenantId);
const certyo = certyoClientFromEnv(process.env, { log: logger, ...budgetCounters(metrics) });
// Queue URLs are used as given, so AWS_ENDPOINT_URL_SQS applies locally (architecture.md, pitfalls).
const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
const deps = {
  certyo,
  objects: s3ObjectSource(new S3Client({})),
  deadLetters: sqsDeadLetterSink(settings.rejectedQueueUrl, sqs),
  continuations: sqsContinuationQueue(settings.ingestQueueUrl, sqs),
  verification: verificationStarterFromEnv(process.env),
  reporter: {
    batchSent: (outcome: IngestManyOutcome) => publishIngestMetrics(metrics, outcome, certyo.rateLimit),
    recordsRejected: (count: number) => metrics.addMetric(METRIC_NAMES.recordsRejected, MetricUnit.Count, count),
  },
  mapping: settings.mapping,
  limits: settings.limits,
  log: logger,
  now: Date.now,
};

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return runInvocation(context, { logger, metrics, safetyMs: SAFETY_MS }, (deadline) => processQueueBatch(event.Records, { ...deps, deadline }));
}
