/**
 * forwarder: the batched mode's buffer queue (EventBridge record events) → Certyo bulk requests.
 * Builds its dependencies once per cold start; the work is in `forward-batch.ts`.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { certyoClientFromEnv } from '../shared/certyo-client';
import { IngestManyOutcome } from '../shared/certyo-types';
import { sqsDeadLetterSink } from '../shared/dead-letter';
import { budgetCounters, createLogger, createMetrics, METRIC_NAMES, MetricUnit, publishIngestMetrics } from '../shared/observability';
import { EnvironmentError, readRuntimeEnv, requireEnv } from '../shared/runtime-env';
import { verificationStarterFromEnv } from '../shared/verification-starter';
import { carryPolicy, forwardBatch } from './forward-batch';
import { sqsMessageVisibility } from './message-visibility';
import { runInvocation } from '../shared/invocation';

/** Time kept back from the Lambda timeout to dead-letter, postpone and start verifications. */
const SAFETY_MS = 20_000;

function wholeNumber(name: string): number {
  const raw = requireEnv(name);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new EnvironmentError(`Environment variable ${name} = "${raw}" is not a whole number`);
  return value;
}

const logger = createLogger('forwarder');
const metrics = createMetrics('forwarder');
const { tenantId } = readRuntimeEnv();
const certyo = certyoClientFromEnv(process.env, { log: logger, ...budgetCounters(metrics) });
// Queue URLs are used as given, so AWS_ENDPOINT_URL_SQS applies locally (architecture.md, pitfalls).
const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
const deps = {
  certyo,
  deadLetters: sqsDeadLetterSink(requireEnv('REJECTED_QUEUE_URL'), sqs),
  visibility: sqsMessageVisibility(requireEnv('BUFFER_QUEUE_URL'), sqs),
  verification: verificationStarterFromEnv(process.env),
  tenantId,
  // The event source mapping's settings, which the construct passes on.
  carry: carryPolicy(wholeNumber('BATCH_SIZE'), wholeNumber('BATCH_WINDOW_SECONDS')),
  now: Date.now,
  log: logger,
  reporter: {
    ingested: (outcome: IngestManyOutcome) => publishIngestMetrics(metrics, outcome, certyo.rateLimit),
    invalid: (count: number) => metrics.addMetric(METRIC_NAMES.recordsRejected, MetricUnit.Count, count),
  },
};

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return runInvocation(context, { logger, metrics, safetyMs: SAFETY_MS }, (deadline) => forwardBatch(event.Records, { ...deps, deadline }));
}
