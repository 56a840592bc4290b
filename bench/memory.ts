/**
 * `s3.peakRssMb`: peak memory of the S3 path for a 10 MiB and a 1 GiB NDJSON object. Each size
 * runs in its own child process (peak RSS is per process and never goes down), streaming the
 * object from a generator through the real file ingest and Certyo client into the sandbox.
 * s3rver is not used here: uploading and serving 1 GiB through it would take minutes and
 * measure s3rver; the generator is fed to the function exactly as a GetObject body would be.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { startSandbox } from '../local/sandbox';
import { synthesizeTemplates } from '../local/harness/synthesized';
import { BASE_ENV, environmentsFromTemplates } from './cold-start';
import type { MemoryChildOutput } from './memory-child';
import { runChild } from './peak-memory';
import { requestsTo } from './sandbox-counts';

export interface MemoryRun extends MemoryChildOutput {
  readonly bytes: number;
  readonly requests: number;
}

export interface MemoryFigure {
  readonly runs: readonly MemoryRun[];
  /** Peak RSS of the largest object minus that of the smallest. */
  readonly growthMb: number;
  /** The deployed s3-ingest function's `NODE_OPTIONS` (V8 heap limits), which each child runs with. */
  readonly nodeOptions: string;
  /** Baseline, same run: the smallest object again without `NODE_OPTIONS` (V8's own heap sizing, as before issue 21). */
  readonly withoutHeapLimits: MemoryRun;
  readonly method: string;
}

export interface MemoryOptions {
  /** @default [10 MiB, 1 GiB] */
  readonly sizes?: readonly number[];
  /** @default 1024 */
  readonly lineBytes?: number;
  /** @default - the s3-ingest function's `NODE_OPTIONS` in the synthesized template */
  readonly nodeOptions?: string;
  readonly log?: (line: string) => void;
}

export async function measureMemory(options: MemoryOptions = {}): Promise<MemoryFigure> {
  const { sizes = [10 * 1024 ** 2, 1024 ** 3], lineBytes = 1024, log = () => undefined } = options;
  const deployed = environmentsFromTemplates(synthesizeTemplates())['s3-ingest'] ?? {};
  const nodeOptions = options.nodeOptions ?? deployed.NODE_OPTIONS ?? '';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certyo-bench-memory-'));
  const script = path.join(dir, 'memory-child.js');
  await build({ entryPoints: [path.join(__dirname, 'memory-child.ts')], outfile: script, bundle: true, platform: 'node', target: 'node20', logLevel: 'warning' });
  const sandbox = await startSandbox({ rateLimit: 1_000_000_000, flushMs: 3_600_000, anchorDelayMs: 3_600_000 });
  try {
    const measure = async (bytes: number, options: string, label: string): Promise<MemoryRun> => {
      // Each run starts from an empty sandbox so the parent's memory does not grow across runs.
      sandbox.reset();
      // The deployed environment, so the child can load the handler module as a cold start does.
      const env = { PATH: process.env.PATH, ...BASE_ENV, ...deployed, NODE_OPTIONS: options };
      const output = await runChild<MemoryChildOutput>(script, { sandboxUrl: sandbox.url, apiKey: sandbox.apiKey, bytes, lineBytes }, env, `${bytes} bytes`);
      const stats = sandbox.stats();
      if (stats.recordsStored !== output.records) throw new Error(`memory bench: ${stats.recordsStored} of ${output.records} records stored for ${bytes} bytes`);
      const run: MemoryRun = { ...output, bytes, requests: requestsTo(stats, 'POST /api/v1/records/bulk') };
      log(`memory ${(bytes / 1024 ** 2).toFixed(0)} MiB${label}: ${run.records} records, peak RSS ${run.maxRssMb} MB, ${run.requests} requests, ${run.wallMs} ms`);
      return run;
    };
    const runs: MemoryRun[] = [];
    for (const bytes of sizes) runs.push(await measure(bytes, nodeOptions, ''));
    const withoutHeapLimits = await measure(Math.min(...sizes), '', ' without heap limits');
    const first = runs[0] as MemoryRun;
    const last = runs[runs.length - 1] as MemoryRun;
    return {
      runs,
      growthMb: Math.round((last.maxRssMb - first.maxRssMb) * 10) / 10,
      nodeOptions,
      withoutHeapLimits,
      method: `each size in its own node process with the deployed NODE_OPTIONS (${nodeOptions || 'none'}) (bundled with esbuild, no TypeScript tooling), NDJSON of ~${lineBytes}-byte lines generated on the fly and streamed as the GetObject body; peak RSS from the child's own VmHWM (/proc/self/status), not getrusage maxRSS, which includes the forked parent`,
    };
  } finally {
    await sandbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
