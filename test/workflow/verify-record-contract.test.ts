/**
 * The real verification workflow against scripted Certyo answers: the input contract (forwarded
 * events and ingest-Lambda starts), answers the sandbox does not give (404 before ingestion, a
 * verify answer that does not mention the snapshot status, unknown statuses) and the backoff.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { AcceptedRecord } from '../../lambdas/shared/certyo-types';
import { createVerificationStarter } from '../../lambdas/shared/verification-starter';
import { HttpRequest, HttpResponse, runWorkflow } from '../../local/harness/local-workflow';

const API = 'https://certyo.test';
const KEY = 'test-key';

const pass = {
  verified: true,
  verificationStatus: 'pass',
  reasonCategory: 'full_match',
  verifiedAt: '2026-04-13T12:00:00Z',
  snapshotId: 'snap_xyz789',
  merkleRoot: 'd4e5f6',
  anchoredOnChain: true,
  recordHash: 'a1b2c3',
};
const pending = { verified: false, verificationStatus: 'pending', anchoredOnChain: false };

/** Answers each request with the next scripted response for its endpoint (`METHOD /path`). */
function scripted(script: Record<string, HttpResponse[]>) {
  return async (request: HttpRequest): Promise<HttpResponse> => {
    const key = `${request.method} ${new URL(request.url).pathname}`;
    const next = script[key]?.shift();
    if (!next) throw new Error(`unexpected call ${key}`);
    return next;
  };
}

const ok = (body: unknown): HttpResponse => ({ status: 200, body });
const run = (input: unknown, script: Record<string, HttpResponse[]>, extra = {}) =>
  // The schedule these answers' timings are written for (a wait of 90 s, then pauses of 30, 60, 90 s …), not the deployed one.
  runWorkflow(input, { apiUrl: API, apiKey: KEY, http: scripted(script), tenantId: 'default-tenant', waitSeconds: 90, pollIntervalSeconds: 30, ...extra });

/** A forwarding event's detail as direct mode passes it (`$.detail`), optional fields left out. */
const detail = { database: 'billing', collection: 'invoices', recordId: 'INV-1', idempotencyKey: 'k-1', operationType: 'upsert' };

