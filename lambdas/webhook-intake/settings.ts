import { requireEnv } from '../shared/runtime-env';

export interface WebhookSettings {
  readonly eventBusName: string;
  readonly detailType: string;
  readonly deliveriesTableName: string;
  /** Secret name of source `s` is `${secretPrefix}${s}`. */
  readonly secretPrefix: string;
  readonly toleranceSeconds: number;
  readonly retentionSeconds: number;
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
  };
}
