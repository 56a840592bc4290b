/**
 * The redrive itself: list a dead-letter queue's messages grouped by error, then send them back
 * where they came from, deleting each one only after it was republished.
 *
 * - No source queue (an EventBridge target's DLQ, the invalid-events queue, the forwarder's
 *   rejected events): `PutEvents` of the original event. The rules route it again, as new.
 * - A queue's redrive DLQ: `StartMessageMoveTask` (SQS returns every message to its own source
 *   queue), or, with `--max`, receive / send / delete to the single source queue, since a move
 *   task cannot be limited to N messages.
 *
 * Listing receives messages, which hides them for the visibility timeout; every message that is
 * not republished (dry run, failure, not an event) is made visible again before returning.
 */
import { PutEventsCommand, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { RedriveArgs } from './args';
import { packEntries, toPutEventsEntry } from './event-entry';
import { Progress } from './progress';
import { errorText } from '../../lambdas/shared/error-text';

export interface AwsClient {
  send(command: object): Promise<unknown>;
}

export interface RedriveDeps {
  readonly sqs: AwsClient;
  readonly events: AwsClient;
  readonly progress: Progress;
  readonly sleep: (ms: number) => Promise<void>;
}

export type RedriveMode = 'put-events' | 'move-task' | 'resend';

export interface MessageProblem {
  readonly messageId: string;
  readonly reason: string;
}

export interface RedriveSummary {
  readonly queueUrl: string;
  readonly mode: RedriveMode;
  /** Where messages go: bus names, or the source queue URL(s). */
  readonly destinations: readonly string[];
  readonly dryRun: boolean;
  /** Messages listed, by error (`ERROR_CODE: ERROR_MESSAGE`), most frequent first. */
  readonly groups: readonly { readonly error: string; readonly count: number }[];
  readonly listed: number;
  readonly republished: number;
  /** Could not be republished; still in the queue. */
  readonly failed: readonly MessageProblem[];
  /** Cannot be republished as they are (not an event); still in the queue. */
  readonly skipped: readonly MessageProblem[];
}

/** How long a listed message stays hidden while this run works on it. */
const VISIBILITY_SECONDS = 300;
const MOVE_TASK_POLL_MS = 2_000;

const chunks = <T>(items: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

function errorOf(message: Message, fromSourceQueue: boolean): string {
  const code = message.MessageAttributes?.ERROR_CODE?.StringValue;
  const text = message.MessageAttributes?.ERROR_MESSAGE?.StringValue;
  if (code || text) return `${code ?? 'ERROR'}: ${text ?? '(no message)'}`;
  return fromSourceQueue ? 'no error attributes: received maxReceiveCount times from the source queue (see its consumer’s logs)' : 'no error attributes';
}

async function resolveQueueUrl(queue: string, sqs: AwsClient): Promise<string> {
  if (/^https?:\/\//.test(queue)) return queue;
  const out = (await sqs.send(new GetQueueUrlCommand({ QueueName: queue }))) as { QueueUrl?: string };
  if (!out.QueueUrl) throw new Error(`queue ${queue} not found`);
  return out.QueueUrl;
}

export async function runRedrive(args: RedriveArgs, deps: RedriveDeps): Promise<RedriveSummary> {
  const { sqs } = deps;
  const queueUrl = await resolveQueueUrl(args.queue, sqs);
  const attributes = (
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'] }))) as {
      Attributes?: Record<string, string>;
    }
  ).Attributes;
  const queueArn = attributes?.QueueArn;
  const sources = ((await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: queueUrl }))) as { queueUrls?: string[] }).queueUrls ?? [];
  const mode: RedriveMode = sources.length === 0 ? 'put-events' : args.max === undefined ? 'move-task' : 'resend';
  if (mode === 'resend' && sources.length > 1 && !args.dryRun) {
    throw new Error(`${queueUrl} is the dead-letter queue of ${sources.length} queues and a message does not say which; redrive without --max (StartMessageMoveTask returns each message to its own source)`);
  }
  const waiting = Number(attributes?.ApproximateNumberOfMessages ?? 0);
  const total = args.max === undefined ? waiting : Math.min(waiting, args.max);

  const groups = new Map<string, number>();
  const failed: MessageProblem[] = [];
  const skipped: MessageProblem[] = [];
  const release: Message[] = [];
  const buses = new Set<string>();
  let listed = 0;
  let republished = 0;

  const remove = async (messages: readonly Message[]): Promise<void> => {
    for (const batch of chunks(messages, 10)) {
      const out = (await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }),
      )) as { Failed?: { Id?: string; Code?: string }[] };
      for (const f of out.Failed ?? []) {
        failed.push({ messageId: batch[Number(f.Id)]?.MessageId ?? '?', reason: `republished, but not deleted (${f.Code ?? 'error'}): it will be republished again next time` });
      }
    }
  };

  const putEvents = async (messages: readonly Message[]): Promise<void> => {
    const items: { message: Message; entry: PutEventsRequestEntry }[] = [];
    for (const message of messages) {
      const result = toPutEventsEntry(message, args.bus);
      if (result.ok) items.push({ message, entry: result.entry });
      else {
        skipped.push({ messageId: message.MessageId ?? '?', reason: result.reason });
        release.push(message);
      }
    }
    for (const batch of packEntries(items)) {
      const done: Message[] = [];
      try {
        const out = (await deps.events.send(new PutEventsCommand({ Entries: batch.map((b) => b.entry) }))) as { Entries?: { ErrorCode?: string; ErrorMessage?: string }[] };
        batch.forEach((item, i) => {
          const result = out.Entries?.[i];
          if (result?.ErrorCode) {
            failed.push({ messageId: item.message.MessageId ?? '?', reason: `PutEvents: ${result.ErrorCode} ${result.ErrorMessage ?? ''}`.trim() });
            release.push(item.message);
          } else {
            done.push(item.message);
            buses.add(item.entry.EventBusName ?? 'default');
          }
        });
      } catch (error) {
        for (const item of batch) failed.push({ messageId: item.message.MessageId ?? '?', reason: `PutEvents: ${errorText(error)}` });
        release.push(...batch.map((b) => b.message));
      }
      republished += done.length;
      await remove(done);
    }
  };

  const resend = async (messages: readonly Message[]): Promise<void> => {
    const source = sources[0] as string;
    for (const batch of chunks(messages, 10)) {
      const out = (await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: source,
          Entries: batch.map((m, i) => ({ Id: String(i), MessageBody: m.Body ?? '', ...(m.MessageAttributes ? { MessageAttributes: m.MessageAttributes } : {}) })),
        }),
      )) as { Failed?: { Id?: string; Code?: string; Message?: string }[] };
      const failedIds = new Set((out.Failed ?? []).map((f) => f.Id));
      for (const f of out.Failed ?? []) failed.push({ messageId: batch[Number(f.Id)]?.MessageId ?? '?', reason: `SendMessage: ${f.Code ?? 'error'} ${f.Message ?? ''}`.trim() });
      release.push(...batch.filter((_, i) => failedIds.has(String(i))));
      const sent = batch.filter((_, i) => !failedIds.has(String(i)));
      republished += sent.length;
      await remove(sent);
    }
  };

  while (args.max === undefined || listed < args.max) {
    const wanted = Math.min(10, args.max === undefined ? 10 : args.max - listed);
    const out = (await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: wanted,
        // Long polling asks every SQS server, so an empty answer means the queue is drained.
        WaitTimeSeconds: 2,
        VisibilityTimeout: VISIBILITY_SECONDS,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    )) as { Messages?: Message[] };
    const messages = out.Messages ?? [];
    if (messages.length === 0) break;
    listed += messages.length;
    for (const m of messages) groups.set(errorOf(m, sources.length > 0), (groups.get(errorOf(m, sources.length > 0)) ?? 0) + 1);
    if (args.dryRun || mode === 'move-task') release.push(...messages);
    else if (mode === 'put-events') await putEvents(messages);
    else await resend(messages);
    deps.progress.update(args.dryRun ? listed : republished, Math.max(total, listed));
  }

  for (const batch of chunks(release, 10)) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })) }),
    );
  }

  if (mode === 'move-task' && !args.dryRun && listed > 0) {
    const moved = await moveBack(queueArn, listed, deps);
    republished += moved.moved;
    if (moved.failure) failed.push({ messageId: '(move task)', reason: moved.failure });
  }
  deps.progress.finish(args.dryRun ? listed : republished, Math.max(total, listed));

  return {
    queueUrl,
    mode,
    destinations: mode === 'put-events' ? [...buses].sort() : sources,
    dryRun: args.dryRun,
    groups: [...groups.entries()].map(([error, count]) => ({ error, count })).sort((a, b) => b.count - a.count || a.error.localeCompare(b.error)),
    listed,
    republished,
    failed,
    skipped,
  };
}

interface MoveTask {
  Status?: string;
  ApproximateNumberOfMessagesMoved?: number;
  ApproximateNumberOfMessagesToMove?: number;
  FailureReason?: string;
}

/** Starts the move task and follows it to its end. */
async function moveBack(queueArn: string | undefined, expected: number, deps: RedriveDeps): Promise<{ moved: number; failure?: string }> {
  if (!queueArn) throw new Error('GetQueueAttributes returned no QueueArn');
  await deps.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: queueArn }));
  for (;;) {
    await deps.sleep(MOVE_TASK_POLL_MS);
    const out = (await deps.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: queueArn, MaxResults: 1 }))) as { Results?: MoveTask[] };
    const task = out.Results?.[0];
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    deps.progress.update(moved, task?.ApproximateNumberOfMessagesToMove ?? expected);
    if (task?.Status === 'COMPLETED') return { moved };
    if (task?.Status === 'FAILED' || task?.Status === 'CANCELLED') {
      return { moved, failure: `StartMessageMoveTask ${task.Status.toLowerCase()}${task.FailureReason ? `: ${task.FailureReason}` : ''}` };
    }
  }
}
