/**
 * In-memory stand-ins for the S3 ingest's dependencies: a Certyo that stores records by
 * idempotency key (replays like the real API), an object store, a dead-letter sink and a
 * continuation queue. They record what they were asked, so tests assert on behaviour.
 */
import { gzipSync } from 'node:zlib';
import {
  AcceptedRecord,
  CallOptions,
  CertyoApi,
  CertyoRecord,
  IndexedRecord,
  IngestManyOutcome,
  IngestResult,
  RateLimitedError,
  RateLimitState,
  RejectedRecord,
} from '../../lambdas/shared/certyo-types';
import { DeadLetter, DeadLetterSink } from '../../lambdas/shared/dead-letter';
import { stringifyJson } from '../../lambdas/shared/json';
import { VerificationStarter } from '../../lambdas/shared/verification-starter';
import { ContinuationQueue } from '../../lambdas/s3-ingest/continuation';
import { BatchLimits, FileIngestDeps, IngestReporter } from '../../lambdas/s3-ingest/file-ingest';
import { FileTask } from '../../lambdas/s3-ingest/file-task';
import { ObjectSource, OpenResult } from '../../lambdas/s3-ingest/object-source';

function notUsed(): never {
  throw new Error('not used by the S3 ingest');
}

export class FakeCertyo implements CertyoApi {
  /** Every ingestMany call's records, in order. */
  readonly calls: CertyoRecord[][] = [];
  /** Stored records by idempotency key, as the request body would carry them. */
  readonly stored = new Map<string, string>();
  rateLimit: RateLimitState = {};
  /** Calls (1-based) answered with a 429 that cannot be waited out. */
  readonly rateLimitedCalls = new Set<number>();
  retryAt = new Date('2026-04-13T11:00:00Z');
  /** Records Certyo rejects with a 400 reason. */
  rejectWhen: (record: CertyoRecord) => string | undefined = () => undefined;
  /** Called at the start of each ingestMany, before it resolves. */
  onCall: (records: readonly CertyoRecord[]) => Promise<void> | void = () => undefined;

  async ingestMany(records: readonly CertyoRecord[], _options?: CallOptions): Promise<IngestManyOutcome> {
    this.calls.push([...records]);
    await this.onCall(records);
    const rejected: RejectedRecord[] = [];
    const valid: IndexedRecord[] = [];
    records.forEach((record, index) => {
      const reason = this.rejectWhen(record);
      if (reason) rejected.push({ index, record, reason });
      else valid.push({ index, record });
    });
    if (this.rateLimitedCalls.has(this.calls.length)) {
      return { accepted: [], rejected, unsent: valid, stoppedBy: new RateLimitedError('rate limited', this.retryAt), requests: 1 };
    }
    const accepted: AcceptedRecord[] = valid.map(({ index, record }) => {
      const replayed = this.stored.has(record.idempotencyKey);
      if (!replayed) this.stored.set(record.idempotencyKey, stringifyJson(record));
      const result: IngestResult = { recordId: record.recordId, recordHash: `sha256:${index}`, tenantId: record.tenantId, acceptedAt: '2026-04-13T10:30:05Z', idempotencyReplayed: replayed };
      return { index, record, result, replayed };
    });
    return { accepted, rejected, unsent: [], requests: valid.length > 0 ? 1 : 0 };
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

/** Objects by `bucket/key`, streamed in chunks of `chunkSize` bytes; counts bytes handed out. */
export class MemoryObjects implements ObjectSource {
  readonly objects = new Map<string, { body: Buffer; contentEncoding?: string; contentType?: string }>();
  readonly opened: { key: string; fromByte?: number }[] = [];
  bytesRead = 0;

  constructor(private readonly chunkSize = 4096) {}

  put(key: string, body: string | Buffer, options: { gzip?: boolean; contentEncoding?: string; contentType?: string } = {}): void {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
    this.objects.set(key, { body: options.gzip ? gzipSync(bytes) : bytes, contentEncoding: options.contentEncoding, contentType: options.contentType });
  }

  private async *chunks(body: Buffer): AsyncGenerator<Uint8Array> {
    for (let at = 0; at < body.length; at += this.chunkSize) {
      const chunk = body.subarray(at, at + this.chunkSize);
      this.bytesRead += chunk.length;
      yield chunk;
    }
  }

  async open(task: FileTask, fromByte?: number): Promise<OpenResult> {
    this.opened.push({ key: task.key, fromByte });
    const object = this.objects.get(task.key);
    if (!object) return { found: false, reason: 'the object was deleted before it was processed' };
    const body = object.body.subarray(fromByte ?? 0);
    return { found: true, object: { body: this.chunks(body), contentEncoding: object.contentEncoding, contentType: object.contentType } };
  }
}

export class MemoryDeadLetters implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];
  async send(letters: readonly DeadLetter[]): Promise<void> {
    this.letters.push(...letters);
  }
}

export class MemoryContinuations implements ContinuationQueue {
  readonly sent: { task: FileTask; delaySeconds: number }[] = [];
  async enqueue(task: FileTask, delaySeconds: number): Promise<void> {
    this.sent.push({ task, delaySeconds });
  }
}

export class RecordingVerification implements VerificationStarter {
  readonly started: AcceptedRecord[] = [];
  async start(accepted: readonly AcceptedRecord[]) {
    this.started.push(...accepted);
    return { started: accepted.length, skipped: 0 };
  }
}

export class CountingReporter implements IngestReporter {
  readonly outcomes: IngestManyOutcome[] = [];
  rejected = 0;
  batchSent(outcome: IngestManyOutcome): void {
    this.outcomes.push(outcome);
  }
  recordsRejected(count: number): void {
    this.rejected += count;
  }
}

export const LIMITS: BatchLimits = { records: 1000, bytes: 5 * 1024 * 1024, recordBytes: 256 * 1024 };

export const TASK: FileTask = {
  bucket: 'records-bucket',
  key: 'orders/2026/batch.ndjson',
  versionId: 'v-1',
  etag: 'etag-1',
  eventTime: '2026-04-13T10:30:00.000Z',
  nextIndex: 0,
};

export interface Harness extends FileIngestDeps {
  readonly certyo: FakeCertyo;
  readonly objects: MemoryObjects;
  readonly deadLetters: MemoryDeadLetters;
  readonly verification: RecordingVerification;
  readonly reporter: CountingReporter;
}

export function harness(overrides: Partial<FileIngestDeps> = {}): Harness {
  return {
    certyo: new FakeCertyo(),
    objects: new MemoryObjects(),
    deadLetters: new MemoryDeadLetters(),
    verification: new RecordingVerification(),
    reporter: new CountingReporter(),
    mapping: { tenantId: 'acme', recordIdPath: 'id', recordVersionPath: 'version' },
    limits: LIMITS,
    deadline: Number.POSITIVE_INFINITY,
    now: () => Date.parse('2026-04-13T10:30:10Z'),
    ...overrides,
  } as Harness;
}

export function ndjson(count: number, from = 0): string {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ id: `r-${from + i}`, amount: from + i })).join('\n') + '\n';
}
