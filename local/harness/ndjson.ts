/**
 * Synthetic NDJSON files for the offline run, the benchmarks and the fault suite: record `i`
 * is always the same bytes, so a file of any size can be produced on the fly (a 1 GiB object
 * never has to exist in memory or on disk) and every stored record can be checked by id.
 */

export interface NdjsonSpec {
  /** Records in the file. */
  readonly records: number;
  /** Prefix of every record id (`{prefix}-{i}`), so files do not collide. @default 'rec' */
  readonly idPrefix?: string;
  /** Approximate bytes of each line, padded with a `note` field. @default 200 */
  readonly lineBytes?: number;
  /**
   * Every `badEvery`-th line (1-based: lines badEvery, 2·badEvery, …) is broken JSON, which
   * s3-ingest must dead-letter with its line number while the rest goes through. @default - none
   */
  readonly badEvery?: number;
  /**
   * Consecutive records that are versions 1…n of one id (`{prefix}-{⌊i/n⌋}`), as a file holding a
   * record's history would: each must be stored as its own version. @default 1
   */
  readonly versionsPerId?: number;
}

const CHUNK_BYTES = 64 * 1024;

export function recordId(spec: NdjsonSpec, index: number): string {
  return `${spec.idPrefix ?? 'rec'}-${Math.floor(index / (spec.versionsPerId ?? 1))}`;
}

/** The record's `version` field (1-based among the versions of its id). */
export function recordVersion(spec: NdjsonSpec, index: number): string {
  return String((index % (spec.versionsPerId ?? 1)) + 1);
}

/** Whether the record at `index` (0-based) is written as a broken line. */
export function isBadLine(spec: NdjsonSpec, index: number): boolean {
  return spec.badEvery !== undefined && (index + 1) % spec.badEvery === 0;
}

export function ndjsonLine(spec: NdjsonSpec, index: number): string {
  const id = recordId(spec, index);
  const version = recordVersion(spec, index);
  if (isBadLine(spec, index)) return `{"id":"${id}","version":"${version}","amount":${index}.`;
  const head = `{"id":"${id}","version":"${version}","amount":${index % 100_000}.25,"currency":"EUR","customer":"C-${index % 997}","note":"`;
  const pad = Math.max(0, (spec.lineBytes ?? 200) - head.length - 2);
  return `${head}${'x'.repeat(pad)}"}`;
}

/**
 * The file as 64 KiB chunks, generated lazily: memory stays flat whatever `records` is.
 * `fromByte` starts at that offset, as a ranged GetObject does (lines are ASCII: chars = bytes).
 */
export async function* ndjsonChunks(spec: NdjsonSpec, fromByte = 0): AsyncGenerator<Uint8Array> {
  let parts: string[] = [];
  let size = 0;
  let position = 0;
  for (let i = 0; i < spec.records; i++) {
    const full = `${ndjsonLine(spec, i)}\n`;
    const start = position;
    position += full.length;
    if (position <= fromByte) continue;
    const line = start < fromByte ? full.slice(fromByte - start) : full;
    parts.push(line);
    size += line.length;
    if (size >= CHUNK_BYTES) {
      yield Buffer.from(parts.join(''), 'utf8');
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) yield Buffer.from(parts.join(''), 'utf8');
}

/** The whole file in memory (small files only: local S3 uploads and the baseline). */
export function ndjsonText(spec: NdjsonSpec): string {
  let text = '';
  for (let i = 0; i < spec.records; i++) text += `${ndjsonLine(spec, i)}\n`;
  return text;
}

/** The same records as one JSON array: the only multi-record format the seed's Lambda reads. */
export function jsonArrayText(spec: NdjsonSpec): string {
  const lines: string[] = [];
  for (let i = 0; i < spec.records; i++) lines.push(ndjsonLine(spec, i));
  return `[${lines.join(',\n')}]`;
}

/** Records needed for a file of about `bytes` bytes. */
export function recordsForBytes(bytes: number, lineBytes = 200): number {
  return Math.ceil(bytes / (lineBytes + 1));
}
