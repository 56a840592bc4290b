/**
 * Replay protection in two phases: a delivery id is claimed once per source in a DynamoDB table
 * as `pending`, with a short expiry, and marked `published` once PutEvents accepted the event;
 * items are forgotten by TTL. The TTL outlives the signature's timestamp tolerance, so a delivery
 * is either still in the log or already too old to pass verification.
 *
 * Why two phases: if the Lambda dies (timeout, crash) or cannot release its claim after a failed
 * PutEvents, a one-phase claim would answer every retry "duplicate" and the event would never be
 * published. A `pending` claim older than its expiry is taken over by the sender's retry.
 */
import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

/** `claimed`: go ahead and publish. `published`: seen and published before. `pending`: another attempt is publishing it now. */
export type ClaimOutcome = 'claimed' | 'published' | 'pending';

export interface DeliveryLog {
  claim(source: string, deliveryId: string): Promise<ClaimOutcome>;
  /** Records that the delivery's event is on the bus; later claims answer `published`. */
  markPublished(source: string, deliveryId: string, eventId: string): Promise<void>;
  /** Forgets a claim whose event could not be published, so the sender's retry goes through at once. */
  release(source: string, deliveryId: string): Promise<void>;
}

export const deliveryKey = (source: string, deliveryId: string): string => `${source}#${deliveryId}`;

export interface DeliveryLogOptions {
  readonly tableName: string;
  readonly client: DynamoDBClient;
  /** How long a delivery id is remembered. */
  readonly retentionSeconds: number;
  /** How long a `pending` claim holds off other attempts; longer than the Lambda's timeout. */
  readonly pendingSeconds: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export function dynamoDeliveryLog(options: DeliveryLogOptions): DeliveryLog {
  const { tableName, client, retentionSeconds, pendingSeconds, now = Date.now } = options;
  const key = (source: string, deliveryId: string) => ({ deliveryKey: { S: deliveryKey(source, deliveryId) } });
  return {
    async claim(source, deliveryId) {
      const nowSeconds = Math.floor(now() / 1000);
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...key(source, deliveryId),
              status: { S: 'pending' },
              receivedAt: { N: String(nowSeconds) },
              pendingUntil: { N: String(nowSeconds + pendingSeconds) },
              expiresAt: { N: String(nowSeconds + retentionSeconds) },
            },
            // TTL deletes lazily: an expired item that is still there does not count as a claim.
            ConditionExpression: 'attribute_not_exists(deliveryKey) OR expiresAt < :now OR (#status = :pending AND pendingUntil < :now)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':now': { N: String(nowSeconds) }, ':pending': { S: 'pending' } },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return 'claimed';
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        return error.Item?.status?.S === 'pending' ? 'pending' : 'published';
      }
    },
    async markPublished(source, deliveryId, eventId) {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: key(source, deliveryId),
          UpdateExpression: 'SET #status = :published, eventId = :eventId REMOVE pendingUntil',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':published': { S: 'published' }, ':eventId': { S: eventId } },
        }),
      );
    },
    async release(source, deliveryId) {
      await client.send(new DeleteItemCommand({ TableName: tableName, Key: key(source, deliveryId) }));
    },
  };
}
