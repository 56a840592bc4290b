import fc from 'fast-check';
import { FileFormatError, JsonSplitter, RawElement, SplitterOptions } from '../../lambdas/s3-ingest/json-splitter';

const MAX = 1024;

/** Feeds `text` in chunks of `chunkSize` bytes and returns every record. */
function split(text: string | Buffer, chunkSize = 7, options: Partial<SplitterOptions> = {}): RawElement[] {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const splitter = new JsonSplitter({ maxElementBytes: MAX, ...options });
  const out: RawElement[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize) out.push(...splitter.push(bytes.subarray(at, at + chunkSize)));
  out.push(...splitter.end());
  return out;
}

const texts = (elements: RawElement[]): string[] => elements.map((e) => e.bytes?.toString('utf8') ?? '<too large>');

describe('JsonSplitter', () => {
  it('yields each element of a JSON array verbatim, whatever the chunk boundaries', () => {
    // Arrange: strings with brackets, escaped quotes and a backslash, nesting, big numbers, a scalar.
    const text = '[ {"id":"a]","n":12345678901234567890123}, {"id":"q\\"}{","x":[1,{"y":"\\\\"}]} ,\n 7, "s,]" ,{} ]';

    // Act
    const byByte = split(text, 1);
    const whole = split(text, text.length);

    // Assert
    const expected = ['{"id":"a]","n":12345678901234567890123}', '{"id":"q\\"}{","x":[1,{"y":"\\\\"}]}', '7', '"s,]"', '{}'];
    expect(texts(byByte)).toEqual(expected);
    expect(texts(whole)).toEqual(expected);
    expect(byByte.map((e) => e.index)).toEqual([0, 1, 2, 3, 4]);
    expect(byByte.map((e) => e.line)).toEqual([1, 1, 2, 2, 2]);
  });

  it('reads NDJSON line by line, skipping blank lines and CRLF endings, with 1-based line numbers', () => {
    const text = '{"id":1}\r\n\r\n{"id":2, "note": "line\\nbreak"}\n   \n{"id":3}';

    const elements = split(text, 5);

    expect(texts(elements)).toEqual(['{"id":1}', '{"id":2, "note": "line\\nbreak"}', '{"id":3}']);
    expect(elements.map((e) => e.line)).toEqual([1, 3, 5]);
    expect(elements.map((e) => e.index)).toEqual([0, 1, 2]);
  });

  it('keeps a broken NDJSON line to itself: the next line is still a record', () => {
    const text = '{"id":1}\n{"id": 2, \n{"id":3}\n';

    const elements = split(text, 3);

    expect(texts(elements)).toEqual(['{"id":1}', '{"id": 2,', '{"id":3}']);
  });

  it('reads a pretty-printed single object as one record', () => {
    const text = '{\n  "id": "only",\n  "items": [\n    {"sku": "A"}\n  ]\n}\n';

    const elements = split(text, 4);

    expect(elements).toHaveLength(1);
    expect(JSON.parse(elements[0]?.bytes?.toString('utf8') ?? '')).toEqual({ id: 'only', items: [{ sku: 'A' }] });
  });

  it('treats a .ndjson-named file as lines even when its first line is broken', () => {
    const text = '{"id": \n{"id":2}\n';

    expect(texts(split(text, 4, { preferLines: true }))).toEqual(['{"id":', '{"id":2}']);
  });

  it('skips a UTF-8 byte-order mark and keeps multi-byte characters intact across chunks', () => {
    const text = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"name":"café ☕"}]', 'utf8')]);

    const elements = split(text, 1);

    expect(texts(elements)).toEqual(['{"name":"café ☕"}']);
  });

  it('reports a record above the size limit with its size and first bytes instead of buffering it', () => {
    const big = JSON.stringify({ id: 'big', blob: 'x'.repeat(5000) });
    const text = `${big}\n{"id":"small"}\n`;

    const elements = split(text, 100);

    expect(elements[0]?.bytes).toBeUndefined();
    expect(elements[0]?.size).toBe(big.length);
    expect(elements[0]?.excerpt.toString('utf8')).toBe(big.slice(0, 1024));
    expect(texts(elements.slice(1))).toEqual(['{"id":"small"}']);
  });

  it.each([
    ['a CSV file', 'id,amount\n1,2\n', /not JSON: the file starts with 'i' at byte 0/],
    ['binary data', Buffer.from([0x1f, 0x8b, 0x08, 0x00]), /not JSON: the file starts with byte 0x1f/],
    ['an array that is cut off', '[{"id":1},{"id":2', /unexpected end of file.*record 1/],
    ['an array that is not closed', '[{"id":1}', /JSON array is not closed/],
    ['a missing comma', '[{"id":1} {"id":2}]', /byte 10.*expected ',' or '\]' after record 0/],
    ['content after the array', '[{"id":1}] {"id":2}', /expected nothing after the closing/],
  ])('throws FileFormatError naming the position for %s', (_name, text, message) => {
    expect(() => split(text)).toThrow(FileFormatError);
    expect(() => split(text)).toThrow(message);
  });

  it('yields the records before a structural break', () => {
    const splitter = new JsonSplitter({ maxElementBytes: MAX });

    const first = splitter.push(Buffer.from('[{"id":1},{"id":2},{"id":'));

    expect(texts(first)).toEqual(['{"id":1}', '{"id":2}']);
    expect(() => splitter.end()).toThrow(/record 2/);
  });

  it('yields nothing for an empty or blank file', () => {
    expect(split('')).toEqual([]);
    expect(split('  \n\n ')).toEqual([]);
  });

  it.each([
    ['array', '[{"id":0},\n {"id":1},\n {"id":2},\n {"id":3}]'],
    ['lines', '{"id":0}\n{"id":1}\n\n{"id":2}\n{"id":3}\n'],
    ['document', '{\n"id":0}\n{"id":1} {"id":2}\n{\n"id":3}'],
  ])('resumes a %s file from the byte position after a record, with the same indexes and lines', (mode, text) => {
    // Arrange
    const all = split(text);
    const point = all[1]?.next;

    // Act
    const rest = split(Buffer.from(text).subarray(point?.offset), 3, { resume: point });

    // Assert
    expect(point?.mode).toBe(mode);
    expect(texts(rest)).toEqual(texts(all.slice(2)));
    expect(rest.map((e) => [e.index, e.line])).toEqual(all.slice(2).map((e) => [e.index, e.line]));
  });
});

