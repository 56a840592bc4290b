/**
 * In-memory stand-ins for the DynamoDB ingest's dependencies. `BulkCertyo` follows the
 * `CertyoApi.ingestMany` contract the real client implements: it validates each record, sends
 * the valid ones in bulk requests of at most 1,000, replays known idempotency keys, and when a
 * request is rate limited reports it and every later record as unsent, in input order.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import {
  AcceptedRecord,
  CallOptions,
  CertyoApi,
  CertyoRecord,
  IndexedRecord,
  IngestManyOutcome,
  IngestResult,
  MAX_BULK_ITEMS,
  RateLimitedError,
  RateLimitState,
  RejectedRecord,
  RetryableError,
} from '../../lambdas/shared/certyo-types';
import { DeadLetter, DeadLetterSink } from '../../lambdas/shared/dead-letter';
import { stringifyJson } from '../../lambdas/shared/json';
import { findRecordProblem } from '../../lambdas/shared/record-validation';
import { VerificationStarter } from '../../lambdas/shared/verification-starter';
import type { Log } from '../../lambdas/shared/observability';
import { BatchSummary, StreamBatchDeps, StreamReporter } from '../../lambdas/ddb-ingest/process-stream';
import { WriteBackTarget } from '../../lambdas/ddb-ingest/stream-change';
import { WriteBack, WriteBackResult } from '../../lambdas/ddb-ingest/write-back';

function notUsed(): never {
  throw new Error('not used by the DynamoDB ingest');
}

export class BulkCertyo implements CertyoApi {
  /** Every bulk request's records, in order. */
  readonly bulks: CertyoRecord[][] = [];
  /** Stored request bodies of the records, by idempotency key. */
  readonly stored = new Map<string, string>();
  readonly deadlines: (number | undefined)[] = [];
  rateLimit: RateLimitState = {};
  /** 1-based number of the first bulk request that fails in a way the client could not wait out. */
  rateLimitedFromRequest = Number.POSITIVE_INFINITY;
  /** How that request failed: a 429, or 5xx answers until the client's attempts ran out. */
  failure: 'rate-limit' | 'outage' = 'rate-limit';
  retryAt = new Date('2026-04-13T11:00:00Z');
  /** Records Certyo refuses with a 400 reason. */
  refuseWhen: (record: CertyoRecord) => string | undefined = () => undefined;

  async ingestMany(records: readonly CertyoRecord[], options?: CallOptions): Promise<IngestManyOutcome> {
    this.deadlines.push(options?.deadline);
    const accepted: AcceptedRecord[] = [];
    const rejected: RejectedRecord[] = [];
    const valid: IndexedRecord[] = [];
    records.forEach((record, index) => {
      const problem = findRecordProblem(record, index);
      if (problem) rejected.push({ index, record, reason: problem.message });
      else valid.push({ index, record });
    });
    let requests = 0;
    for (let from = 0; from < valid.length; from += MAX_BULK_ITEMS) {
      const chunk = valid.slice(from, from + MAX_BULK_ITEMS);
      requests++;
      this.bulks.push(chunk.map((c) => c.record));
      if (this.bulks.length >= this.rateLimitedFromRequest) {
        const stoppedBy = this.failure === 'rate-limit' ? new RateLimitedError('Certyo answered 429', this.retryAt) : new RetryableError('POST /api/v1/records/bulk failed after 5 attempts: 503', this.retryAt, 503);
        return { accepted, rejected, unsent: valid.slice(from), stoppedBy, requests };
      }
      for (const { index, record } of chunk) {
        const reason = this.refuseWhen(record);
        if (reason) {
          rejected.push({ index, record, reason });
          continue;
        }
        const replayed = this.stored.has(record.idempotencyKey);
        if (!replayed) this.stored.set(record.idempotencyKey, stringifyJson(record));
        const result: IngestResult = { recordId: record.recordId, recordHash: `sha256:${record.recordVersion}`, tenantId: record.tenantId, acceptedAt: '2026-04-13T10:30:05Z', idempotencyReplayed: replayed };
        accepted.push({ index, record, result, replayed });
      }
    }
    rejected.sort((a, b) => a.index - b.index);
    return { accepted, rejected, unsent: [], requests };
  }

  ingestRecord = notUsed;
  verifyRecord = notUsed;
  getSnapshot = notUsed;
  getSnapshotLifecycle = notUsed;
  retrySnapshot = notUsed;
  queryRecords = notUsed;
  verificationHistory = notUsed;
  health = notUsed;
}

