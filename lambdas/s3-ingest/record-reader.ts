/**
 * Streams an object's records: gunzip when needed, split into raw records, one chunk at a time.
 * Reading pauses while the consumer does (for-await pulls), so memory is bounded by a chunk,
 * one record and the consumer's batches, whatever the object's size.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { FileFormatError, JsonSplitter, RawElement, ResumePoint } from './json-splitter';

export interface ReadOptions {
  readonly gzip: boolean;
  readonly preferLines: boolean;
  readonly maxRecordBytes: number;
  /** Byte position the body starts at (the body is then a range of an uncompressed object). */
  readonly resume?: ResumePoint;
}

/** Compressed by name or by `Content-Encoding` (S3 keeps the header it was uploaded with). */
export function isGzip(key: string, contentEncoding: string | undefined): boolean {
  return /\.gz$/i.test(key) || /(^|,)\s*(x-)?gzip\s*($|,)/i.test(contentEncoding ?? '');
}

/** JSON Lines by name or content type, so even a first line that is broken reads as a line. */
export function isJsonLines(key: string, contentType: string | undefined): boolean {
  return /\.(ndjson|jsonl|jsonlines)(\.gz)?$/i.test(key) || /^application\/(x-)?(ndjson|jsonl|jsonlines|json-seq)\b/i.test(contentType ?? '');
}

function decompress(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const source = Readable.from(body);
  const gunzip = createGunzip();
  source.on('error', (error) => gunzip.destroy(error));
  gunzip.on('close', () => source.destroy());
  return source.pipe(gunzip);
}

/** zlib errors carry a Z_* code (checked by shape: they may come from another realm). */
function readError(error: unknown, gzip: boolean): unknown {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (gzip && typeof code === 'string' && code.startsWith('Z_')) {
    return new FileFormatError(`not gzip data, or a corrupt gzip stream (${String(message)})`, 0);
  }
  return error;
}

/** The records of an object; `return` stops reading and closes the body. */
export interface RecordIterator extends AsyncIterableIterator<RawElement> {
  return(value?: unknown): Promise<IteratorResult<RawElement, undefined>>;
}

/**
 * The object's records, in order. A hand-written async iterator rather than an async generator:
 * a generator pays a promise round trip per record on top of the consumer's `await`, which was
 * a measurable share of the parse time (docs/performance.md); this one answers from the records
 * of the current chunk at once and awaits only to read the next chunk. Stopping early (`return`,
 * e.g. a `break` out of `for await`) closes the body, as ending the generator did.
 */
export function readRecords(body: AsyncIterable<Uint8Array>, options: ReadOptions): RecordIterator {
  const splitter = new JsonSplitter({ maxElementBytes: options.maxRecordBytes, preferLines: options.preferLines, resume: options.resume });
  const chunks = (options.gzip ? decompress(body) : body)[Symbol.asyncIterator]();
  let ready: RawElement[] = [];
  let at = 0;
  let finished = false;
  const close = async (): Promise<void> => {
    finished = true;
    ready = [];
    await chunks.return?.();
  };
  /** Reads chunks until a record is ready; `false` at the end of the object. */
  const fill = async (): Promise<boolean> => {
    while (at >= ready.length) {
      if (finished) return false;
      try {
        const step = await chunks.next();
        at = 0;
        if (step.done) {
          finished = true;
          ready = splitter.end();
        } else {
          ready = splitter.push(step.value);
        }
      } catch (error) {
        if (!finished) await close().catch(() => undefined);
        throw readError(error, options.gzip);
      }
    }
    return true;
  };
  const done: IteratorReturnResult<undefined> = { done: true, value: undefined };
  const iterator: RecordIterator = {
    next() {
      if (at < ready.length) return Promise.resolve({ done: false, value: ready[at++] as RawElement });
      return fill().then((more) => (more ? { done: false, value: ready[at++] as RawElement } : done));
    },
    async return() {
      await close();
      return done;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
