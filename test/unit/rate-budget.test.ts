/**
 * The shared rate budget (issue 20): the pure decisions, a model of N instances interleaved in
 * every order fast-check finds against a fixed-window Certyo, and the DynamoDB compare-and-set.
 */
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { BUDGET_PATHS, BudgetPath, BudgetPolicy, budgetPolicyFromEnv, BudgetSignal, BudgetState, decide, MemoryBudgetStore, observe, RESET_ROUNDING_MS, sharedGovernor } from '../../lambdas/shared/rate-budget';
import { DynamoDbBudgetStore } from '../../lambdas/shared/rate-budget-dynamodb';

const INGEST: BudgetPolicy = { path: 'ingest' };

describe('decide and observe', () => {
  it('grants while the budget is unknown, counts requests in flight against a known window, and refuses until its end', () => {
    let state = observe({}, { remaining: 2, resetAt: 10_000, limit: 5 });
    const first = decide(state, 1_000, INGEST, 'a');
    state = first.next;
    const second = decide(state, 1_001, INGEST, 'b');
    state = second.next;
    const third = decide(state, 1_002, INGEST, 'c');

    const probe = decide({}, 0, INGEST, 'x');
    expect(probe.permit).toEqual({ granted: true });
    // Until the first answer tells the limit, one request at a time.
    expect(decide(probe.next, 10, INGEST, 'y').permit).toEqual({ granted: false, until: 1_010 });
    expect([first.permit, second.permit, third.permit]).toEqual([{ granted: true }, { granted: true }, { granted: false, until: 10_000 }]);
    // Both answered: Certyo counted them; a new window holds the limit again, less what is in flight.
    state = observe(observe(state, { remaining: 1, resetAt: 10_000 }, 'a'), { remaining: 0, resetAt: 10_000 }, 'b');
    expect(state.leases).toEqual({});
    expect(decide(state, 9_999, INGEST, 'd').permit).toEqual({ granted: false, until: 10_000 });
    expect(decide(state, 10_000, INGEST, 'd').next).toEqual({ limit: 5, leases: { d: 40_000 }, spent: { ingest: 1 } });
  });

  it('refuses before a Retry-After, keeps the later of two, and ignores a response about an older window', () => {
    const blocked = observe(observe({}, { retryAt: 5_000 }), { retryAt: 3_000 });
    const stale = observe({ remaining: 1, windowEndsAt: 20_000 }, { remaining: 900, resetAt: 10_000 });
    const sameWindow = observe({ remaining: 1, windowEndsAt: 20_000 }, { remaining: 5, resetAt: 20_000 });

    expect(decide(blocked, 4_999, INGEST, 'a').permit).toEqual({ granted: false, until: 5_000 });
    expect(stale).toEqual({ remaining: 1, windowEndsAt: 20_000 });
    expect(sameWindow.remaining).toBe(1);
  });

  it('lets a lease lapse when its request is never answered, and waits for it no longer than that', () => {
    const policy: BudgetPolicy = { path: 'ingest', leaseMs: 500 };
    const held = decide(observe({}, { remaining: 1, resetAt: 10_000, limit: 1 }), 0, policy, 'lost').next;

    expect(decide(held, 100, policy, 'b').permit).toEqual({ granted: false, until: 500 });
    expect(decide(held, 500, policy, 'b').permit).toEqual({ granted: true });
  });
});

/** A fixed-window Certyo: counts requests as they arrive, answers 429 once the window is spent. */
class ModelCertyo {
  windowStart = -Infinity;
  used = 0;
  readonly throttledByWindow = new Map<number, number>();
  readonly countedByWindow = new Map<number, number>();
  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  private roll(now: number): void {
    if (now >= this.windowStart + this.windowMs) Object.assign(this, { windowStart: now, used: 0 });
  }

  /** Another user of the key (a proxy consumer) spends a request no instance sees. */
  external(now: number): void {
    this.roll(now);
    if (this.used < this.limit) this.used++;
  }

