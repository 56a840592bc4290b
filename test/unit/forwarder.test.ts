import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { forwardBatch } from '../../lambdas/forwarder/forward-batch';
import { PARALLEL_CALLS, secondsUntil, sqsMessageVisibility } from '../../lambdas/forwarder/message-visibility';
import { RawJson, stringifyJson } from '../../lambdas/shared/json';
import { FakeCertyo, FIXTURE_EVENT, fixtureRecord, forwarderDeps, NOW, RecordingSink, RecordingVerification, validMessages } from './forwarder-fakes';

describe('forwardBatch', () => {
  it('sends 2,500 messages in 3 bulk requests and reports no failure', async () => {
    // Arrange
    const messages = validMessages(2500);
    const deps = forwarderDeps();

    // Act
    const response = await forwardBatch(messages, deps);

    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.certyo.calls).toHaveLength(1);
    expect(deps.certyo.requests.map((r) => r.length)).toEqual([1000, 1000, 500]);
    expect(deps.certyo.calls[0]?.options?.deadline).toBe(deps.deadline);
  });

  it('returns exactly the unsent messages when Certyo answers 429 mid-batch, and postpones them until Retry-After', async () => {
    // Arrange
    const messages = validMessages(2500);
    const retryAt = new Date(NOW + 1_800_500);
    const deps = forwarderDeps({ certyo: new FakeCertyo({ rateLimitAtRequest: 2, retryAt }) });

    // Act
    const response = await forwardBatch(messages, deps);

    // Assert
    const unsentIds = messages.slice(1000).map((m) => m.messageId);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(unsentIds);
    expect(deps.visibility.postponed).toEqual([{ messageIds: unsentIds, seconds: 1801 }]);
    expect(deps.deadLetters.letters).toEqual([]);
    expect(deps.verification.started).toHaveLength(1000);
  });

  it('dead-letters invalid messages with their reason while the valid ones go through', async () => {
    // Arrange
    const deps = forwarderDeps();

    // Act
    const response = await forwardBatch(FIXTURE_EVENT.Records, deps);

    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.certyo.requests).toEqual([['INV-2026-0042', 'INV-2026-0043']]);
    expect(deps.deadLetters.letters).toEqual([
      { body: fixtureRecord(2).body, reason: 'detail.recordVersion is required', source: `sqs message ${fixtureRecord(2).messageId}` },
      { body: fixtureRecord(3).body, reason: 'message body is not JSON (expected an EventBridge event)', source: `sqs message ${fixtureRecord(3).messageId}` },
      {
        body: fixtureRecord(4).body,
        reason: 'detail.operationType must be one of upsert, insert, update, delete, got "merge"',
        source: `sqs message ${fixtureRecord(4).messageId}`,
      },
    ]);
  });

  it('maps events to Certyo records with defaults and keeps big payload numbers digit for digit', async () => {
    // Arrange
    const deps = forwarderDeps();

    // Act
    await forwardBatch([fixtureRecord(0), fixtureRecord(1)], deps);

    // Assert
    const [full, minimal] = deps.certyo.calls[0]?.records ?? [];
    expect(full).toMatchObject({ tenantId: 'acme-corp', idempotencyKey: 'billing-INV-2026-0042-v1', operationType: 'upsert' });
    expect(minimal).toMatchObject({ tenantId: 'configured-tenant', idempotencyKey: 'configured-tenant|billing|invoices|INV-2026-0043|3' });
    expect(minimal?.recordPayload).toBeInstanceOf(RawJson);
    expect(stringifyJson(minimal?.recordPayload)).toContain('12345678901234567890');
  });

  it('dead-letters a record Certyo rejects (400 for that item) and treats the message as done', async () => {
    // Arrange
    const messages = validMessages(3);
    const deps = forwarderDeps({ certyo: new FakeCertyo({ rejectRecordIds: ['INV-1'] }) });

    // Act
    const response = await forwardBatch(messages, deps);

    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.deadLetters.letters).toEqual([{ body: messages[1]?.body, reason: 'items[1].recordPayload is invalid', source: 'sqs message m-1' }]);
    expect(deps.verification.started).toEqual(['INV-0', 'INV-2']);
  });

  it('keeps every valid message for a later attempt when Certyo refuses the key, and still dead-letters the invalid ones', async () => {
    // Arrange
    const deps = forwarderDeps({ certyo: new FakeCertyo({ authFailure: true }) });

    // Act
    const response = await forwardBatch(FIXTURE_EVENT.Records, deps);

    // Assert
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([fixtureRecord(0).messageId, fixtureRecord(1).messageId]);
    expect(deps.deadLetters.letters).toHaveLength(3);
    expect(deps.visibility.postponed).toEqual([]);
    const error = deps.log.lines.find((l) => l.level === 'error');
    expect(error?.attributes.error).toContain('AuthError');
  });

  it('fails the invalid messages instead of losing them when the dead-letter queue cannot be written', async () => {
    // Arrange
    const deps = forwarderDeps({ deadLetters: new RecordingSink(new Error('SendMessageBatch throttled')) });

    // Act
    const response = await forwardBatch(FIXTURE_EVENT.Records, deps);

    // Assert
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([2, 3, 4].map((i) => fixtureRecord(i).messageId));
  });

  it('fails accepted messages whose verification could not be started, so the start is retried', async () => {
    // Arrange
    const messages = validMessages(2);
    const deps = forwarderDeps({ verification: new RecordingVerification(new Error('StartExecution throttled')) });

    // Act
    const response = await forwardBatch(messages, deps);

    // Assert
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m-0', 'm-1']);
  });

  it('never logs payloads or bodies', async () => {
    // Arrange
    const deps = forwarderDeps();

    // Act
    await forwardBatch(FIXTURE_EVENT.Records, deps);

    // Assert
    const logged = JSON.stringify(deps.log.lines);
    expect(logged).not.toContain('CUST-001');
    expect(logged).not.toContain('12345678901234567890');
    expect(deps.log.lines.find((l) => l.message === 'batch forwarded')?.attributes).toMatchObject({ messages: 5, accepted: 2, deadLettered: 3, retried: 0 });
  });
});

