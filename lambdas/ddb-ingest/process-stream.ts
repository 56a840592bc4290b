/**
 * One invocation: a batch of DynamoDB stream records from one shard, in stream order.
 *
 * Every record to ingest goes into one `ingestMany` call (the client packs bulk requests of up
 * to 1,000 records), so a batch of 1,000 changes costs one request of the hourly budget. The
 * batch then ends in one of two ways:
 * - everything handled: no `batchItemFailures`, the stream moves on;
 * - progress stopped at some record (rate limit, Certyo outage, deadline, failed write-back or
 *   dead-letter queue): `batchItemFailures` names that record's sequence number, and Lambda
 *   re-delivers the shard from exactly there. Nothing after it is skipped, nothing before it is
 *   sent again, and changes to an item stay in order. Records after it that were already
 *   handled are handled again on redelivery: ingests replay (same idempotency key), write-backs
 *   are conditional, and their dead letters are only sent once they are before the stop.
 *
 * A record that cannot be mapped (or that Certyo refuses) goes to the on-failure queue with its
 * reason and the rest continue.
 *
 * Lambda redelivers a failed stream batch at once, and the mapping's retry attempts are bounded.
 * So when Certyo is the reason for a stop, the invocation waits before returning: until
 * `Retry-After` for a rate limit (Certyo said when), until its deadline for an outage or a
 * refused API key (nobody knows when). Each attempt then spends most of a Lambda timeout, and
 * the retry attempts cover the hours a rate limit or an outage can last instead of running out
 * in minutes and discarding records.
 */
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { AcceptedRecord, CertyoApi, IngestManyOutcome, IngestResult, RateLimitedError } from '../shared/certyo-types';
import { DeadLetter, DeadLetterSink } from '../shared/dead-letter';
import { forEachBounded } from '../shared/for-each-bounded';
import type { Log } from '../shared/observability';
import { VerifiableRecord, VerificationStarter } from '../shared/verification-starter';
import { Change, ChangeOptions, IngestChange, SkipReason, toChange } from './stream-change';
import { WriteBack, WriteBackResult } from './write-back';
import { errorText } from '../shared/error-text';

export interface BatchSummary {
  records: number;
  /** Records sent to Certyo, by operation. */
  inserts: number;
  updates: number;
  deletes: number;
  /** Of `deletes`: made by DynamoDB TTL. */
  ttlDeletes: number;
  skipped: Record<SkipReason, number>;
  /** Records that could not be mapped, dead-lettered with their reason (by this invocation). */
  unmappable: number;
  /** Records Certyo refused, dead-lettered with its reason (by this invocation). */
  refused: number;
  accepted: number;
  replayed: number;
  unsent: number;
  requests: number;
  writeBack: Record<WriteBackResult | 'failed', number>;
  /** Sequence number the stream resumes from, when the batch stopped early. */
  resumeFrom?: string;
  cause?: string;
}

/** Where metrics go: the handler forwards these to CloudWatch. */
export interface StreamReporter {
  batchSent(outcome: IngestManyOutcome): void;
  finished(summary: BatchSummary): void;
}

export interface StreamBatchDeps {
  readonly certyo: CertyoApi;
  readonly deadLetters: DeadLetterSink;
  readonly verification: VerificationStarter;
  /** Used when `options.writeBack` is on. */
  readonly writeBack: WriteBack;
  readonly reporter: StreamReporter;
  readonly options: ChangeOptions;
  readonly log: Log;
  /** Epoch ms after which the client stops waiting and the invocation stops holding. */
  readonly deadline: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** UpdateItem calls in flight at once: fast enough for 1,000 items, gentle on a hot partition. */
const WRITE_BACK_CONCURRENCY = 8;

interface PendingLetter {
  readonly position: number;
  readonly kind: 'unmappable' | 'refused';
  readonly letter: DeadLetter;
}

function sourceLabel(change: Change): string {
  const table = change.kind === 'reject' ? undefined : change.table;
  return `dynamodb stream ${change.source.eventSourceARN ?? table ?? '(unknown)'} sequence number ${change.sequenceNumber ?? '(none)'}`;
}

function letterFor(change: Change, reason: string): DeadLetter {
  return { body: JSON.stringify(change.source), reason, source: sourceLabel(change) };
}

function emptySummary(records: number): BatchSummary {
  return {
    records,
    inserts: 0,
    updates: 0,
    deletes: 0,
    ttlDeletes: 0,
    skipped: { 'certyo-only': 0, ttl: 0 },
    unmappable: 0,
    refused: 0,
    accepted: 0,
    replayed: 0,
    unsent: 0,
    requests: 0,
    writeBack: { written: 0, superseded: 0, failed: 0 },
  };
}

/** Tracks the earliest record the batch could not finish. */
class StopPoint {
  position: number;
  cause?: string;
  /** Set when Certyo stopped the batch: wait until then before returning (see module comment). */
  holdUntil?: number;

