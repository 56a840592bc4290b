/**
 * The sandbox's HTTP surface as the API reference documents it, over raw fetch (no client):
 * auth and error shapes, validation details, rate-limit headers and 429 body, idempotency via
 * header, queries, test hooks and deterministic fault injection.
 */
import { Sandbox, startSandbox } from '../../local/sandbox';
import { EXAMPLE_RECORD as RECORD, raw, sha256Hex, withSandbox } from './support';

interface ErrorBody {
  error: string;
  message: string;
  details: string[];
}

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
beforeEach(() => sandbox.reset());
afterAll(() => sandbox.close());

describe('auth', () => {
  it.each([
    ['without a key', {}],
    ['with an unknown key', { 'X-API-Key': 'not-a-key' }],
  ])('answers 401 with the documented error shape %s', async (_label, headers) => {
    const response = await raw<ErrorBody>(sandbox, 'POST', '/api/v1/records', RECORD, headers);

    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: 'unauthorized', message: 'Missing or invalid API key', details: [expect.stringContaining('X-API-Key')] });
    expect(sandbox.stats().recordsStored).toBe(0);
  });

  it('serves GET /api/Admin/health without a key', async () => {
    const response = await raw(sandbox, 'GET', '/api/Admin/health', undefined, {});

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'Healthy' });
  });
});

describe('records', () => {
  it('accepts the API reference example and answers 202 with the documented fields', async () => {
    const response = await raw(sandbox, 'POST', '/api/v1/records', RECORD);

    expect(response.status).toBe(202);
    expect(response.body).toEqual({
      recordId: 'INV-2026-0042',
      recordHash: sha256Hex('{"amount":1500,"currency":"USD","invoiceNumber":"INV-2026-0042"}'),
      tenantId: 'acme-corp',
      acceptedAt: expect.any(String),
      idempotencyReplayed: false,
    });
  });

  it('hashes numbers exactly as written, beyond double precision', async () => {
    const body = '{"tenantId":"t","database":"d","collection":"c","recordId":"r","recordPayload":{"n":123456789012345678901234567890,"x":1.10}}';

    const response = await raw<{ recordHash: string }>(sandbox, 'POST', '/api/v1/records', body);

    expect(response.body.recordHash).toBe(sha256Hex('{"n":123456789012345678901234567890,"x":1.10}'));
  });

  it('replays on the Idempotency-Key header alone', async () => {
    const { idempotencyKey: _omitted, ...withoutKey } = RECORD;
    const headers = { 'X-API-Key': sandbox.apiKey, 'Idempotency-Key': 'header-key-1' };

    const first = await raw(sandbox, 'POST', '/api/v1/records', withoutKey, headers);
    const second = await raw(sandbox, 'POST', '/api/v1/records', withoutKey, headers);

    expect(second.body).toEqual({ ...first.body, idempotencyReplayed: true });
    expect(sandbox.stats()).toMatchObject({ recordsStored: 1, idempotentReplays: 1 });
  });

  it('names every bad field in 400 details', async () => {
    const response = await raw<ErrorBody>(sandbox, 'POST', '/api/v1/records', { tenantId: 7, collection: '', recordId: 'r', operationType: 'merge' });

    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'validation_error',
      message: 'Invalid record',
      details: [
        'tenantId must be a string',
        'database is required',
        'collection must not be empty',
        'operationType must be one of upsert, insert, update, delete',
        'recordPayload is required',
      ],
    });
  });

  it.each([
    ['no items', []],
    ['1,001 items', Array.from({ length: 1001 }, () => RECORD)],
  ])('refuses a bulk request with %s', async (_label, items) => {
    const response = await raw<ErrorBody>(sandbox, 'POST', '/api/v1/records/bulk', { items });

    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([`items must contain 1 to 1000 records, got ${items.length}`]);
    expect(sandbox.stats().recordsStored).toBe(0);
  });

  it('refuses the seed-002 body shape ("records" instead of "items")', async () => {
    const response = await raw<ErrorBody>(sandbox, 'POST', '/api/v1/records/bulk', { tenantId: 'acme-corp', records: [RECORD] });

    expect(response.status).toBe(400);
    expect(response.body.details).toEqual(['items must be an array of 1 to 1000 records']);
  });

  it('names bad bulk items by position and stores none of the request', async () => {
    const response = await raw<ErrorBody>(sandbox, 'POST', '/api/v1/records/bulk', { items: [RECORD, { ...RECORD, recordId: undefined }, 'x'] });

    expect(response.body.details).toEqual(['items[1].recordId is required', 'items[2] must be a JSON object']);
    expect(sandbox.stats().recordsStored).toBe(0);
  });

  it('answers 400 invalid_json to a body that is not JSON', async () => {
    const response = await raw<ErrorBody>(sandbox, 'POST', '/api/v1/records', '{"tenantId": ');

    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_json');
  });

  it('queries records by tenant and collection, and requires tenantId', async () => {
    await raw(sandbox, 'POST', '/api/v1/records/bulk', { items: [RECORD, { ...RECORD, collection: 'orders', idempotencyKey: 'o-1' }] });

    const invoices = await raw<{ total: number; items: { collection: string }[] }>(sandbox, 'GET', '/api/v1/records?tenantId=acme-corp&collection=invoices');
    const missing = await raw<ErrorBody>(sandbox, 'GET', '/api/v1/records?collection=invoices');

    expect(invoices.body.total).toBe(1);
    expect(invoices.body.items[0]!.collection).toBe('invoices');
    expect(missing.status).toBe(400);
    expect(missing.body.details).toEqual(['tenantId is required']);
  });

  it('writes recordHash as sha256:<hex> when configured, so consumers must treat it as opaque', async () => {
    await withSandbox({ recordHashFormat: 'prefixed' }, async (prefixed) => {
      const response = await raw<{ recordHash: string }>(prefixed, 'POST', '/api/v1/records', RECORD);

      expect(response.body.recordHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    });
  });
});

