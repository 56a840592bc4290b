/**
 * Ingests object versions into shared bulk requests: the records of every file of an invocation
 * are packed, in reading order, into requests of up to 1,000 records (one in flight while the
 * next fills), so 20 files of 150 records take 3 requests, not 20. Bad records go to the
 * rejected-records queue with their position and reason, and when the rate limit or the
 * Lambda's time stops progress each file pauses at its own first unconfirmed record.
 *
 * A file is done only when every request carrying its records has landed; a request that fails
 * outright fails every file it carried (their messages are delivered again), never another's.
 *
 * The seed's S3 Lambda sends one request per record (a 10,000-record file costs ten hours of
 * a 1,000 requests/hour key) and reads the whole object into memory; here memory holds two
 * requests' records whatever the objects' sizes.
 */
import { CertyoApi, CertyoRecord, IngestManyOutcome, RateLimitedError, SHORT_WAIT_MS } from '../shared/certyo-types';
import { DeadLetter, DeadLetterSink } from '../shared/dead-letter';
import { stringifyJson } from '../shared/json';
import { VerificationStarter } from '../shared/verification-starter';
import { describeFile, FileTask } from './file-task';
import { FileFormatError, RawElement, ResumePoint } from './json-splitter';
import { MappingOptions, mapRecord } from './record-mapping';
import { isGzip, isJsonLines, readRecordChunks } from './record-reader';
import { ObjectSource } from './object-source';

export interface BatchLimits {
  /** @default 1000, the bulk endpoint's maximum */
  readonly records: number;
  /** Largest bulk body (the client's `maxBodyBytes`): a batch always fits one request. */
  readonly bytes: number;
  /** A larger record is rejected without being buffered. */
  readonly recordBytes: number;
}

/** Where metrics go: the handler forwards these to `publishIngestMetrics`. */
export interface IngestReporter {
  batchSent(outcome: IngestManyOutcome): void;
  /** Records rejected before reaching Certyo (unparsable, not an object, bad id). */
  recordsRejected(count: number): void;
}

export interface FileIngestDeps {
  readonly certyo: CertyoApi;
  readonly objects: ObjectSource;
  readonly deadLetters: DeadLetterSink;
  readonly verification: VerificationStarter;
  readonly reporter: IngestReporter;
  readonly mapping: MappingOptions;
  readonly limits: BatchLimits;
  /** Epoch ms after which no new work starts and the client stops waiting. */
  readonly deadline: number;
  readonly now: () => number;
}

export interface FileSummary {
  readonly file: string;
  /** Index of the first record this invocation looked at. */
  readonly fromIndex: number;
  /** Records read by this invocation (bad ones included). */
  records: number;
  accepted: number;
  replayed: number;
  rejected: number;
  /** Requests that carried records of this file (shared with other files). */
  requests: number;
  batches: number;
}

export type FileResult =
  | { readonly status: 'complete'; readonly summary: FileSummary }
  /** Deleted or overwritten before it was read: logged and skipped. */
  | { readonly status: 'gone'; readonly summary: FileSummary; readonly reason: string }
  /** Not JSON, or its structure breaks off: the records before the break were ingested, the file was dead-lettered. */
  | { readonly status: 'unreadable'; readonly summary: FileSummary; readonly reason: string }
  /** Progress stopped: continue from `continueFrom` at `retryAt` (or at once). */
  | { readonly status: 'paused'; readonly summary: FileSummary; readonly continueFrom: FileTask; readonly retryAt?: Date; readonly cause: string };

interface Item {
  readonly file: FileRun;
  readonly index: number;
  readonly line: number;
  /** Resume point just before this record. */
  readonly before: ResumePoint | undefined;
  readonly record: CertyoRecord;
}

interface Batch {
  readonly items: Item[];
  bytes: number;
}

type Sent = { readonly batch: Batch; readonly outcome: IngestManyOutcome } | { readonly batch: Batch; readonly error: unknown };

/** Why progress stopped: the rate limit (with its reset) or another cause. */
interface Stopped {
  readonly retryAt?: Date;
  readonly cause: string;
}