  constructor(private readonly size: number) {
    this.position = size;
  }

  at(position: number, cause: string, holdUntil?: number): void {
    if (position >= this.position) return;
    this.position = position;
    this.cause = cause;
    this.holdUntil = holdUntil;
  }

  get stopped(): boolean {
    return this.position < this.size;
  }
}

export async function processStreamBatch(records: readonly DynamoDBRecord[], deps: StreamBatchDeps): Promise<DynamoDBBatchResponse> {
  const summary = emptySummary(records.length);
  const stop = new StopPoint(records.length);
  const letters: PendingLetter[] = [];
  const ingest: IngestChange[] = [];

  for (const change of records.map((record, position) => toChange(record, position, deps.options))) {
    if (change.kind === 'reject') {
      letters.push({ position: change.position, kind: 'unmappable', letter: letterFor(change, change.reason) });
      deps.log.warn('record cannot be mapped; dead-lettered', { sequenceNumber: change.sequenceNumber, reason: change.reason });
    } else if (change.kind === 'skip') {
      summary.skipped[change.reason]++;
      if (change.reason === 'ttl') deps.log.info('TTL deletion skipped (certyo:dynamodb.ttlDeletes = skip)', { table: change.table, recordId: change.recordId, sequenceNumber: change.sequenceNumber });
    } else {
      ingest.push(change);
      summary[change.record.operationType === 'insert' ? 'inserts' : change.record.operationType === 'update' ? 'updates' : 'deletes']++;
      if (change.ttl) {
        summary.ttlDeletes++;
        deps.log.info('TTL deletion ingested', { table: change.table, recordId: change.record.recordId, sequenceNumber: change.sequenceNumber });
      }
    }
  }

  if (ingest.length > 0) {
    let outcome: IngestManyOutcome;
    try {
      outcome = await deps.certyo.ingestMany(
        ingest.map((change) => change.record),
        { deadline: deps.deadline },
      );
    } catch (error) {
      // A refused API key (or a bug): fail the whole batch, but not before the deadline.
      deps.log.error('ingest failed; the whole batch is retried after the hold', { error: errorText(error), records: records.length });
      await holdUntil(deps.deadline, deps);
      throw error;
    }
    deps.reporter.batchSent(outcome);
    const replayed = outcome.accepted.filter((a) => a.replayed).length;
    summary.accepted = outcome.accepted.length - replayed;
    summary.replayed = replayed;
    summary.unsent = outcome.unsent.length;
    summary.requests = outcome.requests;
    for (const refused of outcome.rejected) {
      const change = ingest[refused.index] as IngestChange;
      letters.push({ position: change.position, kind: 'refused', letter: letterFor(change, `table ${change.table}, sequence number ${change.sequenceNumber}: ${refused.reason}`) });
    }
    const stoppedBy = outcome.stoppedBy;
    const cause = stoppedBy instanceof RateLimitedError ? 'rate limit' : (stoppedBy?.message ?? 'Certyo stopped accepting records');
    const until = stoppedBy instanceof RateLimitedError ? stoppedBy.retryAt.getTime() : deps.deadline;
    for (const unsent of outcome.unsent) stop.at((ingest[unsent.index] as IngestChange).position, cause, until);
    await deps.verification.start(deps.options.writeBack ? withWriteBackLocations(outcome.accepted, ingest) : outcome.accepted);
    if (deps.options.writeBack) await writeBackAccepted(outcome.accepted, ingest, deps, summary, stop);
  }

  await sendLetters(letters, deps, summary, stop);

  let batchItemFailures: DynamoDBBatchResponse['batchItemFailures'] = [];
  if (stop.stopped) {
    const sequenceNumber = records[stop.position]?.dynamodb?.SequenceNumber;
    // Without a sequence number Lambda cannot resume at the record: fail the whole batch instead.
    if (!sequenceNumber) throw new Error(`record ${stop.position} of the batch must be retried but has no sequence number (${stop.cause})`);
    summary.resumeFrom = sequenceNumber;
    summary.cause = stop.cause;
    batchItemFailures = [{ itemIdentifier: sequenceNumber }];
    if (stop.holdUntil !== undefined) await holdUntil(stop.holdUntil, deps);
  }
  deps.reporter.finished(summary);
  deps.log.info(stop.stopped ? 'batch stopped early; the stream resumes at resumeFrom' : 'batch processed', { summary });
  return { batchItemFailures };
}

/** Waits until `time` or until the deadline, whichever is first. */
async function holdUntil(time: number, deps: StreamBatchDeps): Promise<void> {
  const wait = Math.min(time, deps.deadline) - deps.now();
  if (wait > 0) await deps.sleep(wait);
}

/**
 * With write-back on, the verify workflow settles each item's `certyo_status`: tell it where the
 * item is (deletes have no item). Every accepted version gets one, not only the newest: the
 * workflow's update is conditional on the item still carrying that version's hash, so an
 * older version's is a no-op.
 */
function withWriteBackLocations(accepted: readonly AcceptedRecord[], ingest: readonly IngestChange[]): VerifiableRecord[] {
  return accepted.map((a) => {
    const target = (ingest[a.index] as IngestChange).writeBack;
    return target ? { ...a, writeBack: { tableName: target.table, key: target.keys } } : a;
  });
}

/**
 * Writes back the newest accepted version of each item in the batch (an older version's
 * write-back would be superseded by it anyway). A write-back that fails for another reason than
 * "the item changed" stops the batch at that record, so it is retried.
 */
async function writeBackAccepted(
  accepted: readonly AcceptedRecord[],
  ingest: readonly IngestChange[],
  deps: StreamBatchDeps,
  summary: BatchSummary,
  stop: StopPoint,
): Promise<void> {
  const newest = new Map<string, { change: IngestChange; result: IngestResult }>();
  for (const a of [...accepted].sort((x, y) => x.index - y.index)) {
    const change = ingest[a.index] as IngestChange;
    newest.set(`${change.table}\u0000${change.record.recordId}`, { change, result: a.result });
  }
  const targets = [...newest.values()].flatMap(({ change, result }) => (change.writeBack ? [{ change, result, target: change.writeBack }] : []));
  await forEachBounded(targets, WRITE_BACK_CONCURRENCY, async ({ change, result, target }) => {
    try {
      summary.writeBack[await deps.writeBack.write(target, result)]++;
    } catch (error) {
      summary.writeBack.failed++;
      deps.log.error('write-back failed; the stream retries from this record', { table: change.table, recordId: change.record.recordId, sequenceNumber: change.sequenceNumber, error: errorText(error) });
      stop.at(change.position, `write-back failed: ${errorText(error)}`);
    }
  });
}

/** Sends the dead letters of records before the stop; later ones are sent when the stream redelivers them. */
async function sendLetters(letters: readonly PendingLetter[], deps: StreamBatchDeps, summary: BatchSummary, stop: StopPoint): Promise<void> {
  const ready = letters.filter((l) => l.position < stop.position).sort((a, b) => a.position - b.position);
  if (ready.length === 0) return;
  try {
    await deps.deadLetters.send(ready.map((l) => l.letter));
    for (const l of ready) summary[l.kind]++;
  } catch (error) {
    deps.log.error('dead-letter queue unavailable; the stream retries from the first dead letter', { error: errorText(error), letters: ready.length });
    stop.at((ready[0] as PendingLetter).position, `dead-letter queue unavailable: ${errorText(error)}`);
  }
}
