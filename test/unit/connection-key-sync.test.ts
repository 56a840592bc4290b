import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventBridgeClient, UpdateConnectionCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { eventBridgeConnectionUpdater } from '../../lambdas/connection-key-sync/connection-updater';
import { ConnectionUpdater, describeTrigger, KeySource, KeySyncError, MAX_WRITES, syncConnectionKey } from '../../lambdas/connection-key-sync/sync-key';
import { secretsManagerApiKey } from '../../lambdas/shared/api-key';

const fixture = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'eventbridge', name), 'utf8'));
const settings = { connectionName: 'CertyoConnection294BFDE3-Ab12', headerName: 'X-API-Key' };
const SECRET_VALUE = 'ck_live_rotated_0123456789';

describe('syncConnectionKey over the AWS SDK', () => {
  const secrets = mockClient(SecretsManagerClient);
  const events = mockClient(EventBridgeClient);
  const lines: { message: string; attributes: Record<string, unknown> }[] = [];
  const deps = () => ({
    key: secretsManagerApiKey({ secretId: 'certyo/api-key', maxAgeMs: 0, client: new SecretsManagerClient({}) }),
    connections: eventBridgeConnectionUpdater(new EventBridgeClient({})),
    log: { info: (message: string, attributes: Record<string, unknown>) => lines.push({ message, attributes }) },
  });

  beforeEach(() => {
    secrets.reset();
    events.reset();
    lines.length = 0;
  });

  it('pushes the secret’s current key into the connection after a PutSecretValue', async () => {
    // Arrange
    secrets.on(GetSecretValueCommand, { SecretId: 'certyo/api-key' }).resolves({ SecretString: JSON.stringify({ apiKey: SECRET_VALUE }) });
    events.on(UpdateConnectionCommand).resolves({});

    // Act
    const result = await syncConnectionKey(fixture('cloudtrail-put-secret-value.json'), settings, deps());

    // Assert
    expect(result).toEqual({ trigger: 'PutSecretValue', writes: 1 });
    expect(events.commandCalls(UpdateConnectionCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: settings.connectionName,
        AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'X-API-Key', ApiKeyValue: SECRET_VALUE } },
      },
    ]);
  });

  it('reads the secret again on every run, so a second rotation is not served from a cache', async () => {
    // Arrange
    let current = 'first';
    secrets.on(GetSecretValueCommand).callsFake(() => ({ SecretString: JSON.stringify({ apiKey: current }) }));
    events.on(UpdateConnectionCommand).resolves({});
    const shared = deps();

    // Act
    await syncConnectionKey(fixture('cloudtrail-put-secret-value.json'), settings, shared);
    current = 'second';
    await syncConnectionKey(fixture('cloudtrail-update-secret-version-stage.json'), settings, shared);

    // Assert
    const values = events.commandCalls(UpdateConnectionCommand).map((c) => c.args[0].input.AuthParameters?.ApiKeyAuthParameters?.ApiKeyValue);
    expect(values).toEqual(['first', 'second']);
  });

  it('fails with the connection and the error name only: never the key, nor an upstream message that quotes it', async () => {
    // Arrange
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ apiKey: SECRET_VALUE }) });
    events
      .on(UpdateConnectionCommand)
      .rejects(Object.assign(new Error(`Invalid ApiKeyValue '${SECRET_VALUE}'`), { name: 'ConcurrentModificationException', $metadata: { httpStatusCode: 409 } }));

    // Act
    const attempt = syncConnectionKey({ 'detail-type': 'Scheduled Event' }, settings, deps());

    // Assert
    await expect(attempt).rejects.toThrow(KeySyncError);
    await expect(attempt).rejects.toThrow(`UpdateConnection of ${settings.connectionName} failed (ConcurrentModificationException, HTTP 409)`);
    await attempt.catch((error: Error) => expect(JSON.stringify({ message: error.message, stack: error.stack })).not.toContain(SECRET_VALUE));
    expect(JSON.stringify(lines)).not.toContain(SECRET_VALUE);
  });

  it('logs which change triggered the sync, without the key', async () => {
    // Arrange
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SECRET_VALUE });
    events.on(UpdateConnectionCommand).resolves({});

    // Act
    await syncConnectionKey(fixture('cloudtrail-update-secret-version-stage.json'), settings, deps());

    // Assert
    expect(lines).toEqual([{ message: 'connection key synchronised', attributes: { connectionName: settings.connectionName, trigger: 'UpdateSecretVersionStage', writes: 1 } }]);
  });
});

describe('describeTrigger', () => {
  it.each([
    [{ 'detail-type': 'Scheduled Event', detail: {} }, 'Scheduled Event'],
    [{ detail: { eventName: 'RotateSecret' } }, 'RotateSecret'],
    [null, 'unknown'],
  ])('names %p as %s', (event, expected) => {
    expect(describeTrigger(event)).toBe(expected);
  });
});

describe('overlapping syncs (no reserved concurrency)', () => {
  const quiet = { info: () => undefined };

  it('leave the connection holding the secret’s final value, whatever the interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: MAX_WRITES - 2 }), async (s, runs, rotations) => {
        const secret = { value: 'v0' };
        const connection = { value: 'stale' };
        // Every read and write is a separate step the scheduler may order against the others.
        const key: KeySource = { refresh: () => s.schedule(Promise.resolve(), 'read').then(() => secret.value) };
        const connections: ConnectionUpdater = {
          updateApiKey: (_name, _header, apiKey) =>
            s.schedule(Promise.resolve(), `write ${apiKey}`).then(() => {
              connection.value = apiKey;
            }),
        };
        const deps = { key, connections, log: quiet };
        const started: Promise<unknown>[] = [];
        for (let i = 0; i < runs; i++) started.push(syncConnectionKey({ 'detail-type': 'Scheduled Event' }, settings, deps));
        for (let r = 1; r <= rotations; r++) {
          // A rotation is a change event: EventBridge starts one more run for it.
          started.push(
            s.schedule(Promise.resolve(), `rotate v${r}`).then(() => {
              secret.value = `v${r}`;
              return syncConnectionKey({ 'detail-type': 'AWS API Call via CloudTrail' }, settings, deps);
            }),
          );
        }
        await s.waitFor(Promise.all(started));

        expect(connection.value).toBe(secret.value);
      }),
    );
  });

  it('gives up with a KeySyncError, never the key, when the secret keeps changing', async () => {
    let reads = 0;
    const key: KeySource = { refresh: async () => `k${reads++}` };
    const connections: ConnectionUpdater = { updateApiKey: async () => undefined };

    const attempt = syncConnectionKey({}, settings, { key, connections, log: quiet });

    await expect(attempt).rejects.toThrow(new KeySyncError(`the Certyo secret changed ${MAX_WRITES} times while ${settings.connectionName} was being updated; EventBridge retries the run`));
  });
});

