/**
 * One invocation: the SQS messages of the ingest queue, file by file. A message fails (and SQS
 * redelivers it, then dead-letters it) only for an unexpected error; bad messages are
 * dead-lettered with their reason at once, and files that cannot finish are continued.
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { Log } from '../shared/observability';
import { ContinuationQueue, scheduleContinuation } from './continuation';
import { FileIngestDeps, FileResult, ingestFile } from './file-ingest';
import { describeFile, FileTask } from './file-task';
import { EventFormatError, parseQueueMessage, QueueMessage } from './s3-event';
import { errorText } from '../shared/error-text';

export interface BatchDeps extends FileIngestDeps {
  readonly continuations: ContinuationQueue;
  readonly log: Log;
}

/** Why later files of this invocation are deferred without being read. */
interface Hold {
  readonly retryAt?: Date;
  readonly cause: string;
}

export async function processQueueBatch(records: readonly SQSRecord[], deps: BatchDeps): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchItemFailure[] = [];
  let hold: Hold | undefined;

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

  const runTask = async (task: FileTask): Promise<void> => {
    const notBefore = task.notBefore ? new Date(task.notBefore) : undefined;
    if (notBefore && notBefore.getTime() > deps.now()) return defer(task, notBefore, 'still waiting for the rate limit to reset');
    if (hold || deps.now() >= deps.deadline) {
      return defer(task, hold?.retryAt, hold ? `deferred: ${hold.cause}` : 'Lambda time ran out');
    }
    const started = deps.now();
    const result: FileResult = await ingestFile(task, deps);
    const summary = { ...result.summary, status: result.status, durationMs: deps.now() - started };
    if (result.status === 'paused') {
      hold = { retryAt: result.retryAt, cause: result.cause };
      await defer(result.continueFrom, result.retryAt, result.cause, { summary });
    } else if (result.status === 'complete') {
      deps.log.info('file ingested', { summary });
    } else {
      deps.log.warn(result.status === 'gone' ? 'file skipped' : 'file dead-lettered', { summary, reason: result.reason });
    }
  };

  const runMessage = async (record: SQSRecord): Promise<void> => {
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
    for (const task of message.tasks) await runTask(task);
  };

  for (const record of records) {
    try {
      await runMessage(record);
    } catch (error) {
      deps.log.error('message failed; SQS will redeliver it', { messageId: record.messageId, error: errorText(error) });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
