import { DeleteItemCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import fc from 'fast-check';
import { mockClient } from 'aws-sdk-client-mock';
import { idempotencyKeyOf } from '../../lambdas/shared/record-identity';
import { dynamoDeliveryLog } from '../../lambdas/webhook-intake/delivery-log';
import { eventBridgePublisher } from '../../lambdas/webhook-intake/event-publisher';
import { handleWebhook, SIGNATURE_FAILURE_BODY, WebhookDeps } from '../../lambdas/webhook-intake/intake';
import { webhookIdempotencyKey, WebhookSourcePolicy } from '../../lambdas/webhook-intake/record-body';
import { secretsManagerSourceSecrets } from '../../lambdas/webhook-intake/source-secrets';
import { recordingLog } from './proxy-authorizer-fakes';
import { capturedDelivery, FIXTURE_SECRET, FIXTURE_TIME_MS, inMemoryDeliveryTable, signedDelivery } from './webhook-fakes';

const dynamo = mockClient(DynamoDBClient);
const events = mockClient(EventBridgeClient);
const secrets = mockClient(SecretsManagerClient);
let table: ReturnType<typeof inMemoryDeliveryTable>;

const SOURCES: readonly WebhookSourcePolicy[] = [
  { source: 'orders', tenantIds: ['acme', 'acme-eu'], databases: ['shop'] },
  { source: 'billing', tenantIds: ['acme'], databases: ['shop', 'ledger'] },
];
const PENDING_SECONDS = 30;

function deps(now = FIXTURE_TIME_MS): WebhookDeps & { log: ReturnType<typeof recordingLog> } {
  return {
    secrets: secretsManagerSourceSecrets({ prefix: 'certyo/webhooks/', client: new SecretsManagerClient({}) }),
    sources: new Map(SOURCES.map((p) => [p.source, p])),
    deliveries: dynamoDeliveryLog({ tableName: 'deliveries', client: new DynamoDBClient({}), retentionSeconds: 86_400, pendingSeconds: PENDING_SECONDS, now: () => now }),
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
  dynamo.on(UpdateItemCommand).callsFake(table.update);
  dynamo.on(DeleteItemCommand).callsFake(table.delete);
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-11111111-2222-3333-4444-555555555555' }] });
  secrets.on(GetSecretValueCommand, { SecretId: 'certyo/webhooks/orders' }).resolves({ SecretString: FIXTURE_SECRET });
  secrets.on(GetSecretValueCommand, { SecretId: 'certyo/webhooks/unknown' }).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));
});