describe('input contract', () => {
  it('a forwarded detail without tenantId, recordVersion or payload: defaults the tenant, sends neither optional field', async () => {
    const result = await run(detail, { 'POST /api/v1/verify/record': [ok(pass)] });

    expect(result.calls[0]?.body).toEqual({ tenantId: 'default-tenant', database: 'billing', collection: 'invoices', recordId: 'INV-1' });
    expect(result.notifications[0]?.message).toMatchObject({ status: 'anchored', tenantId: 'default-tenant', recordVersion: null, recordHash: 'a1b2c3' });
  });

  it('never sends a payload (the ingest hash is the check), and sends a recordVersion when given', async () => {
    const withPayload = await run({ ...detail, payload: { amount: 1 } }, { 'POST /api/v1/verify/record': [ok(pass)] });
    const withVersion = await run({ ...detail, recordVersion: 'v7' }, { 'POST /api/v1/verify/record': [ok(pass)] });

    expect(withPayload.calls[0]?.body).toEqual({ tenantId: 'default-tenant', database: 'billing', collection: 'invoices', recordId: 'INV-1' });
    expect(withVersion.calls[0]?.body).toEqual({ tenantId: 'default-tenant', database: 'billing', collection: 'invoices', recordId: 'INV-1', recordVersion: 'v7' });
    expect(withVersion.notifications[0]?.message.recordVersion).toBe('v7');
  });

  it('treats explicit nulls like absent fields (a template may render a missing field as null)', async () => {
    const result = await run({ ...detail, tenantId: 'acme', recordVersion: null, payload: null }, { 'POST /api/v1/verify/record': [ok(pass)] });

    expect(result.calls[0]?.body).toEqual({ tenantId: 'acme', database: 'billing', collection: 'invoices', recordId: 'INV-1' });
  });

  it('runs what the ingest starter sends, and a batch notification lists every covered record', async () => {
    const sfnMock = mockClient(SFNClient);
    sfnMock.on(StartExecutionCommand).resolves({});
    const accepted: AcceptedRecord[] = ['A', 'B', 'C'].map((id, index) => ({
      index,
      replayed: false,
      record: { tenantId: 'acme', database: 'billing', collection: 'invoices', recordId: id, recordPayload: { id }, idempotencyKey: `k-${id}` },
      result: { recordId: id, recordHash: `hash-${id}`, tenantId: 'acme', acceptedAt: '2026-04-13T10:30:05Z' },
    }));
    await createVerificationStarter({ stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:V', policy: { kind: 'batch' }, sfn: new SFNClient({}) }).start(accepted);
    const input = JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input.input as string) as unknown;
    sfnMock.restore();

    const { recordHash: _ignored, ...answer } = pass;
    const result = await run(input, { 'POST /api/v1/verify/record': [ok(answer)] });

    expect(result.calls[0]?.body).toEqual({ tenantId: 'acme', database: 'billing', collection: 'invoices', recordId: 'C' });
    expect(result.notifications[0]?.message).toMatchObject({
      status: 'anchored',
      recordId: 'C',
      recordHash: 'hash-C',
      covers: ['A', 'B', 'C'].map((recordId) => ({ database: 'billing', collection: 'invoices', recordId })),
    });
  });
});

describe('answers', () => {
  it('404 (not ingested yet, e.g. the API Destination has not delivered) keeps polling up to twice', async () => {
    const notFound: HttpResponse = { status: 404, body: { error: 'not_found', message: 'record INV-1 not found' } };

    const result = await run(detail, { 'POST /api/v1/verify/record': [notFound, notFound, ok(pass)] });

    expect(result.calls).toHaveLength(3);
    // attempts counts Certyo's answers about the record; a 404 is not one yet.
    expect(result.notifications[0]?.message).toMatchObject({ status: 'anchored', attempts: 1 });
  });

  it('another 4xx is no answer about the record: unverified at once with the status as the reason', async () => {
    const result = await run(detail, { 'POST /api/v1/verify/record': [{ status: 401, body: { error: 'unauthorized', message: 'Missing or invalid API key' } }] });

    expect(result.calls).toHaveLength(1);
    expect(result.notifications[0]?.message).toMatchObject({ status: 'unverified', reason: 'States.Http.StatusCode.401', attempts: 0 });
    expect(result.notifications[0]?.attributes.status?.StringValue).toBe('unverified');
  });

  it('a verify answer naming another recordHash without a recordVersion: unverified/superseded (a newer version), not tampered', async () => {
    const result = await run({ ...detail, recordHash: 'hash-v1' }, { 'POST /api/v1/verify/record': [ok({ ...pass, recordHash: 'hash-v2' })] });

    expect(result.notifications[0]?.message).toMatchObject({ status: 'unverified', reason: 'superseded', recordHash: 'hash-v2' });
  });

  it('an undocumented status is "not anchored yet", not a failure', async () => {
    const result = await run(detail, { 'POST /api/v1/verify/record': [ok({ verified: false, verificationStatus: 'processing' }), ok(pass)] });

    expect(result.notifications[0]?.message).toMatchObject({ status: 'anchored', attempts: 2 });
  });

  it('tampered with no reasonCategory: the verificationStatus is the reason', async () => {
    const result = await run(detail, { 'POST /api/v1/verify/record': [ok({ verified: false, verificationStatus: 'tampered' })] });

    expect(result.notifications[0]?.message).toMatchObject({ status: 'failed', reason: 'tampered' });
  });

  it('a failed snapshot the verify answer does not mention: found by the snapshot status before timing out, retried, then anchored', async () => {
    const inSnapshot = ok({ ...pending, snapshotId: 'snap_1', reasonCategory: 'anchor_pending' });

    const result = await run(detail, {
      'POST /api/v1/verify/record': [inSnapshot, inSnapshot, inSnapshot, ok(pass)],
      'GET /api/v1/snapshots/snap_1': [ok({ snapshotId: 'snap_1', status: 'Failed', recordIds: ['INV-1'], recordCount: 1, snapshotHash: 'h' })],
      'POST /api/v1/snapshots/snap_1/retry': [{ status: 202, body: { snapshotId: 'snap_1', status: 'PendingAnchor' } }],
    }, { maxAttempts: 2 });

    expect(result.calls.map((c) => `${c.method} ${new URL(c.url).pathname}`)).toEqual([
      'POST /api/v1/verify/record',
      'POST /api/v1/verify/record',
      'GET /api/v1/snapshots/snap_1',
      'POST /api/v1/snapshots/snap_1/retry',
      'POST /api/v1/verify/record',
      'POST /api/v1/verify/record',
    ]);
    expect(result.notifications[0]?.message).toMatchObject({ status: 'anchored', attempts: 4 });
  });

  it('a snapshot that fails again after its one retry → failed with reason anchor_failed', async () => {
    const failed = ok({ ...pending, snapshotId: 'snap_1', snapshotStatus: 'Failed', reasonCategory: 'anchor_failed' });

    const result = await run(detail, {
      'POST /api/v1/verify/record': [failed, failed],
      'POST /api/v1/snapshots/snap_1/retry': [{ status: 202, body: {} }],
    });

    expect(result.calls).toHaveLength(3);
    expect(result.notifications[0]?.message).toMatchObject({ status: 'failed', reason: 'anchor_failed', snapshotId: 'snap_1' });
  });

  it('a rate-limited snapshot retry is not counted as the retry: paused, verified again, retried again', async () => {
    const failed = ok({ ...pending, snapshotId: 'snap_1', verificationStatus: 'fail', reasonCategory: 'anchor_failed' });

    const result = await run(detail, {
      'POST /api/v1/verify/record': [failed, failed, ok(pass)],
      'POST /api/v1/snapshots/snap_1/retry': [{ status: 429, body: { retryAfter: 10 } }, { status: 202, body: {} }],
    });

    expect(result.calls.map((c) => `${c.method} ${new URL(c.url).pathname}`)).toEqual([
      'POST /api/v1/verify/record',
      'POST /api/v1/snapshots/snap_1/retry',
      'POST /api/v1/verify/record',
      'POST /api/v1/snapshots/snap_1/retry',
      'POST /api/v1/verify/record',
    ]);
    expect(result.notifications[0]?.message).toMatchObject({ status: 'anchored' });
  });

  it('backs off linearly after the anchoring wait: each pause is one poll interval longer than the last', async () => {
    const result = await run(detail, { 'POST /api/v1/verify/record': [ok(pending), ok(pending), ok(pending), ok(pass)] }, { pollIntervalSeconds: 20 });

    const pauses = result.events.flatMap((e) => (e.type === 'StateEntered' && e.state.name === 'Pause' ? [(e.state.input as { pause: { seconds: number } }).pause.seconds] : []));
    expect(pauses).toEqual([90, 20, 40, 60]);
  });

  it('pauses after a 503 and caps the outage pauses at 300 s', async () => {
    const result = await run(detail, { 'POST /api/v1/verify/record': [...Array<HttpResponse>(12).fill({ status: 503 }), ok(pass)] });

    const pauses = result.events.flatMap((e) => (e.type === 'StateEntered' && e.state.name === 'Pause' ? [(e.state.input as { pause: { seconds: number; reason: string } }).pause] : []));
    expect(pauses.map((p) => p.seconds)).toEqual([90, 30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300, 300]);
    expect(new Set(pauses.slice(1).map((p) => p.reason))).toEqual(new Set(['certyo_unavailable']));
    expect(result.notifications[0]?.message.status).toBe('anchored');
  });
});
