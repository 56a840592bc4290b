/**
 * In-memory stand-ins for the S3 ingest's own dependencies (an object store, a continuation
 * queue, a reporter) and a harness that wires them with the shared fakes. They record what
 * they were asked, so tests assert on behaviour.
 */
import { gzipSync } from 'node:zlib';
import { IngestManyOutcome } from '../../lambdas/shared/certyo-types';
import { ContinuationQueue } from '../../lambdas/s3-ingest/continuation';
import { BatchLimits, FileIngestDeps, IngestReporter } from '../../lambdas/s3-ingest/file-ingest';
import { FileTask } from '../../lambdas/s3-ingest/file-task';
import { ObjectSource, OpenResult } from '../../lambdas/s3-ingest/object-source';
import { FakeCertyo } from './fake-certyo';
import { MemoryDeadLetters } from './memory-dead-letters';
import { RecordingVerification } from './recording-verification';

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

export class MemoryContinuations implements ContinuationQueue {
  readonly sent: { task: FileTask; delaySeconds: number }[] = [];
  async enqueue(task: FileTask, delaySeconds: number): Promise<void> {
    this.sent.push({ task, delaySeconds });
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
