/**
 * `verify.requestsPerRecord` per verification policy: the same records are ingested in bulk
 * (1,000 per request, as every ingest path sends them) and handed to the real verification
 * starter with each policy; the executions it starts run the real ASL in
 * aws-local-stepfunctions against the sandbox. Records are anchored before the workflows run
 * (the 90 s wait normally sees to that), so these are the steady-state figures: one verify call
 * per execution. State transitions (for the Step Functions bill) are counted from the
 * execution event logs.
 */
import { staticApiKey } from '../lambdas/shared/api-key';
import { createCertyoClient } from '../lambdas/shared/certyo-client';
import { CertyoRecord } from '../lambdas/shared/certyo-types';
import { withIdempotencyKey } from '../lambdas/shared/record-identity';
import { createVerificationStarter, parseVerificationPolicy } from '../lambdas/shared/verification-starter';
import { LocalStepFunctions } from '../local/harness/local-sfn';
import { startSandbox } from '../local/sandbox';
import { emptyUsage } from './cost-model';
import type { VerifyFigure } from './report';
import { requestsTo } from './sandbox-counts';

export interface VerifyOptions {
  /** @default 2_000 */
  readonly records?: number;
  /** @default ['all', 'sample:0.01', 'batch', 'none'] */
  readonly policies?: readonly string[];
  readonly log?: (line: string) => void;
}

const TENANT = 'bench';

function benchRecord(index: number): CertyoRecord {
  const recordId = `verify-${index}`;
  return withIdempotencyKey({
    tenantId: TENANT,
    database: 'billing',
    collection: 'invoices',
    recordId,
    recordVersion: 'v1',
    recordPayload: { invoiceNumber: recordId, amount: index + 0.5 },
  });
}

export async function measureVerify(options: VerifyOptions = {}): Promise<VerifyFigure> {
  const { records = 2_000, policies = ['all', 'sample:0.01', 'batch', 'none'], log = () => undefined } = options;
  const sandbox = await startSandbox({ rateLimit: 1_000_000_000, flushMs: 3_600_000, anchorDelayMs: 3_600_000 });
  try {
    const certyo = createCertyoClient({ apiUrl: sandbox.url, apiKey: staticApiKey(sandbox.apiKey) });
    const outcome = await certyo.ingestMany(Array.from({ length: records }, (_, i) => benchRecord(i)));
    if (outcome.accepted.length !== records) throw new Error(`verify bench: ${outcome.accepted.length} of ${records} records accepted`);
    sandbox.flush();
    sandbox.settle();

    const results: Record<string, VerifyFigure['policies'][string]> = {};
    for (const text of policies) {
      const policy = parseVerificationPolicy(text);
      const sfn = new LocalStepFunctions();
      const before = requestsTo(sandbox.stats(), 'POST /api/v1/verify/record');
      if (policy.kind !== 'none') {
        const starter = createVerificationStarter({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:VerifyRecord', policy, sfn: sfn.client });
        // As the ingest paths call it: once per bulk request's accepted records.
        for (let start = 0; start < records; start += 1000) await starter.start(outcome.accepted.slice(start, start + 1000));
      }
      const runs = await sfn.runPending({ apiUrl: sandbox.url, apiKey: sandbox.apiKey, tenantId: TENANT });
      const verifyRequests = requestsTo(sandbox.stats(), 'POST /api/v1/verify/record') - before;
      const stateTransitions = runs.reduce((sum, r) => sum + r.run.events.filter((e) => e.type === 'StateEntered').length, 0);
      const notifications = runs.reduce((sum, r) => sum + r.run.notifications.length, 0);
      const metricCalls = runs.reduce((sum, r) => sum + r.run.metrics.length, 0);
      const anchored = runs.reduce((sum, r) => sum + r.run.notifications.filter((n) => n.attributes.status?.StringValue === 'anchored').length, 0);
      if (anchored !== runs.length) throw new Error(`verify bench (${text}): ${anchored} of ${runs.length} executions notified anchored`);
      results[text] = {
        executions: runs.length,
        verifyRequests,
        requestsPerRecord: Math.round((verifyRequests / records) * 10_000) / 10_000,
        stateTransitions,
        notifications,
        usage: { ...emptyUsage(records), certyoRequests: verifyRequests, stateTransitions, snsPublishes: notifications, metricApiRequests: metricCalls, traces: runs.length },
      };
      log(`verify ${text}: ${runs.length} executions, ${verifyRequests} verify requests for ${records} records, ${stateTransitions} state transitions`);
    }
    return {
      records,
      policies: results,
      notes: [
        'records ingested 1,000 per bulk request, anchored before the workflows ran: one verify call per execution (a record still pending at the first verify costs one more call per retry)',
        'state transitions = states entered in the aws-local-stepfunctions event log of the real ASL',
      ],
    };
  } finally {
    await sandbox.close();
  }
}
