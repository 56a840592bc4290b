/**
 * Bytes of CloudWatch embedded-metric-format output a Lambda writes, for the cost model: the
 * real `publishIngestMetrics` fills a real Powertools `Metrics`, and at the end of each
 * invocation (where the handler calls `publishStoredMetrics`) the document it would print is
 * measured instead of printed.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { RateLimitState } from '../lambdas/shared/certyo-types';
import { IngestReporter } from '../lambdas/s3-ingest/file-ingest';
import { createMetrics, IngestPath, METRIC_NAMES, MetricUnit, publishIngestMetrics } from '../lambdas/shared/observability';

export class EmfMeter {
  bytes = 0;
  private readonly metrics: Metrics;
  private pending = false;

  constructor(path: IngestPath) {
    this.metrics = createMetrics(path, 'Certyo');
  }

  /** The reporter an ingest handler builds, feeding this meter. */
  reporter(rateLimit: () => RateLimitState): IngestReporter {
    return {
      batchSent: (outcome) => {
        publishIngestMetrics(this.metrics, outcome, rateLimit());
        this.pending = true;
      },
      recordsRejected: (count) => {
        this.metrics.addMetric(METRIC_NAMES.recordsRejected, MetricUnit.Count, count);
        this.pending = true;
      },
    };
  }

  /** End of an invocation: one EMF log line (plus its newline), as `publishStoredMetrics` would print. */
  flush(): void {
    if (!this.pending) return;
    this.bytes += JSON.stringify(this.metrics.serializeMetrics()).length + 1;
    this.metrics.clearMetrics();
    this.pending = false;
  }
}
