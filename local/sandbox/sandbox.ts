/**
 * The local Certyo sandbox: a real HTTP server, in memory, implementing the API reference
 * (../shared/seeds/001) closely enough that the client and every handler are tested against it
 * over real HTTP. Start it with `startSandbox(options)` (port 0 picks a free port) or with
 * `npm run sandbox`.
 *
 * Request pipeline for `/api/v1/*`: read body (413 over `maxBodyBytes`) → added latency →
 * `X-API-Key` (401) → injected 429 (not charged) → rate limit (429, charged requests only) →
 * injected 500 → route (400 / 404 / 409 / 2xx) → injected reset or hang *after* the request took
 * effect. `/api/Admin/health` needs no key; `/__sandbox/*` are test hooks, outside faults and limits.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { FaultInjector } from './faults';
import { Ledger, LedgerAnswer } from './ledger';
import { JsonSyntaxError, JsonValue, parseLosslessJson } from './lossless-json';
import { FaultRates, resolveOptions, ResolvedSandboxOptions, SandboxOptions, ScriptedFault } from './options';
import { seededRandom } from './prng';
import { FixedWindowRateLimiter, RateDecision, rateLimitHeaders } from './rate-limiter';
import { RequestCounts, SandboxStats } from './stats';
import { checkBulk, checkBulkItems, checkRecord, checkVerify } from './validation';
import { ERROR_CODE } from './vocabulary';

export interface Sandbox {
  /** e.g. `http://127.0.0.1:54321`: the client's `apiUrl`. */
  readonly url: string;
  readonly port: number;
  /** The first configured key. */
  readonly apiKey: string;
  readonly options: ResolvedSandboxOptions;
  /** Counters of everything the sandbox saw since start or the last `reset()`. */
  stats(): SandboxStats;
  /** Forgets records, snapshots, idempotency keys, rate windows, scripted faults and stats. */
  reset(): void;
  /** Turns every tenant's pending records into snapshots now; returns their ids. */
  flush(): string[];
  /** Completes anchoring of every snapshot in progress now (subject to `failRate`). */
  settle(): void;
  /** Replaces the accepted keys (simulates a key rotation). */
  setApiKeys(keys: readonly string[]): void;
  /** Queues faults for the next `/api/v1/*` requests, in order. */
  injectFaults(...faults: ScriptedFault[]): void;
  /** Changes the random fault rates from now on. */
  setFaultRates(rates: FaultRates): void;
  close(): Promise<void>;
}

interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

class RequestTooLarge extends Error {}

function errorReply(status: number, error: string, message: string, details: string[] = [], headers?: Record<string, string>): Reply {
  return { status, body: { error, message, details }, headers };
}

