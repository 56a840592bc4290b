/**
 * How ingest handlers hand accepted records to the verification workflow (issue 8 implements
 * the Step Functions side). Handlers depend on this interface only; the workflow construct
 * sets `VERIFY_STATE_MACHINE_ARN` and `VERIFY_POLICY` on the functions it is granted to.
 */
import { AcceptedRecord } from './certyo-types';

export interface VerificationStartOutcome {
  readonly started: number;
  /** Not selected by the policy (`none`, `sample`, `batch`), or already started (replay). */
  readonly skipped: number;
}

export interface VerificationStarter {
  start(accepted: readonly AcceptedRecord[]): Promise<VerificationStartOutcome>;
}

/** For handlers deployed without a workflow, and for tests. */
export const noVerification: VerificationStarter = {
  start: async (accepted) => ({ started: 0, skipped: accepted.length }),
};
