/**
 * The progress bar on stderr (stdout stays free for the summary). On a terminal it redraws one
 * line in place; in a log (CI, `| tee`) it prints only the final line.
 */
import type { ProgressStream } from '../cli';

export interface Progress {
  update(done: number, total: number): void;
  finish(done: number, total: number): void;
}

export function renderBar(label: string, done: number, total: number, width = 30): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * width);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`;
}

export function streamProgress(stream: ProgressStream, label: string): Progress {
  return {
    update(done, total) {
      if (stream.isTTY) stream.write(`\r\x1b[2K${renderBar(label, done, total)}`);
    },
    finish(done, total) {
      stream.write(`${stream.isTTY ? '\r\x1b[2K' : ''}${renderBar(label, done, total)}\n`);
    },
  };
}
