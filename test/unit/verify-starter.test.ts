/**
 * Direct mode's verify-starter: forwarded events (as the verification rule queues them) → the
 * shared starter, per policy.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { RecordEventDetail, toCertyoRecord } from '../../lambdas/shared/record-event';
import { createVerificationStarter, isSampled, parseVerificationPolicy, VerificationInput } from '../../lambdas/shared/verification-starter';
import { startVerifications } from '../../lambdas/verify-starter/start-verifications';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:VerifyRecord';
const sfnMock = mockClient(SFNClient);

function eventBody(index: number, extra: Record<string, unknown> = {}): string {
  const detail = { database: 'billing', collection: 'invoices', recordId: `INV-${index}`, recordVersion: '1', payload: { amount: index }, ...extra };
  return JSON.stringify({ version: '0', id: `e-${index}`, source: 'orders', 'detail-type': 'Certyo Record', detail });
}

async function run(policy: string, bodies: readonly string[]) {
  const warnings: unknown[] = [];
  const verification = createVerificationStarter({ stateMachineArn: ARN, policy: parseVerificationPolicy(policy), sfn: new SFNClient({}) });
  const outcome = await startVerifications(bodies, { verification, tenantId: 'acme', log: { warn: (message, extra) => warnings.push({ message, ...extra }) } });
  const inputs = sfnMock.commandCalls(StartExecutionCommand).map((c) => JSON.parse(c.args[0].input.input as string) as VerificationInput);
  return { outcome, inputs, warnings };
}

beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(StartExecutionCommand).resolves({});
});

it('all: one execution per event, verifying its version without an ingest hash (none is known in direct mode)', async () => {
  const { outcome, inputs } = await run('all', [eventBody(1), eventBody(2, { tenantId: 'globex' })]);

  expect(outcome).toEqual({ started: 2, skipped: 0, invalid: 0 });
  expect(inputs).toEqual([
    { tenantId: 'acme', database: 'billing', collection: 'invoices', recordId: 'INV-1', recordVersion: '1' },
    { tenantId: 'globex', database: 'billing', collection: 'invoices', recordId: 'INV-2', recordVersion: '1' },
  ]);
});

it('batch: one execution for the whole SQS batch, covering every event', async () => {
  const bodies = Array.from({ length: 250 }, (_, i) => eventBody(i));

  const { outcome, inputs } = await run('batch', bodies);

  expect(outcome).toEqual({ started: 1, skipped: 0, invalid: 0 });
  expect(inputs).toHaveLength(1);
  expect(inputs[0]?.recordId).toBe('INV-249');
  expect(inputs[0]?.covers).toHaveLength(250);
});

it('sample: starts exactly the events whose idempotency key is sampled', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: 100_000 }), { maxLength: 40 }), fc.double({ min: 0.01, max: 1, noNaN: true }), async (ids, fraction) => {
      sfnMock.reset();
      sfnMock.on(StartExecutionCommand).resolves({});
      const { outcome, inputs } = await run(`sample:${fraction}`, ids.map((i) => eventBody(i)));

      const keyOf = (i: number) => toCertyoRecord(JSON.parse(eventBody(i)).detail as RecordEventDetail, 'acme').idempotencyKey;
      const expected = ids.filter((i) => isSampled(keyOf(i), fraction)).map((i) => `INV-${i}`);
      expect(inputs.map((input) => input.recordId).sort()).toEqual(expected.sort());
      expect(outcome).toEqual({ started: expected.length, skipped: ids.length - expected.length, invalid: 0 });
    }),
    { numRuns: 30 },
  );
});

it('skips events that break the contract, saying why, and still starts the others', async () => {
  const { outcome, inputs, warnings } = await run('all', [eventBody(1), eventBody(2, { recordVersion: undefined }), 'not json']);

  expect(outcome).toEqual({ started: 1, skipped: 0, invalid: 2 });
  expect(inputs.map((i) => i.recordId)).toEqual(['INV-1']);
  expect(warnings).toEqual([
    expect.objectContaining({ invalid: 2, reasons: { 'detail.recordVersion is required': 1, 'message body is not JSON (expected an EventBridge event)': 1 } }),
  ]);
});

it('fails the batch when a start fails, so SQS redelivers it (the names make the repeat a no-op)', async () => {
  sfnMock.on(StartExecutionCommand).rejects(new Error('ThrottlingException'));

  await expect(run('all', [eventBody(1)])).rejects.toThrow(/1 of 1 verification executions could not be started/);
});
