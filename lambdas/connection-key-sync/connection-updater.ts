/** `ConnectionUpdater` over the EventBridge API. */
import { EventBridgeClient, UpdateConnectionCommand } from '@aws-sdk/client-eventbridge';
import { ConnectionUpdater } from './sync-key';

export function eventBridgeConnectionUpdater(client: Pick<EventBridgeClient, 'send'>): ConnectionUpdater {
  return {
    async updateApiKey(connectionName, headerName, apiKey) {
      await client.send(
        new UpdateConnectionCommand({
          Name: connectionName,
          // EventBridge ignores new parameters unless the authorization type is given with them.
          AuthorizationType: 'API_KEY',
          AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: headerName, ApiKeyValue: apiKey } },
        }),
      );
    },
  };
}
