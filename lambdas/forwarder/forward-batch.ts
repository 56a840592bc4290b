/**
 * One forwarder invocation: the buffered record events → as few bulk requests as possible.
 *
 * Every message ends in exactly one of three ways:
 * - accepted by Certyo (or replayed): success;
 * - invalid (breaks the event contract, or Certyo rejects that record): dead-lettered with the
 *   reason, then success, so SQS does not redeliver what can never succeed;
 * - not sent (rate limit, outage, Lambda time running out, authentication failure): reported in
 *   `batchItemFailures` so SQS delivers it again, and, when Certyo said when to retry, made
 *   invisible until then, so a throttled event waits out `Retry-After` instead of burning receives;
 * - carried (see `carryLeftover`): the events of a trailing partial request of a batch that was
 *   cut short (by the batch size or Lambda's 6 MB payload, so more events are waiting) are
 *   reported as failures and made visible again at once: they fill the next invocation's
 *   requests instead of costing a request of their own.
 */
import type { SQSBatchItemFailure, SQSBatchResponse } from 'aws-lambda';
import { CertyoApi, CertyoRecord, IngestManyOutcome, MAX_BULK_ITEMS } from '../shared/certyo-types';
import { DeadLetter, DeadLetterSink } from '../shared/dead-letter';
import { VerificationStarter } from '../shared/verification-starter';
import { MessageVisibility, ReceivedMessage, secondsUntil } from './message-visibility';
import { parseRecordMessage } from '../shared/record-message';
import { errorText } from '../shared/error-text';
import type { Log } from '../shared/observability';

export interface QueueMessage extends ReceivedMessage {
  readonly body: string;
  /** The SQS system attributes of a Lambda event record (present in AWS). */
  readonly attributes?: { readonly SentTimestamp?: string; readonly ApproximateReceiveCount?: string };
}

/** When a trailing partial request's events are carried into the next invocation. */
export interface CarryPolicy {
  /** Events per invocation the event source mapping delivers at most (`certyo:batched.batchSize`). */
  readonly batchSize: number;
  /** Records per bulk request (1,000). */
  readonly requestRecords: number;
  /** Lambda's invocation payload limit: a batch within one event of it was cut short. */
  readonly payloadBytes: number;
  /** An event sent longer ago than this is sent now, not carried (`certyo:batched.batchWindowSeconds`). */
  readonly maxAgeSeconds: number;
  /** An event received this often is sent now, so carrying never nears the queue's `maxReceiveCount`. */
  readonly maxReceives: number;
}

/** Lambda's limit on a synchronous invocation's payload, which the SQS event source honours. */
export const LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** A carried event is received at most this often before it goes out in a partial request. */
const CARRY_MAX_RECEIVES = 5;

/** The carry policy of an event source mapping with these settings. */
export function carryPolicy(batchSize: number, batchWindowSeconds: number): CarryPolicy {
  return { batchSize, requestRecords: MAX_BULK_ITEMS, payloadBytes: LAMBDA_PAYLOAD_BYTES, maxAgeSeconds: batchWindowSeconds, maxReceives: CARRY_MAX_RECEIVES };
}


export interface ForwarderReporter {
  ingested(outcome: IngestManyOutcome): void;
  /** Messages dead-lettered before reaching Certyo (contract violations). */
  invalid(count: number): void;
}

export interface ForwarderDeps {
  readonly certyo: Pick<CertyoApi, 'ingestMany'>;
  readonly deadLetters: DeadLetterSink;
  readonly visibility: MessageVisibility;
  readonly verification: VerificationStarter;
  /** Tenant of events that do not name one (`certyo:tenantId`). */
  readonly tenantId: string;
  /** Epoch ms after which the client must not start waiting or sending. */
  readonly deadline: number;
  readonly now: () => number;
  readonly log: Log;
  readonly reporter?: ForwarderReporter;
  /** @default - never carry */
  readonly carry?: CarryPolicy;
}

interface Pending {
  readonly message: QueueMessage;
  readonly record: CertyoRecord;
}

interface Letter {
  readonly message: QueueMessage;
  readonly letter: DeadLetter;
}