/**
 * Reads the whole body; over `limit` bytes the rest is drained and discarded (so the 413 reaches
 * the client instead of a reset mid-upload) and `RequestTooLarge` is thrown.
 */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => (size > limit ? reject(new RequestTooLarge()) : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/** The endpoint template of a request, as counted in stats and used for routing. */
function endpointOf(method: string, path: string): { endpoint: string; snapshotId?: string } {
  const snapshot = /^\/api\/v1\/snapshots\/([^/]+)(\/lifecycle|\/retry)?$/.exec(path);
  if (snapshot) {
    return { endpoint: `${method} /api/v1/snapshots/{snapshotId}${snapshot[2] ?? ''}`, snapshotId: decodeURIComponent(snapshot[1] as string) };
  }
  return { endpoint: `${method} ${path}` };
}

const ROUTES = new Set([
  'POST /api/v1/records',
  'GET /api/v1/records',
  'POST /api/v1/records/bulk',
  'GET /api/v1/snapshots/{snapshotId}',
  'GET /api/v1/snapshots/{snapshotId}/lifecycle',
  'POST /api/v1/snapshots/{snapshotId}/retry',
  'POST /api/v1/verify/record',
  'GET /api/v1/verify/history',
]);

class SandboxServer {
  readonly server: Server;
  private ledger: Ledger;
  private limiter: FixedWindowRateLimiter;
  private faults: FaultInjector;
  private counts = new RequestCounts();
  /** Per key, the latest `Retry-After` given (epoch ms), and the requests that came before it. */
  private retryAfterUntil = new Map<string, number>();
  private retryAfterViolations = 0;
  /** Per key and window end, what the window saw (`stats().rateWindows`). */
  private rateWindows = new Map<string, { endsAt: number; requests: number; throttled: number; recordsStored: number }>();
  private apiKeys: Set<string>;
  private readonly sockets = new Set<Socket>();

  constructor(readonly options: ResolvedSandboxOptions) {
    this.apiKeys = new Set(options.apiKeys);
    this.ledger = this.newLedger();
    this.limiter = new FixedWindowRateLimiter(options.rateLimit, options.rateWindowMs, options.clock);
    this.faults = new FaultInjector(options, options.seed);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        // A sandbox bug must show up as a 500 the test can see, not as a hung request.
        if (!res.headersSent) this.write(res, errorReply(500, ERROR_CODE.internal, `sandbox error: ${String(error)}`));
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      this.counts.connections += 1;
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  private newLedger(): Ledger {
    const { flushRecords, flushMs, anchorDelayMs, failRate, retryFailRate, anchorFailedShape, recordHashFormat, seed, clock } = this.options;
    // A separate stream from fault injection, so changing fault rates does not change which snapshots fail.
    return new Ledger({ flushRecords, flushMs, anchorDelayMs, failRate, retryFailRate, anchorFailedShape, recordHashFormat, random: seededRandom(seed ^ 0x5eed), now: clock });
  }

  get ledgerApi(): Ledger {
    return this.ledger;
  }

  stats(): SandboxStats {
    return {
      requests: structuredClone(this.counts.requests),
      totalRequests: this.counts.total,
      recordsStored: this.ledger.recordsStored,
      idempotentReplays: this.ledger.counters.idempotentReplays,
      duplicateIngests: this.ledger.counters.duplicateIngests,
      replayMismatches: this.ledger.counters.replayMismatches,
      retryAfterViolations: this.retryAfterViolations,
      rateWindows: [...this.rateWindows.values()].map((w) => ({ ...w })),
      snapshots: this.ledger.snapshotCounts(),
      connections: this.counts.connections,
      faults: { ...this.counts.faults },
    };
  }

  reset(): void {
    this.ledger.dispose();
    this.ledger = this.newLedger();
    this.limiter.reset();
    this.retryAfterUntil.clear();
    this.retryAfterViolations = 0;
    this.rateWindows.clear();
    this.faults.clearScript();
    this.counts = new RequestCounts();
  }

  setApiKeys(keys: readonly string[]): void {
    if (keys.length === 0) throw new Error('setApiKeys: at least one key is required');
    this.apiKeys = new Set(keys);
  }

  injectFaults(faults: ScriptedFault[]): void {
    this.faults.inject(faults);
  }

  setFaultRates(rates: FaultRates): void {
    this.faults.setRates(rates);
  }

  async close(): Promise<void> {
    this.ledger.dispose();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Hung requests and idle keep-alive connections would otherwise hold close() open.
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = req.method ?? 'GET';
    const { endpoint, snapshotId } = endpointOf(method, url.pathname);
    let text: string;
    try {
      text = await readBody(req, this.options.maxBodyBytes);
    } catch (error) {
      if (!(error instanceof RequestTooLarge)) throw error;
      this.counts.count(endpoint, 413);
      return this.write(res, errorReply(413, ERROR_CODE.payloadTooLarge, `request body is larger than ${this.options.maxBodyBytes} bytes`));
    }

    if (url.pathname.startsWith('/__sandbox/')) return this.write(res, this.hook(method, url.pathname));
    if (endpoint === 'GET /api/Admin/health') {
      this.counts.count(endpoint, 200);
      return this.write(res, { status: 200, body: { status: 'Healthy', service: 'certyo-sandbox', timestamp: new Date(this.options.clock()).toISOString() } });
    }
    if (this.faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.faults.latencyMs));

    const reply = this.api(req, method, url, endpoint, snapshotId, text);
    if (reply.fault === 'reset' || reply.fault === 'hang') {
      this.counts.fault(reply.fault);
      this.counts.count(endpoint, reply.fault);
      // The request has taken effect; the client never learns it.
      if (reply.fault === 'reset') req.socket.destroy();
      return;
    }
    this.counts.count(endpoint, reply.status);
    this.write(res, reply);
  }

  private api(req: IncomingMessage, method: string, url: URL, endpoint: string, snapshotId: string | undefined, text: string): Reply & { fault?: ScriptedFault } {
    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || !this.apiKeys.has(key)) {
      return errorReply(401, ERROR_CODE.unauthorized, 'Missing or invalid API key', ['X-API-Key header is missing or not a valid key']);
    }
    // A client that sends before the Retry-After this key was given is what a service may block.
    if ((this.retryAfterUntil.get(key) ?? -Infinity) > this.options.clock()) this.retryAfterViolations += 1;
    const fault = this.faults.next();
    if (fault === 'throttle') {
      this.counts.fault(fault);
      return this.throttled(key, this.limiter.peek(key), this.options.throttleRetryAfterSeconds * 1000);
    }
    const decision = this.limiter.take(key);
    const limits = rateLimitHeaders(decision);
    const window = this.rateWindow(key, decision.resetAt);
    if (!decision.allowed) {
      window.throttled += 1;
      return this.throttled(key, decision, decision.resetAt - this.options.clock());
    }
    window.requests += 1;
    if (fault === 'error') {
      this.counts.fault(fault);
      return errorReply(500, ERROR_CODE.internal, 'Injected server error', [], limits);
    }
    const storedBefore = this.ledger.recordsStored;
    const reply = this.route(req, method, url, endpoint, snapshotId, text);
    window.recordsStored += this.ledger.recordsStored - storedBefore;
    return { ...reply, headers: { ...limits, ...reply.headers }, fault };
  }

  private rateWindow(key: string, endsAt: number): { endsAt: number; requests: number; throttled: number; recordsStored: number } {
    const id = `${endsAt} ${key}`;
    let window = this.rateWindows.get(id);
    if (!window) this.rateWindows.set(id, (window = { endsAt, requests: 0, throttled: 0, recordsStored: 0 }));
    return window;
  }

  private throttled(key: string, decision: RateDecision, waitMs: number): Reply {
    const retryAfter = Math.max(0, Math.ceil(waitMs / 1000));
    const retryAt = new Date(this.options.clock() + retryAfter * 1000);
    this.retryAfterUntil.set(key, Math.max(this.retryAfterUntil.get(key) ?? -Infinity, retryAt.getTime()));
    const headers: Record<string, string> = { ...rateLimitHeaders(decision) };
    if (this.options.retryAfterFormat === 'seconds') headers['Retry-After'] = String(retryAfter);
    if (this.options.retryAfterFormat === 'http-date') headers['Retry-After'] = retryAt.toUTCString();
    return {
      status: 429,
      headers,
      body: { status: 429, error: ERROR_CODE.rateLimited, message: 'Rate limit exceeded. Try again later.', retryAfter, resetTime: new Date(decision.resetAt).toISOString() },
    };
  }

  private route(req: IncomingMessage, method: string, url: URL, endpoint: string, snapshotId: string | undefined, text: string): Reply {
    if (!ROUTES.has(endpoint)) {
      const known = [...ROUTES].some((r) => r.split(' ')[1] === endpoint.split(' ')[1]);
      return known
        ? errorReply(405, ERROR_CODE.methodNotAllowed, `${method} is not supported on ${url.pathname}`)
        : errorReply(404, ERROR_CODE.notFound, `no endpoint ${method} ${url.pathname}`);
    }
    const query = Object.fromEntries(url.searchParams) as Record<string, string | undefined>;
    switch (endpoint) {
      case 'GET /api/v1/records':
        if (!query.tenantId) return errorReply(400, ERROR_CODE.validation, 'Invalid query', ['tenantId is required']);
        return { status: 200, body: this.ledger.query(query) };
      case 'GET /api/v1/verify/history':
        if (!query.tenantId) return errorReply(400, ERROR_CODE.validation, 'Invalid query', ['tenantId is required']);
        return { status: 200, body: this.ledger.verificationHistory(query.tenantId, query.recordId) };
      case 'GET /api/v1/snapshots/{snapshotId}':
        return this.answer(this.ledger.snapshotDetail(snapshotId as string));
      case 'GET /api/v1/snapshots/{snapshotId}/lifecycle':
        return this.answer(this.ledger.lifecycle(snapshotId as string));
      case 'POST /api/v1/snapshots/{snapshotId}/retry':
        return this.answer(this.ledger.retry(snapshotId as string));
    }
    if (text.trim() === '') return errorReply(400, ERROR_CODE.invalidJson, 'Request body is empty', ['a JSON body is required']);
    let body: JsonValue;
    try {
      body = parseLosslessJson(text);
    } catch (error) {
      if (!(error instanceof JsonSyntaxError)) throw error;
      return errorReply(400, ERROR_CODE.invalidJson, 'Request body is not valid JSON', [error.message]);
    }
    if (endpoint === 'POST /api/v1/records') {
      const header = req.headers['idempotency-key'];
      const checked = checkRecord(body, '', typeof header === 'string' && header !== '' ? header : undefined);
      if (!checked.ok) return errorReply(400, ERROR_CODE.validation, 'Invalid record', checked.details);
      return { status: 202, body: this.ledger.ingest(checked.value) };
    }
    if (endpoint === 'POST /api/v1/records/bulk') {
      if (this.options.bulkDetailFormat === 'partial') return this.partialBulk(body);
      const checked = checkBulk(body, this.options.bulkDetailFormat);
      if (!checked.ok) return errorReply(400, ERROR_CODE.validation, 'Invalid bulk request', checked.details);
      const items = checked.value.map((record) => this.ledger.ingest(record));
      return { status: 202, body: { total: items.length, accepted: items.length, items } };
    }
    const checked = checkVerify(body);
    if (!checked.ok) return errorReply(400, ERROR_CODE.validation, 'Invalid verification request', checked.details);
    return this.answer(this.ledger.verify(checked.value));
  }

  /** Stores the valid items and reports each invalid one in place, with its own error. */
  private partialBulk(body: JsonValue): Reply {
    const checked = checkBulkItems(body);
    if (!checked.ok) return errorReply(400, ERROR_CODE.validation, 'Invalid bulk request', checked.details);
    const items = checked.value.map(({ raw, checked: item }, index) => {
      if (item.ok) return this.ledger.ingest(item.value);
      const recordId = (raw as { recordId?: unknown } | null)?.recordId;
      return { index, ...(typeof recordId === 'string' ? { recordId } : {}), error: ERROR_CODE.validation, message: 'Invalid record', details: item.details };
    });
    const accepted = checked.value.filter(({ checked: item }) => item.ok).length;
    return { status: 202, body: { total: items.length, accepted, items } };
  }

  private answer(answer: LedgerAnswer): Reply {
    if ('message' in answer) return errorReply(answer.status, answer.status === 404 ? ERROR_CODE.notFound : ERROR_CODE.conflict, answer.message);
    return { status: answer.status, body: answer.body };
  }

  private hook(method: string, path: string): Reply {
    const route = `${method} ${path}`;
    if (route === 'GET /__sandbox/stats') return { status: 200, body: this.stats() };
    if (route === 'POST /__sandbox/reset') {
      this.reset();
      return { status: 204 };
    }
    if (route === 'POST /__sandbox/flush') return { status: 200, body: { snapshotIds: this.ledger.flush() } };
    if (route === 'POST /__sandbox/settle') {
      this.ledger.settle();
      return { status: 204 };
    }
    return errorReply(404, ERROR_CODE.notFound, `no test hook ${route}`);
  }

  private write(res: ServerResponse, reply: Reply): void {
    const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      ...(payload ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
      'Content-Length': String(Buffer.byteLength(payload)),
      ...reply.headers,
    });
    res.end(payload);
  }
}

/**
 * Starts a sandbox and resolves once it listens.
 *
 * @example
 * const sandbox = await startSandbox({ flushRecords: 10, flushMs: 50, anchorDelayMs: 50 });
 * const client = createCertyoClient({ apiUrl: sandbox.url, apiKey: staticApiKey(sandbox.apiKey) });
 * ...
 * await sandbox.close();
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const resolved = resolveOptions(options);
  const instance = new SandboxServer(resolved);
  await new Promise<void>((resolve, reject) => {
    instance.server.once('error', reject);
    instance.server.listen(resolved.port, resolved.host, () => resolve());
  });
  const { port } = instance.server.address() as AddressInfo;
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  return {
    url: `http://${host}:${port}`,
    port,
    apiKey: resolved.apiKeys[0] as string,
    options: resolved,
    stats: () => instance.stats(),
    reset: () => instance.reset(),
    flush: () => instance.ledgerApi.flush(),
    settle: () => instance.ledgerApi.settle(),
    setApiKeys: (keys) => instance.setApiKeys(keys),
    injectFaults: (...faults) => instance.injectFaults(faults),
    setFaultRates: (rates) => instance.setFaultRates(rates),
    close: () => instance.close(),
  };
}
