/**
 * The direct mode as synthesized (rules, input transformers, invalid-events rules) against the
 * Certyo sandbox, fed events whose identities differ only in where a separator falls: each is
 * stored under its own key, or dead-lettered with a reason naming the field it cannot key.
 */
import { runDirectPath } from '../../local/harness/direct-path';
import { eventRoutes, EventRoutes } from '../../local/harness/event-routes';
import { LOCAL_TENANT_ID, synthesizeTemplates } from '../../local/harness/synthesized';
import { Sandbox, startSandbox } from '../../local/sandbox';

function event(detail: Record<string, unknown>) {
  return { source: 'billing', 'detail-type': 'Certyo Record', detail: { recordVersion: '1', payload: { amount: 1 }, ...detail } };
}

describe('direct mode identities against the sandbox', () => {
  let routes: EventRoutes;
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox();
    routes = eventRoutes(synthesizeTemplates({ 'certyo:forwardingMode': 'direct', 'certyo:apiUrl': sandbox.url }));
  });
  afterAll(async () => sandbox?.close());

  it('stores the pairs a dash-joined key merges, and dead-letters the unkeyable ones naming the field', async () => {
    // Arrange
    const keyable = [
      event({ database: 'billing', collection: 'in-voices', recordId: 'A' }),
      event({ database: 'billing-in', collection: 'voices', recordId: 'A' }),
      event({ database: 'db', collection: 'col', recordId: 'dup-1', recordVersion: '1' }),
      event({ database: 'db', collection: 'col', recordId: 'dup-1', recordVersion: '2' }),
      // Its own key: forwarded whatever its fields hold.
      event({ database: 'a|b', collection: 'c', recordId: 'A', idempotencyKey: 'producer-key-1' }),
    ];
    const unkeyable = [
      event({ database: 'a|b', collection: 'c', recordId: 'A' }),
      event({ database: 'a', collection: 'b|c', recordId: 'A' }),
      event({ database: 'db', collection: 'col', recordId: 'x","idempotencyKey":"billing|in-voices' }),
      event({ database: 'db', collection: 'col', recordId: '50%' }),
      event({ database: 'db', collection: 'col', recordId: 'A', tenantId: 'acme\\eu' }),
    ];

    // Act
    const run = await runDirectPath([...keyable, ...unkeyable], { routes, apiKey: sandbox.apiKey });

    // Assert
    expect({ accepted: run.accepted, replayed: run.replayed, deadLettered: run.deadLettered }).toEqual({ accepted: keyable.length, replayed: 0, deadLettered: [] });
    expect(run.invalid.map((i) => i.reason.match(/detail\.(\w+) contains one of/)?.[1])).toEqual(['database', 'collection', 'recordId', 'recordId', 'tenantId']);
    expect(sandbox.stats()).toMatchObject({ recordsStored: keyable.length, idempotentReplays: 0, replayMismatches: 0 });
  });

  it('sends the identity module\'s key, so a retried event replays', async () => {
    sandbox.reset();
    const sample = event({ database: 'billing', collection: 'invoices', recordId: 'INV-1' });

    const first = await runDirectPath([sample], { routes, apiKey: sandbox.apiKey });
    const second = await runDirectPath([sample], { routes, apiKey: sandbox.apiKey });

    expect([first.accepted, second.replayed]).toEqual([1, 1]);
    const stored = (await (await fetch(`${sandbox.url}/api/v1/records?tenantId=${LOCAL_TENANT_ID}`, { headers: { 'X-API-Key': sandbox.apiKey } })).json()) as { items: unknown[] };
    expect(stored.items).toHaveLength(1);
  });
});
