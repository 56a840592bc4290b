/**
 * The real verification workflow settling `certyo_status` on DynamoDB items (issue 7's
 * write-back, second half): inputs as the real starter builds them from the DynamoDB ingest,
 * scripted Certyo answers, and a small table that answers UpdateItem the way DynamoDB would for
 * the condition the workflow sends.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { createVerificationStarter, VerifiableRecord, VerificationPolicy } from '../../lambdas/shared/verification-starter';
import { HttpRequest, HttpResponse, runWorkflow, UpdateItemRequest } from '../../local/harness/local-workflow';

const API = 'https://certyo.test';
const ENTERED = '2026-04-13T12:00:07.000Z';
const TX = '0x9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0';
const anchoredAnswer = {
  verified: true,
  verificationStatus: 'pass',
  reasonCategory: 'full_match',
  verifiedAt: '2026-04-13T12:00:00Z',
  snapshotId: 'snap_1',
  merkleRoot: 'd4e5f6',
  anchoredOnChain: true,
  transactionHash: TX,
};

function namedError(name: string): Error {
  const error = new Error(`${name} (scripted)`);
  error.name = name;
  return error;
}

/**
 * Items by key, each with the `certyo_record_hash` the ingest's write-back left. UpdateItem is
 * answered as DynamoDB answers `#hash = :hash`: a missing item or another hash fails the condition.
 */
class Table {
  readonly hashes = new Map<string, string>();
  /** Errors to throw, in order, before answering normally (e.g. throttling). */
  readonly faults: Error[] = [];
  constructor(readonly name: string) {}

  put(key: Record<string, unknown>, recordHash: string): void {
    this.hashes.set(JSON.stringify(key), recordHash);
  }

  readonly updateItem = async (request: UpdateItemRequest): Promise<void> => {
    const fault = this.faults.shift();
    if (fault) throw fault;
    if (request.TableName !== this.name) throw namedError('ResourceNotFoundException');
    const expected = (request.ExpressionAttributeValues?.[':hash'] as { S?: string } | undefined)?.S;
    if (request.ConditionExpression !== '#hash = :hash' || request.ExpressionAttributeNames?.['#hash'] !== 'certyo_record_hash') {
      throw new Error(`unexpected condition ${request.ConditionExpression}`);
    }
    if (this.hashes.get(JSON.stringify(request.Key)) !== expected) throw namedError('ConditionalCheckFailedException');
  };
}

