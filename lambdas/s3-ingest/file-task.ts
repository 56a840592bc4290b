import { ResumePoint } from './json-splitter';

/** One S3 object version to ingest, from a notification or a continuation. */
export interface FileTask {
  readonly bucket: string;
  /** URL-decoded. */
  readonly key: string;
  /** Present when the bucket is versioned. */
  readonly versionId?: string;
  /** Without quotes, as S3 notifications carry it. */
  readonly etag?: string;
  /** The notification's `eventTime`: every record's `sourceTimestamp`. */
  readonly eventTime: string;
  /** First record still to ingest (0 for a new file). */
  readonly nextIndex: number;
  /** Byte position of `nextIndex` in an uncompressed object, to read only the rest. */
  readonly resume?: ResumePoint;
  /** Do not call Certyo before this time (a rate-limit wait longer than SQS can delay). */
  readonly notBefore?: string;
}

/** `s3://bucket/key`, with the version when known: how logs and dead letters name a file. */
export function describeFile(task: Pick<FileTask, 'bucket' | 'key' | 'versionId'>): string {
  return `s3://${task.bucket}/${task.key}${task.versionId ? `?versionId=${task.versionId}` : ''}`;
}

/** The object version token of the idempotency key: the version id, else the ETag (one is always present). */
export function versionToken(task: Pick<FileTask, 'versionId' | 'etag'>): string {
  return task.versionId ?? task.etag ?? '';
}
