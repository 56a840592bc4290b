/**
 * Runs the REAL `statemachines/verify-record.asl.json` in aws-local-stepfunctions, with its two
 * kinds of Task handled locally the way Step Functions would:
 * - `arn:aws:states:::http:invoke`: a real HTTP request to `ApiEndpoint` (the local Certyo
 *   sandbox, or a scripted responder), the Connection's API key added as `X-API-Key`, and a
 *   non-2xx answer turned into the error `States.Http.StatusCode.<code>`, as the HTTP Task does.
 * - `arn:aws:states:::sns:publish`: captured as an SNS topic would receive it (Message
 *   serialized to a string, message attributes checked), so tests read what subscribers get.
 * - `arn:aws:states:::dynamodb:updateItem`: checked as DynamoDB checks an expression (every
 *   `#name` and `:value` defined and used), recorded, then answered by `updateItem` (a test's
 *   table); an error it throws becomes `DynamoDB.<name>`, as the service integration names it.
 * - `arn:aws:states:::aws-sdk:cloudwatch:putMetricData`: recorded as `metrics`.
 * Time is virtual: each Wait state becomes a local task that moves `clock` on by the seconds
 * the Wait would have waited, at once, so a test (and the sandbox, given the same clock) sees
 * hours pass in milliseconds.
 */
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { DEFAULT_POLL_INTERVAL_SECONDS, renderVerifyRecordDefinition, VerifyRecordSubstitutions } from '../../lib/constructs/verify-record-workflow';
import type { CertyoConfig } from '../../lib/config';
import { projectConfig } from './synthesized';

/** The library does not export its event types; derive them from `run()`. */
export type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type RetryData = Extract<EventLog, { type: 'StateRetried' }>['retry'];

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22+); the toolchain runs on Node 20.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export const CONNECTION_ARN = 'arn:aws:events:eu-west-1:123456789012:connection/CertyoConnection/0b1c2d3e';
export const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:CertyoNotifications';

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

export interface HttpResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export type HttpResponder = (request: HttpRequest) => Promise<HttpResponse>;

/** A responder that sends the request over real HTTP (e.g. to the sandbox). */
export const realHttp: HttpResponder = async (request) => {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
  });
  const text = await response.text();
  const isJson = (response.headers.get('content-type') ?? '').includes('application/json');
  return { status: response.status, body: isJson && text !== '' ? (JSON.parse(text) as unknown) : text, headers: Object.fromEntries(response.headers) };
};

export interface Notification {
  readonly message: Record<string, unknown>;
  readonly attributes: Record<string, { DataType: string; StringValue: string }>;
}

/** The parameters of the workflow's `dynamodb:updateItem` task (JSON AttributeValues). */
export interface UpdateItemRequest {
  readonly TableName: string;
  readonly Key: Record<string, unknown>;
  readonly UpdateExpression: string;
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
}

/** Resolves when the item was updated; throws e.g. an error named `ConditionalCheckFailedException`. */
export type UpdateItemResponder = (request: UpdateItemRequest) => Promise<void>;

/** A clock a test moves by hand; the sandbox takes `now` as its `clock` option. */
export interface VirtualClock {
  now(): number;
  advance(ms: number): void;
}

export function virtualClock(start = Date.parse('2026-04-13T12:00:00Z')): VirtualClock {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      if (!(ms >= 0)) throw new Error(`virtual clock: cannot advance by ${ms} ms`);
      time += ms;
    },
  };
}

/** One `putMetricData` datum, dimensions as a name → value map. */
export interface MetricDatum {
  readonly name: string;
  readonly dimensions: Record<string, string>;
  readonly value: number;
}

export interface WorkflowRun {
  /** Undefined when the execution ended in a Fail state. */
  readonly output: unknown;
  /** The Fail state's Error and Cause, as Step Functions reports an ExecutionFailed. */
  readonly failure?: { readonly error: string; readonly cause: string };
  readonly notifications: readonly Notification[];
  /** `dynamodb:updateItem` calls, retries included, in the order made. */
  readonly updates: readonly UpdateItemRequest[];
  readonly calls: readonly HttpRequest[];
  readonly metrics: readonly MetricDatum[];
  /** Virtual seconds the execution spent in Wait states. */
  readonly waitedSeconds: number;
  readonly events: readonly EventLog[];
  /** Retries per state, with the retrier that matched. */
  readonly retries: readonly { state: string; retry: RetryData }[];
}

