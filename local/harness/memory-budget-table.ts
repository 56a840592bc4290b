/**
 * The rate-budget table (`lambdas/shared/rate-budget-dynamodb.ts`) in memory: `GetItem` and the
 * conditional `PutItem` of its compare-and-set, each answered after a turn of the event loop so
 * concurrent instances interleave as they would against DynamoDB. Counts the calls (what the
 * shared record costs per Certyo request).
 */
import { AttributeValue, ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';

export class MemoryBudgetTable implements Pick<DynamoDBClient, 'send'> {
  private readonly items = new Map<string, Record<string, AttributeValue>>();
  readonly calls = { getItem: 0, putItem: 0, conditionFailed: 0 };

  // The SDK's overloads are not worth restating: this answers the two commands the store sends.
  send = (async (command: GetItemCommand | PutItemCommand) => {
    await new Promise((resolve) => setImmediate(resolve));
    if (command instanceof GetItemCommand) {
      this.calls.getItem++;
      const item = this.items.get(command.input.Key?.pk?.S ?? '');
      return item ? { Item: structuredClone(item) } : {};
    }
    this.calls.putItem++;
    const { Item, ConditionExpression, ExpressionAttributeValues } = command.input;
    const key = Item?.pk?.S ?? '';
    const current = this.items.get(key);
    const holds =
      ConditionExpression === 'attribute_not_exists(pk)'
        ? current === undefined
        : ConditionExpression === 'version = :version' && current?.version?.N === ExpressionAttributeValues?.[':version']?.N;
    if (!holds) {
      this.calls.conditionFailed++;
      const failure = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
      if (command.input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && current) failure.Item = structuredClone(current);
      throw failure;
    }
    this.items.set(key, structuredClone(Item ?? {}));
    return {};
  }) as DynamoDBClient['send'];
}
