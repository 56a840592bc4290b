/**
 * The client's failure handling against the sandbox's real failures and injected faults:
 * key rotation (401), rate limits (429 and Retry-After in its three forms), deadlines,
 * 5xx, dropped connections and hung requests.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { secretsManagerApiKey } from '../../lambdas/shared/api-key';
import { AuthError, RateLimitedError, RetryableError, SHORT_WAIT_MS } from '../../lambdas/shared/certyo-types';
import { clientFor, invoice, invoices, withSandbox } from './support';

const secrets = mockClient(SecretsManagerClient);
beforeEach(() => secrets.reset());

describe('401 and key rotation', () => {
  it('reloads a rotated key from Secrets Manager once and succeeds', async () => {
    await withSandbox({ apiKeys: ['key-after-rotation'] }, async (sandbox) => {
      secrets
        .on(GetSecretValueCommand)
        .resolvesOnce({ SecretString: JSON.stringify({ apiKey: 'key-before-rotation' }) })
        .resolves({ SecretString: JSON.stringify({ apiKey: 'key-after-rotation' }) });
      const client = clientFor(sandbox, { apiKey: secretsManagerApiKey({ secretId: 'certyo/api-key', client: new SecretsManagerClient({}) }) });

      const result = await client.ingestRecord(invoice(1));

      expect(result.recordId).toBe('INV-1');
      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
      expect(sandbox.stats().requests).toEqual({ 'POST /api/v1/records': { '401': 1, '202': 1 } });
    });
  });

  it('throws AuthError after one reload, without the key in the message', async () => {
    await withSandbox({ apiKeys: ['the-real-key'] }, async (sandbox) => {
      secrets.on(GetSecretValueCommand).resolves({ SecretString: 'revoked-key-123' });
      const client = clientFor(sandbox, { apiKey: secretsManagerApiKey({ secretId: 'certyo/api-key', client: new SecretsManagerClient({}) }) });

      const error = await client.ingestMany(invoices(3)).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(AuthError);
      expect((error as Error).message).not.toContain('revoked-key-123');
      expect(sandbox.stats().requests).toEqual({ 'POST /api/v1/records/bulk': { '401': 2 } });
    });
  });
});

describe('429', () => {
  it.each([
    ['a Retry-After in seconds', 'seconds'],
    ['a Retry-After HTTP date', 'http-date'],
    ['only the body retryAfter', 'body-only'],
  ] as const)('waits as told by %s and then succeeds', async (_label, retryAfterFormat) => {
    await withSandbox({ retryAfterFormat, throttleRetryAfterSeconds: 1 }, async (sandbox) => {
      const client = clientFor(sandbox);
      sandbox.injectFaults('throttle');
      const started = Date.now();

      const outcome = await client.ingestMany(invoices(3));

      expect(outcome.accepted).toHaveLength(3);
      expect(outcome.requests).toBe(2);
      // An HTTP date has whole-second precision, so it may mean a little less than a second.
      expect(Date.now() - started).toBeGreaterThanOrEqual(retryAfterFormat === 'http-date' ? 0 : 950);
      expect(sandbox.stats().requests).toEqual({ 'POST /api/v1/records/bulk': { '429': 1, '202': 1 } });
    });
  });

  it('waits for the window when the key is exhausted by another client', async () => {
    await withSandbox({ rateLimit: 2, rateWindowMs: 1000 }, async (sandbox) => {
      await clientFor(sandbox).ingestMany(invoices(2, 1));
      await clientFor(sandbox).ingestMany(invoices(2, 3));
      const fresh = clientFor(sandbox);

      const outcome = await fresh.ingestMany(invoices(2, 5));

      expect(outcome.accepted).toHaveLength(2);
      expect(sandbox.stats().requests['POST /api/v1/records/bulk']).toEqual({ '202': 3, '429': 1 });
    });
  });

  it('does not spend a request it knows will be refused once X-RateLimit-Remaining is 0', async () => {
    await withSandbox({ rateLimit: 1, rateWindowMs: 60_000 }, async (sandbox) => {
      const client = clientFor(sandbox);
      await client.ingestRecord(invoice(1));

      const outcome = await client.ingestMany(invoices(2, 2), { deadline: Date.now() + 500 });

      expect(outcome.stoppedBy).toBeInstanceOf(RateLimitedError);
      expect(outcome.requests).toBe(0);
      expect(sandbox.stats().totalRequests).toBe(1);
    });
  });
});

describe('deadline', () => {
  // A clock that stands still and a sleep that records: the deadline is about the client's
  // decisions, not about how fast this machine is.
  const T0 = Date.parse('2026-04-13T10:30:00Z');
  function frozenClient(sandbox: Parameters<typeof clientFor>[0]) {
    const sleeps: number[] = [];
    const client = clientFor(sandbox, { now: () => T0, sleep: async (ms) => void sleeps.push(ms) });
    return { client, sleeps };
  }

  it('stops instead of waiting past the deadline, and says when to retry', async () => {
    await withSandbox({ throttleRetryAfterSeconds: 30 }, async (sandbox) => {
      const { client, sleeps } = frozenClient(sandbox);
      sandbox.injectFaults('throttle');

      const outcome = await client.ingestMany(invoices(2500), { deadline: T0 + 2000 });

      expect(sleeps).toEqual([]);
      expect(outcome.stoppedBy).toBeInstanceOf(RateLimitedError);
      expect(outcome.stoppedBy!.retryAt.getTime()).toBeGreaterThanOrEqual(T0 + 29_000);
      expect(outcome.unsent.map((u) => u.index)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
      expect(outcome).toMatchObject({ accepted: [], rejected: [], requests: 1 });
    });
  });

  it('reports records already accepted before the stop and the rest as unsent', async () => {
    await withSandbox({ throttleRetryAfterSeconds: 30 }, async (sandbox) => {
      const { client, sleeps } = frozenClient(sandbox);
      sandbox.injectFaults('none', 'throttle');

      const outcome = await client.ingestMany(invoices(2500), { deadline: T0 + 2000 });

      expect(sleeps).toEqual([]);
      expect(outcome.accepted).toHaveLength(1000);
      expect(outcome.unsent[0]!.index).toBe(1000);
      expect(outcome.unsent).toHaveLength(1500);
    });
  });

  it('throws RetryableError when 5xx backoff would pass the deadline', async () => {
    await withSandbox({ errorRate: 1 }, async (sandbox) => {
      const sleeps: number[] = [];
      const client = clientFor(sandbox, { backoff: { baseMs: 400, capMs: 400 }, random: () => 0.99, now: () => T0, sleep: async (ms) => void sleeps.push(ms) });

      const error = await client.ingestRecord(invoice(1), { deadline: T0 + 300 }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(RetryableError);
      expect((error as RetryableError).status).toBe(500);
      expect(sleeps).toEqual([]);
    });
  });
});

describe('maxWaitMs: waits a caller would rather defer', () => {
  const T0 = Date.parse('2026-04-13T10:30:00Z');

  it.each([
    // A 429 that says 30 s: sleeping through it is the default; under a 2 s cap the call is handed back.
    [undefined, [30_000], 1000],
    [SHORT_WAIT_MS, [], 0],
  ] as const)('with maxWaitMs %p a 30 s Retry-After sleeps %p and stores %p records', async (maxWaitMs, expectedSleeps, stored) => {
    await withSandbox({ throttleRetryAfterSeconds: 30 }, async (sandbox) => {
      // A virtual clock that a sleep moves on.
      let now = T0;
      const sleeps: number[] = [];
      const client = clientFor(sandbox, { now: () => now, sleep: async (ms) => { sleeps.push(ms); now += ms; } });
      sandbox.injectFaults('throttle');

      const outcome = await client.ingestMany(invoices(1000), { deadline: T0 + 600_000, maxWaitMs });

      expect(sleeps).toEqual(expectedSleeps);
      expect(outcome.accepted).toHaveLength(stored);
      if (stored === 0) {
        expect(outcome.stoppedBy).toBeInstanceOf(RateLimitedError);
        expect(outcome.stoppedBy!.retryAt.getTime()).toBeGreaterThanOrEqual(T0 + 29_000);
        expect(outcome.unsent).toHaveLength(1000);
      }
    });
  });

  it('still sleeps through a back-off shorter than maxWaitMs', async () => {
    await withSandbox({}, async (sandbox) => {
      const sleeps: number[] = [];
      const client = clientFor(sandbox, { backoff: { baseMs: 400, capMs: 400 }, random: () => 0.99, now: () => T0, sleep: async (ms) => void sleeps.push(ms) });
      sandbox.injectFaults('error');

      const result = await client.ingestRecord(invoice(1), { deadline: T0 + 600_000, maxWaitMs: SHORT_WAIT_MS });

      expect(result.recordId).toBe('INV-1');
      expect(sleeps).toHaveLength(1);
      expect(sleeps[0]).toBeLessThanOrEqual(SHORT_WAIT_MS);
    });
  });
});

describe('5xx, resets and timeouts', () => {
  it('retries 500s with backoff until the request succeeds', async () => {
    await withSandbox({}, async (sandbox) => {
      sandbox.injectFaults('error', 'error');
      const log = { warn: jest.fn() };

      const outcome = await clientFor(sandbox, { log }).ingestMany(invoices(4));

      expect(outcome.accepted).toHaveLength(4);
      expect(outcome.requests).toBe(3);
      expect(log.warn).toHaveBeenCalledTimes(2);
      expect(log.warn).toHaveBeenCalledWith('Certyo request will be retried', expect.objectContaining({ request: 'POST /api/v1/records/bulk', status: 500 }));
      expect(JSON.stringify(log.warn.mock.calls)).not.toContain(sandbox.apiKey);
      expect(sandbox.stats().requests).toEqual({ 'POST /api/v1/records/bulk': { '500': 2, '202': 1 } });
    });
  });

  it('retries a dropped connection; the applied bulk replays instead of duplicating', async () => {
    await withSandbox({}, async (sandbox) => {
      sandbox.injectFaults('reset');

      const outcome = await clientFor(sandbox).ingestMany(invoices(4));

      expect(outcome.accepted.map((a) => a.replayed)).toEqual([true, true, true, true]);
      expect(sandbox.stats()).toMatchObject({ recordsStored: 4, idempotentReplays: 4, duplicateIngests: 0 });
      expect(sandbox.stats().requests).toEqual({ 'POST /api/v1/records/bulk': { reset: 1, '202': 1 } });
    });
  });

  it('times out a hung request and retries it', async () => {
    await withSandbox({}, async (sandbox) => {
      sandbox.injectFaults('hang');
      const started = Date.now();

      const result = await clientFor(sandbox, { requestTimeoutMs: 200 }).ingestRecord(invoice(1));

      expect(result.idempotencyReplayed).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      expect(sandbox.stats().requests).toEqual({ 'POST /api/v1/records': { hang: 1, '202': 1 } });
    });
  });

  it('gives up with RetryableError after maxAttempts', async () => {
    await withSandbox({ hangRate: 1 }, async (sandbox) => {
      const client = clientFor(sandbox, { requestTimeoutMs: 100, maxAttempts: 2 });

      const outcome = await client.ingestMany(invoices(3));

      expect(outcome.stoppedBy).toBeInstanceOf(RetryableError);
      expect(outcome.stoppedBy!.message).toMatch(/no complete response within 100 ms after 2 attempts/);
      expect(outcome.unsent).toHaveLength(3);
      expect(outcome.requests).toBe(2);
    });
  });

  it('survives a seeded mix of faults without losing or duplicating a record', async () => {
    await withSandbox({ errorRate: 0.2, throttleRate: 0.1, resetRate: 0.1, throttleRetryAfterSeconds: 0, seed: 7 }, async (sandbox) => {
      const client = clientFor(sandbox, { maxAttempts: 20 });

      const outcomes = [];
      for (let batch = 0; batch < 10; batch++) outcomes.push(await client.ingestMany(invoices(50, batch * 50 + 1)));

      expect(outcomes.flatMap((o) => o.accepted)).toHaveLength(500);
      expect(sandbox.stats()).toMatchObject({ recordsStored: 500, duplicateIngests: 0 });
      expect(Object.values(sandbox.stats().faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    });
  });
});