export interface RunOptions {
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly http?: HttpResponder;
  /** Called after every HTTP call with its 0-based index, so a test can move the sandbox on. */
  readonly afterCall?: (index: number, request: HttpRequest, response: HttpResponse) => void | Promise<void>;
  readonly waitSeconds?: number;
  readonly maxAttempts?: number;
  readonly pollIntervalSeconds?: number;
  readonly horizonSeconds?: number;
  readonly tenantId?: string;
  /** Advanced by every Wait; share it with the sandbox (`clock: clock.now`). @default a private one */
  readonly clock?: VirtualClock;
  /** The DynamoDB table(s) the write-back updates. @default every update succeeds */
  readonly updateItem?: UpdateItemResponder;
  /**
   * `$$.State.EnteredTime`: aws-local-stepfunctions keeps no entry times, so one time stands
   * for every state. @default the time the run starts
   */
  readonly enteredTime?: string;
}

class HttpTaskError extends Error {
  constructor(status: number, cause: string) {
    super(cause);
    this.name = `States.Http.StatusCode.${status}`;
  }
}

class DynamoDbTaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = `DynamoDB.${name}`;
  }
}

/** DynamoDB's ValidationException for expression placeholders: each must be defined and used. */
function expressionProblems(request: UpdateItemRequest): string[] {
  const text = `${request.UpdateExpression} ${request.ConditionExpression ?? ''}`;
  const problems: string[] = [];
  for (const [kind, defined] of [
    ['#', Object.keys(request.ExpressionAttributeNames ?? {})],
    [':', Object.keys(request.ExpressionAttributeValues ?? {})],
  ] as const) {
    const used = new Set(text.match(new RegExp(`${kind}\\w+`, 'g')) ?? []);
    problems.push(...[...used].filter((p) => !defined.includes(p)).map((p) => `${p} is used but not defined`));
    problems.push(...defined.filter((p) => !used.has(p)).map((p) => `${p} is defined but not used`));
  }
  for (const [name, value] of Object.entries(request.ExpressionAttributeValues ?? {})) {
    const types = Object.entries(value as Record<string, unknown>);
    if (types.length !== 1 || types[0]?.[1] === null || types[0]?.[1] === undefined) problems.push(`${name} is not an AttributeValue: ${JSON.stringify(value)}`);
  }
  if (typeof request.TableName !== 'string' || request.TableName === '') problems.push('TableName is missing');
  if (Object.keys(request.Key ?? {}).length === 0) problems.push('Key is empty');
  return problems;
}

interface HttpTaskInput {
  ApiEndpoint: string;
  Method: string;
  Authentication: { ConnectionArn: string };
  Headers?: Record<string, string>;
  RequestBody?: unknown;
}

type DefinitionOptions = Pick<RunOptions, 'apiUrl' | 'waitSeconds' | 'maxAttempts' | 'pollIntervalSeconds' | 'horizonSeconds' | 'tenantId'>;

export const METRICS_NAMESPACE = 'CertyoTest';

/**
 * The deployed verification settings, read from cdk.json once per process rather than on every
 * run (the verify bench runs thousands of executions).
 */
let deployedVerify: CertyoConfig['verify'] | undefined;

export function substitutions(options: DefinitionOptions): VerifyRecordSubstitutions {
  // The deployed schedule unless a test asks for another: the local runs and the verify bench
  // then time what a deployment does.
  const deployed = (deployedVerify ??= projectConfig().verify);
  return {
    ApiUrl: options.apiUrl,
    ConnectionArn: CONNECTION_ARN,
    TopicArn: TOPIC_ARN,
    DefaultTenantId: options.tenantId ?? 'default-tenant',
    WaitSeconds: String(options.waitSeconds ?? deployed.waitSeconds),
    MaxAttempts: String(options.maxAttempts ?? deployed.maxAttempts),
    PollIntervalSeconds: String(options.pollIntervalSeconds ?? DEFAULT_POLL_INTERVAL_SECONDS),
    HorizonSeconds: String(options.horizonSeconds ?? deployed.horizonSeconds),
    MetricsNamespace: METRICS_NAMESPACE,
  };
}

