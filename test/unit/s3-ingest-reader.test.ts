import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { FileFormatError } from '../../lambdas/s3-ingest/json-splitter';
import { isGzip, isJsonLines, readRecordChunks } from '../../lambdas/s3-ingest/record-reader';
import { ndjson } from '../helpers/s3-ingest-fakes';

/** A body in chunks of `size` bytes that counts what has been pulled from it, and whether it was closed. */
function source(bytes: Buffer, size = 1024) {
  const state = { pulled: 0, closed: false };
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      for (let at = 0; at < bytes.length; at += size) {
        state.pulled += Math.min(size, bytes.length - at);
        yield bytes.subarray(at, at + size);
      }
    } finally {
      state.closed = true;
    }
  }
  return { body: body(), state };
}

async function collect(chunks: AsyncIterable<readonly { bytes: Buffer | undefined }[]>): Promise<string[]> {
  const out: string[] = [];
  for await (const records of chunks) {
    expect(records.length).toBeGreaterThan(0);
    for (const e of records) out.push(e.bytes?.toString('utf8') ?? '');
  }
  return out;
}

const OPTIONS = { gzip: false, preferLines: false, maxRecordBytes: 1024 };

describe('readRecordChunks', () => {
  it('decompresses gzip, including several concatenated gzip members', async () => {
    const bytes = Buffer.concat([gzipSync(ndjson(3)), gzipSync(ndjson(2, 3))]);

    const records = await collect(readRecordChunks(source(bytes).body, { ...OPTIONS, gzip: true }));

    expect(records.map((r) => JSON.parse(r).id)).toEqual(['r-0', 'r-1', 'r-2', 'r-3', 'r-4']);
  });

  it('reports data that is not gzip as a FileFormatError', async () => {
    await expect(collect(readRecordChunks(source(Buffer.from(ndjson(3))).body, { ...OPTIONS, gzip: true }))).rejects.toThrow(FileFormatError);
  });

  it('pulls the object only as fast as records are consumed', async () => {
    // Arrange: a 1 MB file read in 1 KiB chunks.
    const { body, state } = source(Buffer.from(ndjson(20_000)));
    const chunks = readRecordChunks(body, OPTIONS);

    // Act: take the first chunk's records only.
    const first = await chunks.next();
    await chunks.return(undefined);

    // Assert
    expect(JSON.parse(first.value?.[0]?.bytes?.toString('utf8') ?? '')).toEqual({ id: 'r-0', amount: 0 });
    expect(state.pulled).toBeLessThanOrEqual(2 * 1024);
  });
});

describe('readRecordChunks, stopping and failing', () => {
  it('closes the body when the consumer stops early (a break out of for await)', async () => {
    const { body, state } = source(Buffer.from(ndjson(5_000)));
    let seen = 0;
    for await (const _ of readRecordChunks(body, OPTIONS)) if (++seen === 3) break;

    expect(seen).toBe(3);
    expect(state.closed).toBe(true);
  });

  it('closes the body and reports the record that breaks the file structure', async () => {
    const { body, state } = source(Buffer.from('[{"id":"a"},{"id":"b"} x'), 4);

    await expect(collect(readRecordChunks(body, OPTIONS))).rejects.toThrow(/invalid JSON structure at byte 23/);
    expect(state.closed).toBe(true);
  });

  it('yields every record once, in order, whatever the chunk size (the same records as one whole chunk)', async () => {
    const text = Buffer.from(ndjson(50));
    const whole = await collect(readRecordChunks(source(text, text.length).body, OPTIONS));
    for (const size of [1, 7, 64, 1000]) expect(await collect(readRecordChunks(source(text, size).body, OPTIONS))).toEqual(whole);
    expect(whole).toHaveLength(50);
  });

  it('answers done after the end, again and again', async () => {
    const chunks = readRecordChunks(source(Buffer.from(ndjson(1))).body, OPTIONS);
    expect((await chunks.next()).done).toBe(false);
    expect(await chunks.next()).toEqual({ done: true, value: undefined });
    expect(await chunks.next()).toEqual({ done: true, value: undefined });
  });
});

