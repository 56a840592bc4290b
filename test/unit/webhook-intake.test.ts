import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { dynamoDeliveryLog } from '../../lambdas/webhook-intake/delivery-log';
import { eventBridgePublisher } from '../../lambdas/webhook-intake/event-publisher';
import { handleWebhook, WebhookDeps } from '../../lambdas/webhook-intake/intake';
import { secretsManagerSourceSecrets } from '../../lambdas/webhook-intake/source-secrets';
import { recordingLog } from './proxy-authorizer-fakes';
import { capturedDelivery, FIXTURE_SECRET, FIXTURE_TIME_MS, inMemoryDeliveryTable, signedDelivery } from './webhook-fakes';

const dynamo = mockClient(DynamoDBClient);
const events = mockClient(EventBridgeClient);
const secrets = mockClient(SecretsManagerClient);
let table: ReturnType<typeof inMemoryDeliveryTable>;

function deps(now = FIXTURE_TIME_MS): WebhookDeps & { log: ReturnType<typeof recordingLog> } {
  return {
    secrets: secretsManagerSourceSecrets({ prefix: 'certyo/webhooks/', client: new SecretsManagerClient({}) }),
    deliveries: dynamoDeliveryLog('deliveries', new DynamoDBClient({}), 86_400, () => now),
    events: eventBridgePublisher(new EventBridgeClient({}), 'domain-events'),
    detailType: 'Certyo Record',
    toleranceSeconds: 300,
    log: recordingLog(),
    now: () => now,
  };
}

const published = () => events.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
const bodyOf = (result: { body: string }) => JSON.parse(result.body) as Record<string, unknown>;

beforeEach(() => {
  dynamo.reset();
  events.reset();
  secrets.reset();
  table = inMemoryDeliveryTable();
  dynamo.on(PutItemCommand).callsFake(table.put);
  dynamo.on(DeleteItemCommand).callsFake(table.delete);
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-11111111-2222-3333-4444-555555555555' }] });
  secrets.on(GetSecretValueCommand, { SecretId: 'certyo/webhooks/orders' }).resolves({ SecretString: FIXTURE_SECRET });
  secrets.on(GetSecretValueCommand, { SecretId: 'certyo/webhooks/unknown' }).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));
});

