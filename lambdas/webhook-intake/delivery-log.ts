/**
 * Replay protection: each delivery id is claimed once per source in a DynamoDB table, with a
 * conditional put, and forgotten by TTL. The TTL outlives the signature's timestamp tolerance,
 * so a delivery is either still in the log or already too old to pass verification.
 */
import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';

export interface DeliveryLog {
  /** `true` when this is the first claim of the delivery; `false` when it was seen before. */
  claim(source: string, deliveryId: string): Promise<boolean>;
  /** Forgets a claim whose event could not be published, so the sender's retry goes through. */
  release(source: string, deliveryId: string): Promise<void>;
}

export const deliveryKey = (source: string, deliveryId: string): string => `${source}#${deliveryId}`;

export function dynamoDeliveryLog(tableName: string, client: DynamoDBClient, retentionSeconds: number, now: () => number = Date.now): DeliveryLog {
  return {
    async claim(source, deliveryId) {
      const nowSeconds = Math.floor(now() / 1000);
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              deliveryKey: { S: deliveryKey(source, deliveryId) },
              receivedAt: { N: String(nowSeconds) },
              expiresAt: { N: String(nowSeconds + retentionSeconds) },
            },
            // TTL deletes lazily: an expired item that is still there does not count as a claim.
            ConditionExpression: 'attribute_not_exists(deliveryKey) OR expiresAt < :now',
            ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
    async release(source, deliveryId) {
      await client.send(new DeleteItemCommand({ TableName: tableName, Key: { deliveryKey: { S: deliveryKey(source, deliveryId) } } }));
    },
  };
}