/** The first record of a file not confirmed when progress stopped. */
interface StopPoint extends Stopped {
  readonly index: number;
  readonly before: ResumePoint | undefined;
}

/** `{"items":[` and `]}` around the records of a bulk body. */
const ENVELOPE_BYTES = Buffer.byteLength('{"items":[]}');

const emptyBatch = (): Batch => ({ items: [], bytes: ENVELOPE_BYTES });

/**
 * Bytes this record takes in a bulk body, payload included, plus its separating comma: every
 * field but the payload serialized as the client will, the payload counted by its raw size.
 */
function itemBytes(record: CertyoRecord, payloadBytes: number): number {
  return Buffer.byteLength(stringifyJson({ ...record, recordPayload: 0 })) - 1 + payloadBytes + 1;
}

function position(line: number, index: number): string {
  return `line ${line}, record ${index}`;
}

/** Dead letters held until every record before them is confirmed, so a continuation never reports one twice. */
class PendingLetters {
  private letters: { index: number; letter: DeadLetter }[] = [];

  constructor(private readonly sink: DeadLetterSink) {}

  add(index: number, letter: DeadLetter): void {
    this.letters.push({ index, letter });
  }

  get size(): number {
    return this.letters.length;
  }

  /** Sends the letters of records before `frontier`. */
  async flush(frontier: number): Promise<void> {
    const ready = this.letters.filter((l) => l.index < frontier);
    if (ready.length === 0) return;
    this.letters = this.letters.filter((l) => l.index >= frontier);
    await this.sink.send(ready.map((l) => l.letter));
  }
}

/** Letters are flushed in groups of this size while reading, so memory stays bounded. */
const LETTER_FLUSH_SIZE = 100;

/**
 * The bulk requests of one invocation, shared by its files: one request in flight while the
 * next fills. Once a request stops (rate limit, outage) nothing more is sent, and every record
 * not confirmed stops its own file.
 */
export class SharedBatches {
  private current = emptyBatch();
  private inFlight: Promise<Sent> | undefined;
  private stop: Stopped | undefined;

  constructor(private readonly deps: Pick<FileIngestDeps, 'certyo' | 'verification' | 'reporter' | 'limits' | 'deadline' | 'now'>) {}

  /** Set once a request stopped: later records are not sent in this invocation. */
  get stopped(): Stopped | undefined {
    return this.stop;
  }

  async add(item: Item, bytes: number): Promise<void> {
    // A batch is sent before this record would push its body past the limit, or once full.
    if (this.current.items.length > 0 && this.current.bytes + bytes > this.deps.limits.bytes) await this.dispatch();
    this.current.items.push(item);
    this.current.bytes += bytes;
    item.file.queued(item.index);
    if (this.current.items.length >= this.deps.limits.records) await this.dispatch();
  }

  /**
   * Lands the request in flight, sends the partial batch if progress and time allow, and stops
   * each file with records left over at its first one.
   */
  async finish(): Promise<void> {
    await this.land();
    if (this.current.items.length > 0 && !this.stop && this.deps.now() < this.deps.deadline) {
      await this.dispatch();
      await this.land();
    }
    const left = this.current.items;
    this.current = emptyBatch();
    const why = this.stop ?? { cause: 'Lambda time ran out' };
    for (const item of left) item.file.stopAt(item, why);
  }

  /** Sends the current batch once the one in flight has landed (one in flight, one filling). */
  private async dispatch(): Promise<void> {
    await this.land();
    if (this.stop) return;
    const batch = this.current;
    this.current = emptyBatch();
    this.inFlight = this.deps.certyo.ingestMany(
      batch.items.map((item) => item.record),
      { deadline: this.deps.deadline, maxWaitMs: SHORT_WAIT_MS },
    ).then(
      (outcome): Sent => ({ batch, outcome }),
      (error: unknown): Sent => ({ batch, error }),
    );
  }