describe('webhook intake: signed deliveries', () => {
  it('publishes a correctly signed delivery to the domain-events bus, body text unchanged', async () => {
    // Arrange
    const event = capturedDelivery();

    // Act
    const result = await handleWebhook(event, deps());

    // Assert
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toEqual({ status: 'accepted', deliveryId: 'dlv_01HZX3K9QF7N2B5T8W4C6M1R0A', eventId: 'evt-11111111-2222-3333-4444-555555555555' });
    expect(published()).toEqual([{ EventBusName: 'domain-events', Source: 'webhook.orders', DetailType: 'Certyo Record', Detail: event.body }]);
    expect(published()[0]?.Detail).toContain('"ledgerSequence": 123456789012345678901234567890');
    expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId)).toEqual(['certyo/webhooks/orders']);
  });

  it('rejects a tampered body with 401 and publishes nothing', async () => {
    // Arrange: the captured signature, a changed amount.
    const event = capturedDelivery();
    event.body = (event.body as string).replace('"total": 1299.5', '"total": 12.5');

    // Act
    const result = await handleWebhook(event, deps());

    // Assert
    expect(result.statusCode).toBe(401);
    expect(bodyOf(result)).toEqual({ error: 'invalid_signature', message: 'Signature does not match the body' });
    expect(published()).toHaveLength(0);
    expect(table.items.size).toBe(0);
  });

  it('rejects a delivery signed with another secret', async () => {
    // Arrange
    const event = signedDelivery({ secret: 'whsec-someone-else' });

    // Act
    const result = await handleWebhook(event, deps());

    // Assert
    expect(result.statusCode).toBe(401);
    expect(published()).toHaveLength(0);
  });

  it('rejects a captured delivery replayed under a new delivery id (the id is signed)', async () => {
    // Arrange
    const event = capturedDelivery();
    event.headers['X-Webhook-Id'] = 'dlv_replayed_under_new_id';

    // Act
    const result = await handleWebhook(event, deps());

    // Assert
    expect(result.statusCode).toBe(401);
    expect(published()).toHaveLength(0);
  });

  it('rejects a delivery whose timestamp is older than the tolerance', async () => {
    // Arrange
    const event = capturedDelivery();

    // Act
    const result = await handleWebhook(event, deps(FIXTURE_TIME_MS + 301_000));

    // Assert
    expect(result.statusCode).toBe(401);
    expect(bodyOf(result).message).toBe('X-Webhook-Timestamp is more than 300 seconds away from the current time');
    expect(published()).toHaveLength(0);
  });

  it.each(['X-Webhook-Signature', 'X-Webhook-Id', 'X-Webhook-Timestamp'])('rejects a delivery without %s, naming it', async (header) => {
    // Arrange
    const event = capturedDelivery();
    delete event.headers[header];

    // Act
    const result = await handleWebhook(event, deps());

    // Assert
    expect(result.statusCode).toBe(401);
    expect(bodyOf(result).message).toBe(`Missing ${header} header`);
  });

  it('answers an unknown source like a bad signature, without saying the source does not exist', async () => {
    // Arrange
    const event = signedDelivery();
    event.pathParameters = { source: 'unknown' };

    // Act
    const result = await handleWebhook(event, deps());

    // Assert
    expect(result.statusCode).toBe(401);
    expect(bodyOf(result).message).toBe('Signature does not match the body');
  });

  it('does not look up secrets for source names that cannot be secret names', async () => {
    // Arrange
    const event = signedDelivery();
    event.pathParameters = { source: '../api-key' };

    // Act
    const result = await handleWebhook(event, deps());

    // Assert
    expect(result.statusCode).toBe(401);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('accepts lower-case header names and a base64-encoded body', async () => {
    // Arrange
    const signed = signedDelivery();
    const event = {
      ...signed,
      headers: Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v])),
      body: Buffer.from(signed.body as string, 'utf8').toString('base64'),
      isBase64Encoded: true,
    };

    // Act
    const result = await handleWebhook(event, deps());

    // Assert
    expect(result.statusCode).toBe(202);
    expect(published()[0]?.Detail).toBe(signed.body);
  });
});

describe('webhook intake: replays', () => {
  it('publishes a delivery id once; the replay is acknowledged as a duplicate', async () => {
    // Arrange
    const d = deps();

    // Act
    const first = await handleWebhook(capturedDelivery(), d);
    const replay = await handleWebhook(capturedDelivery(), d);

    // Assert
    expect(first.statusCode).toBe(202);
    expect(replay.statusCode).toBe(200);
    expect(bodyOf(replay)).toEqual({ status: 'duplicate', deliveryId: 'dlv_01HZX3K9QF7N2B5T8W4C6M1R0A' });
    expect(published()).toHaveLength(1);
    expect([...table.items.keys()]).toEqual(['orders#dlv_01HZX3K9QF7N2B5T8W4C6M1R0A']);
    expect(table.items.get('orders#dlv_01HZX3K9QF7N2B5T8W4C6M1R0A')?.expiresAt?.N).toBe(String(FIXTURE_TIME_MS / 1000 + 86_400));
  });

  it('keeps replays apart per source: the same delivery id from two sources is two deliveries', async () => {
    // Arrange
    secrets.on(GetSecretValueCommand, { SecretId: 'certyo/webhooks/billing' }).resolves({ SecretString: FIXTURE_SECRET });
    const fromBilling = signedDelivery();
    fromBilling.pathParameters = { source: 'billing' };

    // Act
    await handleWebhook(capturedDelivery(), deps());
    const result = await handleWebhook(fromBilling, deps());

    // Assert
    expect(result.statusCode).toBe(202);
    expect(published().map((e) => e.Source)).toEqual(['webhook.orders', 'webhook.billing']);
  });

  it('forgets the claim when EventBridge rejects the event, so the retried delivery is published', async () => {
    // Arrange
    events
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal error' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-retried' }] });
    const d = deps();

    // Act
    const failed = await handleWebhook(capturedDelivery(), d);
    const retried = await handleWebhook(capturedDelivery(), d);

    // Assert
    expect(failed.statusCode).toBe(502);
    expect(bodyOf(failed)).toEqual({ error: 'publish_failed', message: 'The event could not be published; retry the delivery' });
    expect(retried.statusCode).toBe(202);
    expect(d.log.entries).toContainEqual(expect.objectContaining({ level: 'error', details: expect.objectContaining({ error: 'EventBridge rejected the event: InternalFailure Internal error' }) }));
  });
});

