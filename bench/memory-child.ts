/**
 * Child process of the `s3.peakRssMb` figure: ingests one generated NDJSON object of the size
 * given on the command line through the S3 path into the sandbox at the given URL, then prints
 * its own peak resident set size. Bundled and run with plain `node` (as Lambda would), so no
 * TypeScript tooling is counted; the s3-ingest handler module is loaded first, in the deployed
 * environment, so its start-up memory counts too.
 */
import { staticApiKey } from '../lambdas/shared/api-key';
import { createCertyoClient } from '../lambdas/shared/certyo-client';
import { generatedObjects } from '../local/harness/generated-objects';
import { recordsForBytes } from '../local/harness/ndjson';
import { objectCreatedNotification, runS3Path } from '../local/harness/s3-path';
import { mb, peakRssBytes, SampledPeak, startSampler } from './peak-memory';

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
  /** RSS after loading the code and the handler module, before the object is read: what the process costs empty. */
  readonly startRssMb: number;
  readonly sampledPeakMb: SampledPeak;
  readonly rejected: number;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as MemoryChildInput;
  // What the function's initialisation holds (SDK clients, logger, settings) counts, as in the
  // lambdaMemory figure; the handler itself is not called (no S3 here).
  await import('../lambdas/s3-ingest/handler');
  const records = recordsForBytes(input.bytes, input.lineBytes);
  const key = `memory/${input.bytes}.ndjson`;
  const startRssMb = mb(process.memoryUsage.rss());
  const sampler = startSampler();
  const started = Date.now();
  const run = await runS3Path([objectCreatedNotification({ bucket: 'bench-memory', key, etag: `etag-${input.bytes}`, size: input.bytes })], {
    certyo: createCertyoClient({ apiUrl: input.sandboxUrl, apiKey: staticApiKey(input.apiKey) }),
    objects: generatedObjects({ [key]: { records, idPrefix: `m${input.bytes}`, lineBytes: input.lineBytes } }),
    tenantId: 'bench',
  });
  const sampledPeakMb = sampler.stop();
  const rss = peakRssBytes();
  const output: MemoryChildOutput = {
    records,
    wallMs: Date.now() - started,
    startRssMb,
    sampledPeakMb,
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
