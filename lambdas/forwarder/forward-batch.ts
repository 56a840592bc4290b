/**
 * One forwarder invocation: the buffered record events → as few bulk requests as possible.
 *
 * Every message ends in exactly one of three ways:
 * - accepted by Certyo (or replayed): success;
 * - invalid (breaks the event contract, or Certyo rejects that record): dead-lettered with the
 *   reason, then success, so SQS does not redeliver what can never succeed;
 * - not sent (rate limit, outage, Lambda time running out, authentication failure): reported in
 *   `batchItemFailures` so SQS delivers it again, and, when Certyo said when to retry, made
 *   invisible until then, so a throttled event waits out `Retry-After` instead of burning receives.
 */
import type { SQSBatchItemFailure, SQSBatchResponse } from 'aws-lambda';
import { CertyoApi, CertyoRecord, IngestManyOutcome } from '../shared/certyo-types';
import { DeadLetter, DeadLetterSink } from '../shared/dead-letter';
import { VerificationStarter } from '../shared/verification-starter';
import { MessageVisibility, ReceivedMessage, secondsUntil } from './message-visibility';
import { parseRecordMessage } from '../shared/record-message';
import { errorText } from '../shared/error-text';
import type { Log } from '../shared/observability';

export interface QueueMessage extends ReceivedMessage {
  readonly body: string;
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
    const parsed = parseRecordMessage(message.body, deps.tenantId);
    if (parsed.ok === true) pending.push({ message, record: parsed.record });
    else if (parsed.ok === 'skip') deps.log.info('event skipped', { messageId: message.messageId, reason: parsed.reason });
    else letters.push({ message, letter: { body: message.body, reason: parsed.reason, source: source(message) } });
  }
  deps.reporter?.invalid(letters.length);

  let outcome: IngestManyOutcome | undefined;
  if (pending.length > 0) {
    try {
      outcome = await deps.certyo.ingestMany(
        pending.map((p) => p.record),
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
    requests: outcome?.requests ?? 0,
    retryAt: outcome?.stoppedBy?.retryAt.toISOString(),
  });
  const batchItemFailures: SQSBatchItemFailure[] = messages.filter((m) => failed.has(m.messageId)).map((m) => ({ itemIdentifier: m.messageId }));
  return { batchItemFailures };
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
