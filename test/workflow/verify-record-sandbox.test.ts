/**
 * The real verification workflow against the local Certyo sandbox over HTTP, on a virtual clock
 * shared by the workflow's waits and the sandbox's rate windows: every row of issue 16's table
 * and the branches around it. The sandbox never anchors on its own here (hour-long real timers);
 * each test moves it on with `flush()` (snapshot) and `settle()` (anchor) where it needs.
 * Every scenario asserts the outcome subscribers filter on (message attribute `status`), the
 * outcome metric and the number of requests the execution spent on Certyo.
 */
import { parseLosslessJson, payloadHash, Sandbox, SandboxOptions, startSandbox } from '../../local/sandbox';
import { HttpRequest, runWorkflow, RunOptions, VirtualClock, virtualClock, WorkflowRun } from '../../local/harness/local-workflow';

const HOUR = 3_600_000;
const frozen = { flushMs: HOUR, anchorDelayMs: HOUR };
let clock: VirtualClock;
let sandbox: Sandbox;
const extra: Sandbox[] = [];

const record = {
  tenantId: 'acme-corp',
  database: 'billing',
  collection: 'invoices',
  recordId: 'INV-2026-0042',
  recordVersion: 'v1',
  recordPayload: { invoiceNumber: 'INV-2026-0042', amount: 1500.0, currency: 'USD' },
  idempotencyKey: 'billing-invoices-INV-2026-0042-v1',
};

/** The execution input the verification starter builds (see VerificationInput). */
function executionInput(recordHash: string) {
  const { tenantId, database, collection, recordId, recordVersion } = record;
  return { tenantId, database, collection, recordId, recordVersion, recordHash };
}

/** Ingests the record; `bodyText` lets a test send digits JSON.stringify would round. */
async function ingest(target: Sandbox, bodyText: string = JSON.stringify(record)): Promise<{ recordHash: string }> {
  const response = await fetch(`${target.url}/api/v1/records`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': target.apiKey },
    body: bodyText,
  });
  expect(response.status).toBe(202);
  return (await response.json()) as { recordHash: string };
}

/** A sandbox of its own (closed after the test), on the shared virtual clock. */
async function sandboxWith(options: SandboxOptions): Promise<Sandbox> {
  const started = await startSandbox({ ...frozen, clock: clock.now, ...options });
  extra.push(started);
  return started;
}

/** The schedule these scenarios' timings are written for (a wait of 90 s, then pauses of 30, 60, 90 s …), not the deployed one. */
const SCENARIO_SCHEDULE = { waitSeconds: 90, pollIntervalSeconds: 30 } as const;

function options(target: Sandbox, more: Partial<RunOptions> = {}): RunOptions {
  return { apiUrl: target.url, apiKey: target.apiKey, clock, ...SCENARIO_SCHEDULE, ...more };
}

const endpoints = (calls: readonly HttpRequest[]) => calls.map((c) => `${c.method} ${new URL(c.url).pathname}`);
const VERIFY = 'POST /api/v1/verify/record';

/** What every scenario checks: one notification, its `status` attribute and reason, the outcome metric, the Certyo requests. */
function expectOutcome(run: WorkflowRun, status: 'anchored' | 'failed' | 'unverified', reason: string | null, certyoRequests: number): void {
  expect(run.notifications).toHaveLength(1);
  expect(run.notifications[0]?.attributes).toEqual({ status: { DataType: 'String', StringValue: status } });
  expect(run.notifications[0]?.message).toMatchObject({ status, reason });
  expect(run.metrics).toEqual([{ name: 'Verifications', dimensions: { Path: 'verify', Outcome: status }, value: 1 }]);
  expect(run.calls).toHaveLength(certyoRequests);
  expect(run.output).toMatchObject({ status, reason });
}

