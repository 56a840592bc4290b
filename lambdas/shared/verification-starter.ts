/**
 * How ingest handlers hand accepted records to the verification workflow
 * (`statemachines/verify-record.asl.json`). Handlers depend on `VerificationStarter` only; the
 * workflow construct sets `VERIFY_STATE_MACHINE_ARN` and `VERIFY_POLICY` on the functions it is
 * granted to, and `verificationStarterFromEnv()` turns them into a starter at cold start.
 *
 * Starting is at-least-once and idempotent: the execution name is derived from the record's
 * idempotency key, so a handler retried after a crash (or a replayed ingest) starts nothing new
 * — Step Functions answers `ExecutionAlreadyExists`, which counts as started.
 */
import { createHash } from 'node:crypto';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { CertyoRecord, IngestResult, MAX_BULK_ITEMS } from './certyo-types';
import { forEachBounded } from './for-each-bounded';
import { packGreedy } from './pack-greedy';
import { EnvironmentError } from './runtime-env';

export interface VerificationStartOutcome {
  readonly started: number;
  /** Not selected by the policy (`none`, `sample`), or covered by another record's execution (`batch`). */
  readonly skipped: number;
}

/**
 * Where the workflow writes a record's final `certyo_status` (DynamoDB ingest with
 * `certyo:dynamodb.writeBack`): the table and the item's key.
 */
export interface WriteBackLocation {
  readonly tableName: string;
  /** The item's key in DynamoDB's JSON AttributeValue form (a stream record's `Keys`), as Step Functions' `dynamodb:updateItem` takes it. */
  readonly key: Readonly<Record<string, unknown>>;
}

/**
 * A record to verify: an `AcceptedRecord` of an ingest Lambda (with Certyo's `recordHash`, the
 * tamper check), or in direct mode a forwarded record, whose ingest answer no Lambda sees; from
 * an ingest path that writes statuses back, also where its item is.
 */
export interface VerifiableRecord {
  readonly record: CertyoRecord;
  /** Certyo's ingest answer. @default - none (direct mode): verified without the hash comparison */
  readonly result?: Pick<IngestResult, 'recordHash'>;
  readonly writeBack?: WriteBackLocation;
}

export interface VerificationStarter {
  start(accepted: readonly VerifiableRecord[]): Promise<VerificationStartOutcome>;
}

/** For handlers deployed without a workflow, and for tests. */
export const noVerification: VerificationStarter = {
  start: async (accepted) => ({ started: 0, skipped: accepted.length }),
};

/** `certyo:verify.policy` as the Lambdas see it (`VERIFY_POLICY`). */
export type VerificationPolicy =
  | { readonly kind: 'all' }
  | { readonly kind: 'none' }
  | { readonly kind: 'sample'; readonly fraction: number }
  | { readonly kind: 'batch' };

/** A record a batch execution stands for; listed in its notification. */
export interface CoveredRecord {
  readonly database: string;
  readonly collection: string;
  readonly recordId: string;
  readonly recordVersion?: string;
}

/**
 * An item whose status the workflow settles after its notification. The update is conditional on
 * the item's `certyo_record_hash` still being `recordHash` (what the ingest's write-back set):
 * a newer version of the item has its own verification.
 */
export interface WriteBackItem extends WriteBackLocation {
  readonly recordHash: string;
}

/**
 * The execution input: the same fields as the `detail` of a forwarding event, so the direct-mode
 * rule target can pass `$.detail` unchanged, plus what only an ingest Lambda knows.
 */
export interface VerificationInput {
  readonly tenantId: string;
  readonly database: string;
  readonly collection: string;
  readonly recordId: string;
  readonly recordVersion?: string;
  /**
   * What Certyo answered at ingest; the workflow compares it with the hash Certyo holds when
   * verifying (tamper check). The payload itself is not carried: Step Functions' JSON would
   * round integers beyond 2^53 and long decimals, and Certyo would then hash something else.
   */
  readonly recordHash?: string;
  /** `batch` policy: every record of the bulk request this representative stands for. */
  readonly covers?: readonly CoveredRecord[];
  /**
   * The items to update once notified: this record's, or in `batch` mode those of the covered
   * records that have one. One list rather than a field per `covers` entry, because JSONPath
   * cannot select "the entries that have a field" the same way in Step Functions and in
   * aws-local-stepfunctions, and mapping over every entry would spend state transitions on
   * every batch execution of the paths that never write back. Absent when there is none.
   */
  readonly writeBacks?: readonly WriteBackItem[];
}

