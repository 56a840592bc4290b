/**
 * The one Certyo client every Lambda uses (issue 4). It implements `CertyoApi`; handlers build it
 * once per cold start with `certyoClientFromEnv()`.
 *
 * Decisions (docs/sandbox-and-local-runs.md, "Certyo client"):
 * - `ingestMany` always uses `POST /records/bulk`, even for one record: a bulk request carries
 *   up to 1,000 records for the same single request of the 1,000/hour budget, so single requests
 *   are never cheaper. Bodies are also capped at `maxBodyBytes` (`certyo:bulkMaxBodyBytes`, default 32 MiB).
 * - Every record must carry a deterministic `idempotencyKey`, which makes every request safe to
 *   retry (a retried bulk that the server already applied replays instead of duplicating).
 * - 429: wait as told (`Retry-After` seconds or HTTP date, else the body's `retryAfter`), 5xx /
 *   network / timeout: exponential backoff with full jitter. Never sleep past the caller's
 *   `deadline`: throw `RateLimitedError` / `RetryableError` with `retryAt` instead.
 * - 401: reload the key from Secrets Manager once (rotation) and retry once, then `AuthError`.
 * - A 400 on a bulk request: items the `details` name (`items[<i>]...`) are rejected and the rest
 *   resent; when the details name no item the request is split in halves until the bad items
 *   are isolated, so one bad record never sends 999 good ones to a dead-letter queue.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ApiKeyProvider, secretsManagerApiKey } from './api-key';
import { budgetPolicyFromEnv, RateGovernor, sharedGovernor } from './rate-budget';
import { DynamoDbBudgetStore } from './rate-budget-dynamodb';
import { bulkBody, maxItemBytes, packChunks, SerializedItem } from './bulk-chunks';
import {
  AcceptedRecord,
  AuthError,
  BulkIngestResponse,
  BulkItemError,
  CallOptions,
  CertyoApi,
  CertyoError,
  CertyoErrorBody,
  CertyoRecord,
  IndexedRecord,
  IngestManyOutcome,
  IngestResult,
  MAX_BULK_ITEMS,
  NotFoundError,
  RateLimitedError,
  RateLimitState,
  RecordQuery,
  RejectedRecord,
  RetryableError,
  SnapshotDetail,
  SnapshotLifecycle,
  ValidationError,
  VerifyRecordRequest,
  VerifyRecordResponse,
  DEFAULT_MAX_BODY_BYTES,
  MAX_BODY_BYTES_ENV,
  MAX_BODY_BYTES_RANGE,
} from './certyo-types';
import { errorText } from './error-text';
import { HttpResponse, httpRequest, TransportError } from './http';
import { stringifyJson } from './json';
import type { Log } from './observability';
import { parseRateLimitHeaders, parseRetryAfter, retryAtAfter429 } from './rate-limit';
import { assertValidRecord, findRecordProblem } from './record-validation';
import { BackoffPolicy, DEFAULT_BACKOFF, fullJitterDelay, sleep } from './retry';
import { EnvironmentError, readRuntimeEnv } from './runtime-env';

/** The Powertools `Logger` fits (via the shared `Log`). Never given the key or a payload. */
export type ClientLog = Pick<Log, 'warn'>;

export interface CertyoClientOptions {
  /** Origin of the API, e.g. `https://www.certyos.com` (a trailing slash is ignored). */
  readonly apiUrl: string;
  readonly apiKey: ApiKeyProvider;
  /** Per HTTP request, including reading the body; also capped by the call's deadline. @default 10_000 */
  readonly requestTimeoutMs?: number;
  /** HTTP attempts per call for retryable failures (429, 5xx, network, timeout). @default 5 */
  readonly maxAttempts?: number;
  /** @default 1000 (the API's maximum) */
  readonly maxBulkItems?: number;
  /** @default DEFAULT_MAX_BODY_BYTES (32 MiB) */
  readonly maxBodyBytes?: number;
  /** @default { baseMs: 200, capMs: 20_000 } */
  readonly backoff?: Partial<BackoffPolicy>;
  /** Wait after a 429 that says nothing about when to retry. @default 60_000 */
  readonly rateLimitFallbackMs?: number;
  /** @default - no logging */
  readonly log?: ClientLog;
  /** Injected for tests. @default Date.now */
  readonly now?: () => number;
  /** Injected for tests. @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected for tests (jitter). @default Math.random */
  readonly random?: () => number;
  /**
   * The key's shared budget (issue 20), asked before and told after every authenticated request.
   * @default - this instance's own view of the rate limit only
   */
  readonly governor?: RateGovernor;
}

