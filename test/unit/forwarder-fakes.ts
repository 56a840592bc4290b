/**
 * Fakes for the forwarder tests: a Certyo that packs bulk requests of 1,000 as the client
 * contract says and can answer 429 at a chosen request, plus recording sinks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import {
  AcceptedRecord,
  AuthError,
  CallOptions,
  CertyoApi,
  CertyoRecord,
  IndexedRecord,
  IngestManyOutcome,
  MAX_BULK_ITEMS,
  RateLimitedError,
  RejectedRecord,
} from '../../lambdas/shared/certyo-types';
import { DeadLetter, DeadLetterSink } from '../../lambdas/shared/dead-letter';
import { ForwarderDeps } from '../../lambdas/forwarder/forward-batch';
import { RecordingLog } from '../../local/harness/recording-log';
import { MessageVisibility, ReceivedMessage } from '../../lambdas/forwarder/message-visibility';
import { VerificationStarter } from '../../lambdas/shared/verification-starter';

export const FIXTURE_EVENT = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'sqs', 'eventbridge-record-events.json'), 'utf8'),
) as SQSEvent;

export function fixtureRecord(index: number): SQSRecord {
  const record = FIXTURE_EVENT.Records[index];
  if (!record) throw new Error(`fixture has no record ${index}`);
  return record;
}

/** `count` valid messages cloned from the fixture's first record, each a distinct record id. */
export function validMessages(count: number, prefix = 'm'): SQSRecord[] {
  const template = fixtureRecord(0);
  const event = JSON.parse(template.body) as { id: string; detail: Record<string, unknown> };
  return Array.from({ length: count }, (_, i) => ({
    ...template,
    messageId: `${prefix}-${i}`,
    receiptHandle: `${template.receiptHandle}-${prefix}-${i}`,
    body: JSON.stringify({ ...event, id: `${event.id}-${i}`, detail: { ...event.detail, recordId: `INV-${i}`, idempotencyKey: `billing-INV-${i}-v1` } }),
  }));
}

export interface FakeCertyoOptions {
  /** 1-based number of the bulk request answered with 429 (it and every later one stay unsent). */
  readonly rateLimitAtRequest?: number;
  readonly retryAt?: Date;
  /** Record ids Certyo rejects with a 400 naming the item. */
  readonly rejectRecordIds?: readonly string[];
  readonly authFailure?: boolean;
}

export class FakeCertyo implements Pick<CertyoApi, 'ingestMany'> {
  /** Every bulk request made, with the record ids it carried. */
  readonly requests: string[][] = [];
  readonly calls: { records: readonly CertyoRecord[]; options?: CallOptions }[] = [];

  constructor(private readonly options: FakeCertyoOptions = {}) {}

  async ingestMany(records: readonly CertyoRecord[], options?: CallOptions): Promise<IngestManyOutcome> {
    this.calls.push({ records, options });
    if (this.options.authFailure) throw new AuthError('bulk ingest: Certyo rejected the API key (401) again after reloading it', 401);
    const reject = new Set(this.options.rejectRecordIds ?? []);
    const indexed: IndexedRecord[] = records.map((record, index) => ({ index, record }));
    const rejected: RejectedRecord[] = indexed.filter((r) => reject.has(r.record.recordId)).map((r) => ({ ...r, reason: `items[${r.index}].recordPayload is invalid` }));
    const sendable = indexed.filter((r) => !reject.has(r.record.recordId));
    const accepted: AcceptedRecord[] = [];
    for (let start = 0; start < sendable.length; start += MAX_BULK_ITEMS) {
      const chunk = sendable.slice(start, start + MAX_BULK_ITEMS);
      this.requests.push(chunk.map((c) => c.record.recordId));
      if (this.options.rateLimitAtRequest === this.requests.length) {
        const retryAt = this.options.retryAt ?? new Date(Date.now() + 120_000);
        return { accepted, rejected, unsent: sendable.slice(start), stoppedBy: new RateLimitedError('bulk ingest answered 429', retryAt), requests: this.requests.length };
      }
      for (const c of chunk) {
        accepted.push({ ...c, result: { recordId: c.record.recordId, recordHash: `hash-${c.record.recordId}`, tenantId: c.record.tenantId, acceptedAt: '2026-04-13T10:30:05Z' }, replayed: false });
      }
    }
    return { accepted, rejected, unsent: [], requests: this.requests.length };
  }
}

export class RecordingSink implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];
  constructor(private readonly failure?: Error) {}
  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (this.failure) throw this.failure;
    this.letters.push(...letters);
  }
}

export class RecordingVisibility implements MessageVisibility {
  readonly postponed: { messageIds: string[]; seconds: number }[] = [];
  async postpone(messages: readonly ReceivedMessage[], seconds: number): Promise<void> {
    this.postponed.push({ messageIds: messages.map((m) => m.messageId), seconds });
  }
}

export class RecordingVerification implements VerificationStarter {
  readonly started: string[] = [];
  constructor(private readonly failure?: Error) {}
  async start(accepted: readonly AcceptedRecord[]) {
    if (this.failure) throw this.failure;
    this.started.push(...accepted.map((a) => a.record.recordId));
    return { started: accepted.length, skipped: 0 };
  }
}

export const NOW = Date.parse('2026-04-13T10:30:00Z');

export function forwarderDeps(overrides: Partial<ForwarderDeps> = {}): ForwarderDeps & {
  certyo: FakeCertyo;
  deadLetters: RecordingSink;
  visibility: RecordingVisibility;
  verification: RecordingVerification;
  log: RecordingLog;
} {
  return {
    certyo: new FakeCertyo(),
    deadLetters: new RecordingSink(),
    visibility: new RecordingVisibility(),
    verification: new RecordingVerification(),
    tenantId: 'configured-tenant',
    deadline: NOW + 60_000,
    now: () => NOW,
    log: new RecordingLog(),
    ...overrides,
  } as ReturnType<typeof forwarderDeps>;
}
