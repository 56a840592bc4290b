/**
 * The real verification workflow against the local Certyo sandbox over HTTP: every branch the
 * issue names. The sandbox never anchors on its own here (hour-long timers); each test moves it
 * on with `flush()` (snapshot) and `settle()` (anchor) at the point it needs.
 */
import { REASON_CATEGORY, Sandbox, startSandbox } from '../../local/sandbox';
import { HttpRequest, runWorkflow, RunOptions } from '../../local/harness/local-workflow';

const HOUR = 3_600_000;
const frozen = { flushMs: HOUR, anchorDelayMs: HOUR };
let sandbox: Sandbox;

const record = {
  tenantId: 'acme-corp',
  database: 'billing',
  collection: 'invoices',
  recordId: 'INV-2026-0042',
  recordVersion: 'v1',
  recordPayload: { invoiceNumber: 'INV-2026-0042', amount: 1500.0, currency: 'USD' },
  idempotencyKey: 'billing-invoices-INV-2026-0042-v1',
};

/** The execution input an ingest Lambda starts (see VerificationInput). */
function executionInput(recordHash: string, payload: unknown = record.recordPayload) {
  const { tenantId, database, collection, recordId, recordVersion } = record;
  return { tenantId, database, collection, recordId, recordVersion, recordHash, payload };
}

