/**
 * Structured JSON logs and CloudWatch embedded-format metrics for every Lambda, via Powertools.
 * Record payloads and the API key are never logged; log identifiers and counts.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { IngestManyOutcome, RateLimitedError, RateLimitState } from './certyo-types';

/** The ingest path a metric belongs to (metric dimension `Path`). */
export type IngestPath = 's3' | 'dynamodb' | 'forwarder' | 'proxy' | 'verify' | 'webhook';

export const METRIC_NAMES = {
  recordsAccepted: 'RecordsAccepted',
  recordsReplayed: 'RecordsReplayed',
  recordsRejected: 'RecordsRejected',
  certyoRequests: 'CertyoRequests',
  rateLimited: 'RateLimited',
  bulkSize: 'BulkSize',
  rateLimitRemaining: 'RateLimitRemaining',
} as const;

export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

export function createMetrics(path: IngestPath, namespace = process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Certyo'): Metrics {
  return new Metrics({ namespace, serviceName: path, defaultDimensions: { Path: path } });
}

/**
 * The ingest metrics every path emits after an `ingestMany`, so the dashboard and the budget
 * alarm read the same names from every Lambda. `BulkSize` is the average records per request
 * of this call: the figure that decides how far the 1,000 requests/hour go.
 */
export function publishIngestMetrics(metrics: Metrics, outcome: IngestManyOutcome, rateLimit: RateLimitState): void {
  const replayed = outcome.accepted.filter((a) => a.replayed).length;
  metrics.addMetric(METRIC_NAMES.recordsAccepted, MetricUnit.Count, outcome.accepted.length - replayed);
  metrics.addMetric(METRIC_NAMES.recordsReplayed, MetricUnit.Count, replayed);
  metrics.addMetric(METRIC_NAMES.recordsRejected, MetricUnit.Count, outcome.rejected.length);
  metrics.addMetric(METRIC_NAMES.certyoRequests, MetricUnit.Count, outcome.requests);
  metrics.addMetric(METRIC_NAMES.rateLimited, MetricUnit.Count, outcome.stoppedBy instanceof RateLimitedError ? 1 : 0);
  if (outcome.requests > 0) {
    metrics.addMetric(METRIC_NAMES.bulkSize, MetricUnit.Count, outcome.accepted.length / outcome.requests);
  }
  if (rateLimit.remaining !== undefined) {
    metrics.addMetric(METRIC_NAMES.rateLimitRemaining, MetricUnit.Count, rateLimit.remaining);
  }
}

export { MetricUnit };
