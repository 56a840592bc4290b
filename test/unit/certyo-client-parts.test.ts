/**
 * The client's pure parts: record validation, bulk packing, rate-limit and Retry-After parsing,
 * backoff, and construction from options and the Lambda environment.
 */
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { bulkBody, packChunks, SerializedItem } from '../../lambdas/shared/bulk-chunks';
import { certyoClientFromEnv, createCertyoClient } from '../../lambdas/shared/certyo-client';
import { staticApiKey } from '../../lambdas/shared/api-key';
import { AuthError, CertyoRecord } from '../../lambdas/shared/certyo-types';
import { parseRateLimitHeaders, parseRetryAfter, retryAtAfter429 } from '../../lambdas/shared/rate-limit';
import { findRecordProblem } from '../../lambdas/shared/record-validation';
import { DEFAULT_BACKOFF, fullJitterDelay } from '../../lambdas/shared/retry';
import { EnvironmentError } from '../../lambdas/shared/runtime-env';
import { startSandbox } from '../../local/sandbox';

const GOOD = { tenantId: 't', database: 'd', collection: 'c', recordId: 'r-1', recordPayload: { a: 1 }, idempotencyKey: 'k' };
const NOW = Date.parse('2026-04-13T10:00:00Z');

describe('findRecordProblem', () => {
  it('accepts a complete record, with or without the optional fields', () => {
    expect(findRecordProblem(GOOD)).toBeUndefined();
    expect(findRecordProblem({ ...GOOD, clientId: 'x', recordVersion: 'v1', sourceTimestamp: '2026-04-13T10:30:00Z', operationType: 'delete' })).toBeUndefined();
  });

  it.each([
    [{ ...GOOD, tenantId: undefined }, 'record "r-1": tenantId is required'],
    [{ ...GOOD, database: 5 }, 'record "r-1": database must be a string, got number'],
    [{ ...GOOD, collection: '  ' }, 'record "r-1": collection must not be empty'],
    [{ ...GOOD, recordId: undefined }, 'record #4: recordId is required'],
    [{ ...GOOD, recordPayload: null }, 'record "r-1": recordPayload is required'],
    [{ ...GOOD, idempotencyKey: undefined }, 'record "r-1": idempotencyKey is required'],
    [{ ...GOOD, recordVersion: 2 }, 'record "r-1": recordVersion must be a string when present, got number'],
    [{ ...GOOD, operationType: 'UPSERT' }, 'record "r-1": operationType must be one of upsert|insert|update|delete, got "UPSERT"'],
    ['not a record', 'record #4: record is not a JSON object'],
  ])('names the record and field of %j', (record, message) => {
    expect(findRecordProblem(record, 4)?.message).toBe(message);
  });

  it('accepts a falsy but present payload', () => {
    expect(findRecordProblem({ ...GOOD, recordPayload: 0 })).toBeUndefined();
  });
});

describe('packChunks', () => {
  const items = (sizes: number[]): SerializedItem<number>[] => sizes.map((bytes, i) => ({ item: i, json: 'x'.repeat(bytes), bytes }));

  it('cuts at maxItems', () => {
    expect(packChunks(items(Array(2500).fill(10)), 1000, 4 * 1024 * 1024).map((c) => c.length)).toEqual([1000, 1000, 500]);
  });

  it('cuts before a body would exceed maxBodyBytes, counting envelope and commas', () => {
    // Envelope {"items":[]} is 12 bytes: 12 + 40 + 1 + 40 = 93 fits in 93, a third item does not.
    const chunks = packChunks(items([40, 40, 40]), 1000, 93);

    expect(chunks.map((c) => c.map((e) => e.item))).toEqual([[0, 1], [2]]);
    expect(Buffer.byteLength(bulkBody(chunks[0]!))).toBe(93);
  });

  it('keeps input order and returns nothing for nothing', () => {
    expect(packChunks(items([5, 5, 5, 5, 5]), 2, 1000).flat().map((e) => e.item)).toEqual([0, 1, 2, 3, 4]);
    expect(packChunks([], 1000, 1000)).toEqual([]);
  });
});