beforeAll(async () => {
  clock = virtualClock();
  sandbox = await startSandbox({ ...frozen, clock: () => clock.now() });
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());
afterEach(async () => {
  await Promise.all(extra.splice(0).map((s) => s.close()));
});

it('anchored on the first try: one verify call without the payload, an anchored notification with the proof fields', async () => {
  const { recordHash } = await ingest(sandbox);
  sandbox.flush();
  sandbox.settle();

  const run = await runWorkflow(executionInput(recordHash), options(sandbox));

  expectOutcome(run, 'anchored', null, 1);
  expect(run.calls[0]?.body).toEqual({ tenantId: 'acme-corp', database: 'billing', collection: 'invoices', recordId: 'INV-2026-0042', recordVersion: 'v1' });
  expect(run.calls[0]?.headers['X-API-Key']).toBe(sandbox.apiKey);
  expect(run.waitedSeconds).toBe(90);
  expect(run.notifications[0]?.message).toEqual({
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

it('pending, then anchored: verifies again after one poll interval', async () => {
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

  expectOutcome(run, 'anchored', null, 2);
  expect(run.notifications[0]?.message.attempts).toBe(2);
  expect(run.waitedSeconds).toBe(90 + 30);
});

describe('the hourly budget is spent (429, Retry-After ≈ 3,500 s)', () => {
  it('keeps pausing past the window reset, then anchored; never more than 6 verify calls', async () => {
    const limited = await sandboxWith({ rateLimit: 2 });
    const { recordHash } = await ingest(limited);
    limited.flush();
    limited.settle();
    // The key's second and last request of the window: the workflow meets an empty budget.
    expect((await fetch(`${limited.url}/api/v1/records?tenantId=acme-corp`, { headers: { 'X-API-Key': limited.apiKey } })).status).toBe(200);
    const retryAfter: number[] = [];

    const run = await runWorkflow(executionInput(recordHash), {
      ...options(limited),
      afterCall: (_index, _request, response) => {
        if (response.status === 429) retryAfter.push(Number(response.headers?.['retry-after']));
      },
    });

    // Pauses 90 (anchoring), then 300, 600, 900, 900, 900 after each 429: the fifth ends 3,690 s in, past the reset at 3,600 s.
    expectOutcome(run, 'anchored', null, 6);
    expect(retryAfter[0]).toBe(3510);
    expect(retryAfter).toHaveLength(5);
    expect(run.waitedSeconds).toBe(3690);
    expect(run.notifications[0]?.message.attempts).toBe(1);
  });

  it('unverified with reason rate_limited when the horizon ends first', async () => {
    const limited = await sandboxWith({ rateLimit: 1 });
    const { recordHash } = await ingest(limited);

    const run = await runWorkflow(executionInput(recordHash), options(limited, { horizonSeconds: 1800 }));

    // 90, then 300 (390), 600 (990): the next 900-s pause would end at 1,890 s, past the horizon.
    expectOutcome(run, 'unverified', 'rate_limited', 3);
    expect(run.waitedSeconds).toBe(990);
  });
});

describe('Certyo answers 5xx', () => {
  it('for a few minutes: anchored once Certyo is back', async () => {
    const { recordHash } = await ingest(sandbox);
    sandbox.flush();
    sandbox.settle();
    sandbox.injectFaults('error', 'error', 'error');

    const run = await runWorkflow(executionInput(recordHash), options(sandbox));

    expectOutcome(run, 'anchored', null, 4);
    expect(run.waitedSeconds).toBe(90 + 30 + 60 + 90);
  });

  it('and never comes back within the horizon: unverified with reason certyo_unavailable', async () => {
    const { recordHash } = await ingest(sandbox);
    sandbox.setFaultRates({ errorRate: 1 });
    try {
      const run = await runWorkflow(executionInput(recordHash), options(sandbox, { horizonSeconds: 1800 }));

      // 90, then 30, 60, ... 300 (1,740 s in); one more 300-s pause would pass the horizon.
      expectOutcome(run, 'unverified', 'certyo_unavailable', 11);
      expect(run.waitedSeconds).toBe(1740);
    } finally {
      sandbox.setFaultRates({ errorRate: 0 });
    }
  });
});

describe.each(['pending', 'fail'] as const)('anchoring failed (shape %s)', (anchorFailedShape) => {
  /** A record whose first anchoring failed; the retried snapshot anchors unless `retryFailRate` is 1. */
  async function afterFailedAnchor(retryFailRate: number) {
    const failing = await sandboxWith({ failRate: 1, retryFailRate, anchorFailedShape });
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
    expect(endpoints(run.calls)).toEqual([VERIFY, `POST /api/v1/snapshots/${snapshotId}/retry`, VERIFY]);
    return { run, snapshotId };
  }

  it('retries the snapshot, verifies again: anchored', async () => {
    const { run, snapshotId } = await afterFailedAnchor(0);

    expectOutcome(run, 'anchored', null, 3);
    expect(run.notifications[0]?.message).toMatchObject({ snapshotId, attempts: 2 });
  });

  it('the retried snapshot fails too: failed with reason anchor_failed', async () => {
    const { run } = await afterFailedAnchor(1);

    expectOutcome(run, 'failed', 'anchor_failed', 3);
  });
});

it('the record was never ingested (404): failed with reason not_ingested after 3 calls', async () => {
  const run = await runWorkflow(executionInput('0'.repeat(64)), options(sandbox));

  expectOutcome(run, 'failed', 'not_ingested', 3);
  expect(run.waitedSeconds).toBe(90 + 30 + 30);
});

describe('never anchored within the horizon', () => {
  it('unverified with reason not_anchored', async () => {
    const { recordHash } = await ingest(sandbox);

    const run = await runWorkflow(executionInput(recordHash), options(sandbox, { horizonSeconds: 600, maxAttempts: 100 }));

    // 90, +30, +60, +90, +120, +150 = 540 s; the next pause (180 s) would end past 600 s.
    expectOutcome(run, 'unverified', 'not_anchored', 6);
    expect(run.waitedSeconds).toBe(540);
  });

  it('with its snapshot still pending: checks the snapshot once before giving up', async () => {
    const { recordHash } = await ingest(sandbox);
    const [snapshotId] = sandbox.flush();

    const run = await runWorkflow(executionInput(recordHash), options(sandbox, { maxAttempts: 2 }));

    expectOutcome(run, 'unverified', 'not_anchored', 3);
    expect(endpoints(run.calls)).toEqual([VERIFY, VERIFY, `GET /api/v1/snapshots/${snapshotId}`]);
    expect(run.notifications[0]?.message).toMatchObject({ snapshotId, attempts: 2 });
  });
});

it('tampered: Certyo holds another hash than it returned at ingest → failed with reason hash_mismatch in one call', async () => {
  await ingest(sandbox);
  sandbox.flush();
  sandbox.settle();
  // What the ingest answered for the payload the source really holds.
  const expected = payloadHash(parseLosslessJson(JSON.stringify({ ...record.recordPayload, amount: 1.5 })));

  const run = await runWorkflow(executionInput(expected), options(sandbox));

  expectOutcome(run, 'failed', 'hash_mismatch', 1);
  expect(run.notifications[0]?.message).toMatchObject({ recordId: 'INV-2026-0042', recordHash: expect.not.stringMatching(expected) });
});

it('a payload with integers beyond 2^53 and long decimals: anchored, not a false tamper report', async () => {
  const text = JSON.stringify({ ...record, recordPayload: 'PAYLOAD' }).replace('"PAYLOAD"', '{"big":9007199254740993,"price":0.10000000000000000555,"n":-12345678901234567890123}');
  const { recordHash } = await ingest(sandbox, text);
  sandbox.flush();
  sandbox.settle();

  const run = await runWorkflow({ ...executionInput(recordHash), payload: JSON.parse(text).recordPayload as unknown }, options(sandbox));

  expectOutcome(run, 'anchored', null, 1);
  // Even given a (rounded) payload, the workflow does not send it: the ingest hash is the check.
  expect(run.calls[0]?.body).not.toHaveProperty('payload');
});
