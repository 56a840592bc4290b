import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventBridgeClient, UpdateConnectionCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { eventBridgeConnectionUpdater } from '../../lambdas/connection-key-sync/connection-updater';
import { describeTrigger, KeySyncError, syncConnectionKey } from '../../lambdas/connection-key-sync/sync-key';
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
    expect(result).toEqual({ trigger: 'PutSecretValue' });
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
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify({ apiKey: 'first' }) })
      .resolvesOnce({ SecretString: JSON.stringify({ apiKey: 'second' }) });
    events.on(UpdateConnectionCommand).resolves({});
    const shared = deps();

    // Act
    await syncConnectionKey(fixture('cloudtrail-put-secret-value.json'), settings, shared);
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
    expect(lines).toEqual([{ message: 'connection key synchronised', attributes: { connectionName: settings.connectionName, trigger: 'UpdateSecretVersionStage' } }]);
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