export class MemoryDeadLetters implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];
  failure?: Error;
  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (this.failure) throw this.failure;
    this.letters.push(...letters);
  }
}

export class RecordingVerification implements VerificationStarter {
  readonly started: AcceptedRecord[] = [];
  async start(accepted: readonly AcceptedRecord[]) {
    this.started.push(...accepted);
    return { started: accepted.length, skipped: 0 };
  }
}

/** Records write-backs; answers `results` by record id (default `written`), or throws `failures`. */
export class RecordingWriteBack implements WriteBack {
  readonly writes: { target: WriteBackTarget; result: IngestResult }[] = [];
  readonly results = new Map<string, WriteBackResult>();
  readonly failures = new Map<string, Error>();
  async write(target: WriteBackTarget, result: IngestResult): Promise<WriteBackResult> {
    this.writes.push({ target, result });
    const failure = this.failures.get(result.recordId);
    if (failure) throw failure;
    return this.results.get(result.recordId) ?? 'written';
  }
}

export class RecordingReporter implements StreamReporter {
  readonly outcomes: IngestManyOutcome[] = [];
  readonly summaries: BatchSummary[] = [];
  batchSent(outcome: IngestManyOutcome): void {
    this.outcomes.push(outcome);
  }
  finished(summary: BatchSummary): void {
    this.summaries.push(summary);
  }
}

export class RecordingLog implements Log {
  readonly entries: { level: string; message: string; attributes: Record<string, unknown> }[] = [];
  info(message: string, attributes: Record<string, unknown>): void {
    this.entries.push({ level: 'info', message, attributes });
  }
  warn(message: string, attributes: Record<string, unknown>): void {
    this.entries.push({ level: 'warn', message, attributes });
  }
  error(message: string, attributes: Record<string, unknown>): void {
    this.entries.push({ level: 'error', message, attributes });
  }
}

export const NOW = Date.parse('2026-04-13T10:40:00Z');

export interface Harness extends StreamBatchDeps {
  readonly certyo: BulkCertyo;
  readonly deadLetters: MemoryDeadLetters;
  readonly verification: RecordingVerification;
  readonly writeBack: RecordingWriteBack;
  readonly reporter: RecordingReporter;
  readonly log: RecordingLog;
  readonly slept: number[];
}

export function harness(overrides: Partial<StreamBatchDeps> = {}): Harness {
  const slept: number[] = [];
  return {
    certyo: new BulkCertyo(),
    deadLetters: new MemoryDeadLetters(),
    verification: new RecordingVerification(),
    writeBack: new RecordingWriteBack(),
    reporter: new RecordingReporter(),
    log: new RecordingLog(),
    options: { tenantId: 'acme', database: 'dynamodb', ttlDeletes: 'ingest', writeBack: false },
    deadline: NOW + 240_000,
    now: () => NOW,
    sleep: async (ms: number) => {
      slept.push(ms);
    },
    slept,
    ...overrides,
  } as Harness;
}

export function fixture(name: string): DynamoDBStreamEvent {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'dynamodb', name), 'utf8')) as DynamoDBStreamEvent;
}

export function fixtureRecord(name: string, index = 0): DynamoDBRecord {
  const record = fixture(name).Records[index];
  if (!record) throw new Error(`fixture ${name} has no record ${index}`);
  return record;
}

export const ORDERS_STREAM = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-04-01T08:00:00.000';

/** `count` INSERTs of distinct items with increasing sequence numbers, shaped like insert.json. */
export function inserts(count: number, firstSequence = 1_000_000): DynamoDBRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `order-${i}`;
    return {
      eventID: `evt-${i}`,
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-west-1',
      dynamodb: {
        ApproximateCreationDateTime: 1776076200,
        Keys: { id: { S: id } },
        NewImage: { id: { S: id }, amount: { N: String(i) } },
        SequenceNumber: `44215845000000${firstSequence + i}`,
        SizeBytes: 40,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: ORDERS_STREAM,
    } as DynamoDBRecord;
  });
}