type Definition = ConstructorParameters<typeof StateMachine>[0];
type StateDefinition = Record<string, unknown>;

export function loadDefinition(options: DefinitionOptions): Definition {
  return JSON.parse(renderVerifyRecordDefinition(substitutions(options))) as Definition;
}

/**
 * Each Wait state (`Seconds` or `SecondsPath`, no other fields that change data) as a Task of
 * the same name whose input is the seconds and whose result is discarded: the data passes
 * through as through a Wait. Returns the definition and the names of the former Wait states.
 */
export function withVirtualWaits(definition: Definition): { definition: Definition; waits: string[] } {
  const states = (definition as unknown as { States: Record<string, StateDefinition> }).States;
  const waits: string[] = [];
  const rewritten = Object.fromEntries(
    Object.entries(states).map(([name, state]) => {
      if (state.Type !== 'Wait') return [name, state];
      const { Type: _wait, Seconds, SecondsPath, Comment, Next, End, ...rest } = state;
      if (Object.keys(rest).length > 0) throw new Error(`Wait state ${name}: cannot make ${Object.keys(rest).join(', ')} virtual`);
      waits.push(name);
      const seconds = SecondsPath === undefined ? { seconds: Seconds } : { 'seconds.$': SecondsPath };
      return [name, { Type: 'Task', Comment, Resource: 'arn:aws:states:::local:wait', Parameters: seconds, ResultPath: null, ...(Next === undefined ? { End } : { Next }) }];
    }),
  );
  return { definition: { ...definition, States: rewritten } as unknown as Definition, waits };
}

const validated = new Set<string>();