  /** Waits for the request in flight, if any, and books its outcome on each file it carried. */
  private async land(): Promise<void> {
    if (!this.inFlight) return;
    const sent = await this.inFlight;
    this.inFlight = undefined;
    const { items } = sent.batch;
    const files = new Set(items.map((item) => item.file));
    for (const item of items) item.file.landed();
    if ('error' in sent) {
      for (const file of files) file.fail(sent.error);
      return;
    }
    const { outcome } = sent;
    for (const file of files) file.countRequest(outcome.requests);
    for (const a of outcome.accepted) (items[a.index] as Item).file.confirmed(a.replayed);
    for (const r of outcome.rejected) {
      const item = items[r.index] as Item;
      item.file.refused(item, r.reason);
    }
    const stoppedBy = outcome.stoppedBy;
    if (outcome.unsent.length > 0) {
      this.stop = {
        retryAt: stoppedBy?.retryAt,
        cause: stoppedBy instanceof RateLimitedError ? 'rate limit' : (stoppedBy?.message ?? 'Certyo stopped accepting records'),
      };
      for (const u of outcome.unsent) {
        const item = items[u.index] as Item;
        item.file.stopAt(item, this.stop);
      }
    }
    this.deps.reporter.batchSent(outcome);
    try {
      await this.deps.verification.start(outcome.accepted);
    } catch (error) {
      // Their messages are delivered again: Certyo replays the records and the start is retried.
      for (const file of files) file.fail(error);
    }
  }
}

/** One file's progress through the shared requests: what is confirmed, refused, or left over. */
class FileRun {
  readonly summary: FileSummary;
  readonly gzip: boolean;
  private readonly letters: PendingLetters;
  /** Indices of records handed to a request and not landed yet, in order. */
  private readonly pending: number[] = [];
  private pendingHead = 0;
  /** Next record index the reader will look at. */
  nextIndex: number;
  stop: StopPoint | undefined;
  formatError: FileFormatError | undefined;
  /** An unexpected error: the file's message fails and SQS delivers it again. */
  failure: { readonly error: unknown } | undefined;

  constructor(
    readonly task: FileTask,
    private readonly deps: FileIngestDeps,
    gzip: boolean,
  ) {
    this.summary = { file: describeFile(task), fromIndex: task.nextIndex, records: 0, accepted: 0, replayed: 0, rejected: 0, requests: 0, batches: 0 };
    this.gzip = gzip;
    this.letters = new PendingLetters(deps.deadLetters);
    this.nextIndex = task.nextIndex;
  }

  reject(index: number, line: number, body: string, reason: string): void {
    this.summary.rejected++;
    const where = position(line, index);
    this.letters.add(index, { body, reason: `${where} of ${this.summary.file}: ${reason}`, source: `${this.summary.file}#${where}` });
  }

  queued(index: number): void {
    this.pending.push(index);
  }

  landed(): void {
    this.pendingHead++;
    if (this.pendingHead === this.pending.length) {
      this.pending.length = 0;
      this.pendingHead = 0;
    }
  }

  countRequest(requests: number): void {
    this.summary.batches++;
    this.summary.requests += requests;
  }

  confirmed(replayed: boolean): void {
    if (replayed) this.summary.replayed++;
    else this.summary.accepted++;
  }

  refused(item: Item, reason: string): void {
    this.reject(item.index, item.line, stringifyJson(item.record.recordPayload), reason);
  }

  stopAt(at: { readonly index: number; readonly before: ResumePoint | undefined }, why: Stopped): void {
    if (this.stop && this.stop.index <= at.index) return;
    this.stop = { index: at.index, before: at.before, retryAt: why.retryAt, cause: why.cause };
  }

  fail(error: unknown): void {
    this.failure ??= { error };
  }

  /** Records before this index are confirmed or dead-lettered. */
  frontier(): number {
    return this.pending[this.pendingHead] ?? this.nextIndex;
  }

  async flushLettersIfMany(): Promise<void> {
    if (this.letters.size >= LETTER_FLUSH_SIZE) await this.letters.flush(this.frontier());
  }

