import { parseTenants } from '../shared/proxy-tenants';
import { requireEnv } from '../shared/runtime-env';

export interface GuardSettings {
  /** Consumer name → the tenants it may write. */
  readonly tenants: ReadonlyMap<string, readonly string[]>;
  readonly forwardTimeoutMs: number;
}

/** Reads the guard's environment; a missing or malformed variable fails the cold start naming it. */
export function readGuardSettings(env: NodeJS.ProcessEnv = process.env): GuardSettings {
  const raw = env.FORWARD_TIMEOUT_MS?.trim() || '20000';
  const forwardTimeoutMs = Number(raw);
  if (!Number.isInteger(forwardTimeoutMs) || forwardTimeoutMs < 1000 || forwardTimeoutMs > 28_000) {
    throw new Error(`Environment variable FORWARD_TIMEOUT_MS = "${raw}" must be a whole number of milliseconds from 1000 to 28000 (API Gateway waits 29 s)`);
  }
  return { tenants: parseTenants(requireEnv('PROXY_TENANTS', env)), forwardTimeoutMs };
}
