import { IRuleTarget } from 'aws-cdk-lib/aws-events';
import { IFunction } from 'aws-cdk-lib/aws-lambda';

/**
 * What an ingest construct needs from the verification workflow, so ingest constructs do not
 * depend on how verification is built (and can be tested without it).
 */
export interface IVerificationTarget {
  /**
   * Lets the function start verifications: IAM on the workflow only, plus the environment
   * (`VERIFY_STATE_MACHINE_ARN`, `VERIFY_POLICY`) that `verificationStarterFromEnv()` reads.
   */
  grantStartTo(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void;
  /**
   * An EventBridge target that starts verifications of forwarded events per the policy (direct mode,
   * where no Lambda sees the accepted record). Events are in the forwarding event contract.
   */
  ruleTarget(): IRuleTarget;
}
