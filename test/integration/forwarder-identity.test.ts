/**
 * The batched forwarder with the real client against the Certyo sandbox, fed events whose
 * identities differ only in where a separator falls, and bulk items Certyo refuses: every record
 * version is stored once, and every refusal is dead-lettered in Certyo's own words.
 */
import type { SQSRecord } from 'aws-lambda';
import { forwardBatch } from '../../lambdas/forwarder/forward-batch';
import { staticApiKey } from '../../lambdas/shared/api-key';
import { createCertyoClient } from '../../lambdas/shared/certyo-client';
import { Sandbox, SandboxOptions, startSandbox } from '../../local/sandbox';
import { fixtureRecord, forwarderDeps } from '../unit/forwarder-fakes';

/** A buffered bus event carrying `detail` (the fixture's envelope, a unique message id). */
function message(detail: Record<string, unknown>, index: number): SQSRecord {
  const template = fixtureRecord(0);
  const event = JSON.parse(template.body) as Record<string, unknown>;
  return { ...template, messageId: `m-${index}`, receiptHandle: `r-${index}`, body: JSON.stringify({ ...event, id: `event-${index}`, detail }) };
}

const identity = (database: string, collection: string, recordId = 'A', recordVersion = '1') => ({ database, collection, recordId, recordVersion, payload: { database, collection } });

async function forward(sandbox: Sandbox, details: Record<string, unknown>[]) {
  const certyo = createCertyoClient({ apiUrl: sandbox.url, apiKey: staticApiKey(sandbox.apiKey), backoff: { baseMs: 5, capMs: 20 } });
  const deps = forwarderDeps({ certyo, now: Date.now, deadline: Date.now() + 30_000 });
  const response = await forwardBatch(details.map(message), deps);
  return { response, letters: deps.deadLetters.letters };
}

describe('forwarder identities against the sandbox', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => sandbox?.close());
  const start = async (options: SandboxOptions = {}) => (sandbox = await startSandbox(options));

  it('stores every event whose fields differ only in where a separator or escape falls', async () => {
    // Arrange: pairs that collide when joined with `-`, with `|`, or escaped naively.
    const sb = await start();
    const details = [
      identity('billing', 'in-voices'),
      identity('billing-in', 'voices'),
      identity('a|b', 'c'),
      identity('a', 'b|c'),
      identity('x%7C', 'y'),
      identity('x|', 'y'),
      identity('db', 'col', 'dup-1', '1'),
      identity('db', 'col', 'dup-1', '2'),
    ];

    // Act
    const { response, letters } = await forward(sb, details);

    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(letters).toEqual([]);
    expect(sb.stats()).toMatchObject({ recordsStored: details.length, idempotentReplays: 0, replayMismatches: 0, duplicateIngests: 0 });
  });

  it('replays a redelivered batch without a single mismatch', async () => {
    const sb = await start();
    const details = [identity('billing', 'in-voices'), identity('billing-in', 'voices')];

    await forward(sb, details);
    await forward(sb, details);

    expect(sb.stats()).toMatchObject({ recordsStored: 2, idempotentReplays: 2, replayMismatches: 0 });
  });

  it.each([['indexed' as const], ['partial' as const]])('dead-letters a refused item with Certyo\'s error code, message and details (%s answers) and stores the rest', async (format) => {
    // Arrange
    const sb = await start({ bulkDetailFormat: format });
    const details = [identity('db', 'col', 'ok-1'), { ...identity('db', 'col', 'bad'), sourceTimestamp: 'yesterday' }, identity('db', 'col', 'ok-2')];

    // Act
    const { response, letters } = await forward(sb, details);

    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(sb.stats().recordsStored).toBe(2);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.reason).toMatch(/^Certyo rejected record "bad" \(bulk item 1\): validation_error "Invalid (bulk request|record)"; details: items\[1\]\.sourceTimestamp must be an ISO 8601 date-time$/);
    expect(letters[0]!.reason).not.toMatch(/no result for record/);
  });
});
