/**
 * Two Certyo clients (two Lambda instances) against the sandbox, sharing one budget record or
 * not: with it, the second instance learns from the first's answers and never meets the 429 the
 * first's answers already announced.
 */
import { RateLimitedError } from '../../lambdas/shared/certyo-types';
import { MemoryBudgetStore, sharedGovernor } from '../../lambdas/shared/rate-budget';
import { clientFor, invoices, withSandbox } from './support';

const T0 = Date.parse('2026-04-13T10:30:00Z');

async function twoInstances(shared: boolean) {
  return withSandbox({ rateLimit: 2, rateWindowMs: 3_600_000 }, async (sandbox) => {
    const store = new MemoryBudgetStore();
    const instance = () =>
      clientFor(sandbox, {
        governor: sharedGovernor(shared ? store : new MemoryBudgetStore(), () => undefined),
        now: () => T0,
        sleep: async () => undefined,
      });
    const [first, second] = [instance(), instance()];

    // The first instance spends the window (2 requests; `X-RateLimit-Remaining: 0` stops it).
    const spent = await first.ingestMany(invoices(3_000), { deadline: T0 + 60_000 });
    const later = await second.ingestMany(invoices(1_000, 5_000), { deadline: T0 + 60_000 });
    return { spent, later, requests: sandbox.stats().requests['POST /api/v1/records/bulk'] ?? {}, violations: sandbox.stats().retryAfterViolations };
  });
}

describe('two instances and one key', () => {
  it('with a shared record the second instance sends nothing into a spent window', async () => {
    const { spent, later, requests, violations } = await twoInstances(true);

    expect(spent.accepted).toHaveLength(2_000);
    expect(later.stoppedBy).toBeInstanceOf(RateLimitedError);
    expect(later.requests).toBe(0);
    expect(requests).toEqual({ '202': 2 });
    expect(violations).toBe(0);
  });

  it('without it, the second instance spends a request to learn what the first already knew', async () => {
    const { later, requests } = await twoInstances(false);

    expect(later.requests).toBe(1);
    expect(requests).toEqual({ '202': 2, '429': 1 });
  });
});
