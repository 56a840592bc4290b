/**
 * Ingests one object version: records are read into bulk batches while the previous batch is
 * being sent (at most one batch in flight and one being filled), bad records go to the
 * rejected-records queue with their position and reason, and when the rate limit or the
 * Lambda's time stops progress the file pauses at its first unconfirmed record.
 *
 * The seed's S3 Lambda sends one request per record (a 10,000-record file costs ten hours of
 * a 1,000 requests/hour key) and reads the whole object into memory; here a request carries up
 * to 1,000 records and memory holds two batches whatever the object's size.
 */
import { CertyoApi, CertyoRecord, IngestManyOutcome, RateLimitedError } from '../shared/certyo-types';
import { DeadLetter, DeadLetterSink } from '../shared/dead-letter';
import { stringifyJson } from '../shared/json';
import { VerificationStarter } from '../shared/verification-starter';
import { describeFile, FileTask } from './file-task';
import { FileFormatError, RawElement, ResumePoint } from './json-splitter';
import { MappingOptions, mapRecord } from './record-mapping';
import { isGzip, isJsonLines, readRecords } from './record-reader';
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

interface Sent {
  readonly batch: Batch;
  readonly outcome: IngestManyOutcome;
}

/** The first record not confirmed when progress stopped. */
interface StopPoint {
  readonly index: number;
  readonly before: ResumePoint | undefined;
  readonly retryAt?: Date;
  readonly cause: string;
}

/** `{"items":[` and `]}` around the records of a bulk body. */
const ENVELOPE_BYTES = Buffer.byteLength('{"items":[]}');

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

