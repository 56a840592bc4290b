/**
 * The Certyo client against the sandbox over real HTTP: single and bulk ingest, bulk splitting,
 * idempotent replays, validation (local and the API's 400 details).
 */
import { CertyoRecord, RecordValidationError, ValidationError } from '../../lambdas/shared/certyo-types';
import { RawJson } from '../../lambdas/shared/json';
import { Sandbox, startSandbox } from '../../local/sandbox';
import { clientFor, invoice, invoices, sha256Hex, withSandbox } from './support';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ flushMs: 60_000 });
});
beforeEach(() => sandbox.reset());
afterAll(() => sandbox.close());

describe('single ingest', () => {
  it('returns the documented 202 shape with the SHA-256 of the canonical payload', async () => {
    const client = clientFor(sandbox);
    // Keys out of order and a number written as 1500.00: canonical JSON sorts keys, keeps the number's text.
    const record = invoice(42, { recordPayload: { currency: 'USD', amount: 1500.0, invoiceNumber: 'INV-42' } });

    const result = await client.ingestRecord(record);

    expect(result).toEqual({
      recordId: 'INV-42',
      recordHash: sha256Hex('{"amount":1500,"currency":"USD","invoiceNumber":"INV-42"}'),
      tenantId: 'acme-corp',
      acceptedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      idempotencyReplayed: false,
    });
    expect(sandbox.stats().requests).toEqual({ 'POST /api/v1/records': { '202': 1 } });
  });

  it('ingests a record whose identity key holds unicode, which no header can carry, and replays it', async () => {
    const client = clientFor(sandbox);
    const record = { ...invoice(1), recordId: 'Rechnung-Ü-😀', idempotencyKey: 'acme|billing|invoices|Rechnung-Ü-😀|1' };

    const first = await client.ingestRecord(record);
    const second = await client.ingestRecord(record);

    expect([first.idempotencyReplayed, second.idempotencyReplayed]).toEqual([false, true]);
  });

  it('replays a repeated idempotency key instead of storing the record again', async () => {
    const client = clientFor(sandbox);

    const first = await client.ingestRecord(invoice(1));
    const second = await client.ingestRecord(invoice(1));

    expect(second).toEqual({ ...first, idempotencyReplayed: true });
    expect(sandbox.stats()).toMatchObject({ recordsStored: 1, idempotentReplays: 1, duplicateIngests: 0 });
  });

  it('reuses keep-alive connections for sequential requests', async () => {
    await withSandbox({}, async (fresh) => {
      const client = clientFor(fresh);

      for (let i = 1; i <= 10; i++) await client.ingestRecord(invoice(i));

      // undici may open a second socket while the first is being returned to its pool; never one per request.
      expect(fresh.stats().connections).toBeLessThanOrEqual(2);
    });
  });

  it('exposes the X-RateLimit headers of the last response', async () => {
    const client = clientFor(sandbox);

    await client.ingestRecord(invoice(1));

    expect(client.rateLimit.limit).toBe(1000);
    expect(client.rateLimit.remaining).toBe(999);
    expect(client.rateLimit.resetAt!.getTime()).toBeGreaterThan(Date.now());
  });

  it('refuses an invalid record before sending it, naming the record and the field', async () => {
    const client = clientFor(sandbox);

    await expect(client.ingestRecord(invoice(7, { operationType: 'merge' }))).rejects.toThrow(
      new RecordValidationError('"INV-7"', 'operationType', 'must be one of upsert|insert|update|delete, got "merge"'),
    );
    expect(sandbox.stats().totalRequests).toBe(0);
  });

  it('raises the API 400 as a ValidationError with its details, without retrying', async () => {
    const client = clientFor(sandbox);

    const error = await client.ingestRecord(invoice(3, { sourceTimestamp: 'yesterday' })).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details).toEqual(['sourceTimestamp must be an ISO 8601 date-time']);
    expect(sandbox.stats().requests).toEqual({ 'POST /api/v1/records': { '400': 1 } });
  });
});