/** The rate budget one call spent. */
interface RequestCounter {
  requests: number;
}

interface RequestSpec {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** `GET /api/Admin/health` is unauthenticated and outside the budget. */
  readonly authenticated?: boolean;
  /** Return Certyo's answer whatever its status (except a 401, which reloads the key), without retrying. */
  readonly passthrough?: boolean;
}

/** A request the API proxy forwards: its body is sent exactly as the consumer wrote it. */
export interface ForwardedRequest {
  readonly method: 'POST';
  /** Below the API origin, e.g. `/api/v1/records`. */
  readonly path: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A failure worth another attempt, and the earliest time for it (undefined: back off). */
interface RetryableFailure {
  readonly rateLimited: boolean;
  readonly message: string;
  readonly status?: number;
  readonly retryAt?: number;
}

/** A response's rate-limit signals and error body, parsed once. */
interface ResponseReading {
  readonly now: number;
  readonly limits: RateLimitState;
  /** The error body of a non-2xx answer. */
  readonly body?: Partial<CertyoErrorBody>;
  /** When a 429 may be retried (epoch ms). */
  readonly retryAt429?: number;
}

/** `items[12].recordId is required` → 12. The sandbox names bulk items this way. */
const ITEM_DETAIL = /^items\[(\d+)\]/;

function parseErrorBody(text: string): Partial<CertyoErrorBody> | undefined {
  try {
    const body: unknown = JSON.parse(text);
    return typeof body === 'object' && body !== null ? (body as Partial<CertyoErrorBody>) : undefined;
  } catch {
    return undefined;
  }
}

function queryString(params: Readonly<Record<string, string | undefined>>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) search.set(name, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}

export class CertyoClient implements CertyoApi {
  private readonly apiUrl: string;
  private readonly apiKey: ApiKeyProvider;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxBulkItems: number;
  private readonly maxBodyBytes: number;
  private readonly backoff: BackoffPolicy;
  private readonly rateLimitFallbackMs: number;
  private readonly log?: ClientLog;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly governor?: RateGovernor;
  private state: RateLimitState = {};
  /** No request is sent before this (epoch ms): set by a 429, or by `X-RateLimit-Remaining: 0`. */
  private blockedUntil = 0;

