/**
 * The progress line on stderr (stdout stays free for the summary). On a terminal it redraws one
 * line in place a few times a second; in a log (CI, `| tee`) it prints a line every few seconds.
 */
import type { ProgressStream } from '../cli';

export interface ProgressState {
  readonly table: string;
  readonly scanned: number;
  /** DescribeTable's `ItemCount`: refreshed by DynamoDB about every six hours, so an estimate. */
  readonly estimatedTotal?: number;
  readonly accepted: number;
  readonly replayed: number;
  readonly rejected: number;
  readonly requests: number;
  readonly segmentsDone: number;
  readonly segments: number;
  /** Set while every segment waits for Certyo (rate limit or outage). */
  readonly waitingUntil?: Date;
}

export interface ProgressReporter {
  update(state: ProgressState): void;
  finish(state: ProgressState): void;
}

const number = (n: number): string => n.toLocaleString('en-US');

/** One line, without a newline. The bar stops at 99% until the scan is done: the total is an estimate. */
export function renderProgress(state: ProgressState, done = false, width = 30): string {
  const parts: string[] = [];
  if (state.estimatedTotal && state.estimatedTotal > 0) {
    const fraction = done ? 1 : Math.min(0.99, state.scanned / state.estimatedTotal);
    const filled = Math.round(fraction * width);
    parts.push(`${state.table} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${number(state.scanned)}/~${number(state.estimatedTotal)} items`);
  } else {
    parts.push(`${state.table} ${number(state.scanned)} items`);
  }
  parts.push(`accepted ${number(state.accepted)}`, `replayed ${number(state.replayed)}`, `rejected ${number(state.rejected)}`, `${number(state.requests)} requests`);
  parts.push(`segments ${state.segmentsDone}/${state.segments} done`);
  if (state.waitingUntil && !done) parts.push(`waiting for Certyo until ${state.waitingUntil.toISOString()}`);
  return parts.join(' · ');
}

export function streamProgress(stream: ProgressStream, now: () => number = Date.now): ProgressReporter {
  const interval = stream.isTTY ? 200 : 10_000;
  let last = Number.NEGATIVE_INFINITY;
  return {
    update(state) {
      if (now() - last < interval) return;
      last = now();
      stream.write(stream.isTTY ? `\r\x1b[2K${renderProgress(state)}` : `${renderProgress(state)}\n`);
    },
    finish(state) {
      stream.write(stream.isTTY ? `\r\x1b[2K${renderProgress(state, true)}\n` : `${renderProgress(state, true)}\n`);
    },
  };
}
