/**
 * proxy-tenant-guard: integration of the proxy routes whose bodies name tenants. Builds its
 * dependencies once per cold start; the decision is made in `guard.ts`.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { certyoClientFromEnv } from '../shared/certyo-client';
import { createLogger } from '../shared/observability';
import { guardTenants } from './guard';
import { readGuardSettings } from './settings';

const logger = createLogger('proxy-tenant-guard');
const settings = readGuardSettings();
const deps = {
  tenantsOf: (consumer: string) => settings.tenants.get(consumer),
  // One attempt: the consumer decides whether to retry, on its own budget.
  certyo: certyoClientFromEnv(process.env, { maxAttempts: 1, requestTimeoutMs: settings.forwardTimeoutMs, log: logger }),
  log: logger,
  now: Date.now,
  forwardTimeoutMs: settings.forwardTimeoutMs,
};

export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  logger.addContext(context);
  return guardTenants(event, deps);
}
