/**
 * What the peak-memory figures share: the child process's own peak RSS and a sampler of where it
 * went (used inside each child), and running such a child with a given environment (used by the
 * benchmark process).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';

export const mb = (bytes: number): number => Math.round((bytes / 1024 ** 2) * 10) / 10;

/** Highest values sampled every 10 ms: where the peak goes (V8 heap vs Buffers outside it). */
export interface SampledPeak {
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly arrayBuffers: number;
  readonly external: number;
}

/**
 * This process's own peak RSS. Linux's `VmHWM` belongs to the address space `exec` created, so it
 * counts only this program; `getrusage`'s maxRSS (`process.resourceUsage().maxRSS`) carries over
 * the high-water mark of the forked parent across `exec`, so a child of a 200 MB benchmark process
 * reported 200 MB whatever it used (the figures before issue 21 were the parent's size).
 */
export function peakRssBytes(): { bytes: number; source: 'VmHWM' | 'maxRSS' } {
  try {
    const kib = /^VmHWM:\s*(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kib !== undefined) return { bytes: Number(kib) * 1024, source: 'VmHWM' };
  } catch {
    // not Linux: fall back to getrusage, which may include the parent (see above)
  }
  return { bytes: process.resourceUsage().maxRSS * 1024, source: 'maxRSS' };
}

/** Samples `process.memoryUsage()` every 10 ms until `stop`, which returns the highest values in MB. */
export function startSampler(): { stop(): SampledPeak } {
  const peak = { heapUsed: 0, heapTotal: 0, arrayBuffers: 0, external: 0 };
  const sample = (): void => {
    const usage = process.memoryUsage();
    for (const key of Object.keys(peak) as (keyof typeof peak)[]) peak[key] = Math.max(peak[key], usage[key]);
  };
  const timer = setInterval(sample, 10);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return { heapUsed: mb(peak.heapUsed), heapTotal: mb(peak.heapTotal), arrayBuffers: mb(peak.arrayBuffers), external: mb(peak.external) };
    },
  };
}

/**
 * Runs `node script <input JSON>` with exactly `env` and parses the last line of its stdout (a
 * function's own logger may write lines before it). Fails with the child's stderr.
 */
export function runChild<T>(script: string, input: unknown, env: NodeJS.ProcessEnv, label: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(input)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code === 0) resolve(JSON.parse(last) as T);
      else reject(new Error(`memory child (${label}) exited ${code}: ${stderr.trim().slice(0, 500)}`));
    });
  });
}