export async function ingestFile(task: FileTask, deps: FileIngestDeps): Promise<FileResult> {
  const file = describeFile(task);
  const summary: FileSummary = { file, fromIndex: task.nextIndex, records: 0, accepted: 0, replayed: 0, rejected: 0, requests: 0, batches: 0 };
  const opened = await deps.objects.open(task, task.resume?.offset);
  if (!opened.found) return { status: 'gone', summary, reason: opened.reason };

  const gzip = isGzip(task.key, opened.object.contentEncoding);
  const letters = new PendingLetters(deps.deadLetters);
  const reject = (index: number, line: number, body: string, reason: string): void => {
    summary.rejected++;
    letters.add(index, { body, reason: `${position(line, index)} of ${file}: ${reason}`, source: `${file}#${position(line, index)}` });
  };

  const send = async (batch: Batch): Promise<Sent> => {
    const outcome = await deps.certyo.ingestMany(
      batch.items.map((item) => item.record),
      { deadline: deps.deadline },
    );
    return { batch, outcome };
  };

  /** Books a sent batch; returns where progress stopped, if it did. */
  const settle = async ({ batch, outcome }: Sent): Promise<StopPoint | undefined> => {
    summary.batches++;
    summary.requests += outcome.requests;
    const replayed = outcome.accepted.filter((a) => a.replayed).length;
    summary.accepted += outcome.accepted.length - replayed;
    summary.replayed += replayed;
    for (const r of outcome.rejected) {
      const item = batch.items[r.index] as Item;
      reject(item.index, item.line, stringifyJson(item.record.recordPayload), r.reason);
    }
    deps.reporter.batchSent(outcome);
    await deps.verification.start(outcome.accepted);
    const first = outcome.unsent[0];
    if (first === undefined) return undefined;
    const item = batch.items[first.index] as Item;
    const stoppedBy = outcome.stoppedBy;
    return {
      index: item.index,
      before: item.before,
      retryAt: stoppedBy?.retryAt,
      cause: stoppedBy instanceof RateLimitedError ? 'rate limit' : (stoppedBy?.message ?? 'Certyo stopped accepting records'),
    };
  };

  let inFlight: Promise<Sent> | undefined;
  /** First record of the batch in flight: letters after it wait until it is confirmed. */
  let inFlightFrom: number | undefined;
  let current: Batch = { items: [], bytes: ENVELOPE_BYTES };
  let stop: StopPoint | undefined;
  let formatError: FileFormatError | undefined;
  let before: ResumePoint | undefined = task.resume;
  let unparsable = 0;

  /** Waits for the batch in flight, if any, and books it. */
  const land = async (): Promise<StopPoint | undefined> => {
    if (!inFlight) return undefined;
    const sent = await inFlight;
    inFlight = undefined;
    inFlightFrom = undefined;
    return settle(sent);
  };

  /** Sends the current batch once the one in flight has landed (one in flight, one filling). */
  const dispatch = async (): Promise<StopPoint | undefined> => {
    const stopped = await land();
    if (stopped) return stopped;
    inFlight = send(current);
    inFlightFrom = current.items[0]?.index;
    // Settled by `land`; this only keeps a failure from being reported as unhandled meanwhile.
    inFlight.catch(() => undefined);
    current = { items: [], bytes: ENVELOPE_BYTES };
    return undefined;
  };

  const frontier = (next: number): number => inFlightFrom ?? current.items[0]?.index ?? next;

  try {
    const elements = readRecords(opened.object.body, {
      gzip,
      preferLines: isJsonLines(task.key, opened.object.contentType),
      maxRecordBytes: deps.limits.recordBytes,
      resume: task.resume,
    });
    for await (const element of elements) {
      const here = before;
      before = element.next;
      if (element.index < task.nextIndex) continue; // confirmed by an earlier invocation
      if (deps.now() >= deps.deadline) {
        stop = (await land()) ?? { index: frontier(element.index), before: current.items[0]?.before ?? here, cause: 'Lambda time ran out' };
        break;
      }
      summary.records++;
      const item = toItem(element, here);
      if (!item) continue;
      // A batch is sent before this record would push its body past the limit, or once full.
      if (current.items.length > 0 && current.bytes + item.bytes > deps.limits.bytes) {
        stop = await dispatch();
        if (stop) break;
      }
      current.items.push(item.item);
      current.bytes += item.bytes;
      if (current.items.length >= deps.limits.records) {
        stop = await dispatch();
        if (stop) break;
      }
      if (letters.size >= LETTER_FLUSH_SIZE) await letters.flush(frontier(element.index + 1));
    }
  } catch (error) {
    if (!(error instanceof FileFormatError)) {
      await inFlight?.catch(() => undefined);
      throw error;
    }
    formatError = error;
  }

  stop ??= await land();
  deps.reporter.recordsRejected(unparsable);
  if (!stop && current.items.length > 0) stop = await settle(await send(current));

  if (stop) {
    await letters.flush(stop.index);
    const { resume: _old, notBefore: _wait, ...rest } = task;
    const continueFrom: FileTask = { ...rest, nextIndex: stop.index, ...(gzip || !stop.before ? {} : { resume: stop.before }) };
    return { status: 'paused', summary, continueFrom, retryAt: stop.retryAt, cause: stop.cause };
  }
  await letters.flush(Number.POSITIVE_INFINITY);
  if (formatError) {
    const reason = `${file} cannot be read past byte ${formatError.offset}${gzip ? ' (uncompressed)' : ''}: ${formatError.message}; ${summary.records} records before it were processed`;
    await deps.deadLetters.send([{ body: JSON.stringify({ bucket: task.bucket, key: task.key, versionId: task.versionId, etag: task.etag }), reason, source: file }]);
    return { status: 'unreadable', summary, reason };
  }
  return { status: 'complete', summary };

  /** Maps a record; a bad one is rejected (dead-lettered once confirmed) and yields nothing. */
  function toItem(element: RawElement, here: ResumePoint | undefined): { item: Item; bytes: number } | undefined {
    const mapped = mapRecord(element, task, deps.mapping, deps.limits.recordBytes);
    if (!mapped.ok) {
      unparsable++;
      reject(element.index, element.line, (element.bytes ?? element.excerpt).toString('utf8'), mapped.reason);
      return undefined;
    }
    return { item: { index: element.index, line: element.line, before: here, record: mapped.record }, bytes: itemBytes(mapped.record, element.size) };
  }
}
