/**
 * Helpers for the webhook-intake tests: the captured delivery fixture, re-signed variants of it,
 * and an in-memory DynamoDB table that applies the replay log's conditional put as DynamoDB does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConditionalCheckFailedException, DeleteItemCommandInput, PutItemCommandInput, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { signDelivery } from '../../lambdas/webhook-intake/signature';

/** The signing secret the fixture was signed with (test-only value). */
export const FIXTURE_SECRET = 'whsec-test-orders-0001';
/** The fixture's X-Webhook-Timestamp, in milliseconds. */
export const FIXTURE_TIME_MS = 1776853805_000;

export function capturedDelivery(): APIGatewayProxyEvent {
  const file = path.join(__dirname, '..', 'fixtures', 'apigateway', 'webhook-post-orders.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as APIGatewayProxyEvent;
}

/** The fixture with another body, delivery id or timestamp, signed with `secret`. */
export function signedDelivery(options: { body?: string; deliveryId?: string; timestampMs?: number; secret?: string } = {}): APIGatewayProxyEvent {
  const event = capturedDelivery();
  const body = options.body ?? (event.body as string);
  const deliveryId = options.deliveryId ?? (event.headers['X-Webhook-Id'] as string);
  const timestamp = Math.floor((options.timestampMs ?? FIXTURE_TIME_MS) / 1000);
  const headers = {
    ...event.headers,
    'X-Webhook-Id': deliveryId,
    'X-Webhook-Timestamp': String(timestamp),
    'X-Webhook-Signature': signDelivery(options.secret ?? FIXTURE_SECRET, deliveryId, timestamp, Buffer.from(body, 'utf8')),
  };
  return { ...event, body, headers, multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v as string]])) };
}

type Item = Record<string, { S?: string; N?: string }>;

/** PutItem/UpdateItem/DeleteItem on one table keyed by `deliveryKey`, honouring the replay log's two-phase condition as DynamoDB would. */
export function inMemoryDeliveryTable() {
  const items = new Map<string, Item>();
  const CONDITION = 'attribute_not_exists(deliveryKey) OR expiresAt < :now OR (#status = :pending AND pendingUntil < :now)';
  return {
    items,
    put(input: PutItemCommandInput) {
      const item = input.Item as Item;
      const key = item.deliveryKey?.S as string;
      if (input.ConditionExpression !== CONDITION) throw new Error(`in-memory table: unsupported condition ${input.ConditionExpression}`);
      const existing = items.get(key);
      const now = Number(input.ExpressionAttributeValues?.[':now']?.N);
      const free = !existing || Number(existing.expiresAt?.N) < now || (existing.status?.S === 'pending' && Number(existing.pendingUntil?.N) < now);
      if (!free) {
        const error = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
        if (input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD') error.Item = existing as ConditionalCheckFailedException['Item'];
        throw error;
      }
      items.set(key, item);
      return {};
    },
    update(input: UpdateItemCommandInput) {
      const key = (input.Key as Item).deliveryKey?.S as string;
      if (input.UpdateExpression !== 'SET #status = :published, eventId = :eventId REMOVE pendingUntil') throw new Error(`in-memory table: unsupported update ${input.UpdateExpression}`);
      const { pendingUntil: _removed, ...rest } = items.get(key) ?? { deliveryKey: { S: key } };
      const values = input.ExpressionAttributeValues as Item;
      items.set(key, { ...rest, status: values[':published'] as { S: string }, eventId: values[':eventId'] as { S: string } });
      return {};
    },
    delete(input: DeleteItemCommandInput) {
      items.delete((input.Key as Item).deliveryKey?.S as string);
      return {};
    },
  };
}
