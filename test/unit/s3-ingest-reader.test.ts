import { gzipSync } from 'node:zlib';
import { FileFormatError } from '../../lambdas/s3-ingest/json-splitter';
import { isGzip, isJsonLines, readRecords } from '../../lambdas/s3-ingest/record-reader';
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

async function collect(iterable: AsyncIterable<{ bytes: Buffer | undefined }>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of iterable) out.push(e.bytes?.toString('utf8') ?? '');
  return out;
}

const OPTIONS = { gzip: false, preferLines: false, maxRecordBytes: 1024 };

describe('readRecords', () => {
  it('decompresses gzip, including several concatenated gzip members', async () => {
    const bytes = Buffer.concat([gzipSync(ndjson(3)), gzipSync(ndjson(2, 3))]);

    const records = await collect(readRecords(source(bytes).body, { ...OPTIONS, gzip: true }));

    expect(records.map((r) => JSON.parse(r).id)).toEqual(['r-0', 'r-1', 'r-2', 'r-3', 'r-4']);
  });

  it('reports data that is not gzip as a FileFormatError', async () => {
    await expect(collect(readRecords(source(Buffer.from(ndjson(3))).body, { ...OPTIONS, gzip: true }))).rejects.toThrow(FileFormatError);
  });

  it('pulls the object only as fast as records are consumed', async () => {
    // Arrange: a 1 MB file read in 1 KiB chunks.
    const { body, state } = source(Buffer.from(ndjson(20_000)));
    const records = readRecords(body, OPTIONS);

    // Act: take the first record only.
    const first = await records.next();
    await records.return(undefined);

    // Assert
    expect(JSON.parse(first.value?.bytes?.toString('utf8') ?? '')).toEqual({ id: 'r-0', amount: 0 });
    expect(state.pulled).toBeLessThanOrEqual(2 * 1024);
  });
});

describe('readRecords, stopping and failing', () => {
  it('closes the body when the consumer stops early (a break out of for await)', async () => {
    const { body, state } = source(Buffer.from(ndjson(5_000)));
    let seen = 0;
    for await (const _ of readRecords(body, OPTIONS)) if (++seen === 3) break;

    expect(seen).toBe(3);
    expect(state.closed).toBe(true);
  });

  it('closes the body and reports the record that breaks the file structure', async () => {
    const { body, state } = source(Buffer.from('[{"id":"a"},{"id":"b"} x'), 4);

    await expect(collect(readRecords(body, OPTIONS))).rejects.toThrow(/invalid JSON structure at byte 23/);
    expect(state.closed).toBe(true);
  });

  it('yields every record once, in order, whatever the chunk size (the same records as one whole chunk)', async () => {
    const text = Buffer.from(ndjson(50));
    const whole = await collect(readRecords(source(text, text.length).body, OPTIONS));
    for (const size of [1, 7, 64, 1000]) expect(await collect(readRecords(source(text, size).body, OPTIONS))).toEqual(whole);
    expect(whole).toHaveLength(50);
  });

  it('answers done after the end, again and again', async () => {
    const records = readRecords(source(Buffer.from(ndjson(1))).body, OPTIONS);
    expect((await records.next()).done).toBe(false);
    expect(await records.next()).toEqual({ done: true, value: undefined });
    expect(await records.next()).toEqual({ done: true, value: undefined });
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
