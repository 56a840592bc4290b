/**
 * `s3.recordsPerRequest` and `s3.speedup`: one NDJSON file through our s3-ingest, and the same
 * records through the seed's Lambda (`baseline/seed-s3-ingest.ts`), both reading from a local
 * S3 server and writing to the sandbox with the same added latency, in the same run.
 *
 * The seed makes one sequential request per record, so at 20 ms a 100,000-record file would
 * take over half an hour; it is measured on a sample and extrapolated linearly (its cost per
 * record does not depend on the file's length: one request each, nothing batched). It also
 * cannot read NDJSON, so it gets the sample as a JSON array, its only multi-record format.
 */
import type { S3Event } from 'aws-lambda';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { staticApiKey } from '../lambdas/shared/api-key';
import { createCertyoClient } from '../lambdas/shared/certyo-client';
import { s3ObjectSource } from '../lambdas/s3-ingest/object-source';
import { startLocalS3 } from '../local/harness/local-s3';
import { jsonArrayText, ndjsonText } from '../local/harness/ndjson';
import { objectCreatedNotification, runS3Path } from '../local/harness/s3-path';
import { startSandbox } from '../local/sandbox';
import { createSeedS3Handler } from './baseline/seed-s3-ingest';
import { emptyUsage, Usage } from './cost-model';
import { EmfMeter } from './emf-meter';
import { logBytes } from './log-bytes';
import { requestsTo } from './sandbox-counts';

export interface S3ThroughputOptions {
  /** @default 100_000 */
  readonly records?: number;
  /** Records the baseline is timed on. @default 2_000 */
  readonly baselineSample?: number;
  /** Sandbox latency added to every request. @default 20 */
  readonly latencyMs?: number;
  readonly log?: (line: string) => void;
}

export interface S3ThroughputFigure {
  readonly records: number;
  readonly latencyMs: number;
  readonly ours: { readonly wallMs: number; readonly requests: number; readonly invocations: number; readonly handlerMs: number; readonly usage: Usage };
  readonly baseline: {
    readonly sampleRecords: number;
    readonly sampleWallMs: number;
    readonly sampleRequests: number;
    readonly msPerRecord: number;
    readonly extrapolatedWallMs: number;
    readonly extrapolatedRequests: number;
    readonly method: string;
    /** Usage of the sample (one invocation per file; Lambda time = the sample's wall time). */
    readonly usage: Usage;
  };
  readonly recordsPerRequest: number;
  readonly speedup: number;
  readonly notes: readonly string[];
}

const BUCKET = 'bench-ingest';
const TENANT = 'bench';

