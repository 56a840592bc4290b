/**
 * Splits a JSON file, fed chunk by chunk, into the raw bytes of its top-level records without
 * parsing them, so memory stays bounded by one record whatever the file's size and each
 * record's text reaches Certyo verbatim (big numbers keep their digits).
 *
 * It works on bytes, not characters: JSON's structural characters are ASCII and UTF-8 never
 * uses an ASCII byte inside a multi-byte character, so a byte position is exact and doubles as
 * the point a later invocation can resume from with an S3 range request.
 *
 * Three layouts:
 * - `array`:    `[ {...}, {...} ]`, one record per element;
 * - `lines`:    JSON Lines / NDJSON, one record per non-blank line; a broken line spoils only itself;
 * - `document`: one JSON value (a single, possibly pretty-printed object) or several in a row.
 */

export type SplitMode = 'array' | 'lines' | 'document';

/** Where reading can start again: just after the record before `index`. */
export interface ResumePoint {
  readonly mode: SplitMode;
  /** Byte offset in the (uncompressed) object. */
  readonly offset: number;
  /** Index the next record will have. */
  readonly index: number;
  /** 1-based line number at `offset`. */
  readonly line: number;
}

export interface RawElement {
  /** 0-based position among the file's records (bad ones included), stable across invocations. */
  readonly index: number;
  /** 1-based line on which the record starts. */
  readonly line: number;
  /**
   * The record's bytes, or `undefined` when it exceeds the size limit (see `size`). A record
   * inside one chunk is a view of that chunk (not a copy): read it before the next chunk.
   */
  readonly bytes: Buffer | undefined;
  /** Size in bytes of the whole record. */
  readonly size: number;
  /** The first bytes of the record, for a dead letter when `bytes` was not kept. */
  readonly excerpt: Buffer;
  /** Where to resume to read the records after this one. */
  readonly next: ResumePoint;
}

/** The file's structure is broken (or it is not JSON): reading cannot go on past `offset`. */
export class FileFormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'FileFormatError';
  }
}

export interface SplitterOptions {
  /** Records larger than this are reported with `bytes: undefined` instead of being buffered. */
  readonly maxElementBytes: number;
  /** The object says it is JSON Lines (by name or content type): skip sniffing the first line. */
  readonly preferLines?: boolean;
  /** Continue a file from here instead of from its first byte. */
  readonly resume?: ResumePoint;
}

const EXCERPT_BYTES = 1024;
/** How far the first line is buffered to tell NDJSON from a pretty-printed object. */
const SNIFF_LIMIT_BYTES = 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function isWhitespace(byte: number): boolean {
  return byte === SPACE || byte === LF || byte === CR || byte === TAB;
}

function isScalarEnd(byte: number): boolean {
  return isWhitespace(byte) || byte === COMMA || byte === CLOSE_BRACKET || byte === CLOSE_BRACE || byte === OPEN_BRACE || byte === OPEN_BRACKET || byte === QUOTE;
}

