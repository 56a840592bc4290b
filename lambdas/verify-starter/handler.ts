/**
 * verify-starter: direct mode's verification queue (forwarded record events) → verification
 * executions, per `certyo:verify.policy`. A failed start fails the invocation: SQS redelivers
 * the batch, and the execution names (from the idempotency keys) make the repeat a no-op for
 * what had started.
 */
import type { Context, SQSEvent } from 'aws-lambda';
import { runInvocation } from '../shared/invocation';
import { createLogger, createMetrics } from '../shared/observability';
import { requireEnv } from '../shared/runtime-env';
import { verificationStarterFromEnv } from '../shared/verification-starter';
import { startVerifications, StartVerificationsOutcome } from './start-verifications';

const logger = createLogger('verify-starter');
// The runInvocation frame flushes metrics; this function stores none of its own (the workflow counts outcomes).
const metrics = createMetrics('verify');
const deps = { verification: verificationStarterFromEnv(process.env), tenantId: requireEnv('CERTYO_TENANT_ID'), log: logger };

export async function handler(event: SQSEvent, context: Context): Promise<StartVerificationsOutcome> {
  return runInvocation(context, { logger, metrics, safetyMs: 5_000 }, () => startVerifications(event.Records.map((r) => r.body), deps));
}
