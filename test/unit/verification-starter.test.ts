import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { AcceptedRecord, CertyoRecord } from '../../lambdas/shared/certyo-types';
import { RawJson } from '../../lambdas/shared/json';
import { EnvironmentError } from '../../lambdas/shared/runtime-env';
import {
  createVerificationStarter,
  executionName,
  formatVerificationPolicy,
  isSampled,
  noVerification,
  parseVerificationPolicy,
  VerifiableRecord,
  VerificationInput,
  VerificationStartError,
  verificationStarterFromEnv,
} from '../../lambdas/shared/verification-starter';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:VerifyRecord';
const sfnMock = mockClient(SFNClient);

function accepted(count: number, overrides: Partial<CertyoRecord> = {}, replayed = false): AcceptedRecord[] {
  return Array.from({ length: count }, (_, index) => {
    const record: CertyoRecord = {
      tenantId: 'acme-corp',
      database: 'billing',
      collection: 'invoices',
      recordId: `INV-${index}`,
      recordVersion: 'v1',
      recordPayload: { amount: index },
      idempotencyKey: `billing-invoices-INV-${index}-v1`,
      ...overrides,
    };
    return {
      index,
      record,
      replayed,
      result: { recordId: record.recordId, recordHash: `sha256:${index}`, tenantId: 'acme-corp', acceptedAt: '2026-04-13T10:30:05Z', idempotencyReplayed: replayed },
    };
  });
}

function startCalls(): { name: string; input: VerificationInput; stateMachineArn: string; rawInput: string }[] {
  return sfnMock.commandCalls(StartExecutionCommand).map((c) => ({
    name: c.args[0].input.name as string,
    stateMachineArn: c.args[0].input.stateMachineArn as string,
    rawInput: c.args[0].input.input as string,
    input: JSON.parse(c.args[0].input.input as string) as VerificationInput,
  }));
}

function starter(policy: Parameters<typeof createVerificationStarter>[0]['policy'], extra: Partial<Parameters<typeof createVerificationStarter>[0]> = {}) {
  return createVerificationStarter({ stateMachineArn: ARN, policy, sfn: new SFNClient({}), ...extra });
}

beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:x`, startDate: new Date() });
});

describe('verificationStarterFromEnv', () => {
  it('returns noVerification when VERIFY_STATE_MACHINE_ARN is unset, and starts nothing', async () => {
    const result = verificationStarterFromEnv({ VERIFY_POLICY: 'all' }, new SFNClient({}));

    expect(result).toBe(noVerification);
    await expect(result.start(accepted(3))).resolves.toEqual({ started: 0, skipped: 3 });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('returns noVerification for the policy none', () => {
    expect(verificationStarterFromEnv({ VERIFY_STATE_MACHINE_ARN: ARN, VERIFY_POLICY: 'none' })).toBe(noVerification);
  });

  it('defaults to the policy all and starts one execution per record on the configured state machine', async () => {
    const result = await verificationStarterFromEnv({ VERIFY_STATE_MACHINE_ARN: ARN }, new SFNClient({})).start(accepted(3));

    expect(result).toEqual({ started: 3, skipped: 0 });
    expect(startCalls().map((c) => c.stateMachineArn)).toEqual([ARN, ARN, ARN]);
  });

  it('fails the cold start with a message naming VERIFY_POLICY when the policy is malformed', () => {
    const env = { VERIFY_STATE_MACHINE_ARN: ARN, VERIFY_POLICY: 'sample:2' };

    expect(() => verificationStarterFromEnv(env)).toThrow(EnvironmentError);
    expect(() => verificationStarterFromEnv(env)).toThrow(/VERIFY_POLICY = "sample:2"/);
  });
});

describe('parseVerificationPolicy / formatVerificationPolicy', () => {
  it.each(['all', 'none', 'batch', 'sample:0.25', 'sample:1'])('round-trips %s', (text) => {
    expect(formatVerificationPolicy(parseVerificationPolicy(text))).toBe(text);
  });

  it.each(['', 'some', 'sample:', 'sample:0', 'sample:-0.1', 'sample:abc', 'ALL'])('rejects "%s"', (text) => {
    expect(() => parseVerificationPolicy(text)).toThrow(/VERIFY_POLICY/);
  });
});

describe('executionName', () => {
  it('is deterministic, at most 80 characters of the allowed alphabet, and differs per key and per kind', () => {
    const name = executionName('record', 'billing-invoices-INV-1-v1');

    expect(name).toBe(executionName('record', 'billing-invoices-INV-1-v1'));
    expect(name).toMatch(/^[0-9A-Za-z_-]{1,80}$/);
    expect(name).not.toBe(executionName('record', 'billing-invoices-INV-1-v2'));
    expect(name).not.toBe(executionName('batch', 'billing-invoices-INV-1-v1'));
  });

  it('does not reveal the record id or key', () => {
    expect(executionName('record', 'billing-invoices-INV-1-v1')).not.toContain('INV');
  });
});

describe('policy all', () => {
  it('sends the verify fields, the record hash and the payload, named from the idempotency key', async () => {
    const records = accepted(2);

    await starter({ kind: 'all' }).start(records);

    const calls = startCalls();
    expect(calls.map((c) => c.name)).toEqual(records.map((r) => executionName('record', r.record.idempotencyKey)));
    expect(calls[1]?.input).toEqual({
      tenantId: 'acme-corp',
      database: 'billing',
      collection: 'invoices',
      recordId: 'INV-1',
      recordVersion: 'v1',
      recordHash: 'sha256:1',
    });
  });

  it('leaves recordVersion out when the record has none (the workflow then verifies the latest version)', async () => {
    await starter({ kind: 'all' }).start(accepted(1, { recordVersion: undefined }));

    expect(Object.keys(startCalls()[0]?.input ?? {})).not.toContain('recordVersion');
  });

  it('never carries the payload, however large or precise: the ingest recordHash is the tamper check', async () => {
    const payloads = [{ amount: new RawJson('123456789012345678901234567890.000001') }, { blob: 'x'.repeat(300 * 1024) }];

    await starter({ kind: 'all' }).start(payloads.map((recordPayload, i) => accepted(1, { recordPayload, recordId: `INV-${i}`, idempotencyKey: `k-${i}` })[0] as AcceptedRecord));

    expect(startCalls().map((c) => [c.input.recordId, c.input.recordHash, 'payload' in c.input])).toEqual([
      ['INV-0', expect.any(String), false],
      ['INV-1', expect.any(String), false],
    ]);
    expect(startCalls().every((c) => !c.rawInput.includes('123456789012345678901234567890') && Buffer.byteLength(c.rawInput) < 1024)).toBe(true);
  });

  it('starts replayed records too (same name: a no-op if the first attempt started it)', async () => {
    const records = accepted(1, {}, true);

    await expect(starter({ kind: 'all' }).start(records)).resolves.toEqual({ started: 1, skipped: 0 });
    expect(startCalls()[0]?.name).toBe(executionName('record', records[0]?.record.idempotencyKey ?? ''));
  });

  it('treats ExecutionAlreadyExists as started', async () => {
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    await expect(starter({ kind: 'all' }).start(accepted(2))).resolves.toEqual({ started: 2, skipped: 0 });
  });

  it('tries every start, then throws how many failed so the caller retries the batch', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    sfnMock.on(StartExecutionCommand).rejects(throttled).on(StartExecutionCommand, { name: executionName('record', 'billing-invoices-INV-0-v1') }).resolves({});

    const attempt = starter({ kind: 'all' }).start(accepted(4));

    await expect(attempt).rejects.toThrow(VerificationStartError);
    await expect(attempt).rejects.toThrow(/3 of 4 .*ThrottlingException: Rate exceeded/);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(4);
  });

  it('keeps at most `concurrency` StartExecution calls in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    sfnMock.on(StartExecutionCommand).callsFake(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      return {};
    });

    await starter({ kind: 'all' }, { concurrency: 3 }).start(accepted(20));

    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(20);
    expect(peak).toBe(3);
  });

  it('rejects a concurrency below 1 naming the option', () => {
    expect(() => starter({ kind: 'all' }, { concurrency: 0 })).toThrow(/concurrency/);
  });
});

describe('policy sample', () => {
  it('selects about the configured fraction, the same records on every run', async () => {
    const records = accepted(400);

    const first = await starter({ kind: 'sample', fraction: 0.25 }).start(records);
    const firstNames = startCalls().map((c) => c.name);
    sfnMock.resetHistory();
    await starter({ kind: 'sample', fraction: 0.25 }).start(records);

    expect(first.started + first.skipped).toBe(400);
    expect(first.started).toBeGreaterThan(60);
    expect(first.started).toBeLessThan(140);
    expect(startCalls().map((c) => c.name)).toEqual(firstNames);
    const expected = records.filter((r) => isSampled(r.record.idempotencyKey, 0.25)).map((r) => executionName('record', r.record.idempotencyKey));
    expect(firstNames).toEqual(expected);
  });

  it('selects every record at fraction 1', async () => {
    await expect(starter({ kind: 'sample', fraction: 1 }).start(accepted(50))).resolves.toEqual({ started: 50, skipped: 0 });
  });
});

describe('policy batch', () => {
  it('starts one execution per bulk request (1,000 records) verifying its last record and covering all of them', async () => {
    const records = accepted(2500);

    const result = await starter({ kind: 'batch' }).start(records);

    expect(result).toEqual({ started: 3, skipped: 0 });
    const calls = startCalls();
    expect(calls.map((c) => c.input.covers?.length)).toEqual([1000, 1000, 500]);
    expect(calls.map((c) => c.input.recordId)).toEqual(['INV-999', 'INV-1999', 'INV-2499']);
    expect(calls[0]?.input.covers?.[0]).toEqual({ database: 'billing', collection: 'invoices', recordId: 'INV-0', recordVersion: 'v1' });
    expect(calls[0]?.input.recordHash).toBe(records[999]?.result.recordHash);
    expect(new Set(calls.map((c) => c.name)).size).toBe(3);
    expect(calls.every((c) => Buffer.byteLength(c.rawInput) < 256 * 1024)).toBe(true);
  });

  it('names a batch from all its keys, so the same request retried starts nothing new', async () => {
    await starter({ kind: 'batch' }).start(accepted(10));
    await starter({ kind: 'batch' }).start(accepted(10));
    await starter({ kind: 'batch' }).start(accepted(9));

    const names = startCalls().map((c) => c.name);
    expect(names[0]).toBe(names[1]);
    expect(names[2]).not.toBe(names[0]);
  });

  it('splits a request whose covers list would not fit in one execution', async () => {
    await starter({ kind: 'batch' }, { maxCoversBytes: 1000 }).start(accepted(30));

    const calls = startCalls();
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.flatMap((c) => c.input.covers ?? []).map((c) => c.recordId)).toEqual(accepted(30).map((a) => a.record.recordId));
    expect(calls.every((c) => JSON.stringify(c.input.covers).length <= 1000)).toBe(true);
  });

  it('starts nothing for an empty call', async () => {
    await expect(starter({ kind: 'batch' }).start([])).resolves.toEqual({ started: 0, skipped: 0 });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('write-back locations (DynamoDB ingest with certyo:dynamodb.writeBack)', () => {
  const location = (i: number) => ({ tableName: 'orders', key: { id: { S: `INV-${i}` } } });
  const withLocations = (records: AcceptedRecord[], skip: number[] = []): VerifiableRecord[] =>
    records.map((a, i) => (skip.includes(i) ? a : { ...a, writeBack: location(i) }));

  it('policy all: each execution lists its own item with the hash the update is conditional on', async () => {
    await starter({ kind: 'all' }).start(withLocations(accepted(2)));

    expect(startCalls().map((c) => c.input.writeBacks)).toEqual([
      [{ tableName: 'orders', key: { id: { S: 'INV-0' } }, recordHash: 'sha256:0' }],
      [{ tableName: 'orders', key: { id: { S: 'INV-1' } }, recordHash: 'sha256:1' }],
    ]);
  });

  it('policy batch: one list for every covered record that has an item, covers unchanged', async () => {
    await starter({ kind: 'batch' }).start(withLocations(accepted(3), [2]));

    const [call] = startCalls();
    expect(call?.input.writeBacks).toEqual([
      { tableName: 'orders', key: { id: { S: 'INV-0' } }, recordHash: 'sha256:0' },
      { tableName: 'orders', key: { id: { S: 'INV-1' } }, recordHash: 'sha256:1' },
    ]);
    expect(call?.input.covers).toEqual([0, 1, 2].map((i) => ({ database: 'billing', collection: 'invoices', recordId: `INV-${i}`, recordVersion: 'v1' })));
  });

  it('leaves writeBacks out when no record has a location (every other path)', async () => {
    await starter({ kind: 'all' }).start(accepted(1));
    await starter({ kind: 'batch' }).start(accepted(2));

    expect(startCalls().map((c) => c.rawInput.includes('writeBacks'))).toEqual([false, false]);
  });

  it('counts the write-back list in the batch size limit, splitting a group sooner', async () => {
    const records = accepted(20);
    await starter({ kind: 'batch' }, { maxCoversBytes: 2_000 }).start(records);
    const without = startCalls().length;
    sfnMock.resetHistory();

    await starter({ kind: 'batch' }, { maxCoversBytes: 2_000 }).start(withLocations(records));

    expect(startCalls().length).toBeGreaterThan(without);
    expect(startCalls().flatMap((c) => c.input.writeBacks ?? [])).toHaveLength(20);
  });
});
