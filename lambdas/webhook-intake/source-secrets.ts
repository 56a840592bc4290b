/**
 * Per-source signing secrets, `<prefix><source>` in Secrets Manager (plain string), each cached
 * with a maximum age by the shared key provider, so a rotated secret is used within minutes.
 */
import { ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ApiKeyProvider, secretsManagerApiKey } from '../shared/api-key';

export interface SourceSecrets {
  /** The source's signing secret, or `undefined` when the source has none (unknown source). */
  get(source: string): Promise<string | undefined>;
}

/** Lower-case letters, digits and dashes: safe inside a secret name and an EventBridge source. */
export const SOURCE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export function secretsManagerSourceSecrets(options: { prefix: string; client: SecretsManagerClient; maxAgeMs?: number; now?: () => number }): SourceSecrets {
  // Only sources with a secret stay in the map, so made-up source names cannot grow it.
  const providers = new Map<string, ApiKeyProvider>();
  return {
    async get(source) {
      if (!SOURCE_NAME.test(source)) return undefined;
      let provider = providers.get(source);
      if (!provider) {
        provider = secretsManagerApiKey({ secretId: `${options.prefix}${source}`, client: options.client, maxAgeMs: options.maxAgeMs, now: options.now });
        providers.set(source, provider);
      }
      try {
        return await provider.get();
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
        providers.delete(source);
        return undefined;
      }
    },
  };
}
