/**
 * The backfill: a parallel Scan of an existing table (one worker per segment) feeding bulk
 * requests of up to 1,000 records with the stream ingest's mapping. Each worker keeps its
 * records in Scan order, sends them as soon as 1,000 are waiting (or the segment is scanned),
 * and moves its checkpoint past a page only once Certyo has confirmed every item of it.
 *
 * A rate limit is waited out (the backfill is patient: 1,000 requests an hour is the budget,
 * and it is shared with the live pipeline); an outage is retried until `maxOutages` calls in a
 * row have failed, then the run stops with its progress saved. Items that cannot be mapped, or
 * that Certyo refuses, go to the rejects file with their reason and the rest continue.
 */
import * as fs from 'node:fs';
import { AttributeValue, DescribeTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CertyoApi, CertyoRecord, MAX_BULK_ITEMS, RateLimitedError } from '../../lambdas/shared/certyo-types';
import { JsonAttributeMap, toJsonAttributeMap, toSdkAttributeMap } from '../../lambdas/shared/dynamodb-attributes';
import { forEachBounded } from '../../lambdas/shared/for-each-bounded';
import { Checkpoint, CheckpointStore, openCheckpoint, SegmentCheckpoint } from './checkpoint';
import { BackfillArgs, DEFAULT_SEGMENTS } from './args';
import { ItemRecordContext, itemRecord } from './item-record';
import { ProgressReporter, ProgressState } from './progress';

export interface RejectedItem {
  readonly table: string;
  readonly recordId?: string;
  readonly reason: string;
  /** The item in the JSON form of attribute values (binary as base64). */
  readonly item: JsonAttributeMap;
}

export interface RejectSink {
  readonly path: string;
  write(entry: RejectedItem): void;
}

/** One JSON line per rejected item, appended. */
export function fileRejectSink(path: string): RejectSink {
  return { path, write: (entry) => fs.appendFileSync(path, `${JSON.stringify(entry)}\n`) };
}

export interface BackfillDeps {
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
  readonly certyo: CertyoApi;
  readonly checkpoints: CheckpointStore;
  readonly rejects: RejectSink;
  readonly progress: ProgressReporter;
  readonly tenantId: string;
  readonly database: string;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Bulk calls in a row that fail without progress (not rate limits) before the run stops. @default 10 */
  readonly maxOutages?: number;
}

export interface BackfillSummary {
  readonly table: string;
  readonly segments: number;
  readonly resumed: boolean;
  readonly complete: boolean;
  readonly scanned: number;
  readonly accepted: number;
  readonly replayed: number;
  readonly rejected: number;
  readonly requests: number;
  readonly durationMs: number;
  readonly checkpointPath: string;
  readonly rejectsPath: string;
}

/** The run stopped before the end; its progress is in the checkpoint. */
export class BackfillStopped extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackfillStopped';
  }
}

/** Segments scanned at once; more segments wait for a free worker. */
const MAX_WORKERS = 32;

interface Counters {
  scanned: number;
  accepted: number;
  replayed: number;
  rejected: number;
  requests: number;
  segmentsDone: number;
  waitingUntil?: Date;
}

interface Page {
  /** `LastEvaluatedKey` of the page: where the segment continues once the page is confirmed. */
  readonly lastKey?: JsonAttributeMap;
  /** Items of the page not yet confirmed by Certyo. */
  remaining: number;
}

interface Pending {
  readonly record: CertyoRecord;
  readonly item: Record<string, AttributeValue>;
  readonly page: Page;
}

async function describe(deps: BackfillDeps, table: string): Promise<{ keyNames: string[]; itemCount?: number }> {
  const { Table } = await deps.dynamodb.send(new DescribeTableCommand({ TableName: table }));
  const keyNames = (Table?.KeySchema ?? []).map((k) => k.AttributeName).filter((n): n is string => typeof n === 'string');
  if (keyNames.length === 0) throw new BackfillStopped(`table ${table}: DescribeTable returned no key schema`);
  return { keyNames, itemCount: Table?.ItemCount };
}

export async function runBackfill(args: BackfillArgs, deps: BackfillDeps): Promise<BackfillSummary> {
  const started = deps.now();
  const checkpoint = openCheckpoint(deps.checkpoints, args, new Date(started), DEFAULT_SEGMENTS);
  const { keyNames, itemCount } = await describe(deps, args.table);
  const context: ItemRecordContext = { tenantId: deps.tenantId, database: deps.database, table: args.table, keyNames };
  const counters: Counters = { scanned: 0, accepted: 0, replayed: 0, rejected: 0, requests: 0, segmentsDone: checkpoint.segments.filter((s) => s.done).length };
  const state = (): ProgressState => ({ table: args.table, estimatedTotal: itemCount, segments: checkpoint.totalSegments, ...counters });
  const save = (): void => {
    checkpoint.updatedAt = new Date(deps.now()).toISOString();
    deps.checkpoints.save(checkpoint);
  };
  save();

  let failure: unknown;
  const worker = new SegmentWorker(args.table, checkpoint, context, deps, counters, save, () => failure !== undefined, () => deps.progress.update(state()));
  await forEachBounded(
    checkpoint.segments.filter((s) => !s.done),
    MAX_WORKERS,
    async (segment) => {
      try {
        await worker.run(segment);
      } catch (error) {
        failure ??= error;
      }
    },
  );
  const complete = failure === undefined && checkpoint.segments.every((s) => s.done);
  if (complete) {
    checkpoint.completedAt = new Date(deps.now()).toISOString();
    save();
  }
  deps.progress.finish(state());
  if (failure !== undefined) throw failure;
  return {
    table: args.table,
    segments: checkpoint.totalSegments,
    resumed: args.resume,
    complete,
    scanned: counters.scanned,
    accepted: counters.accepted,
    replayed: counters.replayed,
    rejected: counters.rejected,
    requests: counters.requests,
    durationMs: deps.now() - started,
    checkpointPath: deps.checkpoints.path,
    rejectsPath: deps.rejects.path,
  };
}

