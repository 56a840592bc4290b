/**
 * `waiting`: what waiting out Certyo's rate limit costs, per path.
 *
 * - Batched mode, measured: a backlog larger than one window's budget drains through the real
 *   forwarder and the sandbox's rate limit (an hour compressed to seconds). Unsent events are
 *   postponed until `Retry-After` with `ChangeMessageVisibilityBatch` (10 a call, calls in
 *   parallel), received again, and sent; the figure counts those calls, the receives, the
 *   invocations and their time, per record stored, next to an unthrottled run of the same events.
 * - DynamoDB, from the deployed template: a rate-limited shard holds its invocation until the
 *   window resets or the timeout's deadline (`lambdas/ddb-ingest/process-stream.ts`: the stream
 *   redelivers a failed batch at once and its retries are bounded), so each rate-limited hour
 *   bills about an hour of that function's memory per shard.
 * - S3: a paused file waits as a delayed continuation message (up to 15 minutes each): no billed
 *   time, four SendMessage/ReceiveMessage pairs per file-hour.
 */
import { staticApiKey } from '../lambdas/shared/api-key';
import { createCertyoClient } from '../lambdas/shared/certyo-client';
import { eventRoutes } from '../local/harness/event-routes';
import { runForwarderPath } from '../local/harness/forwarder-path';
import { recordEvents } from '../local/harness/record-events';
import { CfnTemplate, lambdaMemoryMb, projectConfig, resourcesOfType, synthesizeTemplates } from '../local/harness/synthesized';
import { startSandbox } from '../local/sandbox';
import { emptyUsage, Usage } from './cost-model';

export interface ForwarderDrain {
  readonly records: number;
  readonly invocations: number;
  readonly handlerMs: number;
  readonly receives: number;
  readonly visibilityCalls: number;
  readonly visibilityChangesPerRecord: number;
}

export interface WaitingFigure {
  /** The forwarder draining a backlog of `records` through `windows` rate-limit windows, and unthrottled. */
  readonly batched: { readonly windows: number; readonly throttled: ForwarderDrain; readonly unthrottled: ForwarderDrain; readonly throttledUsage: Usage };
  /** One DynamoDB shard rate-limited for an hour, from the deployed timeout and memory. */
  readonly dynamodbShardHour: { readonly invocations: number; readonly billedSeconds: number; readonly memoryMb: number; readonly usage: Usage };
  /** One S3 file paused for an hour: delayed continuation messages. */
  readonly s3FileHour: { readonly sqsRequests: number };
  readonly notes: readonly string[];
}

export interface WaitingOptions {
  /** @default 10_000 */
  readonly records?: number;
  /** Bulk requests per compressed window. @default 3 */
  readonly requestsPerWindow?: number;
  /** Longer than an invocation's 5 s, so unsent events are postponed rather than waited for inside it. @default 8_000 */
  readonly windowMs?: number;
  readonly log?: (line: string) => void;
}

const TENANT = 'bench';
const SQS_MAX_DELAY_SECONDS = 900;
/** The ddb-ingest handler's safety margin (`lambdas/ddb-ingest/handler.ts`). */
const DDB_SAFETY_SECONDS = 20;

async function drain(records: number, rateLimit: number, windowMs: number, templates: Record<string, CfnTemplate>): Promise<ForwarderDrain> {
  const config = projectConfig({ 'certyo:forwardingMode': 'batched' });
  const sandbox = await startSandbox({ rateLimit, rateWindowMs: windowMs, flushMs: 3_600_000, anchorDelayMs: 3_600_000 });
  try {
    const certyo = createCertyoClient({ apiUrl: sandbox.url, apiKey: staticApiKey(sandbox.apiKey), maxAttempts: 1 });
    const run = await runForwarderPath(recordEvents({ events: records, idPrefix: 'wait' }), {
      routes: eventRoutes(templates),
      certyo,
      tenantId: TENANT,
      batchSize: config.forwarding.batchSize,
      batchWindowSeconds: config.forwarding.batchWindowSeconds,
      invocationMs: 5_000,
    });
    const stored = sandbox.stats().recordsStored;
    if (stored !== records) throw new Error(`waiting bench: ${stored} of ${records} records stored`);
    return {
      records,
      invocations: run.invocations,
      handlerMs: run.handlerMs,
      receives: run.queue.requests.receive,
      visibilityCalls: run.visibility.calls,
      visibilityChangesPerRecord: Math.round((run.visibility.messages / records) * 100) / 100,
    };
  } finally {
    await sandbox.close();
  }
}

function functionProperties(templates: Record<string, CfnTemplate>, name: string): { timeout: number; memoryMb: number } {
  const fn = resourcesOfType(templates, 'AWS::Lambda::Function').find((f) => (f.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.POWERTOOLS_SERVICE_NAME === name);
  if (!fn) throw new Error(`waiting bench: no ${name} function in the synthesized templates`);
  return { timeout: Number(fn.Properties?.Timeout ?? 3), memoryMb: lambdaMemoryMb(templates)[name] ?? 128 };
}

export async function measureWaiting(options: WaitingOptions = {}): Promise<WaitingFigure> {
  const { records = 10_000, requestsPerWindow = 3, windowMs = 8_000, log = () => undefined } = options;
  const batchedTemplates = synthesizeTemplates({ 'certyo:forwardingMode': 'batched' });
  const throttled = await drain(records, requestsPerWindow, windowMs, batchedTemplates);
  const unthrottled = await drain(records, 1_000_000_000, windowMs, batchedTemplates);
  const windows = Math.ceil(records / 1000 / requestsPerWindow);
  log(`waiting batched: ${records} events over ${windows} windows: ${throttled.visibilityCalls} visibility calls (${throttled.visibilityChangesPerRecord} changes/record), ${throttled.invocations} invocations, ${throttled.handlerMs} ms`);
  const forwarderMemory = functionProperties(batchedTemplates, 'forwarder').memoryMb;
  const throttledUsage: Usage = {
    ...emptyUsage(records, forwarderMemory),
    lambdaInvocations: throttled.invocations,
    lambdaMs: throttled.handlerMs,
    // Each event: SendMessage once; its receives and deletes in 10s; the visibility calls.
    sqsRequests: records + throttled.receives + Math.ceil(records / 10) + throttled.visibilityCalls,
  };

  const ddb = functionProperties(synthesizeTemplates(), 'ddb-ingest');
  const held = ddb.timeout - DDB_SAFETY_SECONDS;
  const invocations = Math.ceil(3600 / held);
  const dynamodbShardHour = {
    invocations,
    billedSeconds: invocations * held,
    memoryMb: ddb.memoryMb,
    usage: { ...emptyUsage(1, ddb.memoryMb), lambdaInvocations: invocations, lambdaMs: invocations * held * 1000 },
  };
  return {
    batched: { windows, throttled, unthrottled, throttledUsage },
    dynamodbShardHour,
    s3FileHour: { sqsRequests: 2 * Math.ceil(3600 / SQS_MAX_DELAY_SECONDS) },
    notes: [
      `batched: ${records} events, ${requestsPerWindow} bulk requests per ${windowMs / 1000} s window (an hour compressed), the deployed batch size; the unthrottled run is the same events without a limit`,
      `dynamodb: a rate-limited invocation holds until the reset or its deadline (timeout ${ddb.timeout} s minus ${DDB_SAFETY_SECONDS} s), ${ddb.memoryMb} MB as deployed`,
      `s3: a paused file is a continuation delayed up to ${SQS_MAX_DELAY_SECONDS} s, then re-delayed; no Lambda runs while it waits`,
    ],
  };
}