describe('webhook intake: signed deliveries', () => {
  it('publishes a correctly signed delivery to the domain-events bus, member texts unchanged, with the source\'s tenant', async () => {
    // Arrange
    const event = capturedDelivery();

    // Act
    const result = await handleWebhook(event, deps());

    // Assert
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toEqual({ status: 'accepted', deliveryId: 'dlv_01HZX3K9QF7N2B5T8W4C6M1R0A', eventId: 'evt-11111111-2222-3333-4444-555555555555' });
    expect(published()).toEqual([{ EventBusName: 'domain-events', Source: 'webhook.orders', DetailType: 'Certyo Record', Detail: expect.any(String) }]);
    expect(JSON.parse(published()[0]?.Detail as string)).toEqual({ ...JSON.parse(event.body as string), tenantId: 'acme' });
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
    expect(result.body).toBe(SIGNATURE_FAILURE_BODY);
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

    const d = deps(FIXTURE_TIME_MS + 301_000);

    // Act
    const result = await handleWebhook(event, d);

    // Assert
    expect(result.statusCode).toBe(401);
    expect(d.log.entries).toContainEqual(expect.objectContaining({ details: expect.objectContaining({ reason: 'X-Webhook-Timestamp is more than 300 seconds away from the current time' }) }));
    expect(published()).toHaveLength(0);
  });

  it.each(['X-Webhook-Signature', 'X-Webhook-Id', 'X-Webhook-Timestamp'])('rejects a delivery without %s, naming it in the log only', async (header) => {
    // Arrange
    const event = capturedDelivery();
    delete event.headers[header];
    const d = deps();

    // Act
    const result = await handleWebhook(event, d);

    // Assert
    expect(result.statusCode).toBe(401);
    expect(result.body).toBe(SIGNATURE_FAILURE_BODY);
    expect(d.log.entries).toContainEqual(expect.objectContaining({ details: expect.objectContaining({ reason: `Missing ${header} header` }) }));
  });

  it('answers an unknown source like a bad signature, without saying the source does not exist', async () => {
    // Arrange
    const event = signedDelivery();
    event.pathParameters = { source: 'unknown' };

    // Act
    const result = await handleWebhook(event, deps());

    // Assert
    expect(result.statusCode).toBe(401);
    expect(result.body).toBe(SIGNATURE_FAILURE_BODY);
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
    expect(JSON.parse(published()[0]?.Detail as string)).toEqual({ ...JSON.parse(signed.body as string), tenantId: 'acme' });
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
    expect(published()[0]?.Detail).toBe('{"recordVersion":"dlv-42","database":"shop","collection":"orders","recordId":"ORD-9","payload":{"amount":0.1000000000000000055511151231257827},"tenantId":"acme"}');
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
    expect(d.log.entries.map((e) => e.message)).toEqual(['Webhook published', 'Webhook delivery already published; not published again', 'Webhook refused: signature']);
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
  it('treats a claim past its retention as gone, since DynamoDB TTL deletes lazily', async () => {
    // Arrange
    let now = 1_000_000_000;
    const log = dynamoDeliveryLog({ tableName: 'deliveries', client: new DynamoDBClient({}), retentionSeconds: 60, pendingSeconds: 10, now: () => now });
    await log.claim('orders', 'dlv-1');
    await log.markPublished('orders', 'dlv-1', 'evt-1');

    // Act
    const within = await log.claim('orders', 'dlv-1');
    now += 61_000;
    const after = await log.claim('orders', 'dlv-1');

    // Assert
    expect(within).toBe('published');
    expect(after).toBe('claimed');
  });

  it('answers pending while a claim is fresh and lets a retry take it over once it is stale', async () => {
    // Arrange
    let now = 1_000_000_000;
    const log = dynamoDeliveryLog({ tableName: 'deliveries', client: new DynamoDBClient({}), retentionSeconds: 600, pendingSeconds: 10, now: () => now });
    await log.claim('orders', 'dlv-1');

    // Act
    now += 9_000;
    const fresh = await log.claim('orders', 'dlv-1');
    now += 2_000;
    const stale = await log.claim('orders', 'dlv-1');

    // Assert
    expect(fresh).toBe('pending');
    expect(stale).toBe('claimed');
  });
});

describe('webhook intake: every signature failure answers the same', () => {
  const FAILURES: readonly (readonly [string, () => { event: ReturnType<typeof capturedDelivery>; now?: number }])[] = [
    ['tampered body', () => ({ event: { ...capturedDelivery(), body: (capturedDelivery().body as string).replace('1299.5', '12.5') } })],
    ['another secret', () => ({ event: signedDelivery({ secret: 'whsec-someone-else' }) })],
    ['stale timestamp', () => ({ event: capturedDelivery(), now: FIXTURE_TIME_MS + 301_000 })],
    ['future timestamp', () => ({ event: capturedDelivery(), now: FIXTURE_TIME_MS - 301_000 })],
    ['missing signature', () => ({ event: withoutHeader('X-Webhook-Signature') })],
    ['missing id', () => ({ event: withoutHeader('X-Webhook-Id') })],
    ['missing timestamp', () => ({ event: withoutHeader('X-Webhook-Timestamp') })],
    ['malformed signature', () => ({ event: withHeader('X-Webhook-Signature', 'sha1=abc') })],
    ['malformed timestamp', () => ({ event: withHeader('X-Webhook-Timestamp', 'yesterday') })],
    ['unknown source', () => ({ event: onSource('unknown') })],
    ['source with a secret but not configured', () => ({ event: onSource('legacy') })],
    ['source name that cannot be a secret', () => ({ event: onSource('../api-key') })],
  ];
  function withoutHeader(name: string) {
    const event = capturedDelivery();
    delete event.headers[name];
    return event;
  }
  function withHeader(name: string, value: string) {
    const event = capturedDelivery();
    event.headers[name] = value;
    return event;
  }
  function onSource(source: string) {
    return { ...signedDelivery(), pathParameters: { source } };
  }

  it('answers 401 with one identical body for every kind of failure, in any order', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: 'certyo/webhooks/legacy' }).resolves({ SecretString: FIXTURE_SECRET });
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray([...FAILURES], { minLength: 1 }), async (failures) => {
        const answers = new Set<string>();
        for (const [, make] of failures) {
          const { event, now } = make();
          const result = await handleWebhook(event, deps(now));
          answers.add(`${result.statusCode} ${JSON.stringify(result.headers)} ${result.body}`);
        }
        expect([...answers]).toEqual([`401 {"Content-Type":"application/json"} ${SIGNATURE_FAILURE_BODY}`]);
        expect(published()).toHaveLength(0);
      }),
      { numRuns: 30 },
    );
  });
});

