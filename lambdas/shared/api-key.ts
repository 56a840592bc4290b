/**
 * The Certyo API key, read from Secrets Manager and cached per container.
 *
 * Why a cache with a maximum age: a warm Lambda would otherwise call Secrets Manager on every
 * invocation (cost and latency), while a key cached forever would keep failing after a rotation.
 * The client also calls `refresh()` when Certyo answers 401, so a rotated key is picked up at
 * once rather than after `maxAgeMs`.
 *
 * The key's value never appears in an error message: parse failures describe the secret's shape,
 * not its text (Node's own `JSON.parse` errors quote the input, so they are not passed on).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface ApiKeyProvider {
  /** The cached key, loaded on first use and again once older than the maximum age. */
  get(): Promise<string>;
  /** Loads the key again now (after a 401: the key may have been rotated). */
  refresh(): Promise<string>;
}

export class ApiKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiKeyError';
  }
}

export interface SecretsManagerApiKeyOptions {
  /** ARN or name of the secret: JSON `{"apiKey": "..."}` or the plain key. */
  readonly secretId: string;
  /**
   * How long a loaded key is used before it is read again.
   * @default 300_000 (5 minutes)
   */
  readonly maxAgeMs?: number;
  /** @default - a new `SecretsManagerClient` (honours `AWS_ENDPOINT_URL_SECRETS_MANAGER`) */
  readonly client?: SecretsManagerClient;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Extracts the key from a secret string: JSON with a string `apiKey`, or the plain key. */
export function parseApiKeySecret(secretString: string, secretId: string): string {
  const text = secretString.trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiKeyError(`Secret ${secretId} starts with "{" but is not valid JSON`);
    }
    const apiKey = (parsed as { apiKey?: unknown }).apiKey;
    if (typeof apiKey !== 'string' || apiKey.trim() === '') {
      throw new ApiKeyError(`Secret ${secretId} is JSON without a non-empty string field "apiKey"`);
    }
    return apiKey.trim();
  }
  if (text === '') throw new ApiKeyError(`Secret ${secretId} is empty`);
  return text;
}

export function secretsManagerApiKey(options: SecretsManagerApiKeyOptions): ApiKeyProvider {
  const { secretId, maxAgeMs = 300_000, now = Date.now } = options;
  if (!secretId.trim()) throw new ApiKeyError('secretsManagerApiKey: secretId is empty');
  if (!(maxAgeMs >= 0)) throw new ApiKeyError(`secretsManagerApiKey: maxAgeMs must be >= 0, got ${maxAgeMs}`);
  const client = options.client ?? new SecretsManagerClient({});
  let cached: { key: string; loadedAt: number } | undefined;
  // Concurrent callers (e.g. several 401s at once) share one GetSecretValue call.
  let loading: Promise<string> | undefined;

  const load = (): Promise<string> => {
    loading ??= (async () => {
      try {
        const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
        if (out.SecretString === undefined) {
          throw new ApiKeyError(`Secret ${secretId} has no SecretString (binary secrets are not supported)`);
        }
        const key = parseApiKeySecret(out.SecretString, secretId);
        cached = { key, loadedAt: now() };
        return key;
      } finally {
        loading = undefined;
      }
    })();
    return loading;
  };

  return {
    get: async () => (cached && now() - cached.loadedAt < maxAgeMs ? cached.key : load()),
    refresh: load,
  };
}

/** A fixed key: for the local sandbox, scripts and tests. `refresh()` returns the same key. */
export function staticApiKey(key: string): ApiKeyProvider {
  if (!key) throw new ApiKeyError('staticApiKey: key is empty');
  return { get: async () => key, refresh: async () => key };
}