export interface VerificationStarterOptions {
  readonly stateMachineArn: string;
  readonly policy: VerificationPolicy;
  readonly sfn: Pick<SFNClient, 'send'>;
  /**
   * StartExecution calls in flight at once. Standard workflows allow a StartExecution burst of
   * 1,300 and a refill of 300/s per account and region (shared with everything else there), so a
   * handler starting 1,000 executions must not fire them all at once.
   * @default 10
   */
  readonly concurrency?: number;
  /**
   * Largest serialized `covers` list of one batch execution, with its `writeBacks`; a bulk
   * request whose lists are larger is split over several executions. The lists travel in the
   * state, and `covers` in the SNS notification (also capped at 256 KiB).
   * @default 131072 (128 KiB)
   */
  readonly maxCoversBytes?: number;
}

/** A `VerificationStarter` whose StartExecution failures are reported after every start was tried. */
export class VerificationStartError extends Error {
  constructor(
    readonly failed: number,
    readonly attempted: number,
    readonly firstCause: unknown,
  ) {
    super(
      `${failed} of ${attempted} verification executions could not be started (first error: ${firstCause instanceof Error ? `${firstCause.name}: ${firstCause.message}` : String(firstCause)})`,
    );
    this.name = 'VerificationStartError';
  }
}

const DEFAULT_CONCURRENCY = 10;
const DEFAULT_MAX_COVERS_BYTES = 128 * 1024;
/** Parses `VERIFY_POLICY` (same syntax as `certyo:verify.policy`). */
export function parseVerificationPolicy(text: string): VerificationPolicy {
  if (text === 'all' || text === 'none' || text === 'batch') return { kind: text };
  if (text.startsWith('sample:')) {
    const raw = text.slice('sample:'.length);
    const fraction = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(fraction) && fraction > 0 && fraction <= 1) return { kind: 'sample', fraction };
  }
  throw new EnvironmentError(
    `Environment variable VERIFY_POLICY = "${text}" is not one of "all", "none", "batch" or "sample:<fraction between 0 and 1>"`,
  );
}

