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

/**
 * The object's records, in order, a chunk's worth at a time (never an empty array): the consumer
 * loops over each array without an `await` per record, which was a measurable share of the parse
 * time (docs/performance.md). Stopping early (`return`, e.g. a `break` out of `for await`) closes
 * the body. A record's `bytes` may be a view of its chunk: use it before asking for the next array.
 */
export async function* readRecordChunks(body: AsyncIterable<Uint8Array>, options: ReadOptions): AsyncGenerator<RawElement[], void, undefined> {
  const splitter = new JsonSplitter({ maxElementBytes: options.maxRecordBytes, preferLines: options.preferLines, resume: options.resume });
  const chunks = (options.gzip ? decompress(body) : body)[Symbol.asyncIterator]();
  let open = true;
  const close = async (): Promise<void> => {
    if (!open) return;
    open = false;
    await chunks.return?.();
  };
  try {
    for (;;) {
      const step = await chunks.next();
      if (step.done) {
        open = false;
        const last = splitter.end();
        if (last.length > 0) yield last;
        return;
      }
      const records = splitter.push(step.value);
      if (records.length > 0) yield records;
    }
  } catch (error) {
    await close().catch(() => undefined);
    throw readError(error, options.gzip);
  } finally {
    await close();
  }
}