export async function measureS3Throughput(options: S3ThroughputOptions = {}): Promise<S3ThroughputFigure> {
  const { records = 100_000, baselineSample = 2_000, latencyMs = 20, log = () => undefined } = options;
  // Lifted rate limit: both sides are measured latency-bound here; the hourly budget is `ratelimited`'s figure.
  const sandbox = await startSandbox({ latencyMs, rateLimit: 1_000_000_000, flushMs: 3_600_000, anchorDelayMs: 3_600_000 });
  const s3 = await startLocalS3([BUCKET]);
  try {
    const certyo = createCertyoClient({ apiUrl: sandbox.url, apiKey: staticApiKey(sandbox.apiKey) });

    const eventTime = new Date().toISOString();
    const ndjson = await s3.put(BUCKET, 'ours/records.ndjson', ndjsonText({ records, idPrefix: 'ours' }), 'application/x-ndjson');
    const before = sandbox.stats();
    const oursStarted = Date.now();
    const emf = new EmfMeter('s3', () => certyo.rateLimit);
    const run = await runS3Path([objectCreatedNotification({ bucket: BUCKET, key: 'ours/records.ndjson', ...ndjson, eventTime })], {
      certyo,
      objects: s3ObjectSource(s3.client),
      tenantId: TENANT,
      reporter: { batchSent: (o) => emf.batchSent(o), recordsRejected: (n) => emf.recordsRejected(n) },
      afterInvocation: () => emf.flush(),
    });
    const oursWallMs = Date.now() - oursStarted;
    const after = sandbox.stats();
    const oursRequests = requestsTo(after, 'POST /api/v1/records/bulk') - requestsTo(before, 'POST /api/v1/records/bulk');
    const stored = after.recordsStored - before.recordsStored;
    if (stored !== records) throw new Error(`s3 bench: our path stored ${stored} of ${records} records`);
    log(`s3 ours: ${records} records in ${oursWallMs} ms, ${oursRequests} requests, ${run.invocations} invocation(s)`);
    const oursUsage: Usage = {
      ...emptyUsage(records),
      certyoRequests: oursRequests,
      lambdaInvocations: run.invocations,
      lambdaMs: run.handlerMs,
      sqsRequests: run.queue.requests.send + run.queue.requests.receive + run.queue.requests.delete,
      s3Gets: run.invocations,
      logBytes: emf.bytes + logBytes(run.log.lines),
      traces: run.invocations,
    };

    const sample = await s3.put(BUCKET, 'baseline/sample.json', jsonArrayText({ records: baselineSample, idPrefix: 'seed' }), 'application/json');
    const event = JSON.parse(objectCreatedNotification({ bucket: BUCKET, key: 'baseline/sample.json', ...sample, eventTime })) as S3Event;
    let printed = 0;
    let printedBytes = 0;
    const seed = createSeedS3Handler({
      apiUrl: sandbox.url,
      tenantId: TENANT,
      getSecretString: async () => JSON.stringify({ apiKey: sandbox.apiKey }),
      getObjectBytes: async (bucket, key) => {
        const out = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
      },
      // Lambda ships print() to CloudWatch Logs; writing 2,000 lines to this terminal would only slow it down.
      print: (line) => {
        printed++;
        printedBytes += line.length + 1;
      },
    });
    const baselineBefore = sandbox.stats();
    const baselineStarted = Date.now();
    await seed(event);
    const sampleWallMs = Date.now() - baselineStarted;
    const sampleRequests = requestsTo(sandbox.stats(), 'POST /api/v1/records') - requestsTo(baselineBefore, 'POST /api/v1/records');
    const msPerRecord = sampleWallMs / baselineSample;
    const extrapolatedWallMs = Math.round(msPerRecord * records);
    log(`s3 baseline: ${baselineSample} records in ${sampleWallMs} ms (${sampleRequests} requests, ${printed} log lines) → ${records} records ≈ ${(extrapolatedWallMs / 60_000).toFixed(1)} min`);

    return {
      records,
      latencyMs,
      ours: { wallMs: oursWallMs, requests: oursRequests, invocations: run.invocations, handlerMs: run.handlerMs, usage: oursUsage },
      baseline: {
        sampleRecords: baselineSample,
        sampleWallMs,
        sampleRequests,
        msPerRecord: Math.round(msPerRecord * 100) / 100,
        extrapolatedWallMs,
        extrapolatedRequests: Math.round((sampleRequests / baselineSample) * records),
        method: `timed on ${baselineSample} records (a JSON array: the seed cannot read NDJSON) and extrapolated linearly to ${records}`,
        usage: {
          ...emptyUsage(baselineSample),
          certyoRequests: sampleRequests,
          lambdaInvocations: 1,
          lambdaMs: sampleWallMs,
          s3Gets: 1,
          logBytes: printedBytes,
          traces: 1,
        },
      },
      recordsPerRequest: Math.round((records / oursRequests) * 10) / 10,
      speedup: Math.round((extrapolatedWallMs / oursWallMs) * 10) / 10,
      notes: [
        'both sides read from s3rver on 127.0.0.1 and write to the sandbox with the same added latency',
        'the sandbox rate limit is lifted for this figure (see ratelimited for the hourly budget)',
      ],
    };
  } finally {
    await s3.close();
    await sandbox.close();
  }
}