  /** The file's outcome, once every request carrying its records has landed; throws its failure. */
  async result(): Promise<FileResult> {
    if (this.failure) throw this.failure.error;
    const { summary, task, stop } = this;
    if (stop) {
      await this.letters.flush(stop.index);
      const { resume: _old, notBefore: _wait, ...rest } = task;
      const continueFrom: FileTask = { ...rest, nextIndex: stop.index, ...(this.gzip || !stop.before ? {} : { resume: stop.before }) };
      return { status: 'paused', summary, continueFrom, retryAt: stop.retryAt, cause: stop.cause };
    }
    await this.letters.flush(Number.POSITIVE_INFINITY);
    const formatError = this.formatError;
    if (formatError) {
      const reason = `${summary.file} cannot be read past byte ${formatError.offset}${this.gzip ? ' (uncompressed)' : ''}: ${formatError.message}; ${summary.records} records before it were processed`;
      await this.deps.deadLetters.send([{ body: JSON.stringify({ bucket: task.bucket, key: task.key, versionId: task.versionId, etag: task.etag }), reason, source: summary.file }]);
      return { status: 'unreadable', summary, reason };
    }
    return { status: 'complete', summary };
  }
}

/** A file read into the shared requests: its outcome once `SharedBatches.finish` has run. */
export interface ReadFile {
  /** Set when the file failed unexpectedly (reading it, or a request carrying its records): its message fails. */
  readonly failure: { readonly error: unknown } | undefined;
  result(): Promise<FileResult>;
}

/** A file that was gone before it was read. */
function gone(summary: FileSummary, reason: string): ReadFile {
  return { failure: undefined, result: async () => ({ status: 'gone', summary, reason }) };
}

/**
 * Reads one object version into `batches`, stopping at the first record that cannot be sent in
 * this invocation (progress stopped, or the Lambda's time ran out).
 */
export async function readFile(task: FileTask, deps: FileIngestDeps, batches: SharedBatches): Promise<ReadFile> {
  const opened = await deps.objects.open(task, task.resume?.offset);
  const run = new FileRun(task, deps, opened.found && isGzip(task.key, opened.object.contentEncoding));
  if (!opened.found) return gone(run.summary, opened.reason);
  let before: ResumePoint | undefined = task.resume;
  let unparsable = 0;
  try {
    const chunks = readRecordChunks(opened.object.body, {
      gzip: run.gzip,
      preferLines: isJsonLines(task.key, opened.object.contentType),
      maxRecordBytes: deps.limits.recordBytes,
      resume: task.resume,
    });
    reading: for await (const elements of chunks) {
      for (const element of elements) {
        const here = before;
        before = element.next;
        if (element.index < task.nextIndex) continue; // confirmed by an earlier invocation
        const stopped = batches.stopped ?? (deps.now() >= deps.deadline ? { cause: 'Lambda time ran out' } : undefined);
        if (stopped || run.failure) {
          if (stopped) run.stopAt({ index: element.index, before: here }, stopped);
          break reading;
        }
        run.summary.records++;
        run.nextIndex = element.index + 1;
        const mapped = mapRecord(element, task, deps.mapping, deps.limits.recordBytes);
        if (mapped.ok) {
          await batches.add({ file: run, index: element.index, line: element.line, before: here, record: mapped.record }, itemBytes(mapped.record, element.size));
        } else {
          unparsable++;
          run.reject(element.index, element.line, rawText(element), mapped.reason);
        }
        await run.flushLettersIfMany();
      }
    }
  } catch (error) {
    if (error instanceof FileFormatError) run.formatError = error;
    else run.fail(error);
  }
  deps.reporter.recordsRejected(unparsable);
  return {
    get failure() {
      return run.failure;
    },
    result: () => run.result(),
  };
}

function rawText(element: RawElement): string {
  return (element.bytes ?? element.excerpt).toString('utf8');
}

/** Ingests one object version on its own (its last partial request is sent at its end). */
export async function ingestFile(task: FileTask, deps: FileIngestDeps): Promise<FileResult> {
  const batches = new SharedBatches(deps);
  const read = await readFile(task, deps, batches);
  await batches.finish();
  return read.result();
}
