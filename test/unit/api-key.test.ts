import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { ApiKeyError, parseApiKeySecret, secretsManagerApiKey, staticApiKey } from '../../lambdas/shared/api-key';

const secrets = mockClient(SecretsManagerClient);
const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:certyo/api-key-AbCdEf';

beforeEach(() => secrets.reset());

function provider(clock: { now: number }, maxAgeMs?: number) {
  return secretsManagerApiKey({ secretId: SECRET_ID, maxAgeMs, client: new SecretsManagerClient({}), now: () => clock.now });
}

describe('secretsManagerApiKey', () => {
  it('reads the apiKey field of a JSON secret', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({ SecretString: '{"apiKey":"k-123","note":"rotated monthly"}' });

    await expect(provider({ now: 0 }).get()).resolves.toBe('k-123');
  });

  it('accepts a plain-string secret', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '  plain-key\n' });

    await expect(provider({ now: 0 }).get()).resolves.toBe('plain-key');
  });

  it('caches the key for maxAgeMs, then reads it again', async () => {
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'old' }).resolves({ SecretString: 'new' });
    const clock = { now: 1_000 };
    const keys = provider(clock, 300_000);

    const first = await keys.get();
    clock.now += 299_999;
    const cached = await keys.get();
    clock.now += 1;
    const reloaded = await keys.get();

    expect([first, cached, reloaded]).toEqual(['old', 'old', 'new']);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('defaults to a five-minute cache', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'k' });
    const clock = { now: 0 };
    const keys = provider(clock);

    await keys.get();
    clock.now = 299_000;
    await keys.get();
    clock.now = 300_000;
    await keys.get();

    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('refresh() reloads at once, and later gets use the refreshed key', async () => {
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'old' }).resolves({ SecretString: 'rotated' });
    const keys = provider({ now: 0 });
    await keys.get();

    const refreshed = await keys.refresh();

    expect(refreshed).toBe('rotated');
    await expect(keys.get()).resolves.toBe('rotated');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('shares one Secrets Manager call between concurrent callers', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'k' });
    const keys = provider({ now: 0 });

    await Promise.all([keys.get(), keys.get(), keys.refresh(), keys.refresh()]);

    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('retries the load on the next call after a failure', async () => {
    secrets.on(GetSecretValueCommand).rejectsOnce(new ResourceNotFoundException({ message: 'not found', $metadata: {} })).resolves({ SecretString: 'k' });
    const keys = provider({ now: 0 });

    await expect(keys.get()).rejects.toThrow('not found');
    await expect(keys.get()).resolves.toBe('k');
  });

  it('refuses a binary secret with a message naming the secret', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2]) });

    await expect(provider({ now: 0 }).get()).rejects.toThrow(new ApiKeyError(`Secret ${SECRET_ID} has no SecretString (binary secrets are not supported)`));
  });

  it('validates its options', () => {
    expect(() => secretsManagerApiKey({ secretId: ' ' })).toThrow('secretId is empty');
    expect(() => secretsManagerApiKey({ secretId: 'x', maxAgeMs: -1 })).toThrow('maxAgeMs must be >= 0, got -1');
  });
});

describe('parseApiKeySecret', () => {
  it.each([
    ['JSON without apiKey', '{"key":"s3cr3t-value"}', 'is JSON without a non-empty string field "apiKey"'],
    ['a non-string apiKey', '{"apiKey":12345}', 'is JSON without a non-empty string field "apiKey"'],
    ['an empty apiKey', '{"apiKey":"  "}', 'is JSON without a non-empty string field "apiKey"'],
    ['broken JSON', '{"apiKey":"s3cr3t-value"', 'starts with "{" but is not valid JSON'],
    ['an empty string', '   ', 'is empty'],
  ])('rejects %s without quoting the secret', (_label, secret, problem) => {
    const error = (() => {
      try {
        parseApiKeySecret(secret, 'certyo/api-key');
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected an error');
    })();

    expect(error).toBeInstanceOf(ApiKeyError);
    expect(error.message).toBe(`Secret certyo/api-key ${problem}`);
    expect(error.message).not.toContain('s3cr3t');
  });
});

describe('staticApiKey', () => {
  it('returns the same key from get and refresh', async () => {
    const keys = staticApiKey('test-key');

    await expect(keys.get()).resolves.toBe('test-key');
    await expect(keys.refresh()).resolves.toBe('test-key');
  });
});
