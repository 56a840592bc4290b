/**
 * In-memory stand-ins for the SQS queues around the Lambdas, with the semantics the handlers
 * rely on: `DelaySeconds`, redelivery of the messages a batch reports as failed, and moving a
 * message to its dead-letter queue after `maxReceiveCount` receives (as a redrive policy does).
 * Messages are handed to handlers in the shape of a real SQS Lambda event record.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { DeadLetter, DeadLetterSink } from '../../lambdas/shared/dead-letter';

/** Dead letters kept in memory, e.g. the rejected-records queue. */
export class MemoryDeadLetters implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];

  async send(letters: readonly DeadLetter[]): Promise<void> {
    this.letters.push(...letters);
  }
}

interface Stored {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  visibleAt: number;
  firstReceivedAt?: number;
}

export interface MemoryQueueOptions {
  /** Receives before a message moves to `deadLetters` (the queue's redrive policy). @default 5 */
  readonly maxReceiveCount?: number;
  /** How long a failed message stays invisible before redelivery, in ms. @default 0 */
  readonly visibilityTimeoutMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Length of the receipt handles SQS hands out (observed: 350-400 characters). */
const RECEIPT_HANDLE_CHARS = 380;

export class MemoryQueue {
  /** Messages that exhausted their receives, with the last failure's reason. */
  readonly deadLetters: { readonly body: string; readonly reason: string }[] = [];
  /** SendMessage, ReceiveMessage and DeleteMessageBatch calls a real queue would have billed. */
  readonly requests = { send: 0, receive: 0, delete: 0 };
  private readonly messages: Stored[] = [];
  private readonly maxReceiveCount: number;
  private readonly visibilityTimeoutMs: number;
  private readonly now: () => number;

  constructor(
    readonly name: string,
    options: MemoryQueueOptions = {},
  ) {
    this.maxReceiveCount = options.maxReceiveCount ?? 5;
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  get arn(): string {
    return `arn:aws:sqs:us-east-1:123456789012:${this.name}`;
  }

  get url(): string {
    return `https://sqs.us-east-1.amazonaws.com/123456789012/${this.name}`;
  }

  get size(): number {
    return this.messages.length;
  }

  send(body: string, delaySeconds = 0): void {
    this.requests.send++;
    const now = this.now();
    this.messages.push({ messageId: randomUUID(), body, sentAt: now, receiveCount: 0, visibleAt: now + delaySeconds * 1000 });
  }

  /** When the next message becomes visible (undefined when empty). */
  nextVisibleAt(): number | undefined {
    return this.messages.reduce<number | undefined>((min, m) => (min === undefined || m.visibleAt < min ? m.visibleAt : min), undefined);
  }

  /**
   * Up to `max` visible messages as SQS event records, and no more than fit `maxEventBytes` as a
   * Lambda event (`{"Records":[...]}`), as the event source mapping cuts a batch at Lambda's
   * payload limit; they stay invisible until `settle`.
   */
  receive(max: number, maxEventBytes = Number.POSITIVE_INFINITY): SQSRecord[] {
    const now = this.now();
    const taken: SQSRecord[] = [];
    let bytes = Buffer.byteLength('{"Records":[]}');
    for (const m of this.messages) {
      if (taken.length >= max) break;
      if (m.visibleAt > now) continue;
      const record = this.record(m, m.receiveCount + 1, m.firstReceivedAt ?? now);
      const size = Buffer.byteLength(JSON.stringify(record)) + (taken.length > 0 ? 1 : 0);
      if (bytes + size > maxEventBytes) break;
      bytes += size;
      taken.push(record);
      m.receiveCount++;
      m.firstReceivedAt ??= now;
      m.visibleAt = Number.POSITIVE_INFINITY;
    }
    this.requests.receive += Math.ceil(taken.length / 10);
    return taken;
  }

  /** A message as a Lambda event record; the receipt handle is as long as a real one (~380 characters), so event sizes are realistic. */
  private record(m: Stored, receiveCount: number, firstReceivedAt: number): SQSRecord {
    const handle = `${m.messageId}#${receiveCount}#`;
    return {
      messageId: m.messageId,
      receiptHandle: handle + 'A'.repeat(RECEIPT_HANDLE_CHARS - handle.length),
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'AIDAEXAMPLELOCALRUN',
        ApproximateFirstReceiveTimestamp: String(firstReceivedAt),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(m.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: this.arn,
      awsRegion: 'us-east-1',
    };
  }

  /**
   * What the event source mapping does with a handler's answer: deletes the messages that
   * succeeded; the failed ones (all of them if the handler threw) become visible again, or go
   * to the dead-letter queue once received `maxReceiveCount` times.
   */
  settle(records: readonly SQSRecord[], response: SQSBatchResponse | Error): void {
    const failed = new Set(response instanceof Error ? records.map((r) => r.messageId) : response.batchItemFailures.map((f) => f.itemIdentifier));
    const reason = response instanceof Error ? `${response.name}: ${response.message}` : 'reported as a batch item failure';
    const succeeded = records.filter((r) => !failed.has(r.messageId));
    if (succeeded.length > 0) this.requests.delete += Math.ceil(succeeded.length / 10);
    for (const record of records) {
      const index = this.messages.findIndex((m) => m.messageId === record.messageId);
      const message = this.messages[index];
      if (message === undefined) continue;
      if (!failed.has(record.messageId)) {
        this.messages.splice(index, 1);
      } else if (message.receiveCount >= this.maxReceiveCount) {
        this.messages.splice(index, 1);
        this.deadLetters.push({ body: message.body, reason: `${reason} ${message.receiveCount} times` });
      } else if (message.visibleAt === Number.POSITIVE_INFINITY) {
        // Not postponed by the handler (ChangeMessageVisibility): back after the visibility timeout.
        message.visibleAt = this.now() + this.visibilityTimeoutMs;
      }
    }
  }

  /** Changes a received message's visibility (what a handler does to delay its own retry). */
  changeVisibility(messageId: string, seconds: number): void {
    const message = this.messages.find((m) => m.messageId === messageId);
    if (message) message.visibleAt = this.now() + seconds * 1000;
  }
}
