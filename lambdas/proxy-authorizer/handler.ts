/**
 * proxy-authorizer: REQUEST authorizer of the Certyo API proxy. Builds its dependencies once per
 * cold start; the decision is made in `authorize.ts`.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { secretsManagerApiKey } from '../shared/api-key';
import { createLogger } from '../shared/observability';
import { readRuntimeEnv } from '../shared/runtime-env';
import { authorize, ProxyAuthorizerResult } from './authorize';
import { apiGatewayKeyLookup, cachedConsumerDirectory } from './consumers';
import { readAuthorizerSettings } from './settings';

const logger = createLogger('proxy-authorizer');
const settings = readAuthorizerSettings();
const deps = {
  consumers: cachedConsumerDirectory({
    consumers: settings.consumers,
    lookup: apiGatewayKeyLookup(new APIGatewayClient({})),
    log: logger,
    maxAgeMs: settings.cacheMaxAgeMs,
  }),
  tenants: settings.tenants,
  certyoKey: secretsManagerApiKey({ secretId: readRuntimeEnv().secretId, maxAgeMs: settings.cacheMaxAgeMs }),
  log: logger,
};

export async function handler(event: APIGatewayRequestAuthorizerEvent, context: Context): Promise<ProxyAuthorizerResult> {
  logger.addContext(context);
  return authorize(event, deps);
}