describe('webhook intake: bodies', () => {
  const validBody = JSON.parse(capturedDelivery().body as string) as Record<string, unknown>;
  const without = (field: string) => JSON.stringify({ ...validBody, [field]: undefined });

  it.each([
    ['recordId', without('recordId'), 'body.recordId is required'],
    ['database', without('database'), 'body.database is required'],
    ['payload', without('payload'), 'body.payload is required'],
    ['collection', JSON.stringify({ ...validBody, collection: 42 }), 'body.collection must be a string, got number'],
    ['operationType', JSON.stringify({ ...validBody, operationType: 'merge' }), 'body.operationType must be one of upsert, insert, update, delete, got "merge"'],
  ])('rejects a body with a bad %s with 400 naming the field, publishing and claiming nothing', async (_field, body, message) => {
    // Arrange
    const event = signedDelivery({ body });

    // Act
    const result = await handleWebhook(event, deps());

    // Assert
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toEqual({ error: 'bad_request', message });
    expect(published()).toHaveLength(0);
    expect(table.items.size).toBe(0);
  });

  it.each([
    ['not JSON', '{"database": "shop",', 'body must be JSON'],
    ['an array', '[]', 'body must be a JSON object, got an array'],
  ])('rejects a body that is %s', async (_case, body, message) => {
    // Act
    const result = await handleWebhook(signedDelivery({ body }), deps());

    // Assert
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result).message).toBe(message);
  });

  it('uses the delivery id as recordVersion when the sender has none, keeping every digit of the payload', async () => {
    // Arrange
    const body = '{"database":"shop","collection":"orders","recordId":"ORD-9","payload":{"amount":0.1000000000000000055511151231257827}}';

    // Act
    const result = await handleWebhook(signedDelivery({ body, deliveryId: 'dlv-42' }), deps());

    // Assert
    expect(result.statusCode).toBe(202);
    expect(published()[0]?.Detail).toBe('{"recordVersion":"dlv-42","database":"shop","collection":"orders","recordId":"ORD-9","payload":{"amount":0.1000000000000000055511151231257827}}');
  });

  it('refuses a body that would not fit an EventBridge entry with 413', async () => {
    // Arrange
    const body = JSON.stringify({ ...validBody, payload: { blob: 'x'.repeat(256 * 1024) } });

    // Act
    const result = await handleWebhook(signedDelivery({ body }), deps());

    // Assert
    expect(result.statusCode).toBe(413);
    expect(published()).toHaveLength(0);
  });
});

describe('webhook intake: logs and caches', () => {
  it('logs outcomes without the signing secret or the record payload', async () => {
    // Arrange
    const d = deps();

    // Act
    await handleWebhook(capturedDelivery(), d);
    await handleWebhook(capturedDelivery(), d);
    await handleWebhook(signedDelivery({ secret: 'whsec-someone-else' }), d);

    // Assert
    const logged = JSON.stringify(d.log.entries);
    expect(d.log.entries.map((e) => e.message)).toEqual(['Webhook published', 'Webhook delivery already received; not published again', 'Webhook refused: signature']);
    expect(logged).not.toContain(FIXTURE_SECRET);
    expect(logged).not.toContain('1299.5');
  });

  it('reads a source secret once per maximum age', async () => {
    // Arrange
    const d = deps();

    // Act
    await handleWebhook(signedDelivery({ deliveryId: 'dlv-1' }), d);
    await handleWebhook(signedDelivery({ deliveryId: 'dlv-2' }), d);

    // Assert
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });
});

describe('dynamoDeliveryLog', () => {
  it('treats a claim past its expiry as gone, since DynamoDB TTL deletes lazily', async () => {
    // Arrange
    let now = 1_000_000_000;
    const log = dynamoDeliveryLog('deliveries', new DynamoDBClient({}), 60, () => now);
    await log.claim('orders', 'dlv-1');

    // Act
    const within = await log.claim('orders', 'dlv-1');
    now += 61_000;
    const after = await log.claim('orders', 'dlv-1');

    // Assert
    expect(within).toBe(false);
    expect(after).toBe(true);
  });
});
