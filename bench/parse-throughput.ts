/**
 * `s3.parseThroughput`: MB/s of the S3 path's reading and mapping (`readRecordChunks`, then
 * `mapRecord` for each element: split without parsing, id and version read from the parsed
 * record, the raw text only for numbers, idempotency key) against a plain loop over the same
 * chunks that splits lines with a string carry-over and `JSON.parse`s each one — the least a
 * reader of NDJSON can do. Same bytes, same process, interleaved rounds, in memory (no network,
 * no Certyo), so the two differ only in the code.
 */
import { median, roundTo } from './numbers';
import { readRecordChunks } from '../lambdas/s3-ingest/record-reader';
import { mapRecord } from '../lambdas/s3-ingest/record-mapping';
import { DEFAULT_MAX_RECORD_BYTES } from '../lambdas/s3-ingest/settings';
import { ndjsonChunks, recordsForBytes } from '../local/harness/ndjson';

export interface ParseThroughputFigure {
  readonly bytes: number;
  readonly records: number;
  readonly rounds: number;
  /** Median MB/s (10^6 bytes per second) of our reader + mapping. */
  readonly oursMBps: number;
  /** Median MB/s of line split + `JSON.parse`. */
  readonly baselineMBps: number;
  /** oursMBps / baselineMBps. */
  readonly ratio: number;
  readonly method: string;
}

export interface ParseThroughputOptions {
  /** @default 64 MiB */
  readonly bytes?: number;
  /** @default 1024 */
  readonly lineBytes?: number;
  /** @default 5 */
  readonly rounds?: number;
  readonly log?: (line: string) => void;
}

const TASK = { bucket: 'bench-parse', key: 'parse/records.ndjson', etag: 'etag-parse', eventTime: '2026-01-01T00:00:00.000Z', nextIndex: 0 };
const MAPPING = { tenantId: 'bench', recordIdPath: 'id', recordVersionPath: 'version' };

async function* replay(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

/** Our reader and mapping; returns the records mapped (all must map). */
async function ours(chunks: readonly Uint8Array[]): Promise<number> {
  let mapped = 0;
  for await (const records of readRecordChunks(replay(chunks), { gzip: false, preferLines: true, maxRecordBytes: DEFAULT_MAX_RECORD_BYTES })) {
    for (const element of records) if (mapRecord(element, TASK, MAPPING, DEFAULT_MAX_RECORD_BYTES).ok) mapped++;
  }
  return mapped;
}

/** The baseline: decode, split on newlines, parse every non-blank line. */
async function baseline(chunks: readonly Uint8Array[]): Promise<number> {
  const decoder = new TextDecoder();
  let carry = '';
  let parsed = 0;
  for await (const chunk of replay(chunks)) {
    const lines = (carry + decoder.decode(chunk, { stream: true })).split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '' && JSON.parse(line) !== undefined) parsed++;
  }
  if (carry.trim() !== '' && JSON.parse(carry) !== undefined) parsed++;
  return parsed;
}

export async function measureParseThroughput(options: ParseThroughputOptions = {}): Promise<ParseThroughputFigure> {
  const { bytes = 64 * 1024 ** 2, lineBytes = 1024, rounds = 5, log = () => undefined } = options;
  const records = recordsForBytes(bytes, lineBytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of ndjsonChunks({ records, idPrefix: 'parse', lineBytes })) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  const oursRates: number[] = [];
  const baselineRates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternating which runs first, so neither always gets the warmer (or busier) machine.
    for (const [which, run, rates] of round % 2 === 0 ? ([['ours', ours, oursRates], ['baseline', baseline, baselineRates]] as const) : ([['baseline', baseline, baselineRates], ['ours', ours, oursRates]] as const)) {
      const started = process.hrtime.bigint();
      const count = await run(chunks);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (count !== records) throw new Error(`parse bench: ${which} read ${count} of ${records} records`);
      rates.push(total / 1e6 / seconds);
    }
  }
  const oursMBps = roundTo(median(oursRates), 1);
  const baselineMBps = roundTo(median(baselineRates), 1);
  log(`parse: ours ${oursMBps} MB/s, line split + JSON.parse ${baselineMBps} MB/s over ${(total / 1024 ** 2).toFixed(0)} MiB`);
  return {
    bytes: total,
    records,
    rounds,
    oursMBps,
    baselineMBps,
    ratio: roundTo(oursMBps / baselineMBps, 2),
    method: `${(total / 1024 ** 2).toFixed(0)} MiB of ~${lineBytes}-byte NDJSON lines in 64 KiB chunks, held in memory; median of ${rounds} interleaved rounds each; ours = readRecordChunks + mapRecord (id, version, idempotency key), baseline = TextDecoder + split('\\n') + JSON.parse per line`,
  };
}
