/**
 * Puts messages back in the queue until a given time: a partial batch response alone would
 * bring them back after the queue's visibility timeout, too early for a rate limit that resets
 * in an hour, too late for a `Retry-After` of a few seconds.
 */
import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { forEachBounded } from '../shared/for-each-bounded';

export interface ReceivedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
}

export interface MessageVisibility {
  /** Makes the messages invisible for `seconds` from now; throws if any could not be changed. */
  postpone(messages: readonly ReceivedMessage[], seconds: number): Promise<void>;
}

/** SQS's limit for a message received once: 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_BATCH_ENTRIES = 10;

/** Seconds until `retryAt`, rounded up, within what SQS accepts. */
export function secondsUntil(retryAt: Date, now: number): number {
  return Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil((retryAt.getTime() - now) / 1000)));
}

/**
 * `ChangeMessageVisibilityBatch` calls in flight at once: 10,000 postponed messages take 1,000
 * calls, which one after another would keep the invocation (billed) waiting for seconds.
 */
export const PARALLEL_CALLS = 16;

export function sqsMessageVisibility(queueUrl: string, sqs: Pick<SQSClient, 'send'>): MessageVisibility {
  return {
    async postpone(messages, seconds) {
      const failed: string[] = [];
      const starts = Array.from({ length: Math.ceil(messages.length / MAX_BATCH_ENTRIES) }, (_, i) => i * MAX_BATCH_ENTRIES);
      await forEachBounded(starts, PARALLEL_CALLS, async (start) => {
        const batch = messages.slice(start, start + MAX_BATCH_ENTRIES);
        const result = await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map((m, i) => ({ Id: String(start + i), ReceiptHandle: m.receiptHandle, VisibilityTimeout: seconds })),
          }),
        );
        for (const f of result.Failed ?? []) failed.push(`${messages[Number(f.Id)]?.messageId ?? f.Id}: ${f.Code ?? 'error'}`);
      });
      if (failed.length > 0) throw new Error(`ChangeMessageVisibility failed for ${failed.length} of ${messages.length} messages (${failed.slice(0, 5).join('; ')})`);
    },
  };
}
