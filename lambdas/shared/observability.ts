/**
 * Structured JSON logs and CloudWatch embedded-format metrics for every Lambda, via Powertools.
 * Record payloads and the API key are never logged; log identifiers and counts.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

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
  const metrics = new Metrics({ namespace, serviceName: path, defaultDimensions: { Path: path } });
  return metrics;
}

export { MetricUnit };
