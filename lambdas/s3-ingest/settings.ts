/**
 * The s3-ingest function's own environment (set by `lib/constructs/s3-ingest.ts`), validated at
 * cold start with errors naming the variable.
 */
import { maxBodyBytesFromEnv } from '../shared/certyo-client';
import { MAX_BULK_ITEMS } from '../shared/certyo-types';
import { EnvironmentError, requireEnv } from '../shared/runtime-env';
import { BatchLimits } from './file-ingest';
import { MappingOptions } from './record-mapping';

export interface S3IngestSettings {
  /** The function's own queue: continuations of files go back here. */
  readonly ingestQueueUrl: string;
  /** Where bad records, lines and files go with their reason. */
  readonly rejectedQueueUrl: string;
  readonly mapping: MappingOptions;
  /** `limits.bytes` is also the client's `maxBodyBytes`, so a batch is always one request. */
  readonly limits: BatchLimits;
}

/** A bigger record is rejected (with its reason) instead of being buffered. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

function bytes(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1024) throw new EnvironmentError(`Environment variable ${name} = "${raw}" is not a byte count of at least 1024`);
  return value;
}

export function readS3IngestSettings(tenantId: string, env: NodeJS.ProcessEnv = process.env): S3IngestSettings {
  const batchBytes = maxBodyBytesFromEnv(env);
  return {
    ingestQueueUrl: requireEnv('INGEST_QUEUE_URL', env),
    rejectedQueueUrl: requireEnv('REJECTED_QUEUE_URL', env),
    mapping: {
      tenantId,
      recordIdPath: env.RECORD_ID_FIELD?.trim() || 'id',
      recordVersionPath: env.RECORD_VERSION_FIELD?.trim() || 'version',
      database: env.CERTYO_DATABASE?.trim() || undefined,
    },
    limits: {
      records: MAX_BULK_ITEMS,
      bytes: batchBytes,
      recordBytes: Math.min(bytes(env, 'MAX_RECORD_BYTES', DEFAULT_MAX_RECORD_BYTES), batchBytes),
    },
  };
}
