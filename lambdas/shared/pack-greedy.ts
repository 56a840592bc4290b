/**
 * The one greedy packer behind every batched call (Certyo bulk bodies, SQS `SendMessageBatch`,
 * EventBridge `PutEvents`, batch verification inputs): consecutive items, in input order, until
 * the next one would pass the item count or the byte budget. An item larger than the budget on
 * its own still gets a pack of its own, so callers reject oversized items before packing.
 */
export interface PackLimits<T> {
  readonly maxItems: number;
  readonly maxBytes: number;
  readonly sizeOf: (item: T) => number;
  /** Bytes of an empty pack (an envelope such as `{"items":[]}`). @default 0 */
  readonly emptyBytes?: number;
  /** Bytes between two items (a comma). @default 0 */
  readonly separatorBytes?: number;
}

export function packGreedy<T>(items: readonly T[], limits: PackLimits<T>): T[][] {
  const { maxItems, maxBytes, sizeOf, emptyBytes = 0, separatorBytes = 0 } = limits;
  const packs: T[][] = [];
  let current: T[] = [];
  let bytes = emptyBytes;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length >= maxItems || bytes + separatorBytes + size > maxBytes)) {
      packs.push(current);
      current = [];
      bytes = emptyBytes;
    }
    bytes += size + (current.length > 0 ? separatorBytes : 0);
    current.push(item);
  }
  if (current.length > 0) packs.push(current);
  return packs;
}