describe('ingestMany', () => {
  it('sends a handful of records as one bulk request', async () => {
    const client = clientFor(sandbox);

    const outcome = await client.ingestMany(invoices(5));

    expect(outcome.requests).toBe(1);
    expect(outcome.accepted.map((a) => a.result.recordId)).toEqual(['INV-1', 'INV-2', 'INV-3', 'INV-4', 'INV-5']);
    expect(outcome.accepted.map((a) => a.index)).toEqual([0, 1, 2, 3, 4]);
    expect(outcome).toMatchObject({ rejected: [], unsent: [], stoppedBy: undefined });
    expect(sandbox.stats().requests).toEqual({ 'POST /api/v1/records/bulk': { '202': 1 } });
  });

  it('splits 2,500 records into 3 bulk requests of at most 1,000', async () => {
    const client = clientFor(sandbox);

    const outcome = await client.ingestMany(invoices(2500));

    expect(outcome.requests).toBe(3);
    expect(outcome.accepted).toHaveLength(2500);
    expect(sandbox.stats()).toMatchObject({ recordsStored: 2500, requests: { 'POST /api/v1/records/bulk': { '202': 3 } } });
  });

  it('also splits by body size, so no request exceeds maxBodyBytes', async () => {
    // The sandbox refuses bodies over 2 KiB with 413: any oversized request would show up in stats.
    await withSandbox({ maxBodyBytes: 2048 }, async (small) => {
      const client = clientFor(small, { maxBodyBytes: 2048 });

      const outcome = await client.ingestMany(invoices(40));

      expect(outcome.accepted).toHaveLength(40);
      expect(outcome.requests).toBeGreaterThan(1);
      expect(small.stats().requests).toEqual({ 'POST /api/v1/records/bulk': { '202': outcome.requests } });
    });
  });

  it('rejects a record too large for any bulk body and sends the others', async () => {
    await withSandbox({ maxBodyBytes: 2048 }, async (small) => {
      const client = clientFor(small, { maxBodyBytes: 2048 });
      const huge = invoice(2, { recordPayload: { notes: 'x'.repeat(3000) } });

      const outcome = await client.ingestMany([invoice(1), huge, invoice(3)]);

      expect(outcome.rejected.map((r) => r.index)).toEqual([1]);
      expect(outcome.rejected[0]!.reason).toMatch(/^record "INV-2": is \d+ bytes, more than a bulk body of 2048 bytes can carry$/);
      expect(outcome.accepted.map((a) => a.index)).toEqual([0, 2]);
    });
  });

  it('halves a bulk request the API refuses as too large (413) until it fits', async () => {
    await withSandbox({ maxBodyBytes: 2048 }, async (small) => {
      const client = clientFor(small); // believes 4 MiB is fine

      const outcome = await client.ingestMany(invoices(40));

      expect(outcome.accepted).toHaveLength(40);
      expect(small.stats().requests['POST /api/v1/records/bulk']!['413']).toBeGreaterThan(0);
      expect(small.stats()).toMatchObject({ recordsStored: 40, duplicateIngests: 0 });
    });
  });

  it('reports a second delivery of the same records as replays and stores nothing new', async () => {
    const client = clientFor(sandbox);
    await client.ingestMany(invoices(10));

    const again = await client.ingestMany(invoices(10));

    expect(again.accepted.every((a) => a.replayed)).toBe(true);
    expect(sandbox.stats()).toMatchObject({ recordsStored: 10, idempotentReplays: 10, duplicateIngests: 0 });
  });

  it('counts the same record version stored under a different idempotency key as a duplicate ingest', async () => {
    const client = clientFor(sandbox);
    await client.ingestMany([invoice(1)]);

    await client.ingestMany([invoice(1, { idempotencyKey: 'billing-INV-1-2026-04-13' })]);

    expect(sandbox.stats()).toMatchObject({ recordsStored: 2, idempotentReplays: 0, duplicateIngests: 1 });
  });

  it('rejects locally invalid records with a reason and still sends the good ones', async () => {
    const client = clientFor(sandbox);
    const records = [invoice(1), invoice(2, { tenantId: undefined }), invoice(3), invoice(4, { recordId: 42 }), invoice(5, { idempotencyKey: undefined })];

    const outcome = await client.ingestMany(records);

    expect(outcome.accepted.map((a) => a.index)).toEqual([0, 2]);
    expect(outcome.rejected.map((r) => [r.index, r.reason])).toEqual([
      [1, 'record "INV-2": tenantId is required'],
      [3, 'record #3: recordId must be a string, got number'],
      [4, 'record "INV-5": idempotencyKey is required'],
    ]);
    expect(outcome.requests).toBe(1);
  });

  it('rejects the items a bulk 400 names and resends the rest', async () => {
    const client = clientFor(sandbox);
    const records: CertyoRecord[] = invoices(10).map((r, i) => (i === 3 || i === 7 ? { ...r, sourceTimestamp: 'not a date' } : r));

    const outcome = await client.ingestMany(records);

    expect(outcome.rejected.map((r) => r.index)).toEqual([3, 7]);
    expect(outcome.rejected[0]!.reason).toBe('Certyo rejected record "INV-4" (bulk item 3): validation_error "Invalid bulk request"; details: items[3].sourceTimestamp must be an ISO 8601 date-time');
    expect(outcome.accepted.map((a) => a.index)).toEqual([0, 1, 2, 4, 5, 6, 8, 9]);
    expect(outcome.requests).toBe(2);
    expect(sandbox.stats().requests).toEqual({ 'POST /api/v1/records/bulk': { '400': 1, '202': 1 } });
  });

  it('dead-letters an item a partial 202 rejects with Certyo\'s own error, message, details and index, and keeps the rest', async () => {
    await withSandbox({ bulkDetailFormat: 'partial' }, async (partial) => {
      const client = clientFor(partial);
      // Several versions of one id around the bad item: results must not shift onto the wrong version.
      const records: CertyoRecord[] = invoices(6).map((r, i) =>
        i === 4 ? { ...r, recordId: 'INV-1', recordVersion: 'bad', sourceTimestamp: 'not a date', idempotencyKey: 'k-bad' } : i === 2 ? { ...r, recordId: 'INV-1', recordVersion: '2', idempotencyKey: 'k-2' } : r,
      );

      const outcome = await client.ingestMany(records);

      expect(outcome.rejected.map((r) => [r.index, r.reason])).toEqual([
        [4, 'Certyo rejected record "INV-1" (bulk item 4): validation_error "Invalid record"; details: items[4].sourceTimestamp must be an ISO 8601 date-time'],
      ]);
      expect(outcome.accepted.map((a) => [a.index, a.record.recordVersion])).toEqual([0, 1, 2, 3, 5].map((i) => [i, records[i]!.recordVersion]));
      expect(outcome.requests).toBe(1);
      expect(partial.stats().recordsStored).toBe(5);
    });
  });

  it('isolates bad items by halving when the 400 does not say which item failed', async () => {
    await withSandbox({ bulkDetailFormat: 'unindexed' }, async (vague) => {
      const client = clientFor(vague);
      const records = invoices(8).map((r, i) => (i === 5 ? { ...r, sourceTimestamp: 'not a date' } : r));

      const outcome = await client.ingestMany(records);

      expect(outcome.rejected.map((r) => [r.index, r.reason])).toEqual([
        [5, 'POST /api/v1/records/bulk answered 400: Invalid bulk request; sourceTimestamp must be an ISO 8601 date-time'],
      ]);
      expect(outcome.accepted).toHaveLength(7);
      expect(vague.stats()).toMatchObject({ recordsStored: 7, duplicateIngests: 0 });
    });
  });

  it('keeps every digit of a RawJson number, so the hash is over what was sent', async () => {
    const client = clientFor(sandbox);

    const outcome = await client.ingestMany([invoice(1, { recordPayload: { amount: new RawJson('12345678901234567890.123456789') } })]);

    expect(outcome.accepted[0]!.result.recordHash).toBe(sha256Hex('{"amount":12345678901234567890.123456789}'));
  });
});

describe('forward (the API proxy tenant guard)', () => {
  it('sends the body as written, so every digit reaches Certyo, and returns answers of any status without retrying', async () => {
    const client = clientFor(sandbox, { maxAttempts: 1 });
    const payload = '{"amount":12345678901234567890123,"ratio":1.000000000000000000001}';
    const body = `{"tenantId":"acme-corp","database":"billing","collection":"invoices","recordId":"INV-9","idempotencyKey":"forwarded-9","recordPayload":${payload}}`;

    const accepted = await client.forward({ method: 'POST', path: '/api/v1/records', body });
    const direct = await client.ingestRecord({ ...invoice(10), recordPayload: new RawJson(payload) });
    const refused = await client.forward({ method: 'POST', path: '/api/v1/records', body: '{"tenantId":"acme-corp"}' });

    expect(accepted.status).toBe(202);
    expect((JSON.parse(accepted.text) as { recordHash: string }).recordHash).toBe(direct.recordHash);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text)).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    expect(sandbox.stats().requests['POST /api/v1/records']).toEqual({ '202': 2, '400': 1 });
  });
});
