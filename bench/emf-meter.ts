/**
 * Bytes of CloudWatch embedded-metric-format output a Lambda writes, for the cost model: the
 * real `publishIngestMetrics` fills a real Powertools `Metrics`, and at the end of each
 * invocation (where the handler calls `publishStoredMetrics`) the document it would print is
 * measured instead of printed.
 *
 * Powertools also publishes on its own when a metric reaches 100 values (CloudWatch's limit per
 * EMF document). The meter measures and clears at 99, just before that would print to stdout,
 * so a long invocation costs one EMF document per 99 bulk requests here instead of per 100:
 * within one header (~400 bytes) per 100 requests of the real figure.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { IngestManyOutcome, RateLimitState } from '../lambdas/shared/certyo-types';
import { createMetrics, IngestPath, METRIC_NAMES, MetricUnit, publishIngestMetrics } from '../lambdas/shared/observability';

const MAX_VALUES_BEFORE_AUTO_PUBLISH = 99;

export class EmfMeter {
  bytes = 0;
  private readonly metrics: Metrics;
  private pending = false;
  /** Values stored per metric since the last flush (every report adds one to each metric at most). */
  private values = 0;

  constructor(
    path: IngestPath,
    private readonly rateLimit: () => RateLimitState,
  ) {
    this.metrics = createMetrics(path, 'Certyo');
  }

  /** What every handler's reporter does after an `ingestMany`. */
  batchSent(outcome: IngestManyOutcome): void {
    publishIngestMetrics(this.metrics, outcome, this.rateLimit());
    this.stored();
  }

  recordsRejected(count: number): void {
    this.metrics.addMetric(METRIC_NAMES.recordsRejected, MetricUnit.Count, count);
    this.stored();
  }

  private stored(): void {
    this.pending = true;
    if (++this.values >= MAX_VALUES_BEFORE_AUTO_PUBLISH) this.flush();
  }

  /** End of an invocation: one EMF log line (plus its newline), as `publishStoredMetrics` would print. */
  flush(): void {
    if (!this.pending) return;
    this.bytes += JSON.stringify(this.metrics.serializeMetrics()).length + 1;
    this.metrics.clearMetrics();
    this.pending = false;
    this.values = 0;
  }
}
