import { VerifiableRecord, VerificationStarter } from '../../lambdas/shared/verification-starter';

/** Keeps the accepted records verification was started for. */
export class RecordingVerification implements VerificationStarter {
  readonly started: VerifiableRecord[] = [];
  async start(accepted: readonly VerifiableRecord[]) {
    this.started.push(...accepted);
    return { started: accepted.length, skipped: 0 };
  }
}