describe('rate-limit headers', () => {
  it('reads X-RateLimit-Limit/Remaining/Reset (Unix seconds)', () => {
    const headers = new Headers({ 'X-RateLimit-Limit': '1000', 'X-RateLimit-Remaining': '42', 'X-RateLimit-Reset': '1776078000' });

    expect(parseRateLimitHeaders(headers, NOW)).toEqual({ limit: 1000, remaining: 42, resetAt: new Date(1776078000 * 1000) });
  });

  it('reads a small Reset as seconds from now, and leaves missing or garbage headers undefined', () => {
    expect(parseRateLimitHeaders(new Headers({ 'X-RateLimit-Reset': '30' }), NOW).resetAt).toEqual(new Date(NOW + 30_000));
    expect(parseRateLimitHeaders(new Headers({ 'X-RateLimit-Limit': 'lots' }), NOW)).toEqual({ limit: undefined, remaining: undefined, resetAt: undefined });
  });
});

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', NOW)).toBe(NOW + 120_000);
    expect(parseRetryAfter('Mon, 13 Apr 2026 10:02:00 GMT', NOW)).toBe(NOW + 120_000);
    expect(parseRetryAfter('Mon, 13 Apr 2026 09:00:00 GMT', NOW)).toBe(NOW);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
  });

  it('falls back from header to body retryAfter, resetTime, X-RateLimit-Reset, then the default', () => {
    const none = new Headers();
    expect(retryAtAfter429(new Headers({ 'Retry-After': '5' }), { retryAfter: 120 }, NOW)).toBe(NOW + 5_000);
    expect(retryAtAfter429(none, { retryAfter: 120, resetTime: '2026-04-13T11:00:00Z' }, NOW)).toBe(NOW + 120_000);
    expect(retryAtAfter429(none, { resetTime: '2026-04-13T11:00:00Z' }, NOW)).toBe(Date.parse('2026-04-13T11:00:00Z'));
    expect(retryAtAfter429(new Headers({ 'X-RateLimit-Reset': String(NOW / 1000 + 90) }), undefined, NOW)).toBe(NOW + 90_000);
    expect(retryAtAfter429(none, undefined, NOW, 60_000)).toBe(NOW + 60_000);
  });
});

describe('fullJitterDelay', () => {
  it('draws between 0 and min(cap, base * 2^attempt)', () => {
    expect(fullJitterDelay(0, DEFAULT_BACKOFF, () => 0.999)).toBe(199);
    expect(fullJitterDelay(3, DEFAULT_BACKOFF, () => 0.5)).toBe(800);
    expect(fullJitterDelay(20, DEFAULT_BACKOFF, () => 0.999)).toBe(19_980);
    expect(fullJitterDelay(5, DEFAULT_BACKOFF, () => 0)).toBe(0);
  });
});

describe('createCertyoClient', () => {
  const key = staticApiKey('k');

  it.each([
    [{ apiUrl: 'not a url' }, 'apiUrl "not a url" is not a URL'],
    [{ maxBulkItems: 1001 }, 'maxBulkItems must be at most 1000, got 1001'],
    [{ maxBodyBytes: 0 }, 'maxBodyBytes must be a positive number, got 0'],
    [{ requestTimeoutMs: -5 }, 'requestTimeoutMs must be a positive number, got -5'],
  ])('refuses %j naming the option', (options, message) => {
    expect(() => createCertyoClient({ apiUrl: 'https://www.certyos.com', apiKey: key, ...options })).toThrow(message);
  });

  it('starts with no rate-limit knowledge', () => {
    expect(createCertyoClient({ apiUrl: 'https://www.certyos.com/', apiKey: key }).rateLimit).toEqual({});
  });
});

describe('certyoClientFromEnv', () => {
  const secrets = mockClient(SecretsManagerClient);
  beforeEach(() => secrets.reset());
  afterAll(() => secrets.restore());

  it('builds a client that calls CERTYO_API_URL with the key of CERTYO_SECRET_ARN', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: 'certyo/api-key' }).resolves({ SecretString: '{"apiKey":"env-key"}' });
    const sandbox = await startSandbox({ apiKeys: ['env-key'] });
    try {
      const client = certyoClientFromEnv({ CERTYO_API_URL: sandbox.url, CERTYO_TENANT_ID: 'acme-corp', CERTYO_SECRET_ARN: 'certyo/api-key' });

      await client.queryRecords({ tenantId: 'acme-corp' });

      expect(sandbox.stats().requests).toEqual({ 'GET /api/v1/records': { '200': 1 } });
    } finally {
      await sandbox.close();
    }
  });

  it('reports a secret that cannot be read as AuthError, the one error ingestMany throws', async () => {
    secrets.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));
    const client = certyoClientFromEnv({ CERTYO_API_URL: 'http://127.0.0.1:9', CERTYO_TENANT_ID: 'acme-corp', CERTYO_SECRET_ARN: 'certyo/missing' });

    const error = await client.ingestMany([GOOD as CertyoRecord]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AuthError);
    expect((error as Error).message).toBe("Could not load the Certyo API key: ResourceNotFoundException: Secrets Manager can't find the specified secret.");
  });

  it('fails the cold start naming a missing variable', () => {
    expect(() => certyoClientFromEnv({ CERTYO_TENANT_ID: 'acme-corp' })).toThrow(new EnvironmentError('Environment variable CERTYO_SECRET_ARN is not set'));
  });
});
