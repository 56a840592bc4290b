/**
 * Child process of the `s3.peakRssMb` figure: ingests one generated NDJSON object of the size
 * given on the command line through the S3 path into the sandbox at the given URL, then prints
 * its own peak resident set size. Bundled and run with plain `node` (as Lambda would), so no
 * TypeScript tooling is counted.
 */
import * as fs from 'node:fs';
import { staticApiKey } from '../lambdas/shared/api-key';
import { createCertyoClient } from '../lambdas/shared/certyo-client';
import { generatedObjects } from '../local/harness/generated-objects';
import { recordsForBytes } from '../local/harness/ndjson';
import { objectCreatedNotification, runS3Path } from '../local/harness/s3-path';

export interface MemoryChildInput {
  readonly sandboxUrl: string;
  readonly apiKey: string;
  readonly bytes: number;
  readonly lineBytes: number;
}

export interface MemoryChildOutput {
  readonly records: number;
  readonly wallMs: number;
  /** Peak RSS of this process (see `peakRssBytes`). */
  readonly maxRssMb: number;
  readonly maxRssFrom: 'VmHWM' | 'maxRSS';
  /** RSS after loading the code, before the object is read: what the process costs empty. */
  readonly startRssMb: number;
  /** Highest values sampled every 10 ms: where the peak goes (V8 heap vs Buffers outside it). */
  readonly sampledPeakMb: { readonly heapUsed: number; readonly heapTotal: number; readonly arrayBuffers: number; readonly external: number };
  readonly rejected: number;
}

const mb = (bytes: number): number => Math.round((bytes / 1024 ** 2) * 10) / 10;

/**
 * This process's own peak RSS. Linux's `VmHWM` belongs to the address space `exec` created, so it
 * counts only this program; `getrusage`'s maxRSS (`process.resourceUsage().maxRSS`) carries over
 * the high-water mark of the forked parent across `exec`, so a child of a 200 MB benchmark process
 * reported 200 MB whatever it used (the figures before issue 21 were the parent's size).
 */
function peakRssBytes(): { bytes: number; source: 'VmHWM' | 'maxRSS' } {
  try {
    const kib = /^VmHWM:\s*(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kib !== undefined) return { bytes: Number(kib) * 1024, source: 'VmHWM' };
  } catch {
    // not Linux: fall back to getrusage, which may include the parent (see above)
  }
  return { bytes: process.resourceUsage().maxRSS * 1024, source: 'maxRSS' };
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as MemoryChildInput;
  const records = recordsForBytes(input.bytes, input.lineBytes);
  const key = `memory/${input.bytes}.ndjson`;
  const startRssMb = mb(process.memoryUsage.rss());
  const peak = { heapUsed: 0, heapTotal: 0, arrayBuffers: 0, external: 0 };
  const sample = (): void => {
    const usage = process.memoryUsage();
    for (const key of Object.keys(peak) as (keyof typeof peak)[]) peak[key] = Math.max(peak[key], usage[key]);
  };
  const sampler = setInterval(sample, 10);
  const started = Date.now();
  const run = await runS3Path([objectCreatedNotification({ bucket: 'bench-memory', key, etag: `etag-${input.bytes}`, size: input.bytes })], {
    certyo: createCertyoClient({ apiUrl: input.sandboxUrl, apiKey: staticApiKey(input.apiKey) }),
    objects: generatedObjects({ [key]: { records, idPrefix: `m${input.bytes}`, lineBytes: input.lineBytes } }),
    tenantId: 'bench',
  });
  clearInterval(sampler);
  sample();
  const rss = peakRssBytes();
  const output: MemoryChildOutput = {
    records,
    wallMs: Date.now() - started,
    startRssMb,
    sampledPeakMb: { heapUsed: mb(peak.heapUsed), heapTotal: mb(peak.heapTotal), arrayBuffers: mb(peak.arrayBuffers), external: mb(peak.external) },
    maxRssMb: mb(rss.bytes),
    maxRssFrom: rss.source,
    rejected: run.rejected.letters.length,
  };
  process.stdout.write(JSON.stringify(output));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