/** A body cut at the given sizes (cycled), that records whether it was closed. */
function cutBody(bytes: Buffer, sizes: readonly number[]) {
  const state = { closed: false };
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      for (let at = 0, i = 0; at < bytes.length; i++) {
        const size = sizes[i % sizes.length] as number;
        yield bytes.subarray(at, at + size);
        at += size;
      }
    } finally {
      state.closed = true;
    }
  }
  return { body: body(), state };
}

type Read = { index: number; line: number; text: string | undefined; size: number; next: unknown }[];

async function readAll(body: AsyncIterable<Uint8Array>, gzip: boolean): Promise<{ records: Read; error?: string }> {
  const records: Read = [];
  try {
    for await (const chunk of readRecordChunks(body, { ...OPTIONS, gzip, preferLines: true, maxRecordBytes: 40 })) {
      expect(chunk.length).toBeGreaterThan(0);
      // Read before asking for the next chunk, as the contract says.
      for (const r of chunk) records.push({ index: r.index, line: r.line, text: r.bytes?.toString('utf8'), size: r.size, next: r.next });
    }
  } catch (error) {
    return { records, error: (error as Error).message };
  }
  return { records };
}

const line = fc.oneof(
  fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify({ id: 'r', v })),
  fc.string({ unit: fc.constantFrom('{', '"', ':', '}', 'x', ' ', 'é', '\r'), maxLength: 30 }),
  fc.constant(''),
);
const ndjsonFile = fc.array(line, { maxLength: 20 }).map((lines) => Buffer.from(['{"id":"first"}', ...lines].join('\n'), 'utf8'));
const sizes = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 10 });

describe('readRecordChunks, every chunking of the same object', () => {
  it('yields the same records (those spanning chunks, broken and oversized ones included) as the object in one chunk, plain or gzip', async () => {
    await fc.assert(
      fc.asyncProperty(ndjsonFile, sizes, fc.boolean(), async (text, cut, gzip) => {
        const bytes = gzip ? gzipSync(text) : text;

        const whole = await readAll(cutBody(bytes, [bytes.length]).body, gzip);
        const chunked = await readAll(cutBody(bytes, cut).body, gzip);

        expect(chunked).toEqual(whole);
        expect(whole.error).toBeUndefined();
        expect(whole.records.map((r) => r.index)).toEqual(whole.records.map((_, i) => i));
      }),
      { numRuns: 300 },
    );
  });

  it('closes the body whenever the consumer stops, after any number of chunks', async () => {
    await fc.assert(
      fc.asyncProperty(ndjsonFile, sizes, fc.nat({ max: 5 }), async (text, cut, stopAfter) => {
        const { body, state } = cutBody(text, cut);
        let seen = 0;
        for await (const _ of readRecordChunks(body, { ...OPTIONS, preferLines: true })) if (seen++ === stopAfter) break;

        expect(state.closed).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('isGzip / isJsonLines', () => {
  it.each([
    ['data.json.gz', undefined, true],
    ['data.JSON.GZ', undefined, true],
    ['data.json', 'gzip', true],
    ['data.json', 'aws-chunked, gzip', true],
    ['data.json', undefined, false],
    ['data.gzip.json', 'identity', false],
  ])('isGzip(%s, %s) is %s', (key, encoding, expected) => {
    expect(isGzip(key, encoding)).toBe(expected);
  });

  it.each([
    ['a.ndjson', undefined, true],
    ['a.jsonl.gz', undefined, true],
    ['a.json', 'application/x-ndjson', true],
    ['a.json', 'application/json', false],
  ])('isJsonLines(%s, %s) is %s', (key, type, expected) => {
    expect(isJsonLines(key, type)).toBe(expected);
  });
});