export async function forwardBatch(messages: readonly QueueMessage[], deps: ForwarderDeps): Promise<SQSBatchResponse> {
  const failed = new Set<string>();
  const pending: Pending[] = [];
  const letters: Letter[] = [];
  const source = (message: QueueMessage): string => `sqs message ${message.messageId}`;

  for (const message of messages) {
    const parsed = await parseRecordMessage(message.body, deps.tenantId);
    if (parsed.ok === true) pending.push({ message, record: parsed.record });
    else if (parsed.ok === 'skip') deps.log.info('event skipped', { messageId: message.messageId, reason: parsed.reason });
    else letters.push({ message, letter: { body: message.body, reason: parsed.reason, source: source(message) } });
  }
  deps.reporter?.invalid(letters.length);

  const carried = carryLeftover(messages, pending, deps);
  if (carried.length > 0) {
    pending.splice(pending.length - carried.length);
    for (const p of carried) failed.add(p.message.messageId);
    try {
      await deps.visibility.postpone(carried.map((p) => p.message), 0);
    } catch (error) {
      deps.log.warn('could not make carried events visible again; they return after the visibility timeout', { messages: carried.length, error: errorText(error) });
    }
  }

  let outcome: IngestManyOutcome | undefined;
  if (pending.length > 0) {
    try {
      outcome = await deps.certyo.ingestMany(
        pending.map((p) => p.record),
        // No maxWaitMs: sleeping through a wait that ends before the deadline keeps the batch
        // together; deferring it returned the events in pieces across pollers (the concurrency
        // figure fell from 1,000 to 667 records per request), while the sleep bills at most
        // about $0.004 per rate window.
        { deadline: deps.deadline },
      );
    } catch (error) {
      // `ingestMany` only throws when no record can be sent (e.g. the key is refused after a
      // reload): keep every event for a later attempt; the alarm on failed messages catches a
      // problem that outlasts `maxReceiveCount`.
      deps.log.error('Certyo refused the batch; the events will be delivered again', { messages: pending.length, error: errorText(error) });
      for (const p of pending) failed.add(p.message.messageId);
    }
  }

  if (outcome) {
    deps.reporter?.ingested(outcome);
    const messageAt = (index: number): QueueMessage => (pending[index] as Pending).message;
    for (const rejected of outcome.rejected) {
      const message = messageAt(rejected.index);
      letters.push({ message, letter: { body: message.body, reason: rejected.reason, source: source(message) } });
    }
    const unsent = outcome.unsent.map((u) => messageAt(u.index));
    for (const message of unsent) failed.add(message.messageId);
    if (unsent.length > 0) await postpone(unsent, outcome, deps);
    await startVerification(outcome, messageAt, failed, deps);
  }

  if (letters.length > 0) {
    try {
      await deps.deadLetters.send(letters.map((l) => l.letter));
      for (const { message, letter } of letters) deps.log.warn('event dead-lettered', { messageId: message.messageId, reason: letter.reason });
    } catch (error) {
      deps.log.error('could not dead-letter invalid events; they will be delivered again', { messages: letters.length, error: errorText(error) });
      for (const { message } of letters) failed.add(message.messageId);
    }
  }

  deps.log.info('batch forwarded', {
    messages: messages.length,
    accepted: outcome?.accepted.length ?? 0,
    deadLettered: letters.length,
    retried: failed.size,
    carried: carried.length,
    requests: outcome?.requests ?? 0,
    retryAt: outcome?.stoppedBy?.retryAt.toISOString(),
  });
  const batchItemFailures: SQSBatchItemFailure[] = messages.filter((m) => failed.has(m.messageId)).map((m) => ({ itemIdentifier: m.messageId }));
  return { batchItemFailures };
}

/**
 * The events of the trailing partial request, when carrying them saves a request without
 * holding anything long: the batch was cut short (more events are waiting, so the next
 * invocation comes soon and fills up), at least one full request goes out now (progress), and
 * every carried event is young and seldom received. Otherwise nothing is carried.
 */
function carryLeftover(messages: readonly QueueMessage[], pending: readonly Pending[], deps: ForwarderDeps): Pending[] {
  const policy = deps.carry;
  if (!policy || pending.length <= policy.requestRecords) return [];
  const leftover = pending.length % policy.requestRecords;
  if (leftover === 0) return [];
  const sizes = messages.map((m) => Buffer.byteLength(JSON.stringify(m)));
  const payload = sizes.reduce((sum, s) => sum + s + 1, Buffer.byteLength('{"Records":[]}'));
  const cut = messages.length >= policy.batchSize || payload + Math.max(...sizes) > policy.payloadBytes;
  if (!cut) return [];
  const tail = pending.slice(pending.length - leftover);
  const now = deps.now();
  const young = tail.every(({ message }) => {
    const sent = Number(message.attributes?.SentTimestamp);
    const receives = Number(message.attributes?.ApproximateReceiveCount);
    return Number.isFinite(sent) && now - sent < policy.maxAgeSeconds * 1000 && Number.isFinite(receives) && receives < policy.maxReceives;
  });
  return young ? tail : [];
}

/** Unsent events come back when Certyo said to retry; if that cannot be arranged, after the queue's visibility timeout. */
async function postpone(unsent: readonly QueueMessage[], outcome: IngestManyOutcome, deps: ForwarderDeps): Promise<void> {
  const retryAt = outcome.stoppedBy?.retryAt;
  if (!retryAt) return;
  const seconds = secondsUntil(retryAt, deps.now());
  try {
    await deps.visibility.postpone(unsent, seconds);
  } catch (error) {
    deps.log.warn('could not postpone unsent events; they return after the visibility timeout', { messages: unsent.length, error: errorText(error) });
  }
}

/**
 * A verification that could not be started fails its events: SQS delivers them again, Certyo
 * replays them (same idempotency key, no duplicate) and the start is retried, where a started
 * execution answers `ExecutionAlreadyExists`. Costs one request; loses no verification.
 */
async function startVerification(
  outcome: IngestManyOutcome,
  messageAt: (index: number) => QueueMessage,
  failed: Set<string>,
  deps: ForwarderDeps,
): Promise<void> {
  if (outcome.accepted.length === 0) return;
  try {
    await deps.verification.start(outcome.accepted);
  } catch (error) {
    deps.log.error('could not start verifications; the events will be delivered again', { records: outcome.accepted.length, error: errorText(error) });
    for (const accepted of outcome.accepted) failed.add(messageAt(accepted.index).messageId);
  }
}
