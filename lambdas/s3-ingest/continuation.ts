/**
 * A file that could not be finished in one invocation (rate limit, Lambda time) is continued
 * by a message to the function's own queue: which object version, and where to pick up.
 * The record index makes the continuation exact (nothing skipped, nothing sent twice beyond
 * idempotent replays); the byte position lets an uncompressed object be read from there.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { FileTask } from './file-task';
import { ResumePoint, SplitMode } from './json-splitter';

export const CONTINUATION_TYPE = 'certyo.s3-ingest.continuation';

/** SQS's longest `DelaySeconds`. */
export const MAX_DELAY_SECONDS = 900;

export interface ContinuationMessage extends FileTask {
  readonly type: typeof CONTINUATION_TYPE;
}

export interface ContinuationQueue {
  enqueue(task: FileTask, delaySeconds: number): Promise<void>;
}

export class ContinuationFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContinuationFormatError';
  }
}

/**
 * How long to delay a continuation that may run from `retryAt`: the whole wait when SQS can
 * hold it, else SQS's maximum with `notBefore` set, and the next invocation waits again.
 */
export function scheduleContinuation(task: FileTask, retryAt: Date | undefined, now: number): { task: FileTask; delaySeconds: number } {
  const waitSeconds = retryAt ? Math.max(0, Math.ceil((retryAt.getTime() - now) / 1000)) : 0;
  if (waitSeconds <= MAX_DELAY_SECONDS) {
    const { notBefore: _done, ...rest } = task;
    return { task: rest, delaySeconds: waitSeconds };
  }
  return { task: { ...task, notBefore: (retryAt as Date).toISOString() }, delaySeconds: MAX_DELAY_SECONDS };
}

export function isContinuation(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { type?: unknown }).type === CONTINUATION_TYPE;
}

const MODES: readonly SplitMode[] = ['array', 'lines', 'document'];

function field<T>(body: Record<string, unknown>, name: string, check: (v: unknown) => v is T, expected: string): T {
  const value = body[name];
  if (!check(value)) throw new ContinuationFormatError(`continuation message: ${name} must be ${expected}, got ${JSON.stringify(value)}`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';
const isOptionalString = (v: unknown): v is string | undefined => v === undefined || isString(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isLine = (v: unknown): v is number => isCount(v) && v >= 1;
const isMode = (v: unknown): v is SplitMode => MODES.includes(v as SplitMode);

function parseResume(raw: unknown): ResumePoint | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null) throw new ContinuationFormatError('continuation message: resume must be an object');
  const body = raw as Record<string, unknown>;
  return {
    mode: field(body, 'mode', isMode, `one of ${MODES.join(', ')}`),
    offset: field(body, 'offset', isCount, 'a byte offset'),
    index: field(body, 'index', isCount, 'a record index'),
    line: field(body, 'line', isLine, 'a line number'),
  };
}

/** Validates a continuation read back from the queue; errors name the field. */
export function parseContinuation(raw: unknown): FileTask {
  const body = raw as Record<string, unknown>;
  const task: FileTask = {
    bucket: field(body, 'bucket', isString, 'a bucket name'),
    key: field(body, 'key', isString, 'an object key'),
    versionId: field(body, 'versionId', isOptionalString, 'a version id'),
    etag: field(body, 'etag', isOptionalString, 'an ETag'),
    eventTime: field(body, 'eventTime', isString, 'an ISO timestamp'),
    nextIndex: field(body, 'nextIndex', isCount, 'a record index'),
    resume: parseResume(body.resume),
    notBefore: field(body, 'notBefore', isOptionalString, 'an ISO timestamp'),
  };
  if (task.versionId === undefined && task.etag === undefined) throw new ContinuationFormatError('continuation message: needs a versionId or an etag');
  if (task.resume && task.resume.index !== task.nextIndex) {
    throw new ContinuationFormatError(`continuation message: resume.index ${task.resume.index} differs from nextIndex ${task.nextIndex}`);
  }
  return task;
}

export function continuationBody(task: FileTask): string {
  const message: ContinuationMessage = { type: CONTINUATION_TYPE, ...task };
  return JSON.stringify(message);
}

/** Sends continuations to the function's own queue (the only queue it may send to besides the dead letters). */
export function sqsContinuationQueue(queueUrl: string, sqs: SQSClient): ContinuationQueue {
  return {
    async enqueue(task, delaySeconds) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: continuationBody(task), DelaySeconds: delaySeconds }));
    },
  };
}