/** The execution inputs the real starter builds from DynamoDB-ingest records with write-back locations. */
async function startInputs(records: readonly VerifiableRecord[], policy: VerificationPolicy): Promise<unknown[]> {
  const sfnMock = mockClient(SFNClient);
  sfnMock.on(StartExecutionCommand).resolves({});
  await createVerificationStarter({ stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:V', policy, sfn: new SFNClient({}) }).start(records);
  const inputs = sfnMock.commandCalls(StartExecutionCommand).map((c) => JSON.parse(c.args[0].input.input as string) as unknown);
  sfnMock.restore();
  return inputs;
}

function orderRecord(index: number, options: { writeBack?: boolean } = {}): VerifiableRecord {
  const recordId = `order-${index}`;
  return {
    record: { tenantId: 'acme', database: 'dynamodb', collection: 'orders', recordId, recordVersion: `4421584500000000${index}`, recordPayload: { id: recordId }, idempotencyKey: `dynamodb:orders@${index}#${recordId}` },
    result: { recordHash: `sha256:hash-${index}` },
    ...(options.writeBack === false ? {} : { writeBack: { tableName: 'orders', key: { id: { S: recordId } } } }),
  };
}

function certyo(...answers: HttpResponse[]) {
  return async (request: HttpRequest): Promise<HttpResponse> => {
    if (new URL(request.url).pathname !== '/api/v1/verify/record') throw new Error(`unexpected call ${request.url}`);
    const next = answers.shift();
    if (!next) throw new Error('no scripted answer left');
    return next;
  };
}

const run = (input: unknown, table: Table, ...answers: HttpResponse[]) =>
  runWorkflow(input, { apiUrl: API, apiKey: 'test-key', http: certyo(...answers), updateItem: table.updateItem, enteredTime: ENTERED });

const enteredStates = (events: Awaited<ReturnType<typeof runWorkflow>>['events']) => events.flatMap((e) => (e.type === 'StateEntered' ? [e.state.name] : []));

describe('write-back of the final status', () => {
  it('anchored: after the notification, sets anchored, the verdict time and the transaction hash, on the item still carrying this hash', async () => {
    // Arrange
    const table = new Table('orders');
    table.put({ id: { S: 'order-1' } }, 'sha256:hash-1');
    const [input] = await startInputs([orderRecord(1)], { kind: 'all' });

    // Act
    const result = await run(input, table, { status: 200, body: anchoredAnswer });

    // Assert
    expect(result.updates).toEqual([
      {
        TableName: 'orders',
        Key: { id: { S: 'order-1' } },
        UpdateExpression: 'SET #status = :status, #verifiedAt = :verifiedAt, #tx = :tx',
        ConditionExpression: '#hash = :hash',
        ExpressionAttributeNames: { '#status': 'certyo_status', '#verifiedAt': 'certyo_verified_at', '#tx': 'certyo_tx_hash', '#hash': 'certyo_record_hash' },
        ExpressionAttributeValues: { ':status': { S: 'anchored' }, ':verifiedAt': { S: ENTERED }, ':tx': { S: TX }, ':hash': { S: 'sha256:hash-1' } },
      },
    ]);
    expect(result.failure).toBeUndefined();
    expect(result.output).toMatchObject({ status: 'anchored' });
    expect(result.notifications.map((n) => n.message.status)).toEqual(['anchored']);
    const states = enteredStates(result.events);
    expect(states.indexOf('Notify')).toBeLessThan(states.indexOf('WriteStatus'));
  });

  it('failed (tampered): sets failed and removes any transaction hash a previous version left', async () => {
    // Arrange
    const table = new Table('orders');
    table.put({ id: { S: 'order-1' } }, 'sha256:hash-1');
    const [input] = await startInputs([orderRecord(1)], { kind: 'all' });

    // Act
    const result = await run(input, table, { status: 200, body: { verified: false, verificationStatus: 'failed', reasonCategory: 'payload_hash_mismatch' } });

    // Assert
    expect(result.updates).toHaveLength(1);
    expect(result.updates[0]).toMatchObject({
      UpdateExpression: 'SET #status = :status, #verifiedAt = :verifiedAt REMOVE #tx',
      ExpressionAttributeValues: { ':status': { S: 'failed' }, ':verifiedAt': { S: ENTERED }, ':hash': { S: 'sha256:hash-1' } },
    });
    expect(result.output).toMatchObject({ status: 'failed', reason: 'payload_hash_mismatch' });
  });

  it('anchored without a transaction hash in the answer: anchored, and no stale hash kept', async () => {
    // Arrange
    const table = new Table('orders');
    table.put({ id: { S: 'order-1' } }, 'sha256:hash-1');
    const [input] = await startInputs([orderRecord(1)], { kind: 'all' });
    const { transactionHash: _none, ...withoutTx } = anchoredAnswer;

    // Act
    const result = await run(input, table, { status: 200, body: withoutTx });

    // Assert
    expect(result.updates[0]).toMatchObject({ UpdateExpression: 'SET #status = :status, #verifiedAt = :verifiedAt REMOVE #tx', ExpressionAttributeValues: { ':status': { S: 'anchored' } } });
  });

  it('a newer change of the item (condition fails) is success: no retry, the execution succeeds', async () => {
    // Arrange: the item was changed again; its write-back left the newer version's hash.
    const table = new Table('orders');
    table.put({ id: { S: 'order-1' } }, 'sha256:newer-version');
    const [input] = await startInputs([orderRecord(1)], { kind: 'all' });

    // Act
    const result = await run(input, table, { status: 200, body: anchoredAnswer });

    // Assert
    expect(result.updates).toHaveLength(1);
    expect(result.retries).toEqual([]);
    expect(result.failure).toBeUndefined();
    expect(result.output).toMatchObject({ status: 'anchored' });
  });

  it('batch: one UpdateItem per covered record with a write-back location, each on its own hash; a delete has none', async () => {
    // Arrange: records 0-2 are items, record 3 a delete (no item to write to).
    const table = new Table('orders');
    for (const i of [0, 1, 2]) table.put({ id: { S: `order-${i}` } }, `sha256:hash-${i}`);
    const records = [orderRecord(0), orderRecord(1), orderRecord(2), orderRecord(3, { writeBack: false })];
    const inputs = await startInputs(records, { kind: 'batch' });

    // Act
    const result = await run(inputs[0], table, { status: 200, body: anchoredAnswer });

    // Assert
    expect(inputs).toHaveLength(1);
    expect(result.notifications).toHaveLength(1);
    expect(result.notifications[0]?.message.covers).toHaveLength(4);
    expect(result.updates.map((u) => [u.Key, u.ExpressionAttributeValues?.[':hash']]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      [0, 1, 2].map((i) => [{ id: { S: `order-${i}` } }, { S: `sha256:hash-${i}` }]),
    );
    expect(result.failure).toBeUndefined();
  });

  it('an input without write-back (every other path) updates nothing and ends as before', async () => {
    // Arrange
    const table = new Table('orders');
    const [single] = await startInputs([orderRecord(1, { writeBack: false })], { kind: 'all' });
    const [batch] = await startInputs([orderRecord(1, { writeBack: false }), orderRecord(2, { writeBack: false })], { kind: 'batch' });

    // Act
    const results = [await run(single, table, { status: 200, body: anchoredAnswer }), await run(batch, table, { status: 200, body: anchoredAnswer })];

    // Assert
    for (const result of results) {
      expect(result.updates).toEqual([]);
      expect(enteredStates(result.events).slice(-3)).toEqual(['WriteBackWanted', 'Finished', 'Anchored']);
      expect(result.output).toMatchObject({ status: 'anchored' });
    }
    expect(single).not.toHaveProperty('writeBacks');
    expect(batch).not.toHaveProperty('writeBacks');
  });

  it('throttling is retried, then the item is written', async () => {
    // Arrange
    const table = new Table('orders');
    table.put({ id: { S: 'order-1' } }, 'sha256:hash-1');
    table.faults.push(namedError('ProvisionedThroughputExceededException'));
    const [input] = await startInputs([orderRecord(1)], { kind: 'all' });

    // Act
    const result = await run(input, table, { status: 200, body: anchoredAnswer });

    // Assert
    expect(result.updates).toHaveLength(2);
    expect(result.retries.map((r) => r.state)).toEqual(['WriteStatus']);
    expect(result.failure).toBeUndefined();
  });

  it('another write-back error: the notification stays published, the other items are written, and the execution fails so the alarm fires', async () => {
    // Arrange: order-1's table name is wrong (e.g. no permission / deleted table), order-0 is fine.
    const table = new Table('orders');
    for (const i of [0, 1]) table.put({ id: { S: `order-${i}` } }, `sha256:hash-${i}`);
    const broken: VerifiableRecord = { ...orderRecord(1), writeBack: { tableName: 'orders-deleted', key: { id: { S: 'order-1' } } } };
    const [input] = await startInputs([orderRecord(0), broken], { kind: 'batch' });

    // Act
    const result = await run(input, table, { status: 200, body: anchoredAnswer });

    // Assert
    expect(result.notifications.map((n) => n.message.status)).toEqual(['anchored']);
    expect(result.updates.filter((u) => u.TableName === 'orders')).toHaveLength(1);
    expect(result.failure).toEqual({ error: 'Certyo.WriteBackFailed', cause: expect.stringContaining('notification was published') });
    expect(result.output).toBeUndefined();
  });
});