  /** The answer to a request arriving now; some 429s carry only `Retry-After` (a gateway's, or a body-only answer). */
  answer(now: number, headersOn429 = true): BudgetSignal {
    this.roll(now);
    const resetAt = this.windowStart + this.windowMs;
    if (this.used < this.limit) {
      this.used++;
      this.countedByWindow.set(this.windowStart, (this.countedByWindow.get(this.windowStart) ?? 0) + 1);
      return { remaining: this.limit - this.used, resetAt, limit: this.limit };
    }
    this.throttledByWindow.set(this.windowStart, (this.throttledByWindow.get(this.windowStart) ?? 0) + 1);
    return headersOn429 ? { remaining: 0, resetAt, limit: this.limit, retryAt: resetAt } : { retryAt: resetAt };
  }
}

/**
 * N instances, each acquire → (request reaches Certyo later) → record, interleaved in an order
 * and with clock steps fast-check chooses, against a fixed window of `limit` requests.
 */
describe('N instances sharing one record', () => {
  const WINDOW_MS = 1_000;
  const schedule = fc.array(fc.record({ instance: fc.nat(3), step: fc.integer({ min: 0, max: 150 }), headers: fc.boolean(), external: fc.boolean() }), { minLength: 50, maxLength: 400 });

  async function interleave(instances: number, limit: number, steps: readonly { instance: number; step: number; headers: boolean; external: boolean }[], externals: boolean) {
    const store = new MemoryBudgetStore();
    const governor = sharedGovernor(
      store,
      (error) => {
        throw error;
      },
      { path: 'ingest', leaseMs: 10 * WINDOW_MS },
    );
    const certyo = new ModelCertyo(limit, WINDOW_MS);
    let knownRetryAfter = -Infinity;
    const inFlight = new Map<number, string | undefined>();
    let now = 0;
    let sentDuringKnownRetryAfter = 0;
    for (const { instance: pick, step, headers, external } of steps) {
      now += step;
      if (externals && external) certyo.external(now);
      const instance = pick % instances;
      if (!inFlight.has(instance)) {
        const permit = await governor.acquire(now);
        if (permit.granted) {
          if (now < knownRetryAfter) sentDuringKnownRetryAfter++;
          inFlight.set(instance, permit.lease);
        }
        continue;
      }
      // The request reaches Certyo now; its answer is recorded.
      const lease = inFlight.get(instance);
      inFlight.delete(instance);
      const signal = certyo.answer(now, headers);
      await governor.record(signal, lease);
      if (signal.retryAt !== undefined) knownRetryAfter = Math.max(knownRetryAfter, signal.retryAt);
    }
    return { sentDuringKnownRetryAfter, throttled: [...certyo.throttledByWindow.values()] };
  }

  it('never sends while a known Retry-After runs, and draws at most one 429 per instance per window when others spend the key unseen', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 4, max: 12 }), schedule, async (instances, limit, steps) => {
        const { sentDuringKnownRetryAfter, throttled } = await interleave(instances, limit, steps, true);

        expect(sentDuringKnownRetryAfter).toBe(0);
        for (const count of throttled) expect(count).toBeLessThanOrEqual(instances);
      }),
      { numRuns: 300 },
    );
  });

  it('never grants more requests than a window holds when only the instances spend the key: no 429 at all', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 12 }), schedule, async (instances, limit, steps) => {
        const { throttled } = await interleave(instances, limit, steps, false);

        expect(throttled).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('draws no 429 where instances with a record each draw one per instance after the window is spent', async () => {
    // Four instances hammering a window of 4, three rounds, with one shared record or one each.
    const limit = 4;
    async function throttledWith(governors: ReturnType<typeof sharedGovernor>[]): Promise<number> {
      let used = 0;
      let throttled = 0;
      for (let round = 0; round < 3; round++) {
        for (const governor of governors) {
          const permit = await governor.acquire(0);
          if (!permit.granted) continue;
          if (used < limit) await governor.record({ remaining: limit - ++used, resetAt: WINDOW_MS }, permit.lease);
          else {
            throttled++;
            await governor.record({ remaining: 0, resetAt: WINDOW_MS, retryAt: WINDOW_MS }, permit.lease);
          }
        }
      }
      return throttled;
    }
    const shared = new MemoryBudgetStore();

    const withShared = await throttledWith([0, 1, 2, 3].map(() => sharedGovernor(shared, () => undefined)));
    const withOwn = await throttledWith([0, 1, 2, 3].map(() => sharedGovernor(new MemoryBudgetStore(), () => undefined)));

    expect(withShared).toBe(0);
    expect(withOwn).toBe(3);
  });

  it('tells each request it holds back, and only those', async () => {
    let waits = 0;
    const governor = sharedGovernor(new MemoryBudgetStore(), () => undefined, INGEST, () => waits++);

    const first = await governor.acquire(0);
    await governor.record({ remaining: 0, resetAt: WINDOW_MS, limit: 1 }, first.lease);
    const second = await governor.acquire(1);

    expect([first.granted, second.granted, waits]).toEqual([true, false, 1]);
  });

  it('lets a request through and reports the store when the shared record cannot be used', async () => {
    const failures: unknown[] = [];
    const governor = sharedGovernor({ update: () => Promise.reject(new Error('ResourceNotFoundException')) }, (error) => failures.push(error));

    const permit = await governor.acquire(0);
    await governor.record({ remaining: 3, resetAt: 1 });

    expect(permit).toEqual({ granted: true });
    expect(failures).toHaveLength(2);
  });
});

