import { requireEnv } from '../shared/runtime-env';

export interface GuardSettings {
  /** Consumer name → the tenants it may write. */
  readonly tenants: ReadonlyMap<string, readonly string[]>;
  readonly forwardTimeoutMs: number;
}

/** Parses `PROXY_TENANTS` (written by the stack from `certyo:apiProxy.consumers`): `{"<consumer>": ["<tenant>", ...]}`. */
export function parseTenants(json: string, variable = 'PROXY_TENANTS'): Map<string, readonly string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`Environment variable ${variable} is not JSON: expected {"<consumer>": ["<tenant>", ...]}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`Environment variable ${variable} must be a JSON object {"<consumer>": ["<tenant>", ...]}`);
  }
  return new Map(
    Object.entries(parsed).map(([consumer, tenants]: [string, unknown]) => {
      if (!Array.isArray(tenants) || !tenants.every((t) => typeof t === 'string' && t !== '')) {
        throw new Error(`Environment variable ${variable}: consumer "${consumer}" must map to a list of tenant ids`);
      }
      return [consumer, tenants as string[]];
    }),
  );
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
