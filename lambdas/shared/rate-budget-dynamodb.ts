/**
 * The shared budget record in DynamoDB: one item per Certyo key, changed by compare-and-set on
 * a `version` attribute (read consistently, write only if nobody wrote in between, else read
 * again), so the pure decisions of `rate-budget.ts` apply atomically across every instance.
 * Two small calls per Certyo request; at Certyo's 1,000 requests per hour that is 1,000 reads
 * and up to 2,000 writes an hour (docs/benchmarks-and-costs.md prices them).
 */
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { BudgetState, BudgetStore } from './rate-budget';

/** Tries before a change gives up (each conflict means another instance just wrote). */
const MAX_TRIES = 8;
/** Items outlive what they describe by a day, then DynamoDB's TTL removes them. */
const TTL_MARGIN_SECONDS = 24 * 3600;

function numberOf(attribute: { N?: string } | undefined): number | undefined {
  return attribute?.N === undefined ? undefined : Number(attribute.N);
}

function sameState(a: BudgetState, b: BudgetState): boolean {
  return a.remaining === b.remaining && a.windowEndsAt === b.windowEndsAt && a.blockedUntil === b.blockedUntil;
}

export class DynamoDbBudgetStore implements BudgetStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** The item's key: one record per Certyo key. */
    private readonly budgetId: string,
    private readonly now: () => number = Date.now,
  ) {}

  async update<T>(change: (state: BudgetState) => { readonly next: BudgetState; readonly result: T }): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const read = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: this.budgetId } }, ConsistentRead: true }));
      const item = read.Item;
      const version = numberOf(item?.version);
      const state: BudgetState = {
        remaining: numberOf(item?.remaining),
        windowEndsAt: numberOf(item?.windowEndsAt),
        blockedUntil: numberOf(item?.blockedUntil),
      };
      const { next, result } = change(state);
      if (sameState(state, next)) return result;
      const until = Math.max(next.windowEndsAt ?? 0, next.blockedUntil ?? 0, this.now());
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              pk: { S: this.budgetId },
              version: { N: String((version ?? 0) + 1) },
              ...(next.remaining === undefined ? {} : { remaining: { N: String(next.remaining) } }),
              ...(next.windowEndsAt === undefined ? {} : { windowEndsAt: { N: String(next.windowEndsAt) } }),
              ...(next.blockedUntil === undefined ? {} : { blockedUntil: { N: String(next.blockedUntil) } }),
              expiresAt: { N: String(Math.ceil(until / 1000) + TTL_MARGIN_SECONDS) },
            },
            ConditionExpression: version === undefined ? 'attribute_not_exists(pk)' : 'version = :version',
            ...(version === undefined ? {} : { ExpressionAttributeValues: { ':version': { N: String(version) } } }),
          }),
        );
        return result;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException) || attempt >= MAX_TRIES) throw error;
      }
    }
  }
}
