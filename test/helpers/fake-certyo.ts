/**
 * One in-memory Certyo for every ingest test. It follows the `CertyoApi.ingestMany` contract
 * the real client implements (`lambdas/shared/certyo-client.ts`): it validates each record
 * with the client's own `findRecordProblem`, sends the valid ones in bulk requests of at most
 * 1,000, replays known idempotency keys, and when a request fails in a way the client could not
 * wait out reports that request's records and every later valid record as unsent, in input
 * order. It records each request's records and each call's deadline, so tests assert on what
 * was sent rather than on how the code under test called it.
 *
 * Simplifications, on purpose: bodies are not split by size (callers that cap bytes do so
 * themselves, and tests measure the records of each request), and a record refused with a 400
 * is answered within its request (the real client spends one more request resending the rest).
 */
import {
  AcceptedRecord,
  CallOptions,
  CertyoApi,
  CertyoRecord,
  IndexedRecord,
  IngestManyOutcome,
  IngestResult,
  MAX_BULK_ITEMS,
  RateLimitedError,
  RateLimitState,
  RejectedRecord,
  RetryableError,
} from '../../lambdas/shared/certyo-types';
import { stringifyJson } from '../../lambdas/shared/json';
import { findRecordProblem } from '../../lambdas/shared/record-validation';

/** A 429 whose `Retry-After` is past the deadline, or 5xx answers until the client's attempts ran out. */
export type CertyoFailure = 'rate-limit' | 'outage';

/** The real client's attempts at one request during an outage (its message names them). */
const OUTAGE_ATTEMPTS = 5;

function notUsed(): never {
  throw new Error('not used by the ingest paths');
}

export class FakeCertyo implements CertyoApi {
  /** Every bulk request's records, in order (a failed request too: it was sent). */
  readonly bulks: CertyoRecord[][] = [];
  /** The deadline of every `ingestMany` call, in order. */
  readonly deadlines: (number | undefined)[] = [];
  /** Stored request bodies of the records, by idempotency key. */
  readonly stored = new Map<string, string>();
  rateLimit: RateLimitState = {};
  /** 1-based number of the first bulk request that fails (and every one after it); see `failFrom`. */
  failFromRequest = Number.POSITIVE_INFINITY;
  failure: CertyoFailure = 'rate-limit';
  /** When the failed request may be tried again (`Retry-After`, or the client's next backoff). */
  retryAt = new Date('2026-04-13T11:00:00Z');
  /** Records Certyo refuses with a 400, and the reason it gives. */
  refuseWhen: (record: CertyoRecord) => string | undefined = () => undefined;
  /** Awaited as each bulk request is sent (1-based), before it is answered: holds a request in flight. */
  onRequest: (request: number, records: readonly CertyoRecord[]) => Promise<void> | void = () => undefined;

  /** From bulk request `request` (1-based) on, every request fails with `failure`, until `recover`. */
  failFrom(request: number, failure: CertyoFailure = 'rate-limit'): void {
    this.failFromRequest = request;
    this.failure = failure;
  }

  /** Certyo answers again (the rate-limit window passed, or the outage ended). */
  recover(): void {
    this.failFromRequest = Number.POSITIVE_INFINITY;
  }

  async ingestMany(records: readonly CertyoRecord[], options?: CallOptions): Promise<IngestManyOutcome> {
    this.deadlines.push(options?.deadline);
    const accepted: AcceptedRecord[] = [];
    const rejected: RejectedRecord[] = [];
    const valid: IndexedRecord[] = [];
    records.forEach((record, index) => {
      const problem = findRecordProblem(record, index);
      if (problem) rejected.push({ index, record, reason: problem.message });
      else valid.push({ index, record });
    });
    let requests = 0;
    for (let from = 0; from < valid.length; from += MAX_BULK_ITEMS) {
      const chunk = valid.slice(from, from + MAX_BULK_ITEMS);
      requests++;
      const sent = chunk.map((c) => c.record);
      this.bulks.push(sent);
      await this.onRequest(this.bulks.length, sent);
      if (this.bulks.length >= this.failFromRequest) {
        const stoppedBy = this.failure === 'rate-limit' ? new RateLimitedError('Certyo answered 429', this.retryAt) : new RetryableError(`POST /api/v1/records/bulk failed after ${OUTAGE_ATTEMPTS} attempts: 503`, this.retryAt, 503);
        if (this.failure === 'outage') requests += OUTAGE_ATTEMPTS - 1;
        rejected.sort((a, b) => a.index - b.index);
        return { accepted, rejected, unsent: valid.slice(from), stoppedBy, requests };
      }
      for (const { index, record } of chunk) {
        const reason = this.refuseWhen(record);
        if (reason) rejected.push({ index, record, reason });
        else accepted.push(this.store(index, record));
      }
    }
    rejected.sort((a, b) => a.index - b.index);
    return { accepted, rejected, unsent: [], requests };
  }

  private store(index: number, record: CertyoRecord): AcceptedRecord {
    const replayed = this.stored.has(record.idempotencyKey);
    if (!replayed) this.stored.set(record.idempotencyKey, stringifyJson(record));
    const result: IngestResult = { recordId: record.recordId, recordHash: `sha256:${record.recordVersion}`, tenantId: record.tenantId, acceptedAt: '2026-04-13T10:30:05Z', idempotencyReplayed: replayed };
    return { index, record, result, replayed };
  }

  ingestRecord = notUsed;
  verifyRecord = notUsed;
  getSnapshot = notUsed;
  getSnapshotLifecycle = notUsed;
  retrySnapshot = notUsed;
  queryRecords = notUsed;
  verificationHistory = notUsed;
  health = notUsed;
}
