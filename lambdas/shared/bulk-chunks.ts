/**
 * Packs serialized records into bulk request bodies of at most `maxItems` items and
 * `maxBodyBytes` bytes. Each record is serialized once (with `stringifyJson`, so `RawJson`
 * numbers keep their digits) and the body is assembled from those texts, so the size checked
 * is exactly the size sent.
 */
import { packGreedy } from './pack-greedy';

/** `{"items":[` + `]}`. */
const ENVELOPE_BYTES = Buffer.byteLength('{"items":[]}');

export interface SerializedItem<T> {
  readonly item: T;
  readonly json: string;
  readonly bytes: number;
}

/** Greedy, in input order (so `unsent` stays in input order when progress stops). */
export function packChunks<T>(items: readonly SerializedItem<T>[], maxItems: number, maxBodyBytes: number): SerializedItem<T>[][] {
  // The separator is the comma before every item but the first.
  return packGreedy(items, { maxItems, maxBytes: maxBodyBytes, sizeOf: (entry) => entry.bytes, emptyBytes: ENVELOPE_BYTES, separatorBytes: 1 });
}

export function bulkBody(chunk: readonly SerializedItem<unknown>[]): string {
  return `{"items":[${chunk.map((c) => c.json).join(',')}]}`;
}

/** Largest single item a body of `maxBodyBytes` can carry. */
export function maxItemBytes(maxBodyBytes: number): number {
  return maxBodyBytes - ENVELOPE_BYTES;
}