describe('webhook intake: a source writes only for its tenants and databases', () => {
  const body = (fields: Record<string, unknown>) => JSON.stringify({ ...(JSON.parse(capturedDelivery().body as string) as object), ...fields });

  it.each([
    ['another tenant', { tenantId: 'globex' }, 'body.tenantId "globex" is not a tenant source orders may write (acme, acme-eu)'],
    ['another database', { database: 'payroll' }, 'body.database "payroll" is not a database source orders may write (shop)'],
    ['a database of another source', { database: 'ledger' }, 'body.database "ledger" is not a database source orders may write (shop)'],
  ])('refuses a delivery claiming %s with 403 naming the field, publishing and claiming nothing', async (_, fields, message) => {
    // Act
    const result = await handleWebhook(signedDelivery({ body: body(fields) }), deps());

    // Assert
    expect(result.statusCode).toBe(403);
    expect(bodyOf(result)).toEqual({ error: 'forbidden', message });
    expect(published()).toHaveLength(0);
    expect(table.items.size).toBe(0);
  });

  it('accepts any of its tenants, and writes its first tenant when the body names none', async () => {
    // Act
    await handleWebhook(signedDelivery({ body: body({ tenantId: 'acme-eu' }), deliveryId: 'dlv-eu' }), deps());
    await handleWebhook(signedDelivery({ deliveryId: 'dlv-default' }), deps());

    // Assert
    expect(published().map((e) => (JSON.parse(e.Detail as string) as { tenantId: string }).tenantId)).toEqual(['acme-eu', 'acme']);
  });

  it('namespaces an explicit idempotency key by source, so two sources sending the same key do not collide', async () => {
    // Arrange
    secrets.on(GetSecretValueCommand, { SecretId: 'certyo/webhooks/billing' }).resolves({ SecretString: FIXTURE_SECRET });
    const fromBilling = { ...signedDelivery({ body: body({ idempotencyKey: 'acme|shop|orders|ORD-2026-000417|7' }) }), pathParameters: { source: 'billing' } };
    const fromOrders = signedDelivery({ body: body({ idempotencyKey: 'acme|shop|orders|ORD-2026-000417|7' }) });

    // Act
    await handleWebhook(fromBilling, deps());
    await handleWebhook(fromOrders, deps());

    // Assert
    const keys = published().map((e) => (JSON.parse(e.Detail as string) as { idempotencyKey: string }).idempotencyKey);
    expect(keys).toEqual(['webhook.billing|acme%7Cshop%7Corders%7CORD-2026-000417%7C7', 'webhook.orders|acme%7Cshop%7Corders%7CORD-2026-000417%7C7']);
  });

  it('keeps a single, namespaced idempotencyKey even when the body repeats the member', async () => {
    // Arrange: JSON.parse keeps the last duplicate; so does the published detail.
    const text = (capturedDelivery().body as string).replace('{', '{"idempotencyKey":"first","tenantId":"globex",').replace(/}\s*$/, ',"idempotencyKey":"last","tenantId":"acme"}');

    // Act
    const result = await handleWebhook(signedDelivery({ body: text }), deps());

    // Assert
    expect(result.statusCode).toBe(202);
    const detail = published()[0]?.Detail as string;
    expect(detail.match(/"idempotencyKey"/g)).toHaveLength(1);
    expect(detail.match(/"tenantId"/g)).toHaveLength(1);
    expect(JSON.parse(detail)).toMatchObject({ idempotencyKey: 'webhook.orders|last', tenantId: 'acme' });
  });
});