/** The inverse of `parseVerificationPolicy`, for the construct that sets `VERIFY_POLICY`. */
export function formatVerificationPolicy(policy: VerificationPolicy): string {
  return policy.kind === 'sample' ? `sample:${policy.fraction}` : policy.kind;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Step Functions names allow at most 80 characters of [0-9A-Za-z_-] (and must stay unique per
 * state machine for 90 days): a hex SHA-256 of the idempotency key fits and says nothing about
 * the record. The prefix keeps `all` and `batch` executions of one record apart.
 */
export function executionName(kind: 'record' | 'batch', key: string): string {
  return `${kind === 'record' ? 'r' : 'b'}-${sha256(key).toString('hex')}`;
}

/**
 * `sample` picks records from their idempotency key, not at random, so a retried ingest makes
 * the same choice and the share of verified records is the configured fraction.
 */
export function isSampled(idempotencyKey: string, fraction: number): boolean {
  // 48 bits of the hash as a uniform number in [0, 1).
  return sha256(idempotencyKey).readUIntBE(0, 6) / 2 ** 48 < fraction;
}

function covered(accepted: VerifiableRecord): CoveredRecord {
  const { database, collection, recordId, recordVersion } = accepted.record;
  return recordVersion === undefined ? { database, collection, recordId } : { database, collection, recordId, recordVersion };
}

function writeBackItem(accepted: VerifiableRecord): WriteBackItem | undefined {
  // The workflow's write-back is conditional on the ingest hash, so only an ingest answer allows one.
  return accepted.writeBack && accepted.result && { tableName: accepted.writeBack.tableName, key: accepted.writeBack.key, recordHash: accepted.result.recordHash };
}

/** What a record adds to a batch execution's input: its `covers` entry and its write-back item. */
function batchEntryBytes(accepted: VerifiableRecord): number {
  const item = writeBackItem(accepted);
  return Buffer.byteLength(JSON.stringify(covered(accepted))) + 1 + (item ? Buffer.byteLength(JSON.stringify(item)) + 1 : 0);
}

/**
 * `batch` groups: consecutive accepted records, at most one bulk request's worth (1,000) and
 * at most `maxCoversBytes` of `covers` and `writeBacks`. `ingestMany` fills bulk requests in
 * input order, so a group is (part of) one bulk request.
 */
function batchGroups(accepted: readonly VerifiableRecord[], maxCoversBytes: number): VerifiableRecord[][] {
  return packGreedy(accepted, { maxItems: MAX_BULK_ITEMS, maxBytes: maxCoversBytes, sizeOf: batchEntryBytes, emptyBytes: 2 });
}

interface PlannedStart {
  readonly name: string;
  readonly input: string;
}

export function createVerificationStarter(options: VerificationStarterOptions): VerificationStarter {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const maxCoversBytes = options.maxCoversBytes ?? DEFAULT_MAX_COVERS_BYTES;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be a whole number of at least 1, got ${concurrency}`);
  const { policy } = options;

  /** The input as JSON text; `group` is the records a batch execution stands for (the representative is one of them). */
  const inputFor = (representative: VerifiableRecord, group?: readonly VerifiableRecord[]): string => {
    const { record, result } = representative;
    const covers = group?.map(covered);
    const writeBacks = (group ?? [representative]).flatMap((a) => writeBackItem(a) ?? []);
    const base: VerificationInput = {
      tenantId: record.tenantId,
      database: record.database,
      collection: record.collection,
      recordId: record.recordId,
      ...(record.recordVersion === undefined ? {} : { recordVersion: record.recordVersion }),
      ...(result === undefined ? {} : { recordHash: result.recordHash }),
      ...(covers === undefined ? {} : { covers }),
      ...(writeBacks.length === 0 ? {} : { writeBacks }),
    };
    return JSON.stringify(base);
  };

  const plan = (accepted: readonly VerifiableRecord[]): PlannedStart[] => {
    switch (policy.kind) {
      case 'none':
        return [];
      case 'all':
        return accepted.map((a) => ({ name: executionName('record', a.record.idempotencyKey), input: inputFor(a) }));
      case 'sample':
        return accepted
          .filter((a) => isSampled(a.record.idempotencyKey, policy.fraction))
          .map((a) => ({ name: executionName('record', a.record.idempotencyKey), input: inputFor(a) }));
      case 'batch':
        return batchGroups(accepted, maxCoversBytes).map((group) => {
          // The last record of a request is the last to reach a snapshot: once it is anchored,
          // the snapshots holding the earlier records normally are too.
          const representative = group[group.length - 1] as VerifiableRecord;
          return {
            name: executionName('batch', group.map((a) => a.record.idempotencyKey).join('\n')),
            input: inputFor(representative, group),
          };
        });
    }
  };

  return {
    async start(accepted) {
      // Replayed records are started too: the first attempt may have crashed before starting,
      // and if it did not, the deterministic name makes this start a no-op.
      const starts = plan(accepted);
      let failed = 0;
      let firstCause: unknown;
      await forEachBounded(starts, concurrency, async ({ name, input }) => {
        try {
          await options.sfn.send(new StartExecutionCommand({ stateMachineArn: options.stateMachineArn, name, input }));
        } catch (error) {
          if (error instanceof ExecutionAlreadyExists) return;
          failed++;
          firstCause ??= error;
        }
      });
      if (failed > 0) throw new VerificationStartError(failed, starts.length, firstCause);
      const coveredCount = policy.kind === 'batch' ? accepted.length : starts.length;
      return { started: starts.length, skipped: accepted.length - coveredCount };
    },
  };
}

/**
 * The starter a handler builds once per cold start: `noVerification` when the function was
 * not granted a workflow (`VERIFY_STATE_MACHINE_ARN` unset) or the policy is `none`.
 */
export function verificationStarterFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  sfn?: Pick<SFNClient, 'send'>,
): VerificationStarter {
  const stateMachineArn = env.VERIFY_STATE_MACHINE_ARN?.trim();
  if (!stateMachineArn) return noVerification;
  const policy = parseVerificationPolicy(env.VERIFY_POLICY?.trim() || 'all');
  if (policy.kind === 'none') return noVerification;
  return createVerificationStarter({ stateMachineArn, policy, sfn: sfn ?? new SFNClient({}) });
}
