/**
 * `costPerMillionRecords`: the cost model applied to the usage each figure measured, per mode.
 * Modes without their figure in the results are left out rather than estimated.
 */
import { METRIC_NAMES } from '../lambdas/shared/observability';
import { BUDGET_METRIC_NAMES, VERIFICATION_OUTCOME_METRIC } from '../lambdas/shared/metric-names';
import { addUsage, costPerMillionRecords, CostPerMillion, emptyUsage, PRICES, scaleUsage, sqsRequestsFor, Usage } from './cost-model';
import { BenchResults } from './report';
import { MAX_BULK_ITEMS } from '../lambdas/shared/certyo-types';

type Mode = CostPerMillion & { readonly basis: string };

/** A usage read from an older results file may predate a counter: what it did not count, it did not use. */
function complete(usage: Usage): Usage {
  return { ...emptyUsage(usage.records, usage.lambdaMemoryMb, usage.lambdaArchitecture), ...usage };
}

function mode(usage: Usage, basis: string): Mode {
  return { ...costPerMillionRecords(complete(usage)), basis };
}

/** Batched mode: every record is an EventBridge event delivered to the SQS buffer, then read by the forwarder. */
function batchedUsage(forwarder: Usage): Usage {
  return { ...complete(forwarder), eventBridgeEvents: forwarder.records, sqsRequests: sqsRequestsFor(forwarder.records) };
}

/** Function names (`POWERTOOLS_SERVICE_NAME`) → deployed memory MB, from the synthesized templates. */
export type DeployedMemory = Readonly<Record<string, number>>;

/** A usage priced at the function's deployed memory size (when known), not the size it was measured with. */
function deployed(usage: Usage, fn: string, memory: DeployedMemory): Usage {
  const mb = memory[fn];
  return mb === undefined ? usage : { ...usage, lambdaMemoryMb: mb };
}

/** The size the bulk paths had before their memory followed the measurements (issue 21): the comparison of `memoryEffect`. */
export const PREVIOUS_MEMORY_MB = 1024;

/** One row priced at a deployed memory size: its Lambda line there and, with the same durations, at `PREVIOUS_MEMORY_MB`. */
export interface MemoryEffect {
  readonly fn: string;
  readonly deployedMb: number;
  readonly lambdaUsd: number;
  readonly previousLambdaUsd: number;
}

