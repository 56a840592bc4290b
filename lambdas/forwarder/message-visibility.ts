/**
 * Puts messages back in the queue until a given time: a partial batch response alone would
 * bring them back after the queue's visibility timeout, too early for a rate limit that resets
 * in an hour, too late for a `Retry-After` of a few seconds.
 */
import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';

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

export function sqsMessageVisibility(queueUrl: string, sqs: Pick<SQSClient, 'send'>): MessageVisibility {
  return {
    async postpone(messages, seconds) {
      const failed: string[] = [];
      for (let start = 0; start < messages.length; start += MAX_BATCH_ENTRIES) {
        const batch = messages.slice(start, start + MAX_BATCH_ENTRIES);
        const result = await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map((m, i) => ({ Id: String(start + i), ReceiptHandle: m.receiptHandle, VisibilityTimeout: seconds })),
          }),
        );
        for (const f of result.Failed ?? []) failed.push(`${messages[Number(f.Id)]?.messageId ?? f.Id}: ${f.Code ?? 'error'}`);
      }
      if (failed.length > 0) throw new Error(`ChangeMessageVisibility failed for ${failed.length} of ${messages.length} messages (${failed.slice(0, 5).join('; ')})`);
    },
  };
}
