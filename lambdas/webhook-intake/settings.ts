import { requireEnv } from '../shared/runtime-env';
import { WebhookSourcePolicy } from './record-body';
import { SOURCE_NAME } from './source-secrets';

export interface WebhookSettings {
  readonly eventBusName: string;
  readonly detailType: string;
  readonly deliveriesTableName: string;
  /** Secret name of source `s` is `${secretPrefix}${s}`. */
  readonly secretPrefix: string;
  readonly toleranceSeconds: number;
  readonly retentionSeconds: number;
  /** How long a `pending` claim holds off other attempts at the same delivery. */
  readonly pendingSeconds: number;
  readonly sources: ReadonlyMap<string, WebhookSourcePolicy>;
}

const nonEmptyStrings = (value: unknown): value is string[] => Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v.trim() !== '');

/** Parses `WEBHOOK_SOURCES` (written by the stack from `certyo:webhook.sources`); an error names the item and field. */
export function parseWebhookSources(json: string, variable = 'WEBHOOK_SOURCES'): Map<string, WebhookSourcePolicy> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`Environment variable ${variable} is not JSON: expected [{"source","tenantIds","databases"}]`);
  }
  if (!Array.isArray(parsed)) throw new Error(`Environment variable ${variable} must be a JSON array of {"source","tenantIds","databases"}`);
  const sources = new Map<string, WebhookSourcePolicy>();
  parsed.forEach((item: unknown, index) => {
    const { source, tenantIds, databases } = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    if (typeof source !== 'string' || !SOURCE_NAME.test(source)) throw new Error(`${variable}[${index}].source must be lower-case letters, digits or -`);
    if (sources.has(source)) throw new Error(`${variable}[${index}].source "${source}" appears twice`);
    if (!nonEmptyStrings(tenantIds)) throw new Error(`${variable}[${index}].tenantIds (source "${source}") must be a non-empty list of strings`);
    if (!nonEmptyStrings(databases)) throw new Error(`${variable}[${index}].databases (source "${source}") must be a non-empty list of strings`);
    sources.set(source, { source, tenantIds, databases });
  });
  return sources;
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim() || String(fallback);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`Environment variable ${name} = "${raw}" must be a whole number of seconds from ${min} to ${max}`);
  }
  return value;
}

/** Reads the webhook intake's environment; a missing or malformed variable fails the cold start naming it. */
export function readWebhookSettings(env: NodeJS.ProcessEnv = process.env): WebhookSettings {
  const toleranceSeconds = seconds(env, 'SIGNATURE_TOLERANCE_SECONDS', 300, 1, 3600);
  const retentionSeconds = seconds(env, 'DELIVERY_RETENTION_SECONDS', 86_400, 1, 30 * 86_400);
  // A delivery must stay in the replay log for as long as its timestamp can still pass (± tolerance).
  if (retentionSeconds <= 2 * toleranceSeconds) {
    throw new Error(`Environment variable DELIVERY_RETENTION_SECONDS (${retentionSeconds}) must exceed twice SIGNATURE_TOLERANCE_SECONDS (${toleranceSeconds})`);
  }
  return {
    eventBusName: requireEnv('EVENT_BUS_NAME', env),
    detailType: requireEnv('DETAIL_TYPE', env),
    deliveriesTableName: requireEnv('DELIVERIES_TABLE_NAME', env),
    secretPrefix: requireEnv('WEBHOOK_SECRET_PREFIX', env),
    toleranceSeconds,
    retentionSeconds,
    pendingSeconds: seconds(env, 'PENDING_CLAIM_SECONDS', 30, 1, 900),
    sources: parseWebhookSources(requireEnv('WEBHOOK_SOURCES', env)),
  };
}
