import { AcceptedRecord } from '../../lambdas/shared/certyo-types';
import { VerificationStarter } from '../../lambdas/shared/verification-starter';

/** Keeps the accepted records verification was started for. */
export class RecordingVerification implements VerificationStarter {
  readonly started: AcceptedRecord[] = [];
  async start(accepted: readonly AcceptedRecord[]) {
    this.started.push(...accepted);
    return { started: accepted.length, skipped: 0 };
  }
}
