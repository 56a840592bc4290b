/**
 * Structured JSON logs and CloudWatch embedded-format metrics for every Lambda, via Powertools.
 * Record payloads and the API key are never logged; log identifiers and counts.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { IngestManyOutcome, RateLimitedError, RateLimitState } from './certyo-types';
import { BUDGET_METRIC_NAMES, DEFAULT_METRICS_NAMESPACE, IngestPath, METRIC_NAMES, PATH_DIMENSION } from './metric-names';

export { DYNAMODB_METRIC_NAMES, INGEST_PATHS, METRIC_NAMES } from './metric-names';
export type { IngestPath } from './metric-names';

/**
 * The part of Powertools' Logger the ingest handlers' pure functions depend on, so tests and
 * local runs can pass a recording log. Attributes carry identifiers and counts, never payloads.
 */
export interface Log {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

/**
 * Metrics of one ingest path, with `Path` as their only dimension. Powertools adds a `service`
 * dimension to every metric by default; CloudWatch identifies a metric by its whole dimension
 * set, so every graph and alarm would have to name `service` too, although it would only
 * repeat `Path`. The monitoring construct reads exactly `{Path}`.
 */
export function createMetrics(path: IngestPath, namespace = process.env.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE): Metrics {
  const metrics = new Metrics({ namespace, serviceName: path });
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ [PATH_DIMENSION]: path });
  return metrics;
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

/**
 * The client's shared-budget counters: each time the record could not be used (the client then
 * goes on alone), and each time it held a request back.
 */
export function budgetCounters(metrics: Metrics): { onBudgetUnavailable: () => void; onBudgetWait: () => void } {
  return {
    onBudgetUnavailable: () => metrics.addMetric(BUDGET_METRIC_NAMES.rateBudgetUnavailable, MetricUnit.Count, 1),
    onBudgetWait: () => metrics.addMetric(BUDGET_METRIC_NAMES.rateBudgetWaits, MetricUnit.Count, 1),
  };
}
