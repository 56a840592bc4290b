import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AttributeValue, DescribeTableCommand, DynamoDBClient, ScanCommand, ScanCommandInput } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { parseBackfillArgs, UsageError } from '../../scripts/backfill/args';
import { CheckpointError, fileCheckpointStore, newCheckpoint } from '../../scripts/backfill/checkpoint';
import { itemRecord } from '../../scripts/backfill/item-record';
import { renderProgress, streamProgress } from '../../scripts/backfill/progress';
import { BackfillDeps, RejectedItem, RejectSink, runBackfill } from '../../scripts/backfill/run-backfill';
import { formatSummary } from '../../scripts/backfill';
import { toChange } from '../../lambdas/ddb-ingest/stream-change';
import { AuthError } from '../../lambdas/shared/certyo-types';
import { toJsonAttributeMap, toSdkAttributeMap } from '../../lambdas/shared/dynamodb-attributes';
import { RawJson } from '../../lambdas/shared/json';
import { fixtureRecord } from '../helpers/ddb-fakes';
import { FakeCertyo } from '../helpers/fake-certyo';

const NOW = Date.parse('2026-04-13T10:40:00Z');
const ddb = mockClient(DynamoDBClient);

/** A table Scan serves in segments (item i belongs to segment i % TotalSegments) and pages. */
class FakeTable {
  constructor(
    readonly items: Record<string, AttributeValue>[],
    readonly keyNames: string[],
    readonly pageSize: number,
  ) {}

  private keyText(item: Record<string, AttributeValue>): string {
    return JSON.stringify(toJsonAttributeMap(Object.fromEntries(this.keyNames.map((k) => [k, item[k] as AttributeValue]))));
  }

  scan(input: ScanCommandInput) {
    const total = input.TotalSegments ?? 1;
    const mine = this.items.filter((_, i) => i % total === (input.Segment ?? 0));
    const start = input.ExclusiveStartKey;
    const from = start ? mine.findIndex((item) => this.keyText(item) === this.keyText(start)) + 1 : 0;
    const page = mine.slice(from, from + this.pageSize);
    const last = page[page.length - 1];
    return { Items: page, LastEvaluatedKey: from + this.pageSize < mine.length && last ? Object.fromEntries(this.keyNames.map((k) => [k, last[k]])) : undefined };
  }
}

function orders(count: number): Record<string, AttributeValue>[] {
  return Array.from({ length: count }, (_, i) => ({ pk: { S: `CUSTOMER#${i % 7}` }, sk: { S: `ORDER#${i}` }, total: { N: `${i}.50` } }));
}

class MemoryRejects implements RejectSink {
  readonly path = '/tmp/rejects.ndjson';
  readonly entries: RejectedItem[] = [];
  write(entry: RejectedItem): void {
    this.entries.push(entry);
  }
}

interface Harness extends BackfillDeps {
  readonly certyo: FakeCertyo;
  readonly rejects: MemoryRejects;
  readonly slept: number[];
  readonly progressLines: string[];
}

