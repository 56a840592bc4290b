/** The small numeric helpers every figure uses, so each is computed and rounded the same way. */

/** The upper median (`sorted[floor(n / 2)]`) of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** `value` rounded to `digits` decimals, as the figures in bench/results.json are. */
export function roundTo(value: number, digits: number): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}
