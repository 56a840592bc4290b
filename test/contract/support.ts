/**
 * Shared arrangements of the contract tests: records, and a client pointed at a sandbox with
 * short backoffs so retries take milliseconds.
 */
import { createHash } from 'node:crypto';
import { staticApiKey } from '../../lambdas/shared/api-key';
import { CertyoClient, CertyoClientOptions, createCertyoClient } from '../../lambdas/shared/certyo-client';
import { CertyoRecord } from '../../lambdas/shared/certyo-types';
import { Sandbox, SandboxOptions, startSandbox } from '../../local/sandbox';

/** The API reference's example record of `POST /api/v1/records`. */
export const EXAMPLE_RECORD = {
  tenantId: 'acme-corp',
  database: 'billing',
  collection: 'invoices',
  recordId: 'INV-2026-0042',
  recordPayload: { invoiceNumber: 'INV-2026-0042', amount: 1500.0, currency: 'USD' },
  idempotencyKey: 'billing-INV-2026-0042-v1',
};

export function invoice(n: number, overrides: Partial<Record<keyof CertyoRecord, unknown>> = {}): CertyoRecord {
  return {
    tenantId: 'acme-corp',
    database: 'billing',
    collection: 'invoices',
    recordId: `INV-${n}`,
    recordVersion: 'v1',
    recordPayload: { invoiceNumber: `INV-${n}`, amount: n * 10, currency: 'USD' },
    operationType: 'upsert',
    idempotencyKey: `billing-invoices-INV-${n}-v1`,
    ...overrides,
  } as CertyoRecord;
}

export function invoices(count: number, from = 1): CertyoRecord[] {
  return Array.from({ length: count }, (_, i) => invoice(from + i));
}

export function clientFor(sandbox: Sandbox, options: Partial<CertyoClientOptions> = {}): CertyoClient {
  return createCertyoClient({ apiUrl: sandbox.url, apiKey: staticApiKey(sandbox.apiKey), backoff: { baseMs: 5, capMs: 20 }, ...options });
}

/** Starts a sandbox for one test and closes it afterwards, whatever happens. */
export async function withSandbox<T>(options: SandboxOptions, run: (sandbox: Sandbox) => Promise<T>): Promise<T> {
  const sandbox = await startSandbox(options);
  try {
    return await run(sandbox);
  } finally {
    await sandbox.close();
  }
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The documented proof check, written out independently of the sandbox's Merkle module:
 * fold the leaf with each proof hash, smaller 32-byte value first, SHA-256 each pair.
 */
export function foldSortedPairProof(leafHex: string, proof: readonly string[]): string {
  return proof.reduce((node, sibling) => {
    const [a, b] = [Buffer.from(node, 'hex'), Buffer.from(sibling, 'hex')];
    return sha256Hex(Buffer.compare(a, b) <= 0 ? Buffer.concat([a, b]) : Buffer.concat([b, a]));
  }, leafHex);
}

/** Raw HTTP against a sandbox (for the API's documented shapes, without the client). */
export async function raw<T = Record<string, unknown>>(
  sandbox: Sandbox,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { 'X-API-Key': sandbox.apiKey },
): Promise<{ status: number; headers: Headers; body: T }> {
  const response = await fetch(sandbox.url + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
}
