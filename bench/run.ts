/**
 * `npm run bench [-- --only s3,coldStart] [-- --quick]`: measures every figure of issue 10,
 * each in the same run as its baseline, writes `bench/results.json` and prints a table.
 * `--only` re-measures some figures and keeps the others from the existing results file (each
 * figure records when it was measured); `--quick` uses small sizes, for trying the harness.
 */
import '../local/harness/quiet-sdk';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthesizeTemplates } from '../local/harness/synthesized';
import { environmentsFromTemplates, measureColdStart } from './cold-start';
import { costTable } from './costs';
import { measureDdb, measureForwarder, measureMongo } from './ingest-paths';
import { measureMemory } from './memory';
import { measureRateLimited } from './rate-limited';
import { measureS3Throughput } from './s3-throughput';
import { BenchResults, FIGURE_NAMES, FigureName, printTable, summarizeS3, TARGETS } from './report';
import { measureVerify } from './verify';

const RESULTS_FILE = path.join(__dirname, 'results.json');

interface Args {
  readonly only: ReadonlySet<FigureName>;
  readonly quick: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const onlyArg = argv.find((a) => a.startsWith('--only'));
  const value = onlyArg?.includes('=') ? onlyArg.split('=')[1] : onlyArg ? argv[argv.indexOf(onlyArg) + 1] : undefined;
  const names = value ? value.split(',').map((n) => n.trim()) : [...FIGURE_NAMES];
  for (const name of names) {
    if (!(FIGURE_NAMES as readonly string[]).includes(name)) throw new Error(`--only: unknown figure "${name}" (known: ${FIGURE_NAMES.join(', ')})`);
  }
  return { only: new Set(names as FigureName[]), quick: argv.includes('--quick') };
}

function readPrevious(): BenchResults {
  if (!fs.existsSync(RESULTS_FILE)) return {};
  return JSON.parse(fs.readFileSync(RESULTS_FILE, 'utf8')) as BenchResults;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string): void => console.log(`  ${line}`);
  const results: BenchResults = { ...readPrevious() };
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
  if (args.only.has('ratelimited')) {
    console.log('ratelimited: records accepted in one 1,000-request window, direct vs batched');
    results.ratelimited = { ...stamp(), ...(await measureRateLimited(args.quick ? { requestsPerWindow: 20, log } : { log })) };
  }
  if (args.only.has('verify')) {
    console.log('verify: verification requests per record, per policy (real ASL in aws-local-stepfunctions)');
    results.verify = { ...stamp(), ...(await measureVerify({ records: args.quick ? 200 : 2_000, log })) };
  }
  if (args.only.has('cost')) {
    results.costPerMillionRecords = { ...stamp(), ...costTable(results) };
  }

  results.targets = TARGETS.map((t) => t.check(results));
  fs.writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
  console.log(`\nWrote ${path.relative(process.cwd(), RESULTS_FILE)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