/** What reading `bytes` cut at `cuts` gives: every record, then the error that stopped reading, if any. */
function outcome(bytes: Buffer, cuts: readonly number[], options: Partial<SplitterOptions>) {
  const splitter = new JsonSplitter({ maxElementBytes: PROPERTY_MAX, ...options });
  const records: RawElement[] = [];
  let error: string | undefined;
  try {
    let from = 0;
    for (const to of [...cuts, bytes.length]) {
      records.push(...splitter.push(bytes.subarray(from, to)));
      from = to;
    }
    records.push(...splitter.end());
  } catch (e) {
    error = (e as Error).message;
  }
  // Text rather than Buffers: a record inside one chunk is a view, which toEqual compares by bytes anyway.
  return { records: records.map((r) => ({ ...r, bytes: r.bytes?.toString('utf8'), excerpt: r.excerpt.toString('utf8') })), error };
}

/** Small, so that generated records cross the limit. */
const PROPERTY_MAX = 48;

const record = fc.oneof(
  { weight: 5, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify({ id: 1, v })) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom('{', '}', '"', '\\', ':', ',', '[', ']', 'a', '1', ' ', 'é', '☕', '\r'), maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', '\t', '\r') },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('x', 'y', ' '), minLength: 50, maxLength: 120 }).map((s) => JSON.stringify({ big: s })) },
);
const spacing = fc.constantFrom('', ' ', '\n', '\r\n', '\n\n', '\t');

const files = fc.oneof(
  fc.record({ options: fc.constant({ preferLines: true }), text: fc.array(record, { maxLength: 15 }).map((lines) => lines.join('\n')) }),
  fc.record({ options: fc.constant({}), text: fc.tuple(fc.array(record, { maxLength: 15 }), fc.constantFrom('\n', '\r\n')).map(([lines, eol]) => lines.join(eol)) }),
  fc.record({
    options: fc.constant({}),
    text: fc.tuple(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 10 }), spacing, fc.boolean()).map(([values, gap, closed]) => `[${gap}${values.map((v) => JSON.stringify(v)).join(`${gap},${gap}`)}${gap}${closed ? ']' : ''}`),
  }),
  fc.record({
    options: fc.constant({}),
    text: fc.tuple(fc.array(fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }), { minLength: 1, maxLength: 8 }), spacing).map(([values, gap]) => values.map((v) => JSON.stringify(v, null, gap === '' ? undefined : 1)).join(gap || ' ')),
  }),
);

/** Cut points in a file of `length` bytes, from fractions, in order (repeats make empty chunks). */
const cutsFor = (length: number, fractions: readonly number[]): number[] => fractions.map((f) => Math.floor(f * (length + 1))).sort((a, b) => a - b);
const fractions = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { maxLength: 40 });

describe('JsonSplitter, every chunking of the same bytes', () => {
  it('yields the same records, positions, resume points and errors as the file in one chunk', () => {
    fc.assert(
      fc.property(files, fractions, fc.boolean(), ({ text, options }, cut, bom) => {
        const bytes = Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'utf8')]);

        const whole = outcome(bytes, [], options);
        const chunked = outcome(bytes, cutsFor(bytes.length, cut), options);

        expect(chunked).toEqual(whole);
      }),
      { numRuns: 1500 },
    );
  });

  it('byte by byte too: each non-blank line once, verbatim and trimmed when within the limit, as a size and an excerpt when not', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), (rest, eol) => {
        // The first line opens an object: a file that starts otherwise is not JSON at all.
        const lines = ['{"id":0}', ...rest];
        const bytes = Buffer.from(lines.join(eol), 'utf8');

        const byByte = outcome(bytes, Array.from({ length: bytes.length }, (_, i) => i), { preferLines: true });

        expect(byByte).toEqual(outcome(bytes, [], { preferLines: true }));
        // What lies between two line feeds (a CRLF's CR included) is what the limit applies to.
        const kept = lines.map((l, i) => (i < lines.length - 1 ? l + eol.slice(0, -1) : l)).filter((l) => l.trim() !== '');
        expect(byByte.error).toBeUndefined();
        expect(byByte.records.map((r) => r.index)).toEqual(kept.map((_, i) => i));
        byByte.records.forEach((r, i) => {
          const line = kept[i] as string;
          const tooLarge = Buffer.byteLength(line) > PROPERTY_MAX;
          expect(r.bytes).toBe(tooLarge ? undefined : line.trim());
          expect(r.excerpt).toBe(line.trim());
          expect(r.size).toBe(Buffer.byteLength(tooLarge ? line : line.trim()));
        });
      }),
      { numRuns: 300 },
    );
  });
});
