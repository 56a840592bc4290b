/**
 * Synthetic DynamoDB stream records in the shape the AWS documentation shows (and
 * `test/fixtures/dynamodb/insert.json` holds): INSERTs of an `orders` table with a composite
 * key, increasing 28-digit sequence numbers, and, every `badEvery`-th record, an INSERT without
 * `NewImage` (what a KEYS_ONLY stream sends), which ddb-ingest must dead-letter with its reason.
 */
import type { DynamoDBRecord } from 'aws-lambda';

export interface StreamSpec {
  readonly records: number;
  /** @default 'orders' */
  readonly table?: string;
  /** Prefix of the partition key, so runs do not collide. @default 'CUSTOMER' */
  readonly keyPrefix?: string;
  /** @default - none */
  readonly badEvery?: number;
}

const SEQUENCE_BASE = 4421584500000000017450439091n;

export function streamRecordId(spec: StreamSpec, index: number): string {
  return `${spec.keyPrefix ?? 'CUSTOMER'}#${index}`;
}

export function isBadStreamRecord(spec: StreamSpec, index: number): boolean {
  return spec.badEvery !== undefined && (index + 1) % spec.badEvery === 0;
}

export function streamRecords(spec: StreamSpec): DynamoDBRecord[] {
  const table = spec.table ?? 'orders';
  return Array.from({ length: spec.records }, (_, i) => {
    const pk = { S: streamRecordId(spec, i) };
    const sk = { S: `ORDER#${String(i).padStart(8, '0')}` };
    const image = {
      pk,
      sk,
      total: { N: `${(i % 100_000) + 0.5}` },
      status: { S: 'placed' },
      placedAt: { S: '2026-04-13T10:30:00Z' },
    };
    return {
      eventID: `${i.toString(16).padStart(32, '0')}`,
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        ApproximateCreationDateTime: 1776076200 + Math.floor(i / 100),
        Keys: { pk, sk },
        ...(isBadStreamRecord(spec, i) ? {} : { NewImage: image }),
        SequenceNumber: String(SEQUENCE_BASE + BigInt(i) * 100n),
        SizeBytes: 120,
        StreamViewType: isBadStreamRecord(spec, i) ? 'KEYS_ONLY' : 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: `arn:aws:dynamodb:us-east-1:123456789012:table/${table}/stream/2026-04-01T08:00:00.000`,
    } as DynamoDBRecord;
  });
}
