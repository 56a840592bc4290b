/**
 * Packs serialized records into bulk request bodies of at most `maxItems` items and
 * `maxBodyBytes` bytes. Each record is serialized once (with `stringifyJson`, so `RawJson`
 * numbers keep their digits) and the body is assembled from those texts, so the size checked
 * is exactly the size sent.
 */

/** `{"items":[` + `]}`. */
const ENVELOPE_BYTES = Buffer.byteLength('{"items":[]}');

export interface SerializedItem<T> {
  readonly item: T;
  readonly json: string;
  readonly bytes: number;
}

/** Greedy, in input order (so `unsent` stays in input order when progress stops). */
export function packChunks<T>(items: readonly SerializedItem<T>[], maxItems: number, maxBodyBytes: number): SerializedItem<T>[][] {
  const chunks: SerializedItem<T>[][] = [];
  let current: SerializedItem<T>[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const entry of items) {
    // +1 for the comma before every item but the first.
    const added = entry.bytes + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && (current.length >= maxItems || bytes + added > maxBodyBytes)) {
      chunks.push(current);
      current = [];
      bytes = ENVELOPE_BYTES;
    }
    bytes += entry.bytes + (current.length > 0 ? 1 : 0);
    current.push(entry);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export function bulkBody(chunk: readonly SerializedItem<unknown>[]): string {
  return `{"items":[${chunk.map((c) => c.json).join(',')}]}`;
}

/** Largest single item a body of `maxBodyBytes` can carry. */
export function maxItemBytes(maxBodyBytes: number): number {
  return maxBodyBytes - ENVELOPE_BYTES;
}