  constructor(options: CertyoClientOptions) {
    let url: URL;
    try {
      url = new URL(options.apiUrl);
    } catch {
      throw new Error(`createCertyoClient: apiUrl "${options.apiUrl}" is not a URL`);
    }
    this.apiUrl = url.href.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.timeoutMs = positive('requestTimeoutMs', options.requestTimeoutMs ?? 10_000);
    this.maxAttempts = positive('maxAttempts', options.maxAttempts ?? 5);
    this.maxBulkItems = positive('maxBulkItems', options.maxBulkItems ?? MAX_BULK_ITEMS);
    if (this.maxBulkItems > MAX_BULK_ITEMS) {
      throw new Error(`createCertyoClient: maxBulkItems must be at most ${MAX_BULK_ITEMS}, got ${this.maxBulkItems}`);
    }
    this.maxBodyBytes = positive('maxBodyBytes', options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.rateLimitFallbackMs = options.rateLimitFallbackMs ?? 60_000;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
    this.random = options.random ?? Math.random;
    this.governor = options.governor;
  }

  get rateLimit(): RateLimitState {
    return this.state;
  }

  async ingestRecord(record: CertyoRecord, options: CallOptions = {}): Promise<IngestResult> {
    assertValidRecord(record);
    return this.json<IngestResult>(
      // The key goes in the header too when it can (the API accepts either, the header survives
      // proxies that rewrite bodies); identity keys may hold any unicode, which headers cannot carry.
      {
        method: 'POST',
        path: '/api/v1/records',
        body: stringifyJson(record),
        headers: /^[\x20-\x7e]*$/.test(record.idempotencyKey) ? { 'Idempotency-Key': record.idempotencyKey } : {},
      },
      options,
    );
  }

  async ingestMany(records: readonly CertyoRecord[], options: CallOptions = {}): Promise<IngestManyOutcome> {
    const counter: RequestCounter = { requests: 0 };
    const accepted: AcceptedRecord[] = [];
    const rejected: RejectedRecord[] = [];
    const valid: SerializedItem<IndexedRecord>[] = [];
    const itemLimit = maxItemBytes(this.maxBodyBytes);
    records.forEach((record, index) => {
      const problem = findRecordProblem(record, index);
      const json = problem ? '' : stringifyJson(record);
      const bytes = Buffer.byteLength(json);
      if (problem) rejected.push({ index, record, reason: problem.message });
      else if (bytes > itemLimit) {
        rejected.push({ index, record, reason: `record ${JSON.stringify(record.recordId)}: is ${bytes} bytes, more than a bulk body of ${this.maxBodyBytes} bytes can carry` });
      } else valid.push({ item: { index, record }, json, bytes });
    });

    const queue = packChunks(valid, this.maxBulkItems, this.maxBodyBytes);
    let stoppedBy: RateLimitedError | RetryableError | undefined;
    let unsent: IndexedRecord[] = [];
    for (let next = 0; next < queue.length; next++) {
      const chunk = queue[next] as SerializedItem<IndexedRecord>[];
      try {
        const response = await this.json<BulkIngestResponse>({ method: 'POST', path: '/api/v1/records/bulk', body: bulkBody(chunk) }, options, counter);
        matchBulkResponse(chunk, response, accepted, rejected);
      } catch (error) {
        if (error instanceof RateLimitedError || error instanceof RetryableError) {
          stoppedBy = error;
          unsent = queue.slice(next).flat().map((entry) => entry.item);
          break;
        }
        if (!(error instanceof CertyoError) || error instanceof AuthError) throw error;
        queue.splice(next + 1, 0, ...this.afterRefusedBulk(chunk, error, rejected));
      }
    }
    rejected.sort((a, b) => a.index - b.index);
    return { accepted, rejected, unsent, stoppedBy, requests: counter.requests };
  }

  /**
   * A bulk request refused with a non-retryable status: reject the items the 400 names and
   * return what to send instead. Unattributed 400s and 413s split the chunk in halves (bisection
   * isolates bad items in log2(n) rounds); anything else rejects the chunk with the status.
   */
  private afterRefusedBulk(
    chunk: SerializedItem<IndexedRecord>[],
    error: CertyoError,
    rejected: RejectedRecord[],
  ): SerializedItem<IndexedRecord>[][] {
    const details = error instanceof ValidationError ? error.details : [];
    const named = new Map<number, string[]>();
    for (const detail of details) {
      const position = ITEM_DETAIL.exec(detail)?.[1];
      if (position !== undefined && Number(position) < chunk.length) {
        named.set(Number(position), [...(named.get(Number(position)) ?? []), detail]);
      }
    }
    if (error instanceof ValidationError && named.size > 0) {
      for (const [position, reasons] of named) {
        const entry = chunk[position] as SerializedItem<IndexedRecord>;
        rejected.push({ ...entry.item, reason: itemRejection(entry.item.record.recordId, position, { error: error.code, message: error.certyoMessage, details: reasons }) });
      }
      const rest = chunk.filter((_, position) => !named.has(position));
      return rest.length > 0 ? [rest] : [];
    }
    if ((error instanceof ValidationError || error.status === 413) && chunk.length > 1) {
      const half = Math.ceil(chunk.length / 2);
      return [chunk.slice(0, half), chunk.slice(half)];
    }
    const reason = [error.message, ...details].join('; ');
    for (const entry of chunk) rejected.push({ ...entry.item, reason });
    return [];
  }

  verifyRecord(request: VerifyRecordRequest, options: CallOptions = {}): Promise<VerifyRecordResponse> {
    return this.json({ method: 'POST', path: '/api/v1/verify/record', body: stringifyJson(request) }, options);
  }

  getSnapshot(snapshotId: string, options: CallOptions = {}): Promise<SnapshotDetail> {
    return this.json({ method: 'GET', path: `/api/v1/snapshots/${encodeURIComponent(snapshotId)}` }, options);
  }

  getSnapshotLifecycle(snapshotId: string, options: CallOptions = {}): Promise<SnapshotLifecycle> {
    return this.json({ method: 'GET', path: `/api/v1/snapshots/${encodeURIComponent(snapshotId)}/lifecycle` }, options);
  }

  retrySnapshot(snapshotId: string, options: CallOptions = {}): Promise<unknown> {
    return this.json({ method: 'POST', path: `/api/v1/snapshots/${encodeURIComponent(snapshotId)}/retry` }, options);
  }

  queryRecords(query: RecordQuery, options: CallOptions = {}): Promise<unknown> {
    return this.json({ method: 'GET', path: `/api/v1/records${queryString({ ...query })}` }, options);
  }

  verificationHistory(query: { tenantId: string; recordId?: string }, options: CallOptions = {}): Promise<unknown> {
    return this.json({ method: 'GET', path: `/api/v1/verify/history${queryString(query)}` }, options);
  }

  health(options: CallOptions = {}): Promise<unknown> {
    return this.json({ method: 'GET', path: '/api/Admin/health', authenticated: false }, options);
  }

  /**
   * One authenticated request for the API proxy's tenant guard: the body is sent as given (never
   * re-serialized, so every digit survives) and Certyo's answer is returned whatever its status,
   * after the same key loading, 401 key reload and shared-budget bookkeeping as every other call.
   * Nothing is retried for the consumer (set `maxAttempts` 1): a transport failure is a
   * `RetryableError`, a window known to be spent a `RateLimitedError`.
   */
  forward(request: ForwardedRequest, options: CallOptions = {}): Promise<HttpResponse> {
    return this.send({ ...request, passthrough: true }, options, { requests: 0 });
  }

  private async json<T>(spec: RequestSpec, options: CallOptions, counter: RequestCounter = { requests: 0 }): Promise<T> {
    const response = await this.send(spec, options, counter);
    if (response.text.trim() === '') return undefined as T;
    try {
      return JSON.parse(response.text) as T;
    } catch {
      throw new CertyoError(`${spec.method} ${spec.path} answered ${response.status} with a body that is not JSON`, response.status);
    }
  }

  /** One call: the retry loop around single HTTP exchanges. Returns only 2xx responses (any status with `passthrough`). */
  private async send(spec: RequestSpec, options: CallOptions, counter: RequestCounter): Promise<HttpResponse> {
    const { deadline, maxWaitMs } = options;
    // The latest moment a wait starting at `now` may end before the call is handed back instead.
    const waitLimit = (now: number): number => Math.min(deadline ?? Infinity, maxWaitMs === undefined ? Infinity : now + maxWaitMs);
    const authenticated = spec.authenticated !== false;
    const what = `${spec.method} ${spec.path.split('?')[0]}`;
    let failures = 0;
    let refreshedKey = false;
    for (;;) {
      if (authenticated && this.blockedUntil > this.now()) {
        if (this.blockedUntil > waitLimit(this.now())) {
          throw new RateLimitedError(`${what}: rate limit exhausted until ${new Date(this.blockedUntil).toISOString()}`, new Date(this.blockedUntil));
        }
        await this.sleep(this.blockedUntil - this.now());
      }
      const startedAt = this.now();
      if (deadline !== undefined && startedAt >= deadline) {
        throw new RetryableError(`${what}: deadline reached before the request could be sent`, new Date(startedAt));
      }
      let lease: string | undefined;
      if (authenticated && this.governor) {
        // Another instance may have spent the window or met a 429: wait (or stop) as for our own.
        const permit = await this.governor.acquire(startedAt);
        if (!permit.granted) {
          this.blockedUntil = Math.max(this.blockedUntil, permit.until);
          continue;
        }
        lease = permit.lease;
      }
      const timeoutMs = deadline === undefined ? this.timeoutMs : Math.min(this.timeoutMs, deadline - startedAt);
      const headers: Record<string, string> = { Accept: 'application/json', ...spec.headers };
      if (spec.body !== undefined) headers['Content-Type'] = 'application/json';
      if (authenticated) headers['X-API-Key'] = await this.loadKey(() => this.apiKey.get());

      counter.requests += 1;
      let failure: RetryableFailure;
      try {
        const response = await httpRequest({ method: spec.method, url: this.apiUrl + spec.path, headers, body: spec.body, timeoutMs });
        const reading = this.read(response);
        if (authenticated) {
          const { limits } = reading;
          await this.governor?.record({ remaining: limits.remaining, resetAt: limits.resetAt?.getTime(), limit: limits.limit, retryAt: reading.retryAt429 }, lease);
        }
        const outcome = this.classify(what, response, reading, spec.passthrough === true);
        if (outcome === 'ok') return response;
        if (outcome === 'unauthorized') {
          if (refreshedKey) throw new AuthError(`${what}: Certyo rejected the API key (401) again after reloading it`, 401);
          refreshedKey = true;
          await this.loadKey(() => this.apiKey.refresh());
          continue;
        }
        failure = outcome;
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        failure = { rateLimited: false, message: `${what}: ${error.message}` };
      }

      failures += 1;
      const now = this.now();
      const retryAt = failure.retryAt ?? now + fullJitterDelay(failures - 1, this.backoff, this.random);
      if (failure.rateLimited) this.blockedUntil = Math.max(this.blockedUntil, retryAt);
      if (failures >= this.maxAttempts || retryAt > waitLimit(now)) {
        const reason =
          failures >= this.maxAttempts ? `after ${failures} attempts` : deadline !== undefined && retryAt > deadline ? 'and the deadline comes first' : `and the caller defers waits over ${maxWaitMs} ms`;
        throw failure.rateLimited
          ? new RateLimitedError(`${failure.message} ${reason}`, new Date(retryAt))
          : new RetryableError(`${failure.message} ${reason}`, new Date(retryAt), failure.status);
      }
      this.log?.warn('Certyo request will be retried', { request: what, status: failure.status, reason: failure.message, retryInMs: retryAt - now });
      await this.sleep(retryAt - now);
    }
  }

  /**
   * A key that cannot be loaded (secret missing, access denied, malformed) is an `AuthError`, the
   * one error `ingestMany` lets through: the handler fails the batch and its queue redelivers it,
   * rather than records being reported as rejected for a configuration problem.
   */
  private async loadKey(load: () => Promise<string>): Promise<string> {
    try {
      return await load();
    } catch (error) {
      throw new AuthError(`Could not load the Certyo API key: ${errorText(error)}`);
    }
  }

  /** Parses a response's rate-limit headers, error body and 429 retry time once, for the shared budget and `classify`. */
  private read(response: HttpResponse): ResponseReading {
    const now = this.now();
    const body = response.status >= 200 && response.status < 300 ? undefined : parseErrorBody(response.text);
    return {
      now,
      limits: parseRateLimitHeaders(response.headers, now),
      body,
      retryAt429: response.status === 429 ? retryAtAfter429(response.headers, body, now, this.rateLimitFallbackMs) : undefined,
    };
  }

  /** Records the rate-limit headers, then turns the status into a result, a retryable failure or a thrown error. */
  private classify(what: string, response: HttpResponse, { now, limits, body, retryAt429 }: ResponseReading, passthrough = false): 'ok' | 'unauthorized' | RetryableFailure {
    const { status } = response;
    if (limits.limit !== undefined || limits.remaining !== undefined || limits.resetAt !== undefined) {
      this.state = limits;
      // The next request would be a 429: wait for the window instead of spending a request to learn it.
      // Not on a 429 itself, whose Retry-After is the explicit (and possibly sooner) instruction.
      if (status !== 429 && limits.remaining === 0 && limits.resetAt) this.blockedUntil = Math.max(this.blockedUntil, limits.resetAt.getTime());
    }
    if (status >= 200 && status < 300) return 'ok';
    if (status === 401) return 'unauthorized';
    if (passthrough) {
      // The caller answers with Certyo's own response; later calls of this instance still wait.
      if (retryAt429 !== undefined) this.blockedUntil = Math.max(this.blockedUntil, retryAt429);
      return 'ok';
    }
    const message = `${what} answered ${status}${body?.message ? `: ${body.message}` : ''}`;
    if (status === 429) {
      return { rateLimited: true, status, message, retryAt: retryAt429 };
    }
    if (status >= 500) return { rateLimited: false, status, message, retryAt: parseRetryAfter(response.headers.get('retry-after'), now) };
    if (status === 400) {
      const details = Array.isArray(body?.details) ? body.details.filter((d): d is string => typeof d === 'string') : [];
      throw new ValidationError(message, details, typeof body?.error === 'string' ? body.error : undefined, typeof body?.message === 'string' ? body.message : undefined);
    }
    if (status === 404) throw new NotFoundError(message, 404);
    throw new CertyoError(message, status);
  }
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`createCertyoClient: ${name} must be a positive number, got ${value}`);
  return value;
}

/** Certyo's own words for one rejected bulk item: its error code, message, details and position. */
function itemRejection(recordId: string, position: number, words: { error?: string; message?: string; details?: readonly unknown[] }): string {
  const details = (words.details ?? []).filter((d): d is string => typeof d === 'string');
  const said = [words.error, words.message === undefined ? undefined : JSON.stringify(words.message)].filter((w) => w !== undefined).join(' ');
  return `Certyo rejected record ${JSON.stringify(recordId)} (bulk item ${position}): ${said || 'no error code or message'}${details.length > 0 ? `; details: ${details.join('; ')}` : ''}`;
}

function isIngestResult(result: unknown): result is IngestResult {
  return typeof (result as IngestResult | undefined)?.recordId === 'string' && typeof (result as IngestResult).recordHash === 'string';
}

function isItemError(result: unknown): result is BulkItemError {
  const r = result as BulkItemError | undefined;
  return typeof r === 'object' && r !== null && (typeof r.error === 'string' || typeof r.message === 'string');
}

/**
 * Pairs each sent item with its result. Results are matched by `recordId` in order (not only by
 * position) so a response that leaves an item out cannot shift every later result onto the
 * wrong record; an item error that gives its `index` is matched by position. A rejected item is
 * dead-lettered with Certyo's own words for it; an item without any result, with Certyo's counts.
 */
function matchBulkResponse(
  chunk: readonly SerializedItem<IndexedRecord>[],
  response: BulkIngestResponse | undefined,
  accepted: AcceptedRecord[],
  rejected: RejectedRecord[],
): void {
  const byRecordId = new Map<string, (IngestResult | BulkItemError)[]>();
  const byPosition = new Map<number, BulkItemError>();
  for (const result of Array.isArray(response?.items) ? response.items : []) {
    if (isItemError(result) && Number.isInteger(result.index) && (result.index as number) >= 0 && (result.index as number) < chunk.length) {
      byPosition.set(result.index as number, result);
    } else if (isIngestResult(result) || (isItemError(result) && typeof result.recordId === 'string')) {
      const recordId = result.recordId as string;
      byRecordId.set(recordId, [...(byRecordId.get(recordId) ?? []), result]);
    }
  }
  chunk.forEach(({ item }, position) => {
    const result = byPosition.get(position) ?? byRecordId.get(item.record.recordId)?.shift();
    if (isIngestResult(result)) accepted.push({ ...item, result, replayed: result.idempotencyReplayed === true });
    else if (isItemError(result)) rejected.push({ ...item, reason: itemRejection(item.record.recordId, position, result) });
    else {
      rejected.push({
        ...item,
        reason: `Certyo's bulk response has no result for record ${JSON.stringify(item.record.recordId)} (accepted ${response?.accepted ?? '?'} of ${response?.total ?? '?'})`,
      });
    }
  });
}

export function createCertyoClient(options: CertyoClientOptions): CertyoClient {
  return new CertyoClient(options);
}

/** What a Lambda's client needs beyond the client options. */
/** `CERTYO_MAX_BODY_BYTES` (set from `certyo:bulkMaxBodyBytes`), else the default; errors name the variable. */
export function maxBodyBytesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[MAX_BODY_BYTES_ENV]?.trim();
  if (!raw) return DEFAULT_MAX_BODY_BYTES;
  const value = Number(raw);
  const { min, max } = MAX_BODY_BYTES_RANGE;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new EnvironmentError(`Environment variable ${MAX_BODY_BYTES_ENV} = "${raw}" is not a byte count from ${min} to ${max}`);
  return value;
}