let dir: string;
beforeEach(() => {
  ddb.reset();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backfill-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function harness(table: FakeTable, itemCount = table.items.length): Harness {
  ddb.on(DescribeTableCommand).resolves({ Table: { KeySchema: table.keyNames.map((AttributeName, i) => ({ AttributeName, KeyType: i === 0 ? 'HASH' : 'RANGE' })), ItemCount: itemCount } });
  ddb.on(ScanCommand).callsFake((input: ScanCommandInput) => table.scan(input));
  const slept: number[] = [];
  const progressLines: string[] = [];
  return {
    dynamodb: new DynamoDBClient({}),
    certyo: new FakeCertyo(),
    checkpoints: fileCheckpointStore(path.join(dir, 'orders.checkpoint.json')),
    rejects: new MemoryRejects(),
    progress: streamProgress({ isTTY: false, write: (text: string) => progressLines.push(text) }, () => NOW),
    tenantId: 'acme',
    database: 'dynamodb',
    now: () => NOW,
    sleep: async (ms: number) => {
      slept.push(ms);
    },
    slept,
    progressLines,
  };
}

const args = (overrides: Partial<{ segments: number; resume: boolean }> = {}) => ({ table: 'orders', checkpointPath: path.join(dir, 'orders.checkpoint.json'), resume: false, ...overrides });

describe('runBackfill', () => {
  it('scans every segment in parallel and sends each item once, in bulk requests of up to 1,000', async () => {
    // Arrange: 2,500 items, 2 segments of 1,250, pages of 400.
    const table = new FakeTable(orders(2500), ['pk', 'sk'], 400);
    const deps = harness(table);

    // Act
    const summary = await runBackfill(args({ segments: 2 }), deps);

    // Assert
    expect(deps.certyo.bulks.map((b) => b.length).sort((a, b) => a - b)).toEqual([250, 250, 1000, 1000]);
    expect(deps.certyo.stored.size).toBe(2500);
    expect(new Set(deps.certyo.bulks.flat().map((r) => r.recordId)).size).toBe(2500);
    expect(ddb.commandCalls(ScanCommand).every((c) => c.args[0].input.TotalSegments === 2)).toBe(true);
    expect(summary).toMatchObject({ table: 'orders', segments: 2, complete: true, resumed: false, scanned: 2500, accepted: 2500, replayed: 0, rejected: 0, requests: 4 });
    const checkpoint = deps.checkpoints.load();
    expect(checkpoint?.completedAt).toBeDefined();
    expect(checkpoint?.segments).toEqual([
      { segment: 0, done: true },
      { segment: 1, done: true },
    ]);
    expect(deps.progressLines.at(-1)).toContain('orders [##############################] 100% 2,500/~2,500 items · accepted 2,500');
  });

  it('keeps items in Scan order within a segment', async () => {
    // Arrange
    const table = new FakeTable(orders(30), ['pk', 'sk'], 7);
    const deps = harness(table);

    // Act
    await runBackfill(args({ segments: 1 }), deps);

    // Assert
    expect(deps.certyo.bulks.flat().map((r) => r.recordId)).toEqual(table.items.map((item) => `${item.pk?.S}|${item.sk?.S}`));
  });

  it('maps an item exactly as the stream ingest maps the same item: same payload, same record id', async () => {
    // Arrange: the INSERT fixture's new image, as the SDK returns it from a Scan.
    const image = fixtureRecord('insert.json').dynamodb?.NewImage as Record<string, unknown>;
    const item = toSdkAttributeMap(image);
    const stream = toChange(fixtureRecord('insert.json'), 0, { tenantId: 'acme', database: 'dynamodb', ttlDeletes: 'ingest', writeBack: false });

    // Act
    const mapped = itemRecord(item, { tenantId: 'acme', database: 'dynamodb', table: 'orders', keyNames: ['pk', 'sk'] });

    // Assert
    if (!mapped.ok || stream.kind !== 'ingest') throw new Error('expected both to map');
    expect((mapped.record.recordPayload as RawJson).json).toBe((stream.record.recordPayload as RawJson).json);
    expect(mapped.record).toMatchObject({
      recordId: stream.record.recordId,
      collection: 'orders',
      operationType: 'upsert',
      recordVersion: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    expect(mapped.record.idempotencyKey).toBe(`acme|dynamodb|orders|CUSTOMER#42%7CORDER#2026-0001|${mapped.record.recordVersion}`);
  });

  it('replays instead of duplicating when run again over unchanged items', async () => {
    // Arrange
    const table = new FakeTable(orders(50), ['pk', 'sk'], 20);
    const deps = harness(table);
    await runBackfill(args({ segments: 1 }), deps);
    fs.rmSync(deps.checkpoints.path);

    // Act
    const again = await runBackfill(args({ segments: 1 }), deps);

    // Assert
    expect(deps.certyo.stored.size).toBe(50);
    expect(again).toMatchObject({ accepted: 0, replayed: 50 });
  });

  it('writes unmappable and refused items to the rejects sink with their reason, and the rest go through', async () => {
    // Arrange
    const items = orders(10);
    (items[3] as Record<string, AttributeValue>).total = { N: 'lots' };
    const table = new FakeTable(items, ['pk', 'sk'], 4);
    const deps = harness(table);
    deps.certyo.refuseWhen = (r) => (r.recordId === 'CUSTOMER#5|ORDER#5' ? 'Certyo rejected record "CUSTOMER#5|ORDER#5": recordPayload is too large' : undefined);

    // Act
    const summary = await runBackfill(args({ segments: 1 }), deps);

    // Assert
    expect(summary).toMatchObject({ complete: true, accepted: 8, rejected: 2 });
    expect(deps.rejects.entries).toEqual([
      { table: 'orders', recordId: 'CUSTOMER#3|ORDER#3', reason: 'attribute total: "lots" is not a number', item: { pk: { S: 'CUSTOMER#3' }, sk: { S: 'ORDER#3' }, total: { N: 'lots' } } },
      { table: 'orders', recordId: 'CUSTOMER#5|ORDER#5', reason: 'Certyo rejected record "CUSTOMER#5|ORDER#5": recordPayload is too large', item: { pk: { S: 'CUSTOMER#5' }, sk: { S: 'ORDER#5' }, total: { N: '5.50' } } },
    ]);
  });

  it('waits out a rate limit until Retry-After and then sends what was left, once', async () => {
    // Arrange: the second bulk request is answered 429; the window has passed once the wait is over.
    const table = new FakeTable(orders(1500), ['pk', 'sk'], 500);
    const deps = harness(table);
    deps.certyo.failFrom(2);
    deps.certyo.retryAt = new Date(NOW + 45_000);
    const sleep = deps.sleep;
    Object.assign(deps, {
      sleep: async (ms: number) => {
        deps.certyo.recover();
        await sleep(ms);
      },
    });

    // Act
    const summary = await runBackfill(args({ segments: 1 }), deps);

    // Assert
    expect(deps.slept).toEqual([45_000]);
    expect(deps.certyo.stored.size).toBe(1500);
    expect(summary).toMatchObject({ complete: true, accepted: 1500, replayed: 0 });
  });

  it('stops after repeated outages with progress saved', async () => {
    // Arrange
    const table = new FakeTable(orders(20), ['pk', 'sk'], 20);
    const deps = harness(table);
    deps.certyo.failFrom(1, 'outage');

    // Act / Assert
    await expect(runBackfill(args({ segments: 1 }), { ...deps, maxOutages: 3 })).rejects.toThrow('Certyo failed 3 times in a row (POST /api/v1/records/bulk failed after 5 attempts: 503); progress is saved, run again with --resume');
    expect(deps.slept).toHaveLength(2);
  });

  it('resumes from the checkpoint after an interruption, re-sending only the unconfirmed rest of a page', async () => {
    // Arrange: 2,500 items in pages of 400. The first bulk (items 0-999) is accepted, so pages
    // 1-2 (items 0-799) are confirmed; the second bulk fails with a refused key.
    const table = new FakeTable(orders(2500), ['pk', 'sk'], 400);
    const deps = harness(table);
    const certyo = deps.certyo;
    let calls = 0;
    const ingestMany = certyo.ingestMany.bind(certyo);
    certyo.ingestMany = async (records, options) => {
      if (++calls === 2) throw new AuthError('Certyo answered 401 after the API key was reloaded', 401);
      return ingestMany(records, options);
    };

    // Act
    await expect(runBackfill(args({ segments: 1 }), deps)).rejects.toThrow(AuthError);

    // Assert: the checkpoint points after item 799.
    const saved = deps.checkpoints.load();
    expect(saved?.segments[0]).toEqual({ segment: 0, done: false, startKey: { pk: { S: 'CUSTOMER#1' }, sk: { S: 'ORDER#799' } } });
    await expect(runBackfill(args({ segments: 1 }), deps)).rejects.toThrow(CheckpointError);

    // Act: resume.
    ddb.resetHistory();
    const summary = await runBackfill(args({ resume: true }), deps);

    // Assert
    expect(ddb.commandCalls(ScanCommand)[0]?.args[0].input.ExclusiveStartKey).toEqual({ pk: { S: 'CUSTOMER#1' }, sk: { S: 'ORDER#799' } });
    expect(certyo.stored.size).toBe(2500);
    expect(summary).toMatchObject({ resumed: true, complete: true, scanned: 1700, accepted: 1500, replayed: 200 });
  });

  it('turns a binary start key from the checkpoint back into bytes for Scan', async () => {
    // Arrange: a checkpoint whose segment continues after a binary key.
    const items = ['a', 'b', 'c', 'd'].map((s) => ({ fileId: { B: Buffer.from(s) }, size: { N: '1' } }));
    const table = new FakeTable(items, ['fileId'], 10);
    const deps = harness(table);
    const checkpoint = newCheckpoint('orders', 1, new Date(NOW));
    (checkpoint.segments[0] as { startKey?: unknown }).startKey = { fileId: { B: Buffer.from('b').toString('base64') } };
    deps.checkpoints.save(checkpoint);

    // Act
    const summary = await runBackfill(args({ resume: true }), deps);

    // Assert
    const startKey = ddb.commandCalls(ScanCommand)[0]?.args[0].input.ExclusiveStartKey;
    expect(Buffer.from(startKey?.fileId?.B as Uint8Array).toString()).toBe('b');
    expect(deps.certyo.bulks.flat().map((r) => r.recordId)).toEqual([Buffer.from('c').toString('base64'), Buffer.from('d').toString('base64')]);
    expect(summary.scanned).toBe(2);
  });

  it('refuses to resume with another segment count or table, or without a checkpoint', async () => {
    // Arrange
    const deps = harness(new FakeTable(orders(3), ['pk', 'sk'], 10));

    // Act / Assert
    await expect(runBackfill(args({ resume: true }), deps)).rejects.toThrow(`--resume: no checkpoint at ${deps.checkpoints.path}`);
    deps.checkpoints.save(newCheckpoint('orders', 4, new Date(NOW)));
    await expect(runBackfill(args({ resume: true, segments: 2 }), deps)).rejects.toThrow('was made with --segments 4');
    deps.checkpoints.save(newCheckpoint('customers', 4, new Date(NOW)));
    await expect(runBackfill(args({ resume: true }), deps)).rejects.toThrow('is for table customers, not orders');
    fs.writeFileSync(deps.checkpoints.path, '{"version": 1');
    await expect(runBackfill(args({ resume: true }), deps)).rejects.toThrow('is not valid JSON');
  });

  it('refuses a table whose key schema it cannot read', async () => {
    // Arrange
    const deps = harness(new FakeTable([], [], 1));
    ddb.on(DescribeTableCommand).resolves({ Table: {} });

    // Act / Assert
    await expect(runBackfill(args(), deps)).rejects.toThrow('table orders: DescribeTable returned no key schema');
  });
});

describe('parseBackfillArgs', () => {
  it('reads the flags, with defaults', () => {
    expect(parseBackfillArgs(['--table', 'orders'], '/work')).toEqual({ table: 'orders', segments: undefined, resume: false, checkpointPath: '/work/backfill-orders.checkpoint.json' });
    expect(parseBackfillArgs(['--table=orders', '--segments', '8', '--resume', '--checkpoint', 'cp.json'], '/work')).toEqual({ table: 'orders', segments: 8, resume: true, checkpointPath: '/work/cp.json' });
    expect(parseBackfillArgs(['--help'])).toBe('help');
  });

  it.each([
    [[], '--table is required'],
    [['--table'], '--table needs a value'],
    [['--table', 'a/b'], '--table "a/b" is not a DynamoDB table name'],
    [['--table', 'orders', '--segments', '0'], '--segments must be a whole number from 1 to 1000, got "0"'],
    [['--table', 'orders', '--segments', 'many'], '--segments must be a whole number from 1 to 1000, got "many"'],
    [['--table', 'orders', '--resume=yes'], '--resume takes no value'],
    [['--table', 'orders', '--force'], 'unknown flag --force'],
  ])('refuses %j, naming the flag', (argv, message) => {
    expect(() => parseBackfillArgs(argv)).toThrow(UsageError);
    expect(() => parseBackfillArgs(argv)).toThrow(message);
  });
});

describe('progress and summary', () => {
  const state = { table: 'orders', scanned: 4000, estimatedTotal: 10000, accepted: 3990, replayed: 0, rejected: 10, requests: 4, segmentsDone: 1, segments: 4 };

  it('draws a bar against the estimated total and never claims 100% before the end', () => {
    expect(renderProgress(state, false, 10)).toBe('orders [####------]  40% 4,000/~10,000 items · accepted 3,990 · replayed 0 · rejected 10 · 4 requests · segments 1/4 done');
    expect(renderProgress({ ...state, scanned: 12000 }, false, 10)).toContain('[##########]  99%');
    expect(renderProgress({ ...state, estimatedTotal: undefined, waitingUntil: new Date('2026-04-13T11:00:00Z') })).toBe(
      'orders 4,000 items · accepted 3,990 · replayed 0 · rejected 10 · 4 requests · segments 1/4 done · waiting for Certyo until 2026-04-13T11:00:00.000Z',
    );
  });

  it('redraws one line on a terminal, a few times a second at most', () => {
    // Arrange
    const written: string[] = [];
    let now = 0;
    const progress = streamProgress({ isTTY: true, write: (t: string) => written.push(t) }, () => now);

    // Act
    progress.update(state);
    now = 50;
    progress.update(state);
    now = 300;
    progress.update(state);
    progress.finish(state);

    // Assert
    expect(written).toHaveLength(3);
    expect(written.every((w) => w.startsWith('\r\x1b[2K'))).toBe(true);
    expect(written[2]?.endsWith('\n')).toBe(true);
  });

  it('summarises the run', () => {
    const text = formatSummary({ table: 'orders', segments: 4, resumed: true, complete: true, scanned: 2500, accepted: 2490, replayed: 0, rejected: 10, requests: 4, durationMs: 12_345, checkpointPath: '/w/cp.json', rejectsPath: '/w/cp.rejected.ndjson' });
    expect(text).toContain('Backfill of orders complete (resumed) in 12.3 s, 4 segments');
    expect(text).toContain('rejected                 10   → /w/cp.rejected.ndjson');
  });
});
