/**
 * One invocation of a DocumentDB event source mapping: a batch of change events, in stream order
 * → one `ingestMany` call (bulk requests of up to 1,000 records).
 *
 * A DocumentDB mapping has no partial batch response and no on-failure destination: when the
 * function fails, Lambda retries the whole batch until it succeeds (AWS Lambda developer guide,
 * "Process Amazon DocumentDB events"), and only one invocation per mapping runs at a time. So
 * the failures are split here:
 * - one event that cannot be mapped, or that Certyo refuses: dead-lettered with its reason, and
 *   the batch goes on (the stream must not stall on one bad event);
 * - progress stopped (rate limit, outage, deadline) or the dead-letter queue unreachable: the
 *   invocation waits (until `Retry-After`, or its deadline when nobody knows when) and then
 *   fails, so Lambda delivers the whole batch again. What was already accepted replays (the
 *   idempotency key names the resume token), so nothing is lost and nothing is stored twice.
 * - other operations (drop, rename, invalidate, ...) and the write-back's own updates are
 *   skipped and counted.
 */
import { CertyoApi, IngestManyOutcome, RateLimitedError } from '../shared/certyo-types';
import { DeadLetter, DeadLetterSink } from '../shared/dead-letter';
import { errorText } from '../shared/error-text';
import { MongoChangeOptions, MongoIngest, MongoSkipReason, toMongoChange } from '../shared/mongo-change';
import type { Log } from '../shared/observability';
import { VerificationStarter } from '../shared/verification-starter';

/** The Lambda event of a DocumentDB event source mapping. */
export interface DocumentDbEvent {
  readonly eventSource?: string;
  readonly eventSourceArn?: string;
  readonly events?: readonly { readonly event?: unknown }[];
}

export interface MongoBatchSummary {
  events: number;
  ingested: number;
  skipped: Record<MongoSkipReason, number>;
  /** Events that could not be mapped, dead-lettered with their reason. */
  unmappable: number;
  /** Events Certyo refused, dead-lettered with its reason. */
  refused: number;
  accepted: number;
  replayed: number;
  requests: number;
}

export interface MongoReporter {
  batchSent(outcome: IngestManyOutcome): void;
  finished(summary: MongoBatchSummary): void;
}

export interface MongoBatchDeps {
  readonly certyo: Pick<CertyoApi, 'ingestMany'>;
  readonly deadLetters: DeadLetterSink;
  readonly verification: VerificationStarter;
  readonly reporter: MongoReporter;
  readonly options: MongoChangeOptions;
  readonly log: Log;
  /** Epoch ms after which the client stops sending and the invocation stops holding. */
  readonly deadline: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Thrown so Lambda retries the whole batch; the message says why. */
export class BatchRetryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchRetryError';
  }
}

export async function processDocumentDbBatch(event: DocumentDbEvent, deps: MongoBatchDeps): Promise<MongoBatchSummary> {
  const entries = Array.isArray(event.events) ? event.events : [];
  const stream = event.eventSourceArn ?? '(unknown cluster)';
  const summary: MongoBatchSummary = { events: entries.length, ingested: 0, skipped: { 'certyo-only': 0, 'other-operation': 0 }, unmappable: 0, refused: 0, accepted: 0, replayed: 0, requests: 0 };
  const letters: DeadLetter[] = [];
  const ingest: { change: MongoIngest; body: unknown; position: number }[] = [];
  const source = (position: number, token?: string) => `documentdb ${stream} event ${position} resume token ${token ?? '(none)'}`;

  entries.forEach((entry, position) => {
    const change = toMongoChange(entry?.event, deps.options);
    if (change.kind === 'ingest') {
      ingest.push({ change, body: entry.event, position });
    } else if (change.kind === 'skip') {
      summary.skipped[change.reason]++;
      if (change.reason === 'other-operation') deps.log.info('change event without a document skipped', { operationType: change.operationType, resumeToken: change.resumeToken });
    } else {
      letters.push({ body: JSON.stringify(entry ?? null), reason: change.reason, source: source(position, change.resumeToken) });
      summary.unmappable++;
    }
  });
  summary.ingested = ingest.length;

  let outcome: IngestManyOutcome | undefined;
  if (ingest.length > 0) {
    outcome = await deps.certyo.ingestMany(
      ingest.map((i) => i.change.record),
      { deadline: deps.deadline },
    );
    deps.reporter.batchSent(outcome);
    summary.replayed = outcome.accepted.filter((a) => a.replayed).length;
    summary.accepted = outcome.accepted.length - summary.replayed;
    summary.requests = outcome.requests;
    for (const refused of outcome.rejected) {
      const item = ingest[refused.index];
      if (!item) continue;
      letters.push({ body: JSON.stringify(item.body), reason: `${item.change.record.database}.${item.change.record.collection} ${item.change.record.recordId}: ${refused.reason}`, source: source(item.position, item.change.record.recordVersion) });
      summary.refused++;
    }
    await deps.verification.start(outcome.accepted);
  }

  if (letters.length > 0) {
    try {
      await deps.deadLetters.send(letters);
    } catch (error) {
      throw new BatchRetryError(`dead-letter queue unavailable, the batch is retried: ${errorText(error)}`);
    }
    deps.log.warn('change events dead-lettered', { unmappable: summary.unmappable, refused: summary.refused });
  }

  if (outcome && outcome.unsent.length > 0) {
    const stoppedBy = outcome.stoppedBy;
    const until = stoppedBy instanceof RateLimitedError ? stoppedBy.retryAt.getTime() : deps.deadline;
    const wait = Math.min(until, deps.deadline) - deps.now();
    // Lambda retries a failed DocumentDB batch at once: wait here, so a rate limit is waited out.
    if (wait > 0) await deps.sleep(wait);
    deps.reporter.finished(summary);
    throw new BatchRetryError(`${outcome.unsent.length} of ${ingest.length} changes not sent (${stoppedBy instanceof RateLimitedError ? 'rate limit' : (stoppedBy?.message ?? 'deadline')}); the batch is retried`);
  }
  deps.reporter.finished(summary);
  deps.log.info('batch processed', { summary });
  return summary;
}