describe('DynamoDbBudgetStore', () => {
  const ddb = mockClient(DynamoDBClient);
  beforeEach(() => ddb.reset());

  it('writes only if nobody wrote since it read, and after a conflict starts again from the item that won', async () => {
    // Arrange: version 4 is read, another instance writes version 5 first; the refused write returns it.
    const winner = { pk: { S: 'key:certyo/api-key' }, version: { N: '5' }, remaining: { N: '1' }, windowEndsAt: { N: '60000' } };
    ddb.on(GetItemCommand).resolvesOnce({ Item: { pk: { S: 'key:certyo/api-key' }, version: { N: '4' }, remaining: { N: '3' }, windowEndsAt: { N: '60000' } } });
    ddb
      .on(PutItemCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'conflict', $metadata: {}, Item: winner }))
      .resolves({});
    const store = new DynamoDbBudgetStore(new DynamoDBClient({}), 'budget', 'key:certyo/api-key', () => 1_000);

    // Act
    const permit = await store.update((state) => {
      const { permit: p, next } = decide(state, 1_000, INGEST, 'lease');
      return { next, result: p };
    });

    // Assert
    expect(permit).toEqual({ granted: true });
    const puts = ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    expect(puts).toHaveLength(2);
    const lease = { leases: { M: { lease: { N: '31000' } } }, spent: { M: { ingest: { N: '1' } } } };
    expect(puts[0]).toMatchObject({ ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': { N: '4' } }, Item: { remaining: { N: '3' }, ...lease } });
    expect(puts[1]).toMatchObject({ ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': { N: '5' } }, Item: { version: { N: '6' }, remaining: { N: '1' }, ...lease } });
    expect(puts[0]).toMatchObject({ ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
    expect(ddb.commandCalls(GetItemCommand).map((c) => c.args[0].input)).toEqual([expect.objectContaining({ TableName: 'budget', ConsistentRead: true })]);
  });

  it('creates the record only if it does not exist yet, with an expiry', async () => {
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand).resolves({});
    const store = new DynamoDbBudgetStore(new DynamoDBClient({}), 'budget', 'key:k', () => 1_000);

    await store.update((state) => ({ next: observe(state, { retryAt: 61_000 }), result: undefined }));

    expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { pk: { S: 'key:k' }, version: { N: '1' }, blockedUntil: { N: '61000' }, expiresAt: { N: String(61 + 24 * 3600) } },
    });
  });
});

describe('shares per path', () => {
  const WINDOW_MS = 10_000;
  const LIMIT = 20;
  const shareArb = fc
    .tuple(fc.integer({ min: 1, max: 14 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }))
    .map(([ingest, verification, apiProxy]) => ({ ingest: ingest / LIMIT, verification: verification / LIMIT, apiProxy: apiProxy / LIMIT }));
  const asks = fc.array(fc.record({ path: fc.constantFrom(...BUDGET_PATHS), step: fc.integer({ min: 0, max: 400 }) }), { minLength: 1, maxLength: 200 });

  /** Paths asking in turn, each granted request answered at once by a fixed-window Certyo. */
  function spend(shares: Record<BudgetPath, number>, lendingFraction: number, steps: readonly { path: BudgetPath; step: number }[]) {
    const certyo = new ModelCertyo(LIMIT, WINDOW_MS);
    let state: BudgetState = {};
    let now = 0;
    const events: { path: BudgetPath; granted: boolean; beforeLending: boolean; limitKnown: boolean; spentBefore: Record<BudgetPath, number> }[] = [];
    const spentIn = new Map<number, Record<BudgetPath, number>>();
    steps.forEach(({ path, step }, i) => {
      now += step;
      const limitKnown = state.limit !== undefined;
      const { permit, next } = decide(state, now, { path, shares, lendingFraction, windowMs: WINDOW_MS }, `l${i}`);
      state = next;
      // Certyo's window as the governor sees it (its end, rounded up to the second as the header is).
      const windowStart = now >= certyo.windowStart + WINDOW_MS ? now : certyo.windowStart;
      const endsAt = Math.ceil((windowStart + WINDOW_MS) / 1000) * 1000;
      const spent = spentIn.get(windowStart) ?? { ingest: 0, verification: 0, apiProxy: 0 };
      events.push({ path, granted: permit.granted, limitKnown, beforeLending: now < endsAt - RESET_ROUNDING_MS - lendingFraction * WINDOW_MS, spentBefore: { ...spent } });
      if (!permit.granted) return;
      const signal = certyo.answer(now);
      spentIn.set(certyo.windowStart, { ...spent, [path]: spent[path] + 1 });
      state = observe(state, { ...signal, resetAt: Math.ceil((signal.resetAt as number) / 1000) * 1000 }, `l${i}`);
    });
    return { events, throttled: [...certyo.throttledByWindow.values()] };
  }

  it('grants no path more than its share of a window before the lending point, and never more than the limit', () => {
    fc.assert(
      fc.property(shareArb, fc.constantFrom(0, 0.2, 0.5), asks, (shares, lendingFraction, steps) => {
        const { events, throttled } = spend(shares, lendingFraction, steps);

        expect(throttled).toEqual([]);
        // Before Certyo's first answer the limit is unknown: the key's first request goes to whoever asks.
        for (const e of events.filter((x) => x.granted && x.beforeLending && x.limitKnown)) expect(e.spentBefore[e.path] + 1).toBeLessThanOrEqual(Math.floor(shares[e.path] * LIMIT));
      }),
      { numRuns: 300 },
    );
  });

  it('never starves ingest: before the lending point, ingest under its share is granted whatever verification and the proxy ask', () => {
    fc.assert(
      fc.property(shareArb, asks, (shares, steps) => {
        const { events } = spend(shares, 0.2, steps);

        const refused = events.filter((e) => e.path === 'ingest' && e.beforeLending && e.spentBefore.ingest < Math.floor(shares.ingest * LIMIT) && !e.granted);
        expect(refused).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('lends what is left to any path in the last part of the window', () => {
    const policy: BudgetPolicy = { path: 'ingest', shares: { ingest: 0.5, verification: 0.25, apiProxy: 0.25 }, lendingFraction: 0.2, windowMs: WINDOW_MS };
    const spentShare = { remaining: 10, windowEndsAt: WINDOW_MS, limit: 20, spent: { ingest: 10 } };

    expect(decide(spentShare, 6_999, policy, 'a').permit).toEqual({ granted: false, until: 7_000 });
    expect(decide(spentShare, 7_000, policy, 'a').permit).toEqual({ granted: true });
  });
});

describe('budgetPolicyFromEnv', () => {
  it('reads the shares the construct writes and names the variable when they are wrong', () => {
    expect(budgetPolicyFromEnv('{"shares":{"ingest":0.7,"verification":0.1,"apiProxy":0.2},"lendingFraction":0.2}', 'ingest')).toEqual({
      path: 'ingest',
      shares: { ingest: 0.7, verification: 0.1, apiProxy: 0.2 },
      lendingFraction: 0.2,
    });
    expect(budgetPolicyFromEnv(undefined, 'ingest')).toEqual({ path: 'ingest' });
    expect(() => budgetPolicyFromEnv('{"shares":{"ingest":7}}', 'ingest')).toThrow(/^CERTYO_BUDGET_POLICY: shares.ingest must be a number from 0 to 1/);
    expect(() => budgetPolicyFromEnv('{', 'ingest')).toThrow(/^CERTYO_BUDGET_POLICY: expected JSON/);
  });
});
