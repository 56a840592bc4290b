/**
 * The forwarder with the real Certyo client over real HTTP, against a local stub of the bulk
 * endpoint: what the 1,000 requests/hour budget actually sees.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { forwardBatch } from '../../lambdas/forwarder/forward-batch';
import { createCertyoClient } from '../../lambdas/shared/certyo-client';
import { forwarderDeps, validMessages } from './forwarder-fakes';

interface StubCertyo {
  readonly url: string;
  readonly requests: { path: string; apiKey: string | undefined; items: number }[];
  close(): Promise<void>;
}

/** Answers bulk requests with 202, except request number `rateLimitAt` (1-based) and later: 429. */
async function startStub(rateLimitAt?: number): Promise<StubCertyo> {
  const requests: StubCertyo['requests'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const items = (JSON.parse(body) as { items: { recordId: string; tenantId: string }[] }).items;
      requests.push({ path: req.url ?? '', apiKey: req.headers['x-api-key'] as string | undefined, items: items.length });
      if (rateLimitAt !== undefined && requests.length >= rateLimitAt) {
        res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '120', 'X-RateLimit-Limit': '1000', 'X-RateLimit-Remaining': '0' });
        res.end(JSON.stringify({ status: 429, error: 'rate_limit_exceeded', message: 'Rate limit exceeded. Try again later.', retryAfter: 120 }));
        return;
      }
      res.writeHead(202, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          total: items.length,
          accepted: items.length,
          items: items.map((i) => ({ recordId: i.recordId, recordHash: `sha256:${i.recordId}`, tenantId: i.tenantId, acceptedAt: '2026-04-13T10:30:05Z' })),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const apiKey = { get: async () => 'test-key', refresh: async () => 'test-key' };

describe('forwarder over the real client', () => {
  let stub: StubCertyo | undefined;
  afterEach(async () => stub?.close());

  it('turns 2,500 buffered events into 3 POST /api/v1/records/bulk requests', async () => {
    // Arrange
    stub = await startStub();
    const certyo = createCertyoClient({ apiUrl: stub.url, apiKey });
    const messages = validMessages(2500);

    // Act
    const response = await forwardBatch(messages, forwarderDeps({ certyo, now: Date.now, deadline: Date.now() + 20_000 }));

    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(stub.requests).toEqual([
      { path: '/api/v1/records/bulk', apiKey: 'test-key', items: 1000 },
      { path: '/api/v1/records/bulk', apiKey: 'test-key', items: 1000 },
      { path: '/api/v1/records/bulk', apiKey: 'test-key', items: 500 },
    ]);
  });

  it('returns exactly the 1,500 unsent events when the second request is rate limited', async () => {
    // Arrange
    stub = await startStub(2);
    const certyo = createCertyoClient({ apiUrl: stub.url, apiKey });
    const messages = validMessages(2500);
    const deps = forwarderDeps({ certyo, now: Date.now, deadline: Date.now() + 20_000 });

    // Act
    const response = await forwardBatch(messages, deps);

    // Assert: the client does not wait 120 s past the deadline, and spends no third request.
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(messages.slice(1000).map((m) => m.messageId));
    expect(stub.requests).toHaveLength(2);
    expect(deps.visibility.postponed[0]?.seconds).toBeGreaterThanOrEqual(119);
    expect(deps.visibility.postponed[0]?.seconds).toBeLessThanOrEqual(121);
  });
});
