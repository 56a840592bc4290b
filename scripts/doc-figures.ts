/**
 * Every measured figure the README and docs/ quote, rendered from `bench/results.json`, so a
 * figure cannot drift from the measurement it comes from (test/unit/doc-figures.test.ts).
 *
 * Tables are generated blocks between `<!-- figures:<name> -->` and `<!-- /figures:<name> -->`;
 * `npx tsx scripts/doc-figures.ts --write` rewrites them after `npm run bench`. Figures in prose
 * are claims: the page must contain the rendered sentence fragment (whitespace-insensitive).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PRICES, type CostPerMillion } from '../bench/cost-model';
import { PREVIOUS_MEMORY_MB } from '../bench/costs';
import type { BenchResults } from '../bench/report';

export const REPO_ROOT = path.join(__dirname, '..');
export const RESULTS_FILE = path.join(REPO_ROOT, 'bench', 'results.json');

export interface FigureBlock {
  /** Page, relative to the repository root. */
  readonly file: string;
  readonly name: string;
  render(results: BenchResults): string;
}

export interface FigureClaim {
  readonly file: string;
  render(results: BenchResults): string;
}

/** A results section the docs need; its absence is a bench run that left it out. */
function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`bench/results.json has no ${what}: run npm run bench -- --only ${what.split('.')[0]}`);
  return value;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, digits: number): string => n.toFixed(digits);

/** Dollars: cents from a cent up, one significant digit below. */
export function usd(value: number): string {
  if (value === 0) return '$0';
  if (value >= 0.01) return `$${value.toFixed(2)}`;
  return `$${Number(value.toPrecision(1))}`;
}

const COST_LINES: Readonly<Record<keyof CostPerMillion['lines'], string>> = {
  lambda: 'Lambda',
  sqs: 'SQS',
  eventBridge: 'EventBridge events',
  apiDestinations: 'API Destinations',
  stepFunctions: 'Step Functions',
  sns: 'SNS',
  cloudWatchLogs: 'CloudWatch Logs',
  cloudWatchMetrics: 'CloudWatch API',
  s3: 'S3 requests',
  xray: 'X-Ray',
  dynamoDb: 'DynamoDB',
};

/** `$1.48 (EventBridge events $1.00, SQS $0.48, others < $0.01)`: the lines worth a cent, largest first. */
function costCell(cost: CostPerMillion, note?: string): string {
  const lines = (Object.entries(cost.lines) as [keyof CostPerMillion['lines'], number][]).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
  const shown = lines.filter(([, v]) => v >= 0.01);
  const parts = shown.length > 1 || (shown.length === 1 && lines.length > 1) ? shown.map(([k, v]) => `${COST_LINES[k]} ${usd(v)}`) : [];
  if (parts.length > 0 && lines.length > shown.length) parts.push('others < $0.01');
  if (note) parts.push(note);
  return parts.length > 0 ? `${usd(cost.usd)} (${parts.join(', ')})` : usd(cost.usd);
}

/** Rows of the cost table: results key, label, and a note that is not a figure. */
const COST_ROWS: readonly (readonly [string, string, string?])[] = [
  ['direct', 'Direct (API Destination)'],
  ['batched', 'Batched (SQS + forwarder)'],
  ['s3', 'S3 ingest (100,000-record files)'],
  ['s3 (seed Lambda)', 'S3, the seed baseline Lambda', 'one request and one log line per record'],
  ['dynamodb', 'DynamoDB stream ingest', 'stream reads by Lambda are free'],
  ['verify all (add-on)', 'Verification `all` (add-on)'],
  ['verify sample:0.01 (add-on)', 'Verification `sample:0.01` (add-on)'],
  ['verify batch (add-on)', 'Verification `batch` (add-on)'],
  ['shared budget record (add-on)', 'Shared rate-budget record (add-on, bulk modes)', 'DynamoDB calls measured with seven instances contending'],
];