async function ingest(target: Sandbox, body: object = record): Promise<{ recordHash: string }> {
  const response = await fetch(`${target.url}/api/v1/records`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': target.apiKey },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
  return (await response.json()) as { recordHash: string };
}

function options(target: Sandbox, extra: Partial<RunOptions> = {}): RunOptions {
  return { apiUrl: target.url, apiKey: target.apiKey, ...extra };
}

const endpoints = (calls: readonly HttpRequest[]) => calls.map((c) => `${c.method} ${new URL(c.url).pathname}`);

beforeAll(async () => {
  sandbox = await startSandbox(frozen);
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

it('anchored on the first try: one verify call, an anchored notification with the proof fields', async () => {
  const { recordHash } = await ingest(sandbox);
  sandbox.flush();
  sandbox.settle();

  const run = await runWorkflow(executionInput(recordHash), options(sandbox));

  expect(endpoints(run.calls)).toEqual(['POST /api/v1/verify/record']);
  expect(run.calls[0]?.body).toEqual({
    tenantId: 'acme-corp',
    database: 'billing',
    collection: 'invoices',
    recordId: 'INV-2026-0042',
    recordVersion: 'v1',
    payload: record.recordPayload,
  });
  expect(run.calls[0]?.headers['X-API-Key']).toBe(sandbox.apiKey);
  expect(run.notifications).toHaveLength(1);
  const [notification] = run.notifications;
  expect(notification?.attributes).toEqual({ status: { DataType: 'String', StringValue: 'anchored' } });
  expect(notification?.message).toEqual({
    status: 'anchored',
    tenantId: 'acme-corp',
    database: 'billing',
    collection: 'invoices',
    recordId: 'INV-2026-0042',
    recordVersion: 'v1',
    recordHash,
    snapshotId: expect.stringMatching(/^snap_/),
    merkleRoot: expect.stringMatching(/^[0-9a-f]{64}$/),
    transactionHash: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    verifiedAt: expect.any(String),
    attempts: 1,
    reason: null,
    covers: null,
  });
  expect(run.output).toEqual({ status: 'anchored', reason: null, notification: { messageId: 'msg-1' } });
});

it('pending, then anchored: verifies again after the backoff', async () => {
  const { recordHash } = await ingest(sandbox);

  const run = await runWorkflow(executionInput(recordHash), {
    ...options(sandbox),
    afterCall: (index) => {
      if (index === 0) {
        sandbox.flush();
        sandbox.settle();
      }
    },
  });

  expect(endpoints(run.calls)).toEqual(['POST /api/v1/verify/record', 'POST /api/v1/verify/record']);
  expect(run.notifications.map((n) => [n.message.status, n.message.attempts])).toEqual([['anchored', 2]]);
  expect(run.events.filter((e) => e.type === 'StateEntered' && e.state.name === 'Backoff')).toHaveLength(1);
});

it('timeout: never anchored within maxAttempts → failed with reason timeout', async () => {
  const { recordHash } = await ingest(sandbox);

  const run = await runWorkflow(executionInput(recordHash), options(sandbox, { maxAttempts: 3 }));

  expect(endpoints(run.calls)).toEqual(Array(3).fill('POST /api/v1/verify/record'));
  expect(run.notifications).toHaveLength(1);
  expect(run.notifications[0]?.message).toMatchObject({ status: 'failed', reason: 'timeout', attempts: 3, recordHash, snapshotId: null });
  expect(run.notifications[0]?.attributes.status?.StringValue).toBe('failed');
});

it('timeout with a snapshot still pending: checks the snapshot once before giving up', async () => {
  const { recordHash } = await ingest(sandbox);
  const [snapshotId] = sandbox.flush();

  const run = await runWorkflow(executionInput(recordHash), options(sandbox, { maxAttempts: 2 }));

  expect(endpoints(run.calls)).toEqual(['POST /api/v1/verify/record', 'POST /api/v1/verify/record', `GET /api/v1/snapshots/${snapshotId}`]);
  expect(run.notifications[0]?.message).toMatchObject({ status: 'failed', reason: 'timeout', snapshotId, attempts: 2 });
});

it('tampered: the payload does not match what was ingested → failed with Certyo reason', async () => {
  const { recordHash } = await ingest(sandbox);
  sandbox.flush();
  sandbox.settle();

  const run = await runWorkflow(executionInput(recordHash, { ...record.recordPayload, amount: 1.5 }), options(sandbox));

  expect(run.calls).toHaveLength(1);
  expect(run.notifications.map((n) => n.message)).toEqual([
    expect.objectContaining({ status: 'failed', reason: REASON_CATEGORY.payloadMismatch, recordId: 'INV-2026-0042', attempts: 1 }),
  ]);
  expect(run.output).toMatchObject({ status: 'failed', reason: REASON_CATEGORY.payloadMismatch });
});

it('failed snapshot: retried once, then anchored', async () => {
  const failing = await startSandbox({ ...frozen, failRate: 1 });
  try {
    const { recordHash } = await ingest(failing);
    const [snapshotId] = failing.flush();
    failing.settle();

    const run = await runWorkflow(executionInput(recordHash), {
      ...options(failing),
      // The retried snapshot is anchoring again; let it finish.
      afterCall: (_index, request) => {
        if (request.url.endsWith('/retry')) failing.settle();
      },
    });

    expect(endpoints(run.calls)).toEqual(['POST /api/v1/verify/record', `POST /api/v1/snapshots/${snapshotId}/retry`, 'POST /api/v1/verify/record']);
    expect(run.notifications.map((n) => n.message)).toEqual([expect.objectContaining({ status: 'anchored', snapshotId, attempts: 2, reason: null })]);
  } finally {
    await failing.close();
  }
});

it('429, then success: the rate-limit retrier backs off and the record is anchored', async () => {
  const { recordHash } = await ingest(sandbox);
  sandbox.flush();
  sandbox.settle();
  sandbox.injectFaults('throttle');

  const run = await runWorkflow(executionInput(recordHash), options(sandbox));

  expect(endpoints(run.calls)).toEqual(['POST /api/v1/verify/record', 'POST /api/v1/verify/record']);
  expect(run.retries.map((r) => [r.state, r.retry.retrier.ErrorEquals])).toEqual([['Verify', ['States.Http.StatusCode.429']]]);
  expect(run.retries[0]?.retry.retrier).toMatchObject({ JitterStrategy: 'FULL', MaxDelaySeconds: 900 });
  expect(run.notifications.map((n) => [n.message.status, n.message.attempts])).toEqual([['anchored', 1]]);
});

it('500 on every try: retries exhausted → failed notification naming the status', async () => {
  const { recordHash } = await ingest(sandbox);
  sandbox.flush();
  sandbox.settle();
  sandbox.injectFaults(...Array<'error'>(6).fill('error'));

  const run = await runWorkflow(executionInput(recordHash), options(sandbox));

  expect(run.calls).toHaveLength(6);
  expect(run.retries).toHaveLength(5);
  expect(run.retries.every((r) => r.retry.retrier.ErrorEquals.includes('States.Http.StatusCode.500'))).toBe(true);
  expect(run.notifications.map((n) => n.message)).toEqual([
    expect.objectContaining({ status: 'failed', reason: 'States.Http.StatusCode.500', recordHash, recordId: 'INV-2026-0042' }),
  ]);
  expect(run.output).toMatchObject({ status: 'failed' });
});
