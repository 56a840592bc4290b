/**
 * What arrives on the ingest queue: S3 event notifications (ObjectCreated), the `s3:TestEvent`
 * S3 sends when notifications are configured, and our own continuations.
 * Shapes: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */
import { ContinuationFormatError, isContinuation, parseContinuation } from './continuation';
import { FileTask } from './file-task';

export type QueueMessage =
  | { readonly kind: 'files'; readonly tasks: readonly FileTask[]; readonly ignored: readonly string[] }
  | { readonly kind: 'test-event'; readonly bucket: string };

/** The message cannot be understood; it is dead-lettered with this reason. */
export class EventFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventFormatError';
  }
}

/**
 * S3 URL-encodes keys in notifications as an HTML form would: `+` is a space (a literal plus
 * arrives as `%2B`) and other bytes are `%XX` escapes of UTF-8.
 */
export function decodeS3Key(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    throw new EventFormatError(`s3.object.key "${encoded}" is not a valid URL-encoded key`);
  }
}

type Json = Record<string, unknown>;

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new EventFormatError(`${path} must be an object`);
  return value as Json;
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') throw new EventFormatError(`${path} must be a non-empty string`);
  return value;
}

function optionalString(value: unknown, path: string): string | undefined {
  return value === undefined || value === null ? undefined : string(value, path);
}

/** One notification record → a task, or a reason why it is not ours to ingest. */
function parseRecord(raw: unknown, path: string): FileTask | string {
  const record = object(raw, path);
  const source = string(record.eventSource, `${path}.eventSource`);
  if (source !== 'aws:s3') throw new EventFormatError(`${path}.eventSource is "${source}", expected "aws:s3"`);
  // The documentation shows versions 2.1 to 2.6 and s3rver sends 2.0: the major version is the contract.
  const version = string(record.eventVersion, `${path}.eventVersion`);
  if (version.split('.')[0] !== '2') throw new EventFormatError(`${path}.eventVersion is "${version}", expected 2.x`);
  const eventName = string(record.eventName, `${path}.eventName`);
  const s3 = object(record.s3, `${path}.s3`);
  const bucket = string(object(s3.bucket, `${path}.s3.bucket`).name, `${path}.s3.bucket.name`);
  const obj = object(s3.object, `${path}.s3.object`);
  const key = decodeS3Key(string(obj.key, `${path}.s3.object.key`));
  if (!eventName.startsWith('ObjectCreated:')) return `${eventName} for s3://${bucket}/${key} is not an ObjectCreated event`;
  const eventTime = string(record.eventTime, `${path}.eventTime`);
  if (Number.isNaN(Date.parse(eventTime))) throw new EventFormatError(`${path}.eventTime "${eventTime}" is not a timestamp`);
  const versionId = optionalString(obj.versionId, `${path}.s3.object.versionId`);
  const etag = optionalString(obj.eTag, `${path}.s3.object.eTag`)?.replace(/"/g, '');
  // The version of the object is part of every idempotency key: without one, two uploads of a
  // key could not be told apart.
  if (versionId === undefined && etag === undefined) throw new EventFormatError(`${path}.s3.object needs a versionId or an eTag`);
  return { bucket, key, versionId, etag, eventTime, nextIndex: 0 };
}

/** Parses an SQS message body from the ingest queue. Throws `EventFormatError` naming the field. */
export function parseQueueMessage(body: string): QueueMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new EventFormatError('message body is not JSON');
  }
  const message = object(parsed, 'message body');
  if (message.Event === 's3:TestEvent') return { kind: 'test-event', bucket: String(message.Bucket ?? '') };
  if (isContinuation(message)) {
    try {
      return { kind: 'files', tasks: [parseContinuation(message)], ignored: [] };
    } catch (error) {
      if (error instanceof ContinuationFormatError) throw new EventFormatError(error.message);
      throw error;
    }
  }
  if (!Array.isArray(message.Records) || message.Records.length === 0) {
    throw new EventFormatError('message body is neither an S3 event notification (Records), an s3:TestEvent nor a continuation');
  }
  const tasks: FileTask[] = [];
  const ignored: string[] = [];
  message.Records.forEach((raw, i) => {
    const result = parseRecord(raw, `Records[${i}]`);
    if (typeof result === 'string') ignored.push(result);
    else tasks.push(result);
  });
  return { kind: 'files', tasks, ignored };
}
