/**
 * Runs `work` over `items` with at most `limit` calls in flight, so a handler with 1,000 items
 * to write does not open 1,000 connections at once (nor wait for them one by one). `work`
 * must handle its own errors: the first rejection rejects the whole call.
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
