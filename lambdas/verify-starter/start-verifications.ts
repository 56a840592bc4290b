/**
 * Direct mode's verification: the forwarded record events (as the verification rule delivered
 * them to the queue) → the same `VerificationStarter` the batched path uses, so
 * `certyo:verify.policy` applies in both modes (`batch` starts one execution per SQS batch,
 * `sample` picks by idempotency key, `all` one per record). No Lambda sees Certyo's ingest
 * answer here, so the executions verify without the recordHash comparison.
 */
import { parseRecordMessage } from '../shared/record-message';
import type { Log } from '../shared/observability';
import { VerifiableRecord, VerificationStarter, VerificationStartOutcome } from '../shared/verification-starter';

export interface StartVerificationsDeps {
  readonly verification: VerificationStarter;
  readonly tenantId: string;
  readonly log: Pick<Log, 'warn'>;
}

export interface StartVerificationsOutcome extends VerificationStartOutcome {
  /** Events that break the contract: the API Destination could not have delivered them either. */
  readonly invalid: number;
}

export async function startVerifications(bodies: readonly string[], deps: StartVerificationsDeps): Promise<StartVerificationsOutcome> {
  const records: VerifiableRecord[] = [];
  const reasons = new Map<string, number>();
  for (const body of bodies) {
    const parsed = await parseRecordMessage(body, deps.tenantId);
    if (parsed.ok === true) records.push({ record: parsed.record });
    else reasons.set(parsed.reason, (reasons.get(parsed.reason) ?? 0) + 1);
  }
  const invalid = bodies.length - records.length;
  if (invalid > 0) deps.log.warn('Not verifying events that break the event contract', { invalid, reasons: Object.fromEntries(reasons) });
  const outcome = await deps.verification.start(records);
  return { ...outcome, invalid };
}
