/**
 * `npm run bench [-- --only s3Throughput,coldStart] [-- --quick] [-- --update-results]`: measures
 * every figure of issue 10, each in the same run as its baseline, and prints a table. Results go
 * to the untracked `bench/results.local.json`; only `--update-results` rewrites the committed
 * `bench/results.json` that the docs quote. `--only` re-measures some figures and keeps the
 * others from the existing results file (each figure records when it was measured); `--quick`
 * uses small sizes, for trying the harness.
 */
import '../local/harness/quiet-sdk';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lambdaMemoryMb, synthesizeTemplates } from '../local/harness/synthesized';
import { environmentsFromTemplates, measureColdStart } from './cold-start';
import { measureConcurrency } from './concurrency';
import { costTable } from './costs';
import { measureBigRecords, measureDdb, measureForwarder, measureMongo, measureS3SmallFiles } from './ingest-paths';
import { measureLightTraffic } from './light-traffic';
import { measureLatency } from './latency';
import { measureWaiting } from './waiting';
import { measureMemory } from './memory';
import { measureFunctionMemory } from './function-memory';
import { measureRateLimited } from './rate-limited';
import { measureS3Throughput } from './s3-throughput';
import { measureParseThroughput } from './parse-throughput';
import { BenchResults, FIGURE_NAMES, FigureName, printTable, summarizeS3, TARGETS } from './report';
import { measureVerify } from './verify';
import { EXIT_OK, parseFlags, runCli, textFlag, UsageError } from '../scripts/cli';

const COMMITTED_RESULTS = path.join(__dirname, 'results.json');
const LOCAL_RESULTS = path.join(__dirname, 'results.local.json');

export const USAGE = `Usage: npm run bench -- [--only <figure>,<figure>...] [--quick] [--update-results]

Measures the pipeline's figures against the seed baseline and prints a table.
  --only             re-measure only these figures (${FIGURE_NAMES.join(', ')}); the others are kept
  --quick            small sizes, to try the harness (never quoted by the docs)
  --update-results   write the committed bench/results.json (then: npx tsx scripts/doc-figures.ts --write);
                     without it, results go to the untracked bench/results.local.json`;

interface Args {
  readonly only: ReadonlySet<FigureName>;
  readonly quick: boolean;
  readonly resultsFile: string;
}

