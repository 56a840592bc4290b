/**
 * webhook-intake: signed webhooks → `domain-events` bus. Builds its dependencies once per cold
 * start; the work is in `intake.ts`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createLogger } from '../shared/observability';
import { dynamoDeliveryLog } from './delivery-log';
import { eventBridgePublisher } from './event-publisher';
import { handleWebhook } from './intake';
import { readWebhookSettings } from './settings';
import { secretsManagerSourceSecrets } from './source-secrets';

const logger = createLogger('webhook-intake');
const settings = readWebhookSettings();
const deps = {
  secrets: secretsManagerSourceSecrets({ prefix: settings.secretPrefix, client: new SecretsManagerClient({}) }),
  sources: settings.sources,
  deliveries: dynamoDeliveryLog({
    tableName: settings.deliveriesTableName,
    client: new DynamoDBClient({}),
    retentionSeconds: settings.retentionSeconds,
    pendingSeconds: settings.pendingSeconds,
  }),
  events: eventBridgePublisher(new EventBridgeClient({}), settings.eventBusName),
  detailType: settings.detailType,
  toleranceSeconds: settings.toleranceSeconds,
  log: logger,
  now: Date.now,
};

export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  logger.addContext(context);
  return handleWebhook(event, deps);
}