export function costTable(
  results: BenchResults,
  memory: DeployedMemory = {},
): { modes: Record<string, Mode>; waiting: Record<string, Mode>; memoryEffect: Record<string, MemoryEffect>; fixedMonthly: Record<string, number> } {
  const modes: Record<string, Mode> = {};
  const memoryEffect: Record<string, MemoryEffect> = {};
  const at = (fn: string): string => (memory[fn] === undefined ? '' : `; ${fn} at ${memory[fn]} MB as deployed`);
  /** `deployed`, recording the row's Lambda line at the deployed size and at the previous one. */
  const priced = (row: string, usage: Usage, fn: string): Usage => {
    const usageThere = deployed(usage, fn, memory);
    const deployedMb = memory[fn];
    if (deployedMb !== undefined) {
      const lambda = (mb: number): number => costPerMillionRecords(complete({ ...usageThere, lambdaMemoryMb: mb })).lines.lambda;
      memoryEffect[row] = { fn, deployedMb, lambdaUsd: lambda(deployedMb), previousLambdaUsd: lambda(PREVIOUS_MEMORY_MB) };
    }
    return usageThere;
  };
  const s3 = results.s3?.throughput;
  if (s3) {
    modes['s3 (seed Lambda)'] = mode(s3.baseline.usage, `seed port timed on ${s3.baseline.sampleRecords} records at ${s3.latencyMs} ms, one invocation per ${s3.records}-record file`);
    modes.s3 = mode(priced('s3', s3.ours.usage, 's3-ingest'), `${s3.records}-record NDJSON files at ${s3.latencyMs} ms${at('s3-ingest')}`);
  }
  const small = results.s3SmallFiles;
  if (small) modes['s3 (150-record files)'] = mode(priced('s3 (150-record files)', small.usage, 's3-ingest'), `${small.records} records in 150-record files uploaded together${at('s3-ingest')}`);
  if (results.ddb) modes.dynamodb = mode(priced('dynamodb', results.ddb.usage, 'ddb-ingest'), `${results.ddb.records} stream records (stream reads by Lambda are free)${at('ddb-ingest')}`);
  if (results.ratelimited) modes.direct = mode(results.ratelimited.directUsage, 'one event, one API Destination invocation, one Certyo request per record');
  if (results.forwarder) {
    modes.batched = mode(priced('batched', batchedUsage(results.forwarder.usage), 'forwarder'), `${results.forwarder.records} events through the SQS buffer and the forwarder${at('forwarder')}`);
  }
  const budget = results.budget?.shared.budgetTable;
  if (budget && results.budget) {
    // Per Certyo request as measured with every instance contending; bulk modes make 1,000 requests per million records.
    const requests = 1e6 / MAX_BULK_ITEMS;
    const perRequest = (calls: number): number => (calls / (results.budget as NonNullable<BenchResults['budget']>).shared.certyoRequests) * requests;
    modes['shared budget record (add-on)'] = mode(
      { ...emptyUsage(1e6), dynamoDbReads: perRequest(budget.getItem), dynamoDbWrites: perRequest(budget.putItem) },
      `${budget.callsPerCertyoRequest} budget-table calls per Certyo request (the concurrency figure), ${requests} Certyo requests per million records`,
    );
  }
  const verify = results.verify;
  if (verify) {
    for (const [policy, v] of Object.entries(verify.policies)) {
      modes[`verify ${policy} (add-on)`] = mode(v.usage, `Standard workflow, ${v.executions} executions for ${verify.records} records`);
    }
    const all = verify.policies.all;
    if (results.forwarder && all) {
      modes['batched + verify all'] = mode(addUsage(scaleUsage(batchedUsage(results.forwarder.usage), 1e6), scaleUsage(complete(all.usage), 1e6)), 'sum of the two rows');
    }
  }
  const waiting: Record<string, Mode> = {};
  const w = results.waiting;
  if (w) {
    const b = w.batched;
    waiting['batched, draining a rate-limited backlog (per million records)'] = mode(
      priced('batched, draining a rate-limited backlog', { ...b.throttledUsage, eventBridgeEvents: b.throttledUsage.records }, 'forwarder'),
      `${b.throttled.records} events over ${b.windows} rate-limit windows: ${b.throttled.visibilityChangesPerRecord} visibility changes per record (${b.throttled.visibilityCalls} calls, in parallel), ${b.throttled.invocations} invocations (unthrottled: ${b.unthrottled.invocations})${at('forwarder')}`,
    );
    // Per shard-hour, not per record: scaled so that "per million" reads as one hour of one shard.
    const shard = w.dynamodbShardHour;
    waiting['dynamodb, one shard rate-limited for an hour'] = mode(
      { ...priced('dynamodb, one shard rate-limited for an hour', { ...shard.usage, records: 1e6 }, 'ddb-ingest') },
      `${shard.invocations} invocations holding ${shard.billedSeconds} s until the reset (the stream retries a failed batch at once)${at('ddb-ingest')}`,
    );
    waiting['s3, one file paused for an hour'] = mode({ ...emptyUsage(1e6), sqsRequests: w.s3FileHour.sqsRequests }, 'continuation messages delayed 15 minutes at a time; no Lambda time');
  }
  // RateBudgetUnavailable is a metric per path too, though emitted only when the budget table fails.
  const metricsPerPath = Object.keys(METRIC_NAMES).length + Object.keys(BUDGET_METRIC_NAMES).length;
  const outcomes = VERIFICATION_OUTCOME_METRIC.outcomes.length;
  const monthly = (metrics: number): number => Math.round(metrics * PRICES.customMetricPerMonth * 100) / 100;
  return {
    modes,
    waiting,
    memoryEffect,
    fixedMonthly: {
      [`custom metrics (${metricsPerPath} per path, dimension Path)`]: monthly(metricsPerPath),
      ...(verify ? { [`verification outcome metric (${outcomes} outcomes, dimensions Path and Outcome)`]: monthly(outcomes) } : {}),
    },
  };
}
