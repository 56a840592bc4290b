/**
 * connection-key-sync: Secrets Manager changes of the Certyo secret (CloudTrail events on the
 * default bus) and an hourly schedule → `UpdateConnection` with the current key.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { secretsManagerApiKey } from '../shared/api-key';
import { createLogger } from '../shared/observability';
import { requireEnv } from '../shared/runtime-env';
import { eventBridgeConnectionUpdater } from './connection-updater';
import { syncConnectionKey } from './sync-key';

const logger = createLogger('connection-key-sync');
const settings = { connectionName: requireEnv('CONNECTION_NAME'), headerName: requireEnv('API_KEY_HEADER') };
const deps = {
  key: secretsManagerApiKey({ secretId: requireEnv('CERTYO_SECRET_ARN'), maxAgeMs: 0 }),
  connections: eventBridgeConnectionUpdater(new EventBridgeClient({})),
  log: logger,
};

export async function handler(event: unknown, context: Context): Promise<void> {
  logger.addContext(context);
  await syncConnectionKey(event, settings, deps);
}
