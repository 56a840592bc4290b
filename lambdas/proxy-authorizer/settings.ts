import { parseTenants } from '../shared/proxy-tenants';
import { requireEnv } from '../shared/runtime-env';
import { ConsumerDefinition, parseConsumers } from './consumers';

export interface AuthorizerSettings {
  readonly consumers: readonly ConsumerDefinition[];
  /** Consumer name → the tenants its read routes may name. */
  readonly tenants: ReadonlyMap<string, readonly string[]>;
  /** How long the Certyo key and the consumers' key values are cached. */
  readonly cacheMaxAgeMs: number;
}

/** Reads the authorizer's environment; a missing or malformed variable fails the cold start naming it. */
export function readAuthorizerSettings(env: NodeJS.ProcessEnv = process.env): AuthorizerSettings {
  const consumers = parseConsumers(requireEnv('PROXY_CONSUMERS', env));
  const raw = env.CACHE_MAX_AGE_SECONDS?.trim() || '300';
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600) {
    throw new Error(`Environment variable CACHE_MAX_AGE_SECONDS = "${raw}" must be a whole number of seconds from 0 to 3600`);
  }
  return { consumers, tenants: parseTenants(requireEnv('PROXY_TENANTS', env)), cacheMaxAgeMs: seconds * 1000 };
}
