/**
 * Bytes of CloudWatch embedded-metric-format output a Lambda writes, for the cost model: the
 * real `publishIngestMetrics` fills a real Powertools `Metrics`, and at the end of each
 * invocation (where the handler calls `publishStoredMetrics`) the document it would print is
 * measured instead of printed.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { IngestManyOutcome, RateLimitState } from '../lambdas/shared/certyo-types';
import { createMetrics, IngestPath, METRIC_NAMES, MetricUnit, publishIngestMetrics } from '../lambdas/shared/observability';

export class EmfMeter {
  bytes = 0;
  private readonly metrics: Metrics;
  private pending = false;

  constructor(
    path: IngestPath,
    private readonly rateLimit: () => RateLimitState,
  ) {
    this.metrics = createMetrics(path, 'Certyo');
  }

  /** What every handler's reporter does after an `ingestMany`. */
  batchSent(outcome: IngestManyOutcome): void {
    publishIngestMetrics(this.metrics, outcome, this.rateLimit());
    this.pending = true;
  }

  recordsRejected(count: number): void {
    this.metrics.addMetric(METRIC_NAMES.recordsRejected, MetricUnit.Count, count);
    this.pending = true;
  }

  /** End of an invocation: one EMF log line (plus its newline), as `publishStoredMetrics` would print. */
  flush(): void {
    if (!this.pending) return;
    this.bytes += JSON.stringify(this.metrics.serializeMetrics()).length + 1;
    this.metrics.clearMetrics();
    this.pending = false;
  }
}