function costTableBlock(results: BenchResults): string {
  const modes = need(results.costPerMillionRecords, 'cost').modes;
  const rows = COST_ROWS.map(([key, label, note]) => {
    const cost = need(modes[key], `cost.modes["${key}"]`);
    return `| ${label} | ${int(cost.certyoRequests)} | ${Number.isInteger(cost.certyoBudgetHours) ? int(cost.certyoBudgetHours) : String(cost.certyoBudgetHours)} | ${costCell(cost, note)} |`;
  });
  return ['| Mode | Certyo requests per 1M records | Hours of budget | AWS cost per 1M records |', '|---|---|---|---|', ...rows].join('\n');
}

function figuresTableBlock(results: BenchResults): string {
  const s3 = need(results.s3?.throughput, 's3Throughput');
  const memory = need(results.s3?.memory, 's3Memory').runs;
  const small = need(memory[0], 's3Memory.runs');
  const large = need(memory[memory.length - 1], 's3Memory.runs');
  const parse = need(results.s3?.parseThroughput, 's3Parse');
  const ddb = need(results.ddb, 'ddb');
  const mongo = need(results.mongo, 'mongo');
  const forwarder = need(results.forwarder, 'forwarder');
  const rl = need(results.ratelimited, 'ratelimited');
  const verify = need(results.verify, 'verify');
  const mib = (bytes: number): string => (bytes >= 1024 ** 3 ? `${bytes / 1024 ** 3} GiB` : `${bytes / 1024 ** 2} MiB`);
  const batchSize = (notes: readonly string[]): string => int(Number(/batch size (\d+)/.exec(notes.join(' '))?.[1] ?? NaN));
  return [
    '| Figure | Measured | Target |',
    '|---|---|---|',
    `| \`s3.recordsPerRequest\` (${int(s3.records)}-record NDJSON file) | ${int(s3.recordsPerRequest)} (${int(s3.ours.requests)} bulk requests) | ≥ 990 |`,
    `| \`s3.speedup\` at ${s3.latencyMs} ms Certyo latency | **${Math.floor(s3.speedup)}×**: ${fixed(s3.ours.wallMs / 1000, 1)} s vs ${fixed(s3.baseline.extrapolatedWallMs / 60_000, 1)} min | ≥ 50× |`,
    `| \`s3.peakRssMb\`, ${mib(small.bytes)} vs ${mib(large.bytes)} object (${int(large.records)} records) | ${fixed(small.maxRssMb, 1)} MB vs ${fixed(large.maxRssMb, 1)} MB (${fixed(need(results.s3?.memory?.withoutHeapLimits, 's3Memory.withoutHeapLimits').maxRssMb, 1)} MB at ${mib(small.bytes)} without heap limits) | flat, ≤ 128 MB |`,
    `| \`s3.parseThroughput\`: our reader and mapping vs line split + \`JSON.parse\` over the same ${Math.round(parse.bytes / 1024 ** 2)} MiB | ${fixed(parse.oursMBps, 1)} MB/s vs ${fixed(parse.baselineMBps, 1)} MB/s (**${Math.round(parse.ratio * 100)}%**) | ≥ 50% |`,
    `| \`ddb.recordsPerRequest\` (${int(ddb.records)} stream records, batch size ${batchSize(ddb.notes)}) | ${int(ddb.recordsPerRequest)} | ≥ 990 |`,
    `| \`mongo.recordsPerRequest\` (${int(mongo.records)} DocumentDB change events, batch size ${batchSize(mongo.notes)}) | ${int(mongo.recordsPerRequest)} | ≥ 990 |`,
    `| \`forwarder.recordsPerRequest\` (${int(forwarder.records)} events, batch size ${batchSize(forwarder.notes)}) | ${int(forwarder.recordsPerRequest)} | ≥ 990 |`,
    `| \`ratelimited.recordsPerWindow\`, ${int(rl.requestsPerWindow)} requests per window | direct ${int(rl.recordsPerWindow.direct)}, batched ${int(rl.recordsPerWindow.batched)} (**${int(rl.batchedOverDirect)}×**) | ≥ 900× |`,
    `| \`verify.requestsPerRecord\` | ${Object.entries(verify.policies)
      .map(([policy, v]) => `\`${policy}\` ${v.requestsPerRecord}`)
      .join(', ')} | — |`,
  ].join('\n');
}

function coldStartFigures(results: BenchResults) {
  const cold = need(results.coldStart, 'coldStart');
  return Object.entries(cold.lambdas)
    .map(([name, f]) => {
      if ('error' in f) throw new Error(`bench/results.json: cold start of ${name} failed: ${f.error}`);
      if (f.previous === undefined) throw new Error(`bench/results.json: cold start of ${name} has no baseline: run npm run bench -- --only coldStart`);
      return { name, ...f, previous: f.previous };
    })
    .sort((a, b) => b.bundleKiB - a.bundleKiB);
}

function coldStartBlock(results: BenchResults): string {
  const floor = need(need(results.coldStart, 'coldStart').floor, 'coldStart.floor');
  const rows = coldStartFigures(results).map(
    (f) =>
      `| ${f.name} | ${Math.round(f.bundleKiB)} KiB (${Math.round(f.initKiB)} KiB at start) | ${Math.round(f.requireMs)} ms | ${Math.round(f.overNodeMs)} ms | ${Math.round(need(f.overFloorMs, `coldStart.lambdas.${f.name}.overFloorMs`))} ms | ${Math.round(f.previous.bundleKiB)} KiB + ${Math.round(f.previous.mapKiB)} KiB map, ${Math.round(f.previous.overNodeMs)} ms |`,
  );
  return [
    '| Lambda | Bundle (zip code) | `import` | Over `node -e 0` | Over the floor | Before (same run): bundle + map, over `node -e 0` |',
    '|---|---|---|---|---|---|',
    `| *floor: one SDK client + logger* | ${Math.round(floor.bundleKiB)} KiB (${Math.round(floor.initKiB)} KiB at start) | — | ${Math.round(floor.overNodeMs)} ms | — | — |`,
    ...rows,
  ].join('\n');
}

/** What initialisation loads, by package: the largest contributors of each function's start-up bytes. */
function bundleCompositionBlock(results: BenchResults): string {
  const rows = coldStartFigures(results).map(
    (f) =>
      `| ${f.name} | ${Math.round(f.initKiB)} KiB | ${Object.entries(f.initTopKiB)
        .map(([pkg, kib]) => `${pkg} ${Math.round(kib)}`)
        .join(', ')} |`,
  );
  return ['| Lambda | Loaded at start | Largest contributors (KiB, minified) |', '|---|---|---|', ...rows].join('\n');
}

/** Where the S3 path's peak memory goes, per object size, and the same-run baseline without heap limits. */
function memoryBreakdownBlock(results: BenchResults): string {
  const memory = need(results.s3?.memory, 's3Memory');
  const mib = (bytes: number): string => (bytes >= 1024 ** 3 ? `${bytes / 1024 ** 3} GiB` : `${bytes / 1024 ** 2} MiB`);
  const baseline = need(memory.withoutHeapLimits, 's3Memory.withoutHeapLimits');
  const row = (label: string, r: typeof baseline): string => {
    const p = need(r.sampledPeakMb, 's3Memory.runs.sampledPeakMb');
    return `| ${label} | ${fixed(r.maxRssMb, 1)} MB | ${fixed(need(r.startRssMb, 's3Memory.runs.startRssMb'), 1)} MB | ${fixed(p.heapTotal, 1)} MB (${fixed(p.heapUsed, 1)} MB used) | ${fixed(p.arrayBuffers, 1)} MB | ${fixed(r.wallMs / 1000, 1)} s |`;
  };
  return [
    '| Object | Peak RSS | RSS before reading | V8 heap peak | Buffers peak | Wall time |',
    '|---|---|---|---|---|---|',
    ...memory.runs.map((r) => row(`${mib(r.bytes)}, \`${memory.nodeOptions}\``, r)),
    row(`${mib(baseline.bytes)}, no heap limits (before)`, baseline),
  ].join('\n');
}