/** `'help'` for `--help`; throws `UsageError` naming the flag otherwise. */
export function parseBenchArgs(argv: readonly string[]): Args | 'help' {
  const values = parseFlags(argv, { only: { type: 'string' }, quick: { type: 'boolean' }, 'update-results': { type: 'boolean' } });
  if (values === 'help') return 'help';
  const only = textFlag(values, 'only');
  const names = only === undefined ? [...FIGURE_NAMES] : only.split(',').map((n) => n.trim());
  const unknown = names.filter((name) => !(FIGURE_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new UsageError(`--only: unknown figure ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${FIGURE_NAMES.join(', ')})`);
  return { only: new Set(names as FigureName[]), quick: values.quick === true, resultsFile: values['update-results'] === true ? COMMITTED_RESULTS : LOCAL_RESULTS };
}

/** The figures `--only` keeps: from the file being written, else from the committed results. */
function readPrevious(resultsFile: string): BenchResults {
  const file = [resultsFile, COMMITTED_RESULTS].find((f) => fs.existsSync(f));
  return file ? (JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults) : {};
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseBenchArgs(argv);
  if (args === 'help') {
    console.log(USAGE);
    return EXIT_OK;
  }
  const log = (line: string): void => console.log(`  ${line}`);
  const results: BenchResults = { ...readPrevious(args.resultsFile) };
  const stamp = (): { measuredAt: string; quick: boolean } => ({ measuredAt: new Date().toISOString(), quick: args.quick });

  results.machine = { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown' };

  if (args.only.has('coldStart')) {
    console.log('coldStart: bundling every Lambda and timing its module initialisation');
    // The forwarder exists only in batched mode: take each function's environment from the mode that deploys it.
    const environments = { ...environmentsFromTemplates(synthesizeTemplates()), ...environmentsFromTemplates(synthesizeTemplates({ 'certyo:forwardingMode': 'batched' })) };
    results.coldStart = { ...stamp(), ...(await measureColdStart({ runs: args.quick ? 3 : 9, environments, log })) };
  }
  if (args.only.has('s3Throughput')) {
    console.log('s3Throughput: NDJSON file through s3-ingest vs the seed Lambda, 20 ms sandbox latency');
    const throughput = await measureS3Throughput(args.quick ? { records: 10_000, baselineSample: 300, log } : { log });
    results.s3 = { ...results.s3, throughput: { ...stamp(), ...throughput } };
  }
  if (args.only.has('s3Memory')) {
    console.log('s3Memory: peak RSS of the S3 path, 10 MiB vs 1 GiB NDJSON object');
    const memory = await measureMemory(args.quick ? { sizes: [10 * 1024 ** 2, 100 * 1024 ** 2], log } : { log });
    results.s3 = { ...results.s3, memory: { ...stamp(), ...memory } };
  }
  if (args.only.has('lambdaMemory')) {
    console.log('lambdaMemory: peak RSS of every other Lambda under its largest input, at its deployed heap limits');
    results.lambdaMemory = { ...stamp(), ...(await measureFunctionMemory({ invocations: args.quick ? 2 : 3, log })) };
  }
  if (args.only.has('s3Parse')) {
    console.log('s3Parse: our S3 reader and mapping vs a plain line split + JSON.parse over the same bytes');
    const parse = await measureParseThroughput(args.quick ? { bytes: 8 * 1024 ** 2, rounds: 3, log } : { log });
    results.s3 = { ...results.s3, parseThroughput: { ...stamp(), ...parse } };
  }
  summarizeS3(results);
  if (args.only.has('ddb')) {
    console.log('ddb: stream records through ddb-ingest');
    results.ddb = { ...stamp(), ...(await measureDdb({ records: args.quick ? 2_000 : 10_000, log })) };
  }
  if (args.only.has('mongo')) {
    console.log('mongo: DocumentDB change events through mongo-ingest');
    results.mongo = { ...stamp(), ...(await measureMongo({ records: args.quick ? 2_000 : 10_000, log })) };
  }
  if (args.only.has('forwarder')) {
    console.log('forwarder: batched-mode events through the buffer queue and the forwarder');
    results.forwarder = { ...stamp(), ...(await measureForwarder({ records: args.quick ? 2_000 : 10_000, log })) };
  }
  if (args.only.has('s3SmallFiles')) {
    console.log('s3SmallFiles: 20 NDJSON files of 150 records uploaded together');
    results.s3SmallFiles = { ...stamp(), ...(await measureS3SmallFiles({ log })) };
  }
  if (args.only.has('bigRecords')) {
    console.log('bigRecords: 16 KB records through s3-ingest, packed up to certyo:bulkMaxBodyBytes');
    results.bigRecords = { ...stamp(), ...(await measureBigRecords({ records: args.quick ? 2_000 : 5_000, log })) };
  }
  if (args.only.has('lightTraffic')) {
    console.log('lightTraffic: batched mode at 20 records/s (virtual time) against the end-to-end bound');
    results.lightTraffic = { ...stamp(), ...(await measureLightTraffic({ records: args.quick ? 6_000 : 36_000, log })) };
  }
  if (args.only.has('latency')) {
    console.log('latency: producer → anchored per path at 1,000 and 100,000 records/hour (virtual time) against Certyo\'s floor');
    results.latency = { ...stamp(), ...(await measureLatency({ records: args.quick ? { low: 1_000, high: 20_000 } : { low: 1_000, high: 100_000 }, log })) };
  }
  if (args.only.has('waiting')) {
    console.log('waiting: the cost of waiting out the rate limit, per path');
    results.waiting = { ...stamp(), ...(await measureWaiting({ records: args.quick ? 4_000 : 10_000, log })) };
  }
  if (args.only.has('ratelimited')) {
    console.log('ratelimited: records accepted in one 1,000-request window, direct vs batched');
    results.ratelimited = { ...stamp(), ...(await measureRateLimited(args.quick ? { requestsPerWindow: 20, log } : { log })) };
  }
  if (args.only.has('concurrency')) {
    console.log('concurrency: S3 files, DynamoDB shards and the forwarder at once, with and without the shared budget record');
    const quick = { requestsPerWindow: 5, windowMs: 5_000, instances: { s3Files: 2, ddbShards: 2, forwarders: 1 }, recordsPerInstance: 3_000, log };
    results.budget = { ...stamp(), ...(await measureConcurrency(args.quick ? quick : { log })) };
  }
  if (args.only.has('verify')) {
    console.log('verify: verification requests per record, per policy (real ASL in aws-local-stepfunctions)');
    results.verify = { ...stamp(), ...(await measureVerify({ records: args.quick ? 200 : 2_000, log })) };
  }
  if (args.only.has('cost')) {
    // Priced at the memory sizes the stack deploys now, whatever the figure was measured with.
    const memory = { ...lambdaMemoryMb(synthesizeTemplates()), ...lambdaMemoryMb(synthesizeTemplates({ 'certyo:forwardingMode': 'batched' })) };
    results.costPerMillionRecords = { ...stamp(), ...costTable(results, memory) };
  }

  results.targets = TARGETS.map((t) => t.check(results));
  fs.writeFileSync(args.resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
  console.log(`\nWrote ${path.relative(process.cwd(), args.resultsFile)}`);
  return EXIT_OK;
}

if (require.main === module) runCli('bench', main);