describe('rate limit', () => {
  it('sends X-RateLimit-* on every response, errors included', async () => {
    const ok = await raw(sandbox, 'POST', '/api/v1/records', RECORD);
    const bad = await raw(sandbox, 'POST', '/api/v1/records', {});
    const missing = await raw(sandbox, 'GET', '/api/v1/snapshots/snap_000404');

    expect([ok.status, bad.status, missing.status]).toEqual([202, 400, 404]);
    expect([ok, bad, missing].map((r) => r.headers.get('x-ratelimit-remaining'))).toEqual(['999', '998', '997']);
    expect(Number(missing.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(missing.headers.get('x-ratelimit-limit')).toBe('1000');
  });

  it('answers 429 with Retry-After and the documented body once the window is used up', async () => {
    await withSandbox({ rateLimit: 1, rateWindowMs: 120_000 }, async (limited) => {
      await raw(limited, 'GET', '/api/v1/records?tenantId=acme-corp');

      const response = await raw(limited, 'GET', '/api/v1/records?tenantId=acme-corp');

      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('120');
      expect(response.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(response.body).toEqual({ status: 429, error: 'rate_limit_exceeded', message: 'Rate limit exceeded. Try again later.', retryAfter: 120, resetTime: expect.any(String) });
    });
  });

  it('counts requests that come before the Retry-After their key was given, and only those', async () => {
    let now = Date.parse('2026-04-13T10:30:00Z');
    await withSandbox({ rateLimit: 1, rateWindowMs: 120_000, clock: () => now }, async (limited) => {
      await raw(limited, 'GET', '/api/v1/records?tenantId=acme-corp');
      await raw(limited, 'GET', '/api/v1/records?tenantId=acme-corp');
      const beforeAnyRetryAfterRuns = limited.stats().retryAfterViolations;

      now += 60_000;
      await raw(limited, 'GET', '/api/v1/records?tenantId=acme-corp');
      const early = limited.stats().retryAfterViolations;
      now += 121_000;
      const afterwards = await raw(limited, 'GET', '/api/v1/records?tenantId=acme-corp');

      expect([beforeAnyRetryAfterRuns, early, limited.stats().retryAfterViolations]).toEqual([0, 1, 1]);
      expect(afterwards.status).toBe(200);
    });
  });

  it('keeps one window per API key', async () => {
    await withSandbox({ apiKeys: ['a', 'b'], rateLimit: 1 }, async (limited) => {
      await raw(limited, 'GET', '/api/v1/records?tenantId=t', undefined, { 'X-API-Key': 'a' });

      const other = await raw(limited, 'GET', '/api/v1/records?tenantId=t', undefined, { 'X-API-Key': 'b' });

      expect(other.status).toBe(200);
    });
  });
});

describe('test hooks and faults', () => {
  it('reports requests by endpoint and status over HTTP, and resets', async () => {
    await raw(sandbox, 'POST', '/api/v1/records', RECORD);
    await raw(sandbox, 'POST', '/api/v1/records', RECORD);
    await raw(sandbox, 'GET', '/api/v1/snapshots/nope');

    const stats = await raw(sandbox, 'GET', '/__sandbox/stats', undefined, {});
    const reset = await raw(sandbox, 'POST', '/__sandbox/reset', undefined, {});

    expect(stats.body).toMatchObject({
      requests: { 'POST /api/v1/records': { '202': 2 }, 'GET /api/v1/snapshots/{snapshotId}': { '404': 1 } },
      totalRequests: 3,
      recordsStored: 1,
      idempotentReplays: 1,
      duplicateIngests: 0,
    });
    expect(reset.status).toBe(204);
    expect(sandbox.stats()).toMatchObject({ totalRequests: 0, recordsStored: 0, requests: {} });
  });

  it('flushes and settles over HTTP, for a sandbox run as a separate process', async () => {
    await raw(sandbox, 'POST', '/api/v1/records', RECORD);

    const flushed = await raw<{ snapshotIds: string[] }>(sandbox, 'POST', '/__sandbox/flush', undefined, {});
    await raw(sandbox, 'POST', '/__sandbox/settle', undefined, {});
    const snapshot = await raw(sandbox, 'GET', `/api/v1/snapshots/${flushed.body.snapshotIds[0]}`);

    expect(snapshot.body).toMatchObject({ status: 'Anchored', recordIds: ['INV-2026-0042'], recordCount: 1 });
  });

  it('injects the same faults for the same seed, and different ones for another seed', async () => {
    const sequence = (seed: number): Promise<number[]> =>
      withSandbox({ seed, errorRate: 0.3, throttleRate: 0.2 }, async (faulty) => {
        const statuses: number[] = [];
        for (let i = 0; i < 30; i++) statuses.push((await raw(faulty, 'GET', '/api/v1/records?tenantId=t')).status);
        return statuses;
      });

    const [a, b, c] = [await sequence(11), await sequence(11), await sequence(12)];

    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a)).toEqual(new Set([200, 429, 500]));
  });

  it('adds latency to API requests', async () => {
    await withSandbox({ latencyMs: 150 }, async (slow) => {
      const started = Date.now();

      await raw(slow, 'GET', '/api/v1/records?tenantId=t');

      expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    });
  });
});