function describeByte(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16).padStart(2, '0')}`;
}

/**
 * `detect`: before the first significant byte. `array-start`: before `[`. `array-open`: after
 * `[`. `array-next`: after an element. `array-value`: after a comma. `array-end`: after `]`.
 * `between`: between document values. `value`: inside an element. `line`: inside JSON Lines.
 */
type Phase = 'detect' | 'array-start' | 'array-open' | 'array-next' | 'array-value' | 'array-end' | 'between' | 'value' | 'line';

/** The element being collected. */
interface Pending {
  readonly line: number;
  pieces: Buffer[];
  size: number;
  /** Set once the record exceeds the size limit: its first bytes, and `pieces` is emptied. */
  excerpt: Buffer | undefined;
  /** Value scanning state (unused in lines mode). */
  depth: number;
  inString: boolean;
  escaped: boolean;
  scalar: boolean;
}

export class JsonSplitter {
  private mode: SplitMode | undefined;
  private phase: Phase;
  private offset: number;
  private line: number;
  private nextIndex: number;
  private pending: Pending | undefined;
  /** Bytes held back while the layout is not yet known. */
  private sniffed: Buffer[] = [];
  private sniffedSize = 0;
  private readonly max: number;

  constructor(private readonly options: SplitterOptions) {
    this.max = options.maxElementBytes;
    const resume = options.resume;
    this.offset = resume?.offset ?? 0;
    this.line = resume?.line ?? 1;
    this.nextIndex = resume?.index ?? 0;
    this.mode = resume?.mode;
    this.phase = resume ? ({ array: 'array-next', lines: 'line', document: 'between' } as const)[resume.mode] : 'detect';
  }

  /** The layout, once known. */
  get layout(): SplitMode | undefined {
    return this.mode;
  }

  /** Feeds the next chunk; returns the records it completed. Throws `FileFormatError`. */
  push(chunk: Uint8Array): RawElement[] {
    const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.phase !== 'detect') return this.scan(buffer);
    this.sniffed.push(buffer);
    this.sniffedSize += buffer.length;
    return this.detect(false);
  }

  /** Signals the end of the file; returns the last record. Throws `FileFormatError` if one is cut off. */
  end(): RawElement[] {
    const out = this.phase === 'detect' ? this.detect(true) : [];
    if (this.pending && this.mode === 'lines') {
      this.emitLine(this.pending, out, this.offset);
      this.pending = undefined;
    } else if (this.pending?.scalar && this.pending.depth === 0 && !this.pending.inString) {
      this.finishValue(out, this.offset);
    }
    if (this.pending) {
      throw new FileFormatError(`unexpected end of file at byte ${this.offset}: record ${this.nextIndex} (line ${this.pending.line}) is incomplete`, this.offset);
    }
    if (this.phase === 'array-open' || this.phase === 'array-next' || this.phase === 'array-value') {
      throw new FileFormatError(`unexpected end of file at byte ${this.offset}: the JSON array is not closed with ']'`, this.offset);
    }
    return out;
  }

  /**
   * Decides the layout from the first significant byte: `[` is an array; `{` is JSON Lines if
   * the first line is a complete JSON value (or the name says so), else a document.
   */
  private detect(atEnd: boolean): RawElement[] {
    const head = Buffer.concat(this.sniffed, this.sniffedSize);
    const atStart = this.offset === 0;
    // Too short to tell whether a UTF-8 byte-order mark is coming: wait for more.
    if (atStart && !atEnd && head.length < UTF8_BOM.length && UTF8_BOM.subarray(0, head.length).equals(head)) return [];
    const bom = atStart && head.subarray(0, UTF8_BOM.length).equals(UTF8_BOM) ? UTF8_BOM.length : 0;
    let start = bom;
    while (start < head.length && isWhitespace(head[start] as number)) start++;
    if (start === head.length) {
      // Only whitespace so far: drop it (counting its lines) so a blank prefix costs no memory.
      this.line += countLines(head);
      this.offset += head.length;
      this.sniffed = [];
      this.sniffedSize = 0;
      return [];
    }
    const first = head[start] as number;
    if (first === OPEN_BRACKET) {
      this.mode = 'array';
    } else if (first === OPEN_BRACE) {
      if (this.options.preferLines) {
        this.mode = 'lines';
      } else {
        const newline = head.indexOf(LF, start);
        if (newline < 0 && !atEnd && head.length < SNIFF_LIMIT_BYTES) return [];
        this.mode = newline >= 0 && isCompleteJson(head.subarray(start, newline)) ? 'lines' : 'document';
      }
    } else {
      throw new FileFormatError(`not JSON: the file starts with ${describeByte(first)} at byte ${this.offset + start}, expected '[' or '{'`, this.offset + start);
    }
    this.sniffed = [];
    this.sniffedSize = 0;
    this.phase = this.mode === 'array' ? 'array-start' : this.mode === 'lines' ? 'line' : 'between';
    // The byte-order mark is not part of any record.
    this.offset += bom;
    return this.scan(head.subarray(bom));
  }

  private scan(buffer: Buffer): RawElement[] {
    const out: RawElement[] = [];
    const base = this.offset;
    let i = 0;
    if (this.mode === 'lines') {
      this.scanLines(buffer, out);
      return out;
    }
    /** Start of the current element's bytes inside this chunk. */
    let valueStart = this.pending ? 0 : -1;
    while (i < buffer.length) {
      const byte = buffer[i] as number;
      if (this.phase === 'value') {
        const p = this.pending as Pending;
        if (p.scalar && p.depth === 0 && !p.inString) {
          if (isScalarEnd(byte)) {
            this.collect(buffer.subarray(valueStart, i));
            this.offset = base + i;
            this.finishValue(out, base + i);
            valueStart = -1;
            continue; // the delimiter belongs to the surrounding structure
          }
        } else if (p.inString) {
          if (p.escaped) p.escaped = false;
          else if (byte === BACKSLASH) p.escaped = true;
          else if (byte === QUOTE) {
            p.inString = false;
            if (p.depth === 0) {
              this.collect(buffer.subarray(valueStart, i + 1));
              this.offset = base + i + 1;
              this.finishValue(out, base + i + 1);
              valueStart = -1;
            }
          }
        } else if (byte === QUOTE) {
          p.inString = true;
        } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
          p.depth++;
        } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
          p.depth--;
          if (p.depth === 0) {
            this.collect(buffer.subarray(valueStart, i + 1));
            this.offset = base + i + 1;
            this.finishValue(out, base + i + 1);
            valueStart = -1;
          }
        }
        if (byte === LF) this.line++;
        i++;
        continue;
      }
      if (byte === LF) this.line++;
      if (isWhitespace(byte)) {
        i++;
        continue;
      }
      const at = base + i;
      switch (this.phase) {
        case 'array-start':
          if (byte !== OPEN_BRACKET) throw this.unexpected(byte, at, "'['");
          this.phase = 'array-open';
          break;
        case 'array-open':
          if (byte === CLOSE_BRACKET) this.phase = 'array-end';
          else valueStart = this.startValue(byte, i, at);
          break;
        case 'array-value':
          valueStart = this.startValue(byte, i, at);
          break;
        case 'array-next':
          if (byte === COMMA) this.phase = 'array-value';
          else if (byte === CLOSE_BRACKET) this.phase = 'array-end';
          else throw this.unexpected(byte, at, `',' or ']' after record ${this.nextIndex - 1}`);
          break;
        case 'array-end':
          throw this.unexpected(byte, at, 'nothing after the closing \']\'');
        case 'between':
          valueStart = this.startValue(byte, i, at);
          break;
        default:
          throw new FileFormatError(`internal: unexpected phase ${this.phase}`, at);
      }
      i++;
    }
    if (this.pending && valueStart >= 0) this.collect(buffer.subarray(valueStart));
    this.offset = base + buffer.length;
    return out;
  }

  /** Opens an element at `byte`; returns where its bytes start in the chunk. */
  private startValue(byte: number, i: number, at: number): number {
    if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE || byte === COMMA) {
      throw this.unexpected(byte, at, `a record (record ${this.nextIndex})`);
    }
    const container = byte === OPEN_BRACE || byte === OPEN_BRACKET;
    this.pending = {
      line: this.line,
      pieces: [],
      size: 0,
      excerpt: undefined,
      depth: container ? 1 : 0,
      inString: byte === QUOTE,
      escaped: false,
      scalar: !container,
    };
    this.phase = 'value';
    return i;
  }

  /**
   * Keeps a reference to the record's bytes in the chunk (joined when the record is complete, if
   * it spans chunks). Past the size limit only the excerpt is kept, so memory stays bounded.
   */
  private collect(piece: Buffer): void {
    const p = this.pending as Pending;
    if (piece.length === 0) return;
    p.size += piece.length;
    if (p.excerpt === undefined) {
      p.pieces.push(piece);
      if (p.size > this.max) {
        p.excerpt = Buffer.concat(p.pieces).subarray(0, EXCERPT_BYTES);
        p.pieces = [];
      }
    } else if (p.excerpt.length < EXCERPT_BYTES) {
      // Under a limit smaller than the excerpt, the excerpt still ends where the record's first
      // EXCERPT_BYTES do, not where a chunk happened to.
      p.excerpt = Buffer.concat([p.excerpt, piece]).subarray(0, EXCERPT_BYTES);
    }
  }

  private finishValue(out: RawElement[], end: number): void {
    const p = this.pending as Pending;
    this.pending = undefined;
    this.phase = this.mode === 'array' ? 'array-next' : 'between';
    this.emit(p, out, { mode: this.mode as SplitMode, offset: end, index: this.nextIndex + 1, line: this.line });
  }

  private emit(p: Pending, out: RawElement[], next: ResumePoint): void {
    const bytes = p.excerpt === undefined ? joined(p) : undefined;
    out.push({ index: this.nextIndex, line: p.line, bytes, size: p.size, excerpt: bytes === undefined ? (p.excerpt as Buffer) : excerptOf(bytes), next });
    this.nextIndex++;
  }

  private scanLines(buffer: Buffer, out: RawElement[]): void {
    let start = 0;
    while (start < buffer.length) {
      const newline = buffer.indexOf(LF, start);
      const stop = newline < 0 ? buffer.length : newline;
      if (!this.pending) {
        this.pending = { line: this.line, pieces: [], size: 0, excerpt: undefined, depth: 0, inString: false, escaped: false, scalar: false };
      }
      this.collect(buffer.subarray(start, stop));
      if (newline < 0) break;
      const p = this.pending;
      this.pending = undefined;
      this.line++;
      this.emitLine(p, out, this.offset + newline + 1);
      start = newline + 1;
    }
    this.offset += buffer.length;
  }

  /** Emits a line unless it is blank; surrounding whitespace (a Windows CR too) is not part of the record. */
  private emitLine(p: Pending, out: RawElement[], end: number): void {
    const bytes = p.excerpt === undefined ? trimWhitespace(joined(p)) : undefined;
    if (bytes !== undefined && bytes.length === 0) return;
    out.push({
      index: this.nextIndex,
      line: p.line,
      bytes,
      size: bytes?.length ?? p.size,
      excerpt: bytes === undefined ? trimWhitespace(p.excerpt as Buffer) : excerptOf(bytes),
      next: { mode: 'lines', offset: end, index: this.nextIndex + 1, line: this.line },
    });
    this.nextIndex++;
  }

  private unexpected(byte: number, at: number, expected: string): FileFormatError {
    return new FileFormatError(`invalid JSON structure at byte ${at} (line ${this.line}): found ${describeByte(byte)}, expected ${expected}`, at);
  }
}

/**
 * The record's bytes: a record inside one chunk is used where it lies (every record pays a copy
 * otherwise, a measurable share of the parse time: docs/performance.md).
 */
function joined(p: Pending): Buffer {
  return p.pieces.length === 1 ? (p.pieces[0] as Buffer) : Buffer.concat(p.pieces, p.size);
}

function excerptOf(bytes: Buffer): Buffer {
  return bytes.length <= EXCERPT_BYTES ? bytes : bytes.subarray(0, EXCERPT_BYTES);
}

function trimWhitespace(buffer: Buffer): Buffer {
  let start = 0;
  let end = buffer.length;
  while (start < end && isWhitespace(buffer[start] as number)) start++;
  while (end > start && isWhitespace(buffer[end - 1] as number)) end--;
  return start === 0 && end === buffer.length ? buffer : buffer.subarray(start, end);
}

function countLines(buffer: Buffer): number {
  let lines = 0;
  for (let at = buffer.indexOf(LF); at >= 0; at = buffer.indexOf(LF, at + 1)) lines++;
  return lines;
}

function isCompleteJson(bytes: Buffer): boolean {
  try {
    JSON.parse(bytes.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
