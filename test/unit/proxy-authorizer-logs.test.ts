import { APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { secretsManagerApiKey } from '../../lambdas/shared/api-key';
import { createLogger } from '../../lambdas/shared/observability';
import { authorize } from '../../lambdas/proxy-authorizer/authorize';
import { apiGatewayKeyLookup, cachedConsumerDirectory } from '../../lambdas/proxy-authorizer/consumers';
import { authorizerEvent, onRoute } from './proxy-authorizer-fakes';

const CERTYO_KEY = 'certyo-live-key-never-logged-5e6f7a8b9c';
const CONSUMER_KEY = 'consumerkey-billing-never-logged-0a1b2c3d';

describe('proxy authorizer logs (real Powertools logger)', () => {
  const apiGateway = mockClient(APIGatewayClient);
  const secrets = mockClient(SecretsManagerClient);
  let written: string[];

  beforeEach(() => {
    apiGateway.reset();
    secrets.reset();
    apiGateway.on(GetApiKeyCommand).resolves({ id: 'kid-billing', enabled: true, value: CONSUMER_KEY });
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ apiKey: CERTYO_KEY }) });
    written = [];
    const capture = (chunk: unknown): boolean => {
      written.push(String(chunk));
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  });

  afterEach(() => jest.restoreAllMocks());

  it('logs the decisions, never the Certyo key or the consumer key', async () => {
    // Arrange
    const logger = createLogger('proxy-authorizer');
    logger.setLogLevel('DEBUG');
    const deps = {
      consumers: cachedConsumerDirectory({ consumers: [{ name: 'billing', keyId: 'kid-billing', scopes: ['ingest'] }], lookup: apiGatewayKeyLookup(new APIGatewayClient({})), log: logger }),
      tenants: new Map([['billing', ['acme']]]),
      certyoKey: secretsManagerApiKey({ secretId: 'certyo/api-key', client: new SecretsManagerClient({}) }),
      log: logger,
    };
    const allowed = authorizerEvent('authorizer-request-post-bulk', CONSUMER_KEY);

    // Act: an allowed request, a request on an unscoped route, an unknown key, a missing header.
    const result = await authorize(allowed, deps);
    await authorize(onRoute(allowed, 'GET', 'records'), deps);
    await expect(authorize(authorizerEvent('authorizer-request-post-bulk', `${CONSUMER_KEY}-wrong`), deps)).rejects.toThrow('Unauthorized');
    await expect(authorize(authorizerEvent('authorizer-request-post-bulk', undefined), deps)).rejects.toThrow('Unauthorized');

    // Assert: the logs were captured (so the absence below means something) and hold no key.
    const output = written.join('');
    expect(result.context.certyoApiKey).toBe(CERTYO_KEY);
    expect(output).toContain('"consumer":"billing"');
    expect(output).toContain('Unknown or disabled consumer key');
    expect(output).toContain('Request without X-Consumer-Key header');
    expect(output).not.toContain(CERTYO_KEY);
    expect(output).not.toContain(CONSUMER_KEY);
  });
});
