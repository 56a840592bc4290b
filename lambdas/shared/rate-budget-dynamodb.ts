/**
 * The shared budget record in DynamoDB: one item per Certyo key, changed by compare-and-set on
 * a `version` attribute (read consistently, write only if nobody wrote in between, else read
 * again), so the pure decisions of `rate-budget.ts` apply atomically across every instance.
 * A change is one consistent read and one conditional write; a Certyo request makes two changes
 * (the grant, the answer), more when instances collide (`npm run bench -- --only concurrency`
 * counts them; docs/benchmarks-and-costs.md prices them).
 */
import { AttributeValue, ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { BUDGET_PATHS, BudgetState, BudgetStore } from './rate-budget';

/** Tries before a change gives up (each conflict means another instance just wrote). */
const MAX_TRIES = 8;
/** Items outlive what they describe by a day, then DynamoDB's TTL removes them. */
const TTL_MARGIN_SECONDS = 24 * 3600;

function numberOf(attribute: AttributeValue | undefined): number | undefined {
  return attribute?.N === undefined ? undefined : Number(attribute.N);
}

function numbersOf(attribute: AttributeValue | undefined): Record<string, number> | undefined {
  if (attribute?.M === undefined) return undefined;
  return Object.fromEntries(Object.entries(attribute.M).map(([name, value]) => [name, Number(value.N)]));
}

function stateOf(item: Record<string, AttributeValue> | undefined): BudgetState {
  const spent = numbersOf(item?.spent);
  return {
    remaining: numberOf(item?.remaining),
    windowEndsAt: numberOf(item?.windowEndsAt),
    blockedUntil: numberOf(item?.blockedUntil),
    limit: numberOf(item?.limit),
    leases: numbersOf(item?.leases),
    spent: spent && Object.fromEntries(BUDGET_PATHS.filter((p) => spent[p] !== undefined).map((p) => [p, spent[p]])),
  };
}

/** The record's attributes, in a fixed order (so two equal states serialize alike). */
function attributesOf(state: BudgetState): Record<string, AttributeValue> {
  const numbers = (values: Readonly<Record<string, number | undefined>>): Record<string, AttributeValue> =>
    Object.fromEntries(
      Object.entries(values)
        .filter((entry): entry is [string, number] => entry[1] !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => [name, { N: String(value) }]),
    );
  const { leases, spent, ...scalars } = state;
  return {
    ...numbers({ remaining: scalars.remaining, windowEndsAt: scalars.windowEndsAt, blockedUntil: scalars.blockedUntil, limit: scalars.limit }),
    ...(leases === undefined ? {} : { leases: { M: numbers(leases) } }),
    ...(spent === undefined ? {} : { spent: { M: numbers(spent) } }),
  };
}

export class DynamoDbBudgetStore implements BudgetStore {
  constructor(
    private readonly client: Pick<DynamoDBClient, 'send'>,
    private readonly tableName: string,
    /** The item's key: one record per Certyo key. */
    private readonly budgetId: string,
    private readonly now: () => number = Date.now,
  ) {}

  async update<T>(change: (state: BudgetState) => { readonly next: BudgetState; readonly result: T }): Promise<T> {
    // After a conflict the refused write returns the item that won, so no second read is needed.
    let known: { readonly Item?: Record<string, AttributeValue> } | undefined;
    for (let attempt = 1; ; attempt++) {
      const item = (known ?? (await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: this.budgetId } }, ConsistentRead: true })))).Item;
      const version = numberOf(item?.version);
      const state = stateOf(item);
      const { next, result } = change(state);
      const attributes = attributesOf(next);
      if (JSON.stringify(attributes) === JSON.stringify(attributesOf(state))) return result;
      const until = Math.max(next.windowEndsAt ?? 0, next.blockedUntil ?? 0, ...Object.values(next.leases ?? {}), this.now());
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              pk: { S: this.budgetId },
              version: { N: String((version ?? 0) + 1) },
              ...attributes,
              expiresAt: { N: String(Math.ceil(until / 1000) + TTL_MARGIN_SECONDS) },
            },
            ConditionExpression: version === undefined ? 'attribute_not_exists(pk)' : 'version = :version',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            ...(version === undefined ? {} : { ExpressionAttributeValues: { ':version': { N: String(version) } } }),
          }),
        );
        return result;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException) || attempt >= MAX_TRIES) throw error;
        known = { Item: error.Item };
      }
    }
  }
}
