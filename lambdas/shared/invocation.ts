/**
 * The frame of every batch handler's invocation: the logger learns the request, the work gets a
 * deadline `safetyMs` before the Lambda timeout (time kept back to dead-letter, re-queue and
 * respond), and the metrics it stored are flushed even when it throws.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';

export async function runInvocation<T>(
  context: Context,
  observability: { readonly logger: Logger; readonly metrics: Metrics; readonly safetyMs: number },
  work: (deadline: number) => Promise<T>,
): Promise<T> {
  observability.logger.addContext(context);
  try {
    return await work(Date.now() + context.getRemainingTimeInMillis() - observability.safetyMs);
  } finally {
    // An invocation can end with nothing to report (e.g. one that only re-queued work).
    if (observability.metrics.hasStoredMetrics()) observability.metrics.publishStoredMetrics();
  }
}
