/**
 * mongo-ingest: Amazon DocumentDB change streams (event source mappings) → Certyo bulk requests.
 * Builds its dependencies once per cold start; the work is in `process-batch.ts`.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { certyoClientFromEnv } from '../shared/certyo-client';
import { IngestManyOutcome } from '../shared/certyo-types';
import { sqsDeadLetterSink } from '../shared/dead-letter';
import { runInvocation } from '../shared/invocation';
import { budgetCounters, createLogger, createMetrics, DYNAMODB_METRIC_NAMES, METRIC_NAMES, MetricUnit, publishIngestMetrics } from '../shared/observability';
import { sleep } from '../shared/retry';
import { readRuntimeEnv, requireEnv } from '../shared/runtime-env';
import { verificationStarterFromEnv } from '../shared/verification-starter';
import { DocumentDbEvent, MongoBatchSummary, processDocumentDbBatch } from './process-batch';

/** Time kept back from the Lambda timeout for dead letters and the response. */
const SAFETY_MS = 20_000;

const logger = createLogger('mongo-ingest');
const metrics = createMetrics('mongodb');
const runtime = readRuntimeEnv();
const certyo = certyoClientFromEnv(process.env, { log: logger, ...budgetCounters(metrics) });
const deps = {
  certyo,
  // Queue URLs are used as given, so AWS_ENDPOINT_URL_SQS applies locally (architecture.md, pitfalls).
  deadLetters: sqsDeadLetterSink(requireEnv('DEAD_LETTER_QUEUE_URL'), new SQSClient({ useQueueUrlAsEndpoint: false })),
  verification: verificationStarterFromEnv(process.env),
  reporter: {
    batchSent: (outcome: IngestManyOutcome) => publishIngestMetrics(metrics, outcome, certyo.rateLimit),
    finished: (summary: MongoBatchSummary) => {
      metrics.addMetric(METRIC_NAMES.recordsRejected, MetricUnit.Count, summary.unmappable);
      // The stream paths share the skipped-records metric; the Path dimension (mongodb) tells them apart.
      metrics.addMetric(DYNAMODB_METRIC_NAMES.recordsSkipped, MetricUnit.Count, summary.skipped['certyo-only'] + summary.skipped['other-operation']);
    },
  },
  options: { tenantId: runtime.tenantId },
  log: logger,
  now: Date.now,
  sleep,
};

export async function handler(event: DocumentDbEvent, context: Context): Promise<MongoBatchSummary> {
  return runInvocation(context, { logger, metrics, safetyMs: SAFETY_MS }, (deadline) => processDocumentDbBatch(event, { ...deps, deadline }));
}