/** Lambda gives a function the equivalent of one vCPU at 1,769 MB, and CPU in proportion below that (Lambda docs, "Memory and computing power"). */
const LAMBDA_MB_PER_VCPU = 1769;
/** Seconds that `cpuMs` of CPU take at `memoryMb`'s CPU share, if the work is CPU-bound. */
const secondsAt = (cpuMs: number, memoryMb: number): number => (cpuMs / 1000) * Math.max(1, LAMBDA_MB_PER_VCPU / memoryMb);

/** Every other Lambda's peak memory under its largest input, the size the rule gives and the size deployed. */
function lambdaMemoryBlock(results: BenchResults): string {
  const figure = need(results.lambdaMemory, 'lambdaMemory');
  const rows = Object.entries(figure.functions).flatMap(([fn, f]) =>
    f.runs.map((r, i) => {
      const head = i === 0 ? `| ${fn} | ${fixed(f.peakRssMb, 1)} MB | ${f.ruleMb} MB | ${f.deployedMb} MB` : '| | | |';
      return `${head} | ${r.input} | ${fixed(r.maxRssMb, 1)} MB (${fixed(r.startRssMb, 1)} MB loaded) | ${int(r.maxInvocationCpuMs)} ms | ${fixed(secondsAt(r.maxInvocationCpuMs, f.deployedMb), 1)} s |`;
    }),
  );
  return [
    '| Lambda | Peak RSS | Rule gives | Deployed | Largest input (per invocation) | Peak of this input | CPU per invocation (here) | ≈ at the deployed size, CPU-bound |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** What the measured memory sizes change in the Lambda line of each row priced at a deployed size. */
function memoryCostBlock(results: BenchResults): string {
  const effect = need(need(results.costPerMillionRecords, 'cost').memoryEffect, 'cost.memoryEffect');
  const rows = Object.entries(effect).map(([row, e]) => `| ${row} | ${e.fn} | ${e.deployedMb} MB | ${usd(e.lambdaUsd)} | ${usd(e.previousLambdaUsd)} |`);
  return [`| Row | Function | Deployed | Lambda line at the deployed size | Same durations at ${int(PREVIOUS_MEMORY_MB)} MB |`, '|---|---|---|---|---|', ...rows].join('\n');
}

/** The floor for functions a caller waits on: their start-up at 128 and 256 MB, and what the floor costs. */
function synchronousFloorClaim(results: BenchResults): string {
  const cold = need(results.coldStart, 'coldStart').lambdas['proxy-authorizer'];
  if (!cold || 'error' in cold) throw new Error('bench/results.json has no coldStart.lambdas.proxy-authorizer');
  const perMillion = 0.125 * 0.01 * 1e6 * PRICES.lambdaArmPerGbSecond;
  return `proxy-authorizer's module initialisation took ${fixed(cold.requireMs, 0)} ms here (\`coldStart\`): about ${fixed(secondsAt(cold.requireMs, 128), 1)} s at 128 MB's CPU share and ${fixed(secondsAt(cold.requireMs, 256), 1)} s at 256 MB's. The extra 128 MB costs ${usd(perMillion)} per million invocations for every 10 ms billed`;
}

/** Transitions of one verification execution once the record is anchored (rounded: a rare extra poll adds a few). */
function transitionsPerExecution(results: BenchResults): number {
  const all = need(results.verify?.policies.all, 'verify.policies.all');
  return Math.round(all.stateTransitions / all.executions);
}

/** Milliseconds the batched mode took to spend its window, from the rate-limited figure's notes. */
function batchedWindowSeconds(results: BenchResults): string {
  const note = need(results.ratelimited, 'ratelimited').notes.find((n) => n.startsWith('batched:'));
  const ms = Number(/in (\d+) ms/.exec(note ?? '')?.[1] ?? NaN);
  return String(Math.round(ms / 1000));
}

/** Records per request in the traffic shapes that used to end in partial requests (issue 22). */
function trafficShapesBlock(results: BenchResults): string {
  const small = need(results.s3SmallFiles, 's3SmallFiles');
  const big = need(results.bigRecords, 'bigRecords');
  const forwarder = need(results.forwarder, 'forwarder');
  const light = need(results.lightTraffic, 'lightTraffic');
  return [
    '| Traffic | Records | Bulk requests | Records per request |',
    '|---|---|---|---|',
    `| 20 NDJSON files × 150 records, uploaded together (\`s3SmallFiles\`) | ${int(small.records)} | ${int(small.requests)} | ${small.recordsPerRequest} |`,
    `| 16 KB records, one file (\`bigRecords\`) | ${int(big.records)} | ${int(big.requests)} | ${big.recordsPerRequest} |`,
    `| Batched mode, ${int(forwarder.records)} events, batches cut at 6 MB (${int(forwarder.eventsPer6Mb ?? NaN)} events of ${int(forwarder.eventRecordBytes ?? NaN)} bytes fit) | ${int(forwarder.records)} | ${int(forwarder.requests)} | ${forwarder.recordsPerRequest} |`,
    `| Batched mode, ${light.recordsPerSecond} records/s, ${light.windowSeconds} s window (\`lightTraffic\`) | ${int(light.records)} | ${int(light.requests)} | ${light.recordsPerRequest} |`,
  ].join('\n');
}

/** The light-traffic sweep: records per request against the end-to-end bound, per batching window. */
function lightTrafficBlock(results: BenchResults): string {
  const light = need(results.lightTraffic, 'lightTraffic');
  const rows = [light, ...light.sweep]
    .sort((a, b) => a.windowSeconds - b.windowSeconds)
    .map((l) => `| ${l.windowSeconds} s${l.windowSeconds === light.windowSeconds ? ' (deployed)' : ''} | ${l.recordsPerRequest} | ${l.p99Seconds} s | ${l.floorP99Seconds} s | ${l.withinBound ? 'yes' : 'no'} |`);
  return ['| Batching window | Records per request | p99 wait until the snapshot flushes | Floor p99 (sent on arrival) | Within floor + 10 s |', '|---|---|---|---|---|', ...rows].join('\n');
}

const LATENCY_LABELS: Readonly<Record<string, string>> = { direct: 'Direct (API Destination)', batched: 'Batched forwarder', s3: 'S3 ingest', dynamodb: 'DynamoDB stream' };

/** Producer → `anchored` per path at the deployed settings, both loads, against Certyo's floor (issue 21). */
function latencyBlock(results: BenchResults): string {
  const l = need(results.latency, 'latency');
  const secs = (v: number | null): string => (v === null ? 'never¹' : `${v} s`);
  const rows = Object.entries(l.paths).flatMap(([path, loads]) =>
    Object.entries(loads).map(
      ([load, r]) =>
        `| ${LATENCY_LABELS[path] ?? path} | ${int(l.recordsPerHour[load as keyof typeof l.recordsPerHour])} | ${r.windowSeconds} s | ${secs(r.p50Seconds)} | ${secs(r.p99Seconds)} | ${r.floorSeconds} s | ${r.recordsPerRequest} | ${r.verifyCallsPer1000} | ${r.withinBound ? 'yes' : 'no'} |`,
    ),
  );
  return [
    '| Path | Records/hour | Batching window | p50 | p99 | Floor (p99) | Records per request | Verify calls per 1,000 records | p99 ≤ floor + 10 s |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The trade-off: each path's batching window against p99 and records per request, at both loads (deployed verify schedule). */
function latencyTradeOffBlock(results: BenchResults): string {
  const l = need(results.latency, 'latency');
  const rows = Object.entries(l.sweeps).flatMap(([path, loads]) => {
    const deployed = l.paths[path as keyof typeof l.paths].low;
    const at = (runs: readonly (typeof deployed)[], w: number) => runs.find((r) => r.windowSeconds === w && r.waitSeconds === deployed.waitSeconds && r.pollIntervalSeconds === deployed.pollIntervalSeconds);
    const windows = [...new Set(loads.low.filter((r) => r.waitSeconds === deployed.waitSeconds && r.pollIntervalSeconds === deployed.pollIntervalSeconds).map((r) => r.windowSeconds))].sort((a, b) => a - b);
    return windows.map((w) => {
      const cell = (r: typeof deployed | undefined): string => (r === undefined ? '—' : `${r.p99Seconds === null ? 'never¹' : `${r.p99Seconds} s`}, ${r.recordsPerRequest}, ${r.verifyCallsPer1000}`);
      return `| ${LATENCY_LABELS[path] ?? path} | ${w} s${w === deployed.windowSeconds ? ' (deployed)' : ''} | ${cell(at(loads.low, w))} | ${cell(at(loads.high, w))} |`;
    });
  });
  return [
    `| Path | Batching window | ${int(l.recordsPerHour.low)}/hour: p99, records/request, verify calls/1,000 | ${int(l.recordsPerHour.high)}/hour: p99, records/request, verify calls/1,000 |`,
    '|---|---|---|---|',
    ...rows,
    `| Floor (Certyo alone) | — | ${l.floorSeconds.low} s | ${l.floorSeconds.high} s |`,
  ].join('\n');
}

/** The verify workflow's first wait and poll step against p99 and verify calls, per path, at each path's deployed window. */
function latencyScheduleBlock(results: BenchResults): string {
  const l = need(results.latency, 'latency');
  const rows = Object.entries(l.sweeps).flatMap(([path, loads]) => {
    const deployed = l.paths[path as keyof typeof l.paths].low;
    const schedules = loads.low.filter((r) => r.windowSeconds === deployed.windowSeconds);
    return schedules.map((r) => {
      const high = loads.high.find((h) => h.windowSeconds === l.paths[path as keyof typeof l.paths].high.windowSeconds && h.waitSeconds === r.waitSeconds && h.pollIntervalSeconds === r.pollIntervalSeconds);
      const cell = (x: typeof r | undefined): string => (x === undefined ? '—' : `${x.p99Seconds === null ? 'never¹' : `${x.p99Seconds} s`}, ${x.verifyCallsPer1000}`);
      const isDeployed = r.waitSeconds === deployed.waitSeconds && r.pollIntervalSeconds === deployed.pollIntervalSeconds;
      return `| ${LATENCY_LABELS[path] ?? path} | ${r.waitSeconds} s / ${r.pollIntervalSeconds} s${isDeployed ? ' (deployed)' : ''} | ${cell(r)} | ${cell(high)} |`;
    });
  });
  return [
    `| Path | First wait / poll step | ${int(l.recordsPerHour.low)}/hour: p99, verify calls/1,000 | ${int(l.recordsPerHour.high)}/hour: p99, verify calls/1,000 |`,
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** What waiting out the rate limit costs, per path. */
function waitingBlock(results: BenchResults): string {
  const waiting = need(need(results.costPerMillionRecords, 'cost').waiting, 'cost.waiting');
  const w = need(results.waiting, 'waiting');
  const rows = Object.entries(waiting).map(([name, cost]) => `| ${name} | ${costCell(cost)} | ${cost.basis} |`);
  return [
    '| Case | AWS cost | Basis |',
    '|---|---|---|',
    ...rows,
    `| batched drain: visibility changes per stored record | ${w.batched.throttled.visibilityChangesPerRecord} | ${int(w.batched.throttled.visibilityCalls)} calls of 10, up to 16 in parallel |`,
  ].join('\n');
}

const BENCH = 'docs/benchmarks-and-costs.md';
const PERFORMANCE = 'docs/performance.md';

/** The shared rate budget under concurrent paths, with and without the record (issue 20). */
function sharedBudgetBlock(results: BenchResults): string {
  const b = need(results.budget, 'concurrency');
  const { s3Files, ddbShards, forwarders } = b.instances;
  const instances = s3Files + ddbShards + forwarders;
  const perPath = (r: typeof b.shared): string => `${r.recordsPerRequest.s3} / ${r.recordsPerRequest.ddb} / ${r.recordsPerRequest.forwarder}`;
  const table = b.shared.budgetTable;
  return [
    `${s3Files} S3 files, ${ddbShards} DynamoDB shards and ${forwarders} forwarder at once (${instances} instances, ${int(b.records)} records), ${b.requestsPerWindow} requests per ${b.windowMs / 1000} s window:`,
    '',
    '| | Shared record | Each instance alone (before) | Target |',
    '|---|---|---|---|',
    `| \`budget.rateLimited429\` (most in one window) | **${b.shared.rateLimited429}** (${b.shared.maxRateLimited429InAWindow}) | ${b.perInstance.rateLimited429} (${b.perInstance.maxRateLimited429InAWindow}) | ≤ 1 per instance per window (${instances}) |`,
    `| \`budget.retryAfterViolations\` | **${b.shared.retryAfterViolations}** | ${b.perInstance.retryAfterViolations} | 0 |`,
    `| \`budget.efficiency\` (${b.shared.fullWindows} full windows) | **${fixed(b.shared.efficiency, 2)}** | ${fixed(b.perInstance.efficiency, 2)} | ≥ 0.95 |`,
    `| Records per request, S3 / DynamoDB / forwarder (429s count) | ${perPath(b.shared)} | ${perPath(b.perInstance)} | — |`,
    `| Records lost / stored twice / dead-lettered | ${b.shared.lost} / ${b.shared.duplicated} / ${b.shared.deadLettered} | ${b.perInstance.lost} / ${b.perInstance.duplicated} / ${b.perInstance.deadLettered} | 0 |`,
    `| Certyo requests, wall time | ${b.shared.certyoRequests}, ${fixed(b.shared.wallMs / 1000, 1)} s | ${b.perInstance.certyoRequests}, ${fixed(b.perInstance.wallMs / 1000, 1)} s | — |`,
    `| Budget-table calls per Certyo request | ${table ? `${table.callsPerCertyoRequest} (${int(table.getItem)} GetItem, ${int(table.putItem)} PutItem of which ${int(table.conditionFailed)} lost a race)` : '—'} | — | — |`,
  ].join('\n');
}

export const FIGURE_BLOCKS: readonly FigureBlock[] = [
  { file: BENCH, name: 'bench-figures', render: figuresTableBlock },
  { file: BENCH, name: 'cold-start', render: coldStartBlock },
  { file: BENCH, name: 'cost-per-mode', render: costTableBlock },
  { file: BENCH, name: 'memory-cost', render: memoryCostBlock },
  { file: BENCH, name: 'traffic-shapes', render: trafficShapesBlock },
  { file: BENCH, name: 'light-traffic', render: lightTrafficBlock },
  { file: BENCH, name: 'latency', render: latencyBlock },
  { file: BENCH, name: 'latency-trade-off', render: latencyTradeOffBlock },
  { file: BENCH, name: 'latency-schedule', render: latencyScheduleBlock },
  { file: BENCH, name: 'waiting-costs', render: waitingBlock },
  { file: BENCH, name: 'shared-budget', render: sharedBudgetBlock },
  { file: 'docs/rate-budget.md', name: 'shared-budget', render: sharedBudgetBlock },
  { file: PERFORMANCE, name: 'bundle-composition', render: bundleCompositionBlock },
  { file: PERFORMANCE, name: 's3-memory', render: memoryBreakdownBlock },
  { file: PERFORMANCE, name: 'lambda-memory', render: lambdaMemoryBlock },
];

export const FIGURE_CLAIMS: readonly FigureClaim[] = [
  { file: PERFORMANCE, render: synchronousFloorClaim },
  {
    file: PERFORMANCE,
    render: (r) => {
      const lambdas = need(r.coldStart, 'coldStart').lambdas;
      const initKiB = (name: string): number => {
        const f = need(lambdas[name], `coldStart.lambdas.${name}`);
        if ('error' in f) throw new Error(`bench/results.json: cold start of ${name} failed: ${f.error}`);
        return f.initKiB;
      };
      const mongo = need(lambdas['mongo-ingest'], 'coldStart.lambdas.mongo-ingest');
      const bson = 'error' in mongo ? NaN : need(mongo.initTopKiB.bson, 'coldStart.lambdas.mongo-ingest.initTopKiB.bson');
      return `forwarder now loads ${fixed(initKiB('forwarder'), 1)} KiB at start and the verify starter ${fixed(initKiB('verify-starter'), 1)} KiB, each\n  less by \`bson\`'s ${Math.round(bson)} KiB`;
    },
  },
  {
    file: PERFORMANCE,
    render: (r) => {
      const paths = need(r.latency, 'latency').paths;
      const batched = need(paths.batched, 'latency.paths.batched').low;
      const dynamodb = need(paths.dynamodb, 'latency.paths.dynamodb').low;
      return `forwarder (${batched.windowSeconds} s) and DynamoDB (${dynamodb.windowSeconds} s) and the verify workflow's schedule (${batched.waitSeconds} s, then ${batched.pollIntervalSeconds} s steps)`;
    },
  },
  {
    file: BENCH,
    render: (r) => {
      const s3 = need(r.s3?.throughput, 's3Throughput');
      return `${s3.latencyMs} ms added latency. The seed sends one request per record (${fixed(s3.baseline.msPerRecord, 1)} ms each), so it is timed on ${int(s3.baseline.sampleRecords)} records`;
    },
  },
  {
    file: BENCH,
    render: (r) => {
      const s3 = need(r.s3?.throughput, 's3Throughput');
      return `extrapolated linearly to ${int(s3.records)} — ${fixed(s3.baseline.extrapolatedWallMs / 60_000, 1)} minutes`;
    },
  },
  {
    file: PERFORMANCE,
    render: (r) => {
      const parse = need(r.s3?.parseThroughput, 's3Parse');
      return `our reader and mapping read ${fixed(parse.oursMBps, 1)} MB/s against the baseline's ${fixed(parse.baselineMBps, 1)} MB/s in the same run, ${Math.round(parse.ratio * 100)}%`;
    },
  },
  { file: BENCH, render: (r) => `the batched mode spent its ${int(need(r.ratelimited, 'ratelimited').requestsPerWindow)} requests in ${batchedWindowSeconds(r)} s` },
  { file: BENCH, render: (r) => `**Verification**: ${int(need(r.verify, 'verify').records)} records ingested in bulk` },
  { file: BENCH, render: (r) => `one verify call, ${transitionsPerExecution(r)} state transitions and one PutMetricData per execution` },
  { file: BENCH, render: (r) => `costs ${transitionsPerExecution(r)} Standard-workflow state transitions per record` },
  {
    file: BENCH,
    render: (r) => {
      const cold = need(r.coldStart, 'coldStart');
      return `(median of ${cold.runs}, compared with a bare \`node -e 0\` of ${Math.round(cold.nodeMs)} ms)`;
    },
  },
  {
    file: BENCH,
    render: (r) => {
      const [name, value] = need(Object.entries(need(r.costPerMillionRecords, 'cost').fixedMonthly)[0], 'cost.fixedMonthly');
      const perPath = Number(/\((\d+) per path/.exec(name)?.[1] ?? NaN);
      return `the custom metrics (${usd(value)} a month per path: ${perPath} names`;
    },
  },
  {
    file: 'docs/forwarding.md',
    render: (r) => {
      const f = need(r.forwarder, 'forwarder');
      return `${int(f.records)} events → ${int(f.requests)} requests in ${fixed(f.handlerMs / 1000, 1)} s`;
    },
  },
  {
    file: 'docs/mongodb.md',
    render: (r) => {
      const mongo = need(r.mongo, 'mongo');
      return `${int(mongo.records)} DocumentDB change events went to Certyo in ${int(mongo.requests)} bulk requests (${mongo.recordsPerRequest} records per request)`;
    },
  },
];

const marker = (name: string): { open: string; close: string } => ({ open: `<!-- figures:${name} -->`, close: `<!-- /figures:${name} -->` });

/** The text between a block's markers, without the newlines next to them; undefined without markers. */
export function blockInPage(page: string, name: string): string | undefined {
  const { open, close } = marker(name);
  const start = page.indexOf(open);
  const end = page.indexOf(close);
  if (start < 0 || end < start) return undefined;
  return page.slice(start + open.length, end).replace(/^\n/, '').replace(/\n$/, '');
}

export const normalizeSpace = (text: string): string => text.replace(/\s+/g, ' ');

export function readResults(): BenchResults {
  return JSON.parse(fs.readFileSync(RESULTS_FILE, 'utf8')) as BenchResults;
}

if (require.main === module) {
  const results = readResults();
  if (!process.argv.includes('--write')) {
    for (const block of FIGURE_BLOCKS) console.log(`${block.file} ${block.name}\n${block.render(results)}\n`);
  } else {
    for (const block of FIGURE_BLOCKS) {
      const file = path.join(REPO_ROOT, block.file);
      const page = fs.readFileSync(file, 'utf8');
      const current = blockInPage(page, block.name);
      if (current === undefined) throw new Error(`${block.file} has no ${marker(block.name).open} block`);
      const { open } = marker(block.name);
      fs.writeFileSync(file, page.replace(`${open}\n${current}\n`, `${open}\n${block.render(results)}\n`));
    }
  }
}