class SegmentWorker {
  constructor(
    private readonly table: string,
    private readonly checkpoint: Checkpoint,
    private readonly context: ItemRecordContext,
    private readonly deps: BackfillDeps,
    private readonly counters: Counters,
    private readonly save: () => void,
    private readonly aborted: () => boolean,
    private readonly report: () => void,
  ) {}

  async run(segment: SegmentCheckpoint): Promise<void> {
    const pending: Pending[] = [];
    const pages: Page[] = [];
    let startKey = segment.startKey ? toSdkAttributeMap(segment.startKey) : undefined;
    let scanned = false;
    let outages = 0;
    while (!this.aborted() && (!scanned || pending.length > 0)) {
      if (!scanned && pending.length < MAX_BULK_ITEMS) {
        const page = await this.deps.dynamodb.send(
          new ScanCommand({ TableName: this.table, Segment: segment.segment, TotalSegments: this.checkpoint.totalSegments, ExclusiveStartKey: startKey }),
        );
        const ref: Page = { lastKey: page.LastEvaluatedKey ? toJsonAttributeMap(page.LastEvaluatedKey) : undefined, remaining: 0 };
        pages.push(ref);
        for (const item of page.Items ?? []) this.add(item, ref, pending);
        this.counters.scanned += page.Items?.length ?? 0;
        startKey = page.LastEvaluatedKey;
        scanned = startKey === undefined;
      } else {
        outages = await this.send(pending, outages);
      }
      this.advance(segment, pages);
      this.report();
    }
  }

  private add(item: Record<string, AttributeValue>, page: Page, pending: Pending[]): void {
    const mapped = itemRecord(item, this.context);
    if (mapped.ok) {
      pending.push({ record: mapped.record, item, page });
      page.remaining++;
    } else {
      this.reject(item, mapped.reason, mapped.recordId);
    }
  }

  private reject(item: Record<string, AttributeValue>, reason: string, recordId?: string): void {
    this.counters.rejected++;
    this.deps.rejects.write({ table: this.table, recordId, reason, item: toJsonAttributeMap(item) });
  }

  /** Sends the first (up to) 1,000 pending records; returns the updated count of outages in a row. */
  private async send(pending: Pending[], outages: number): Promise<number> {
    const batch = pending.slice(0, MAX_BULK_ITEMS);
    const outcome = await this.deps.certyo.ingestMany(batch.map((p) => p.record));
    this.counters.requests += outcome.requests;
    const confirmed = new Set<number>();
    for (const a of outcome.accepted) {
      confirmed.add(a.index);
      this.counters[a.replayed ? 'replayed' : 'accepted']++;
    }
    for (const r of outcome.rejected) {
      confirmed.add(r.index);
      const entry = batch[r.index] as Pending;
      this.reject(entry.item, r.reason, entry.record.recordId);
    }
    for (const index of confirmed) (batch[index] as Pending).page.remaining--;
    const rest = [...batch.filter((_, i) => !confirmed.has(i)), ...pending.slice(batch.length)];
    pending.splice(0, pending.length, ...rest);

    if (outcome.unsent.length === 0) return 0;
    const stoppedBy = outcome.stoppedBy;
    const rateLimited = stoppedBy instanceof RateLimitedError;
    const inARow = confirmed.size > 0 || rateLimited ? 0 : outages + 1;
    if (inARow >= (this.deps.maxOutages ?? 10)) {
      throw new BackfillStopped(`Certyo failed ${inARow} times in a row (${stoppedBy?.message ?? 'no reason given'}); progress is saved, run again with --resume`);
    }
    const until = stoppedBy?.retryAt.getTime() ?? this.deps.now() + 1000;
    this.counters.waitingUntil = new Date(until);
    this.report();
    await this.deps.sleep(Math.max(0, until - this.deps.now()));
    this.counters.waitingUntil = undefined;
    return inARow;
  }

  /** Moves the segment's start key past every leading page whose items are all confirmed. */
  private advance(segment: SegmentCheckpoint, pages: Page[]): void {
    let moved = false;
    while (pages.length > 0 && (pages[0] as Page).remaining === 0) {
      const page = pages.shift() as Page;
      segment.startKey = page.lastKey;
      if (!page.lastKey) {
        segment.done = true;
        this.counters.segmentsDone++;
      }
      moved = true;
    }
    if (moved) this.save();
  }
}