describe('webhookIdempotencyKey', () => {
  it('is injective over (source, key) and never equals a record identity key', () => {
    const source = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
    const key = fc.string({ unit: fc.constantFrom('a', '|', '%', '7', 'C', '.', 'w') , maxLength: 12 });
    fc.assert(
      fc.property(source, key, source, key, (s1, k1, s2, k2) => {
        fc.pre(s1 !== s2 || k1 !== k2);
        expect(webhookIdempotencyKey(s1, k1)).not.toBe(webhookIdempotencyKey(s2, k2));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(source, key, fc.array(key, { minLength: 5, maxLength: 5 }), (s, k, parts) => {
        const [tenantId, database, collection, recordId, recordVersion] = parts as [string, string, string, string, string];
        expect(webhookIdempotencyKey(s, k)).not.toBe(idempotencyKeyOf({ tenantId, database, collection, recordId, recordVersion }));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('webhook intake: no stranded delivery', () => {
  const failPutEventsOnce = () =>
    events
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal error' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-retried' }] });

  it('publishes the retry once the pending claim expires when PutEvents and the release both failed', async () => {
    // Arrange
    failPutEventsOnce();
    dynamo.on(DeleteItemCommand).rejects(new Error('ProvisionedThroughputExceededException'));

    // Act
    const failed = await handleWebhook(capturedDelivery(), deps());
    const tooSoon = await handleWebhook(capturedDelivery(), deps(FIXTURE_TIME_MS + (PENDING_SECONDS - 1) * 1000));
    const retried = await handleWebhook(capturedDelivery(), deps(FIXTURE_TIME_MS + (PENDING_SECONDS + 1) * 1000));
    const replay = await handleWebhook(capturedDelivery(), deps(FIXTURE_TIME_MS + (PENDING_SECONDS + 2) * 1000));

    // Assert
    expect([failed.statusCode, tooSoon.statusCode, retried.statusCode, replay.statusCode]).toEqual([502, 409, 202, 200]);
    expect(bodyOf(tooSoon)).toEqual({ error: 'delivery_in_progress', message: 'This delivery is being published by an earlier attempt; retry it later' });
    expect(published()).toHaveLength(2);
    expect(table.items.get('orders#dlv_01HZX3K9QF7N2B5T8W4C6M1R0A')).toMatchObject({ status: { S: 'published' }, eventId: { S: 'evt-retried' } });
  });

  it('publishes the retry after an attempt died between claim and publish (Lambda timeout)', async () => {
    // Arrange: the earlier attempt claimed, then never published.
    await dynamoDeliveryLog({ tableName: 'deliveries', client: new DynamoDBClient({}), retentionSeconds: 86_400, pendingSeconds: PENDING_SECONDS, now: () => FIXTURE_TIME_MS }).claim(
      'orders',
      'dlv_01HZX3K9QF7N2B5T8W4C6M1R0A',
    );

    // Act
    const retried = await handleWebhook(capturedDelivery(), deps(FIXTURE_TIME_MS + (PENDING_SECONDS + 1) * 1000));

    // Assert
    expect(retried.statusCode).toBe(202);
    expect(published()).toHaveLength(1);
  });

  it('answers 202 when the event is published but the claim cannot be marked, logging the error by name only', async () => {
    // Arrange
    dynamo.on(UpdateItemCommand).rejects(Object.assign(new Error('secret-looking upstream text'), { name: 'InternalServerError' }));
    const d = deps();

    // Act
    const result = await handleWebhook(capturedDelivery(), d);

    // Assert
    expect(result.statusCode).toBe(202);
    expect(d.log.entries).toContainEqual(expect.objectContaining({ level: 'error', details: expect.objectContaining({ error: 'InternalServerError' }) }));
    expect(JSON.stringify(d.log.entries)).not.toContain('secret-looking');
  });
});