/** Runs one execution to its end; its waits take no real time (they move the virtual clock). */
export async function runWorkflow(input: unknown, options: RunOptions): Promise<WorkflowRun> {
  const http = options.http ?? realHttp;
  const calls: HttpRequest[] = [];
  const notifications: Notification[] = [];
  const updates: UpdateItemRequest[] = [];
  const metrics: MetricDatum[] = [];
  const clock = options.clock ?? virtualClock();
  let waitedSeconds = 0;

  const wait = async (raw: unknown): Promise<Record<string, unknown>> => {
    const { seconds } = raw as { seconds: unknown };
    // Step Functions rejects a negative or non-numeric SecondsPath value (States.Runtime).
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) throw new Error(`Wait: seconds must be a non-negative integer, got ${JSON.stringify(seconds)}`);
    waitedSeconds += seconds;
    clock.advance(seconds * 1000);
    return {};
  };

  const putMetricData = async (raw: unknown): Promise<Record<string, unknown>> => {
    const { MetricData } = raw as { Namespace: string; MetricData: { MetricName: string; Dimensions?: { Name: string; Value: string }[]; Value: number }[] };
    for (const datum of MetricData) {
      metrics.push({ name: datum.MetricName, dimensions: Object.fromEntries((datum.Dimensions ?? []).map((d) => [d.Name, d.Value])), value: datum.Value });
    }
    return {};
  };

  const httpTask = async (raw: unknown): Promise<Record<string, unknown>> => {
    const task = raw as HttpTaskInput;
    if (task.Authentication?.ConnectionArn !== CONNECTION_ARN) throw new Error(`HTTP task without the Certyo connection: ${JSON.stringify(task.Authentication)}`);
    const request: HttpRequest = {
      method: task.Method,
      url: task.ApiEndpoint,
      // What the Connection adds: the API key header.
      headers: { ...(task.Headers ?? {}), 'X-API-Key': options.apiKey },
      ...(task.RequestBody === undefined ? {} : { body: task.RequestBody }),
    };
    calls.push(request);
    let response: HttpResponse;
    try {
      response = await http(request);
    } catch (error) {
      // What the HTTP Task reports for a connection that failed or dropped.
      throw Object.assign(new Error(`${request.method} ${request.url}: ${error instanceof Error ? error.message : String(error)}`), { name: 'States.Http.Socket' });
    }
    await options.afterCall?.(calls.length - 1, request, response);
    if (response.status >= 300) {
      throw new HttpTaskError(response.status, JSON.stringify({ StatusCode: response.status, ResponseBody: response.body }));
    }
    return { StatusCode: response.status, StatusText: 'OK', Headers: response.headers ?? {}, ResponseBody: response.body ?? '' };
  };

  const snsPublish = async (raw: unknown): Promise<Record<string, unknown>> => {
    const publish = raw as { TopicArn: string; Message: unknown; MessageAttributes?: Notification['attributes'] };
    if (publish.TopicArn !== TOPIC_ARN) throw new Error(`published to ${publish.TopicArn}, not the notifications topic`);
    // Step Functions serializes a JSON Message; subscribers receive a string.
    const text = typeof publish.Message === 'string' ? publish.Message : JSON.stringify(publish.Message);
    for (const [name, attribute] of Object.entries(publish.MessageAttributes ?? {})) {
      if (attribute.DataType !== 'String' || typeof attribute.StringValue !== 'string') throw new Error(`message attribute ${name} is not a String attribute`);
    }
    notifications.push({ message: JSON.parse(text) as Record<string, unknown>, attributes: publish.MessageAttributes ?? {} });
    return { MessageId: `msg-${notifications.length}`, SdkHttpMetadata: { HttpStatusCode: 200 } };
  };

  const updateItem = async (raw: unknown): Promise<Record<string, unknown>> => {
    const request = raw as UpdateItemRequest;
    updates.push(request);
    const problems = expressionProblems(request);
    if (problems.length > 0) throw new DynamoDbTaskError('ValidationException', problems.join('; '));
    try {
      await options.updateItem?.(request);
    } catch (error) {
      throw error instanceof Error ? new DynamoDbTaskError(error.name, error.message) : error;
    }
    return { SdkHttpMetadata: { HttpStatusCode: 200 } };
  };

  const { definition, waits } = withVirtualWaits(loadDefinition(options));
  // Validating a definition costs ~1 s (schema compilation); each distinct one is validated once.
  const key = JSON.stringify(definition);
  const machine = new StateMachine(definition, { validationOptions: { checkArn: false, noValidate: validated.has(key) } });
  validated.add(key);
  const execution = machine.run(input as Parameters<StateMachine['run']>[0], {
    overrides: {
      taskResourceLocalHandlers: {
        Verify: httpTask,
        CheckSnapshot: httpTask,
        RetrySnapshot: httpTask,
        Notify: snsPublish,
        RecordOutcome: putMetricData,
        WriteStatus: updateItem,
        ...Object.fromEntries(waits.map((name) => [name, wait])),
      } as never,
      retryIntervalOverrides: { Notify: 1, RecordOutcome: 1, WriteStatus: 1 },
    },
    context: { State: { EnteredTime: options.enteredTime ?? new Date().toISOString() } } as never,
  });
  const events: EventLog[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) events.push(event);
  })();
  let ended: { output: unknown } | { error: unknown };
  try {
    ended = { output: await execution.result };
  } catch (error) {
    ended = { error };
  }
  await collecting;
  let output: unknown;
  let failure: WorkflowRun['failure'];
  if ('error' in ended) {
    // A Fail state ends the execution as designed; anything else is a fault of the run itself.
    const { error } = ended;
    const failState = error instanceof ExecutionError && events.some((e) => e.type === 'StateEntered' && e.state.type === 'Fail');
    if (!failState) throw error;
    const cause = error.cause as Error;
    failure = { error: cause.name, cause: cause.message };
  } else {
    output = ended.output;
  }
  const retries = events.flatMap((e) => (e.type === 'StateRetried' ? [{ state: e.state.name, retry: e.retry }] : []));
  return { output, ...(failure ? { failure } : {}), notifications, updates, calls, metrics, waitedSeconds, events, retries };
}