export interface ClientFromEnvOptions extends Partial<CertyoClientOptions> {
  /** Told when the shared budget table cannot be used (the client then goes on alone): count it. */
  readonly onBudgetUnavailable?: () => void;
  /** Told when the shared budget holds a request back: count it. */
  readonly onBudgetWait?: () => void;
  /** The function's DynamoDB client, when it has one, for the budget record. @default - a new one */
  readonly dynamodb?: Pick<DynamoDBClient, 'send'>;
}

/**
 * The client of a Lambda, from the runtime contract (`CERTYO_API_URL`, `CERTYO_SECRET_ARN`):
 * the key comes from Secrets Manager, cached for 5 minutes and reloaded on a 401. With
 * `CERTYO_BUDGET_TABLE` every request also goes through the key's shared budget record, with the
 * shares of `CERTYO_BUDGET_POLICY`; `CERTYO_MAX_BODY_BYTES` caps every bulk body.
 */
export function certyoClientFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: ClientFromEnvOptions = {}): CertyoClient {
  const runtime = readRuntimeEnv(env);
  const { onBudgetUnavailable, onBudgetWait, dynamodb, ...options } = overrides;
  const table = env.CERTYO_BUDGET_TABLE?.trim();
  const governor = table
    ? sharedGovernor(
        new DynamoDbBudgetStore(dynamodb ?? new DynamoDBClient({}), table, `key:${runtime.secretId}`),
        (error) => {
          options.log?.warn('Shared rate budget unavailable; this instance goes on with its own view of the limit', {
            table,
            error: error instanceof Error ? error.name : 'unknown',
          });
          onBudgetUnavailable?.();
        },
        // Every Lambda that consults the record is an ingest path; verification and the proxy call Certyo directly.
        budgetPolicyFromEnv(env.CERTYO_BUDGET_POLICY, 'ingest'),
        onBudgetWait,
      )
    : undefined;
  return createCertyoClient({ apiUrl: runtime.apiUrl, apiKey: secretsManagerApiKey({ secretId: runtime.secretId }), governor, maxBodyBytes: maxBodyBytesFromEnv(env), ...options });
}
