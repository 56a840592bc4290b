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

export function costTable(results: BenchResults): { modes: Record<string, Mode>; fixedMonthly: Record<string, number> } {
  const modes: Record<string, Mode> = {};
  const s3 = results.s3?.throughput;
  if (s3) {
    modes['s3 (seed Lambda)'] = mode(s3.baseline.usage, `seed port timed on ${s3.baseline.sampleRecords} records at ${s3.latencyMs} ms, one invocation per ${s3.records}-record file`);
    modes.s3 = mode(s3.ours.usage, `${s3.records}-record NDJSON files at ${s3.latencyMs} ms`);
  }
  if (results.ddb) modes.dynamodb = mode(results.ddb.usage, `${results.ddb.records} stream records (stream reads by Lambda are free)`);
  if (results.ratelimited) modes.direct = mode(results.ratelimited.directUsage, 'one event, one API Destination invocation, one Certyo request per record');
  if (results.forwarder) modes.batched = mode(batchedUsage(results.forwarder.usage), `${results.forwarder.records} events through the SQS buffer and the forwarder`);
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
  // RateBudgetUnavailable is a metric per path too, though emitted only when the budget table fails.
  const metricsPerPath = Object.keys(METRIC_NAMES).length + Object.keys(BUDGET_METRIC_NAMES).length;
  const outcomes = VERIFICATION_OUTCOME_METRIC.outcomes.length;
  const monthly = (metrics: number): number => Math.round(metrics * PRICES.customMetricPerMonth * 100) / 100;
  return {
    modes,
    fixedMonthly: {
      [`custom metrics (${metricsPerPath} per path, dimension Path)`]: monthly(metricsPerPath),
      ...(verify ? { [`verification outcome metric (${outcomes} outcomes, dimensions Path and Outcome)`]: monthly(outcomes) } : {}),
    },
  };
}