describe('message visibility', () => {
  const sqs = mockClient(SQSClient);
  beforeEach(() => sqs.reset());

  it('rounds the wait up and keeps it within what SQS accepts', () => {
    // Act + Assert
    expect(secondsUntil(new Date(NOW + 1_500), NOW)).toBe(2);
    expect(secondsUntil(new Date(NOW - 5_000), NOW)).toBe(0);
    expect(secondsUntil(new Date(NOW + 86_400_000), NOW)).toBe(43_200);
  });

  it('changes visibility in batches of 10 and names the messages that failed', async () => {
    // Arrange
    sqs.on(ChangeMessageVisibilityBatchCommand).resolvesOnce({ Successful: [], Failed: [] }).resolvesOnce({
      Successful: [],
      Failed: [{ Id: '11', Code: 'ReceiptHandleIsInvalid', SenderFault: true }],
    });
    const messages = validMessages(12).map((m) => ({ messageId: m.messageId, receiptHandle: m.receiptHandle }));

    // Act
    const attempt = sqsMessageVisibility('https://sqs.eu-west-1.amazonaws.com/123456789012/buffer', new SQSClient({})).postpone(messages, 120);

    // Assert
    await expect(attempt).rejects.toThrow('ChangeMessageVisibility failed for 1 of 12 messages (m-11: ReceiptHandleIsInvalid)');
    const calls = sqs.commandCalls(ChangeMessageVisibilityBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 2]);
    expect(calls[0]?.args[0].input.Entries?.[0]).toEqual({ Id: '0', ReceiptHandle: messages[0]?.receiptHandle, VisibilityTimeout: 120 });
  });

  it('keeps up to PARALLEL_CALLS visibility changes in flight, not one after another', async () => {
    // Arrange: each call answers only after the event loop turns, and counts the calls in flight
    let inFlight = 0;
    let most = 0;
    sqs.on(ChangeMessageVisibilityBatchCommand).callsFake(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return { Successful: [], Failed: [] };
    });
    const messages = validMessages(1000).map((m) => ({ messageId: m.messageId, receiptHandle: m.receiptHandle }));

    // Act
    await sqsMessageVisibility('https://sqs.eu-west-1.amazonaws.com/123456789012/buffer', new SQSClient({})).postpone(messages, 60);

    // Assert
    const ids = sqs.commandCalls(ChangeMessageVisibilityBatchCommand).flatMap((c) => c.args[0].input.Entries?.map((e) => e.ReceiptHandle) ?? []);
    expect(ids.sort()).toEqual(messages.map((m) => m.receiptHandle).sort());
    expect(most).toBe(PARALLEL_CALLS);
  });
});
