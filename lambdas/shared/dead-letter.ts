/**
 * Where a handler puts input it cannot ingest (unparsable line, record failing validation,
 * event missing a field), with the reason, so the good input around it can go through and an
 * operator can see, fix and redrive the bad one. Shared by every ingest Lambda.
 */
import { SendMessageBatchCommand, SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import { packGreedy } from './pack-greedy';

export interface DeadLetter {
  /** The original input (an event, a line, a record) as text. */
  readonly body: string;
  /** Names the field or the position and what was wrong. Never contains the API key. */
  readonly reason: string;
  /** Where the input came from, e.g. `s3://bucket/key#line 12` or an SQS message id. */
  readonly source: string;
}

export interface DeadLetterSink {
  send(letters: readonly DeadLetter[]): Promise<void>;
}

/** SQS limits: 10 entries and 256 KiB per SendMessageBatch, 256 KiB per message. */
const MAX_BATCH_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;
/** Room for attributes and their names inside the 256 KiB a message may use. */
const ATTRIBUTE_ALLOWANCE = 2 * 1024;
const MAX_BODY_BYTES = MAX_BATCH_BYTES - ATTRIBUTE_ALLOWANCE;
const MAX_ATTRIBUTE_CHARS = 1024;

export class DeadLetterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeadLetterError';
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A body that does not fit is cut, and the reason says so: the source still locates the original. */
function toEntry(letter: DeadLetter, id: number): SendMessageBatchRequestEntry {
  const size = Buffer.byteLength(letter.body, 'utf8');
  const fits = size <= MAX_BODY_BYTES;
  const body = fits ? letter.body : Buffer.from(letter.body, 'utf8').subarray(0, MAX_BODY_BYTES - 64).toString('utf8');
  const reason = fits ? letter.reason : `${letter.reason} (body truncated from ${size} bytes; see ${letter.source})`;
  return {
    Id: String(id),
    MessageBody: body === '' ? '(empty)' : body,
    MessageAttributes: {
      ERROR_CODE: { DataType: 'String', StringValue: 'INVALID_RECORD' },
      ERROR_MESSAGE: { DataType: 'String', StringValue: truncate(reason, MAX_ATTRIBUTE_CHARS) },
      SOURCE: { DataType: 'String', StringValue: truncate(letter.source, MAX_ATTRIBUTE_CHARS) },
    },
  };
}

function entryBytes(entry: SendMessageBatchRequestEntry): number {
  return Buffer.byteLength(entry.MessageBody ?? '', 'utf8') + ATTRIBUTE_ALLOWANCE;
}

/** Groups entries into SendMessageBatch calls within the entry-count and byte limits. */
export function packBatches(entries: readonly SendMessageBatchRequestEntry[]): SendMessageBatchRequestEntry[][] {
  return packGreedy(entries, { maxItems: MAX_BATCH_ENTRIES, maxBytes: MAX_BATCH_BYTES, sizeOf: entryBytes });
}

/**
 * Sends dead letters to an SQS queue with `ERROR_CODE`, `ERROR_MESSAGE` and `SOURCE` message
 * attributes (the shape EventBridge uses for its own DLQ messages, so one runbook covers both).
 * Throws if any entry could not be sent, so the caller fails the input instead of losing it.
 */
export function sqsDeadLetterSink(queueUrl: string, sqs: SQSClient): DeadLetterSink {
  return {
    async send(letters) {
      const entries = letters.map((letter, index) => toEntry(letter, index));
      for (const batch of packBatches(entries)) {
        const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch }));
        const failed = result.Failed ?? [];
        if (failed.length > 0) {
          const detail = failed.map((f) => `${f.Id}: ${f.Code ?? 'error'} ${f.Message ?? ''}`.trim()).join('; ');
          throw new DeadLetterError(`Could not dead-letter ${failed.length} of ${batch.length} messages to ${queueUrl}: ${detail}`);
        }
      }
    },
  };
}
