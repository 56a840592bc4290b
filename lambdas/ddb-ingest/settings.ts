/**
 * The ddb-ingest function's own environment (set by `lib/constructs/dynamodb-ingest.ts` from
 * `certyo:dynamodb.*`), validated at cold start with errors naming the variable.
 */
import { EnvironmentError, requireEnv } from '../shared/runtime-env';

export type TtlDeletePolicy = 'ingest' | 'skip';

export interface DdbIngestSettings {
  /** The on-failure queue: unmappable records go here with their reason. */
  readonly deadLetterQueueUrl: string;
  /** Certyo `database` of every record. */
  readonly database: string;
  /** What to do with deletions made by DynamoDB TTL. */
  readonly ttlDeletes: TtlDeletePolicy;
  /** Write `certyo_*` status attributes back to the item after acceptance. */
  readonly writeBack: boolean;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, choices: readonly T[], fallback: T): T {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new EnvironmentError(`Environment variable ${name} = "${raw}" is not one of ${choices.join(', ')}`);
  }
  return raw as T;
}

export function readDdbIngestSettings(env: NodeJS.ProcessEnv = process.env): DdbIngestSettings {
  return {
    deadLetterQueueUrl: requireEnv('DEAD_LETTER_QUEUE_URL', env),
    database: env.CERTYO_DATABASE?.trim() || 'dynamodb',
    ttlDeletes: oneOf(env, 'TTL_DELETES', ['ingest', 'skip'] as const, 'ingest'),
    writeBack: oneOf(env, 'WRITE_BACK', ['true', 'false'] as const, 'false') === 'true',
  };
}
