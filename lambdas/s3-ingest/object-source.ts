/**
 * Opens the exact object version a notification announced. A versioned bucket is read by
 * version id; otherwise the ETag is a precondition, so a file overwritten in the meantime is
 * not ingested under the old version's idempotency keys (its own notification will follow).
 */
import { GetObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { FileTask } from './file-task';

export interface OpenedObject {
  readonly body: AsyncIterable<Uint8Array>;
  readonly contentEncoding?: string;
  readonly contentType?: string;
}

export type OpenResult = { readonly found: true; readonly object: OpenedObject } | { readonly found: false; readonly reason: string };

export interface ObjectSource {
  /** `fromByte` reads from that offset to the end (a continuation of an uncompressed object). */
  open(task: FileTask, fromByte?: number): Promise<OpenResult>;
}

/** S3 error names meaning "this version is no longer there": skip, do not retry. */
const GONE: Readonly<Record<string, string>> = {
  NoSuchKey: 'the object was deleted before it was processed',
  NoSuchVersion: 'the object version was deleted before it was processed',
  NotFound: 'the object was deleted before it was processed',
  PreconditionFailed: 'the object was overwritten before it was processed (its new version has its own notification)',
};

export function s3ObjectSource(s3: S3Client): ObjectSource {
  return {
    async open(task, fromByte) {
      try {
        const out = await s3.send(
          new GetObjectCommand({
            Bucket: task.bucket,
            Key: task.key,
            VersionId: task.versionId,
            IfMatch: task.versionId === undefined && task.etag !== undefined ? `"${task.etag}"` : undefined,
            Range: fromByte ? `bytes=${fromByte}-` : undefined,
          }),
        );
        const body = out.Body as AsyncIterable<Uint8Array> | undefined;
        return { found: true, object: { body: body ?? Readable.from([]), contentEncoding: out.ContentEncoding, contentType: out.ContentType } };
      } catch (error) {
        if (error instanceof S3ServiceException) {
          const gone = GONE[error.name];
          if (gone) return { found: false, reason: gone };
          // A continuation positioned exactly at the end of the object: nothing is left to read.
          if (error.name === 'InvalidRange' && fromByte) return { found: true, object: { body: Readable.from([]) } };
        }
        throw error;
      }
    },
  };
}
