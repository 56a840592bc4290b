/**
 * One invocation: the SQS messages of the ingest queue. Their files are read one after another
 * into shared bulk requests (`SharedBatches`), so small files fill requests together; each file's
 * outcome is booked once the last request carrying its records has landed. A message fails (and
 * SQS redelivers it, then dead-letters it) only for an unexpected error in one of its files;
 * bad messages are dead-lettered with their reason at once, and files that cannot finish are
 * continued.
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { Log } from '../shared/observability';
import { ContinuationQueue, scheduleContinuation } from './continuation';
import { FileIngestDeps, FileResult, ReadFile, readFile, SharedBatches } from './file-ingest';
import { describeFile, FileTask } from './file-task';
import { EventFormatError, parseQueueMessage, QueueMessage } from './s3-event';
import { errorText } from '../shared/error-text';

export interface BatchDeps extends FileIngestDeps {
  readonly continuations: ContinuationQueue;
  readonly log: Log;
}

interface MessageWork {
  readonly record: SQSRecord;
  readonly files: { readonly read: ReadFile; readonly started: number }[];
  failure?: unknown;
}

export async function processQueueBatch(records: readonly SQSRecord[], deps: BatchDeps): Promise<SQSBatchResponse> {
  const batches = new SharedBatches(deps);

  const defer = async (task: FileTask, retryAt: Date | undefined, cause: string, extra: Record<string, unknown> = {}): Promise<void> => {
    const scheduled = scheduleContinuation(task, retryAt, deps.now());
    await deps.continuations.enqueue(scheduled.task, scheduled.delaySeconds);
    deps.log.info('file continues later', {
      file: describeFile(task),
      nextIndex: task.nextIndex,
      cause,
      delaySeconds: scheduled.delaySeconds,
      notBefore: scheduled.task.notBefore,
      ...extra,
    });
  };

  /** Reads a file into the shared requests, or defers it without reading when it cannot progress now. */
  const startTask = async (task: FileTask, work: MessageWork): Promise<void> => {
    const notBefore = task.notBefore ? new Date(task.notBefore) : undefined;
    if (notBefore && notBefore.getTime() > deps.now()) return defer(task, notBefore, 'still waiting for the rate limit to reset');
    const hold = batches.stopped;
    if (hold || deps.now() >= deps.deadline) {
      return defer(task, hold?.retryAt, hold ? `deferred: ${hold.cause}` : 'Lambda time ran out');
    }
    const started = deps.now();
    work.files.push({ read: await readFile(task, deps, batches), started });
  };

  const startMessage = async (work: MessageWork): Promise<void> => {
    const { record } = work;
    let message: QueueMessage;
    try {
      message = parseQueueMessage(record.body);
    } catch (error) {
      if (!(error instanceof EventFormatError)) throw error;
      // A message that cannot be understood never will be: dead-letter it now, with the reason.
      await deps.deadLetters.send([{ body: record.body, reason: error.message, source: `sqs message ${record.messageId}` }]);
      deps.log.warn('message dead-lettered', { messageId: record.messageId, reason: error.message });
      return;
    }
    if (message.kind === 'test-event') {
      deps.log.info('s3:TestEvent received: notifications are configured', { bucket: message.bucket });
      return;
    }
    for (const reason of message.ignored) deps.log.info('event ignored', { messageId: record.messageId, reason });
    for (const task of message.tasks) {
      await startTask(task, work);
      // The redelivered message starts its other files again.
      if (work.files.some((f) => f.read.failure)) return;
    }
  };

  /** Books each file of a message; the first failure fails the message. */
  const settleMessage = async (work: MessageWork): Promise<void> => {
    // Nothing of a failed message is booked: its redelivery starts all its files again.
    const failed = work.files.find((f) => f.read.failure)?.read.failure;
    if (failed) throw failed.error;
    for (const { read, started } of work.files) {
      const result: FileResult = await read.result();
      const summary = { ...result.summary, status: result.status, durationMs: deps.now() - started };
      if (result.status === 'paused') {
        await defer(result.continueFrom, result.retryAt, result.cause, { summary });
      } else if (result.status === 'complete') {
        deps.log.info('file ingested', { summary });
      } else {
        deps.log.warn(result.status === 'gone' ? 'file skipped' : 'file dead-lettered', { summary, reason: result.reason });
      }
    }
  };

  const messages: MessageWork[] = records.map((record) => ({ record, files: [] }));
  for (const work of messages) {
    try {
      await startMessage(work);
    } catch (error) {
      work.failure = error;
    }
  }
  await batches.finish();

  const batchItemFailures: SQSBatchItemFailure[] = [];
  for (const work of messages) {
    try {
      if (work.failure !== undefined) throw work.failure;
      await settleMessage(work);
    } catch (error) {
      deps.log.error('message failed; SQS will redeliver it', { messageId: work.record.messageId, error: errorText(error) });
      batchItemFailures.push({ itemIdentifier: work.record.messageId });
    }
  }
  return { batchItemFailures };
}
