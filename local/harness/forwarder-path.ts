/**
 * Runs the batched mode offline: events the bus's buffer rule matches (from the synthesized
 * template) are put on an in-memory copy of the buffer queue as EventBridge's SQS target does
 * (the whole event as the message body), and the real `forwardBatch` of `lambdas/forwarder`
 * drains it `batchSize` messages per invocation, with visibility changes and redeliveries as
 * SQS would apply them. Events are produced lazily, so a million-event run never holds more
 * than one batch of them.
 */
import { CertyoApi, IngestManyOutcome, RateLimitedError } from '../../lambdas/shared/certyo-types';
import { noVerification, VerificationStarter } from '../../lambdas/shared/verification-starter';
import { carryPolicy, forwardBatch, ForwarderReporter, LAMBDA_PAYLOAD_BYTES } from '../../lambdas/forwarder/forward-batch';
import { EventRoutes, matchingRoutes } from './event-routes';
import { MemoryDeadLetters, MemoryQueue } from './memory-queue';
import { RecordingLog } from './recording-log';

export interface ForwarderPathOptions {
  readonly routes: EventRoutes;
  readonly certyo: CertyoApi;
  readonly tenantId: string;
  /** Messages per invocation (`certyo:batched.batchSize`), within Lambda's 6 MB payload. @default 10_000 */
  readonly batchSize?: number;
  /** The forwarder's carry policy's age limit (`certyo:batched.batchWindowSeconds`); 0 never carries. @default 60 */
  readonly batchWindowSeconds?: number;
  /** @default 60_000 */
  readonly invocationMs?: number;
  /** @default noVerification */
  readonly verification?: VerificationStarter;
  readonly reporter?: ForwarderReporter;
  readonly afterInvocation?: () => void;
  /** End the run after the first invocation Certyo rate-limited (the budget-per-window figure). @default false */
  readonly stopOnRateLimit?: boolean;
  /** @default 10_000 */
  readonly maxInvocations?: number;
}

export interface ForwarderPathRun {
  readonly events: number;
  /** Events no rule sent to the buffer. */
  readonly unrouted: number;
  readonly invocations: number;
  readonly handlerMs: number;
  readonly rejected: MemoryDeadLetters;
  readonly queue: MemoryQueue;
  readonly log: RecordingLog;
  readonly rateLimited: boolean;
  /** `ChangeMessageVisibilityBatch` calls the forwarder made (10 messages each), and the messages they changed. */
  readonly visibility: { readonly calls: number; readonly messages: number };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `events` are event objects, or event JSON texts (kept byte for byte as the message body). */
export async function runForwarderPath(events: Iterable<unknown>, options: ForwarderPathOptions): Promise<ForwarderPathRun> {
  const queue = new MemoryQueue('ForwardingBuffer', { maxReceiveCount: 100, visibilityTimeoutMs: 1000 });
  const rejected = new MemoryDeadLetters();
  const log = new RecordingLog();
  const batchSize = options.batchSize ?? 10_000;
  const carry = carryPolicy(batchSize, options.batchWindowSeconds ?? 60);
  const source = events[Symbol.iterator]();
  let exhausted = false;
  let produced = 0;
  let unrouted = 0;
  let invocations = 0;
  let handlerMs = 0;
  let rateLimited = false;
  const visibility = { calls: 0, messages: 0 };

  /** Puts events on the buffer until a batch is waiting (what EventBridge delivers meanwhile). */
  const produce = (): void => {
    while (!exhausted && queue.size < batchSize) {
      const next = source.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      produced++;
      // Raw JSON text is delivered verbatim (EventBridge passes the event's digits through).
      const body = typeof next.value === 'string' ? next.value : JSON.stringify(next.value);
      if (matchingRoutes(options.routes.buffer, JSON.parse(body), (p) => p).length > 0) queue.send(body);
      else unrouted++;
    }
  };

  const reporter: ForwarderReporter = {
    ingested: (outcome: IngestManyOutcome) => {
      if (outcome.stoppedBy instanceof RateLimitedError) rateLimited = true;
      options.reporter?.ingested(outcome);
    },
    invalid: (count) => options.reporter?.invalid(count),
  };

  for (produce(); queue.size > 0; produce()) {
    const records = queue.receive(batchSize, LAMBDA_PAYLOAD_BYTES);
    if (records.length === 0) {
      await sleep(Math.max(1, (queue.nextVisibleAt() ?? Date.now()) - Date.now()));
      continue;
    }
    if (++invocations > (options.maxInvocations ?? 10_000)) throw new Error(`runForwarderPath: more than ${options.maxInvocations ?? 10_000} invocations`);
    const started = Date.now();
    let response;
    try {
      response = await forwardBatch(records, {
        certyo: options.certyo,
        deadLetters: rejected,
        visibility: {
          postpone: async (messages, seconds) => {
            visibility.calls += Math.ceil(messages.length / 10);
            visibility.messages += messages.length;
            messages.forEach((m) => queue.changeVisibility(m.messageId, seconds));
          },
        },
        verification: options.verification ?? noVerification,
        tenantId: options.tenantId,
        deadline: started + (options.invocationMs ?? 60_000),
        now: Date.now,
        log,
        reporter,
        carry,
      });
    } catch (error) {
      response = error instanceof Error ? error : new Error(String(error));
    }
    options.afterInvocation?.();
    handlerMs += Date.now() - started;
    queue.settle(records, response);
    if (rateLimited && options.stopOnRateLimit) break;
  }
  return { events: produced, unrouted, invocations, handlerMs, rejected, queue, log, rateLimited, visibility };
}
