/**
 * One DynamoDB stream record → what to do with it: ingest it (with the Certyo record it
 * becomes), skip it (and why), or reject it (and why). Pure; the rules of seed 002 carried over
 * from MongoDB change streams to DynamoDB Streams:
 *
 * - `INSERT` → `insert`, `MODIFY` → `update`, `REMOVE` → `delete`; the payload is the new image,
 *   for a delete the old image (or the keys when the stream carries no images).
 * - `certyo_*` attributes are not part of the payload, and a `MODIFY` that changes nothing else
 *   is skipped: that is the write-back (ours or the verify workflow's) coming back through the
 *   stream, and ingesting it would loop forever.
 * - Deletions by TTL (`userIdentity` = the DynamoDB service) are ingested or skipped by policy.
 * - `recordVersion` = the sequence number, so the shared record identity's key
 *   (`../shared/record-identity.ts`) makes a batch the stream redelivers replay instead of
 *   creating a second version. (Seed 002 cut the change token to 16 characters and fell back to
 *   `Date.now()`; neither is stable.)
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { CertyoRecord, OperationType } from '../shared/certyo-types';
import { AttributeMap, AttributeMappingError, payloadJson, recordIdOf } from '../shared/dynamodb-mapping';
import { RawJson } from '../shared/json';
import { withIdempotencyKey } from '../shared/record-identity';
import { TtlDeletePolicy } from './settings';

export interface ChangeOptions {
  readonly tenantId: string;
  readonly database: string;
  readonly ttlDeletes: TtlDeletePolicy;
  readonly writeBack: boolean;
}

/** The item a write-back updates. */
export interface WriteBackTarget {
  readonly table: string;
  readonly keys: AttributeMap;
}

interface Located {
  /** Index of the record in the invocation's batch. */
  readonly position: number;
  readonly source: DynamoDBRecord;
}

export interface IngestChange extends Located {
  readonly kind: 'ingest';
  readonly sequenceNumber: string;
  readonly table: string;
  readonly record: CertyoRecord;
  /** A deletion made by DynamoDB TTL. */
  readonly ttl: boolean;
  /** Absent for deletes: there is no item to write to. */
  readonly writeBack?: WriteBackTarget;
}

export type SkipReason = 'certyo-only' | 'ttl';

export interface SkipChange extends Located {
  readonly kind: 'skip';
  readonly reason: SkipReason;
  readonly sequenceNumber: string;
  readonly table: string;
  readonly recordId: string;
}

export interface RejectChange extends Located {
  readonly kind: 'reject';
  /** Names the table, the sequence number and what is wrong. */
  readonly reason: string;
  readonly sequenceNumber?: string;
}

export type Change = IngestChange | SkipChange | RejectChange;

const OPERATIONS: Readonly<Record<string, OperationType>> = { INSERT: 'insert', MODIFY: 'update', REMOVE: 'delete' };
const STREAM_ARN = /^arn:aws[a-z-]*:dynamodb:[^:]*:\d*:table\/([^/]+)\/stream\/.+$/;

export function tableOf(eventSourceArn: string | undefined): string | undefined {
  return eventSourceArn === undefined ? undefined : STREAM_ARN.exec(eventSourceArn)?.[1];
}

/** DynamoDB TTL deletes as the service itself (DynamoDB developer guide, "TTL and streams"). */
export function isTtlDeletion(record: DynamoDBRecord): boolean {
  const identity = record.userIdentity as { type?: unknown; principalId?: unknown } | undefined;
  return record.eventName === 'REMOVE' && identity?.type === 'Service' && identity.principalId === 'dynamodb.amazonaws.com';
}

/** `ApproximateCreationDateTime` is epoch seconds (possibly fractional). */
function sourceTimestamp(seconds: unknown): string | undefined {
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? new Date(Math.round(seconds * 1000)).toISOString() : undefined;
}

export function toChange(source: DynamoDBRecord, position: number, options: ChangeOptions): Change {
  const stream = source.dynamodb;
  const sequenceNumber = stream?.SequenceNumber;
  const table = tableOf(source.eventSourceARN);
  const reject = (problem: string): RejectChange => ({
    kind: 'reject',
    position,
    source,
    sequenceNumber,
    reason: `table ${table ?? '(unknown)'}, sequence number ${sequenceNumber ?? '(none)'}, ${source.eventName ?? 'no eventName'}: ${problem}`,
  });
  if (!stream || typeof sequenceNumber !== 'string' || sequenceNumber === '') return reject('dynamodb.SequenceNumber is missing');
  if (!table) return reject(`eventSourceARN ${JSON.stringify(source.eventSourceARN)} is not a DynamoDB stream ARN`);
  const operationType = OPERATIONS[source.eventName ?? ''];
  if (!operationType) return reject('eventName is not INSERT, MODIFY or REMOVE');

  try {
    const recordId = recordIdOf(stream.Keys);
    const skip = (reason: SkipReason): SkipChange => ({ kind: 'skip', position, source, reason, sequenceNumber, table, recordId });
    const ttl = isTtlDeletion(source);
    if (ttl && options.ttlDeletes === 'skip') return skip('ttl');

    let payload: string;
    let writeBack: WriteBackTarget | undefined;
    if (operationType === 'delete') {
      payload = stream.OldImage ? payloadJson(stream.OldImage, 'OldImage') : payloadJson(stream.Keys, 'Keys');
    } else {
      if (!stream.NewImage) return reject("no NewImage: the table's stream view type must be NEW_AND_OLD_IMAGES");
      payload = payloadJson(stream.NewImage, 'NewImage');
      if (operationType === 'update') {
        if (stream.OldImage) {
          if (payloadJson(stream.OldImage, 'OldImage') === payload) return skip('certyo-only');
        } else if (options.writeBack) {
          return reject('no OldImage, so a change made only by the write-back cannot be recognised (it would loop): the stream view type must be NEW_AND_OLD_IMAGES when certyo:dynamodb.writeBack is on');
        }
      }
      writeBack = { table, keys: stream.Keys as AttributeMap };
    }
    const record: CertyoRecord = withIdempotencyKey({
      tenantId: options.tenantId,
      database: options.database,
      collection: table,
      recordId,
      recordVersion: sequenceNumber,
      recordPayload: new RawJson(payload),
      sourceTimestamp: sourceTimestamp(stream.ApproximateCreationDateTime),
      operationType,
    });
    return { kind: 'ingest', position, source, sequenceNumber, table, record, ttl, writeBack };
  } catch (error) {
    if (error instanceof AttributeMappingError) return reject(error.message);
    throw error;
  }
}
