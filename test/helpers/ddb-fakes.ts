/**
 * In-memory stand-ins for the DynamoDB ingest's own dependencies (write-back, reporter), a
 * harness that wires them with the shared fakes, and stream records: the fixtures and
 * generated INSERTs shaped like them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { IngestManyOutcome, IngestResult } from '../../lambdas/shared/certyo-types';
import { BatchSummary, StreamBatchDeps, StreamReporter } from '../../lambdas/ddb-ingest/process-stream';
import { WriteBackTarget } from '../../lambdas/ddb-ingest/stream-change';
import { WriteBack, WriteBackResult } from '../../lambdas/ddb-ingest/write-back';
import { FakeCertyo } from './fake-certyo';
import { MemoryDeadLetters } from './memory-dead-letters';
import { RecordingLog } from '../../local/harness/recording-log';
import { RecordingVerification } from './recording-verification';

/** Records write-backs; answers `results` by record id (default `written`), or throws `failures`. */
export class RecordingWriteBack implements WriteBack {
  readonly writes: { target: WriteBackTarget; result: IngestResult }[] = [];
  readonly results = new Map<string, WriteBackResult>();
  readonly failures = new Map<string, Error>();
  async write(target: WriteBackTarget, result: IngestResult): Promise<WriteBackResult> {
    this.writes.push({ target, result });
    const failure = this.failures.get(result.recordId);
    if (failure) throw failure;
    return this.results.get(result.recordId) ?? 'written';
  }
}

export class RecordingReporter implements StreamReporter {
  readonly outcomes: IngestManyOutcome[] = [];
  readonly summaries: BatchSummary[] = [];
  batchSent(outcome: IngestManyOutcome): void {
    this.outcomes.push(outcome);
  }
  finished(summary: BatchSummary): void {
    this.summaries.push(summary);
  }
}

export const NOW = Date.parse('2026-04-13T10:40:00Z');

export interface Harness extends StreamBatchDeps {
  readonly certyo: FakeCertyo;
  readonly deadLetters: MemoryDeadLetters;
  readonly verification: RecordingVerification;
  readonly writeBack: RecordingWriteBack;
  readonly reporter: RecordingReporter;
  readonly log: RecordingLog;
  readonly slept: number[];
}

export function harness(overrides: Partial<StreamBatchDeps> = {}): Harness {
  const slept: number[] = [];
  return {
    certyo: new FakeCertyo(),
    deadLetters: new MemoryDeadLetters(),
    verification: new RecordingVerification(),
    writeBack: new RecordingWriteBack(),
    reporter: new RecordingReporter(),
    log: new RecordingLog(),
    options: { tenantId: 'acme', database: 'dynamodb', ttlDeletes: 'ingest', writeBack: false },
    deadline: NOW + 240_000,
    now: () => NOW,
    sleep: async (ms: number) => {
      slept.push(ms);
    },
    slept,
    ...overrides,
  } as Harness;
}

export function fixture(name: string): DynamoDBStreamEvent {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'dynamodb', name), 'utf8')) as DynamoDBStreamEvent;
}

export function fixtureRecord(name: string, index = 0): DynamoDBRecord {
  const record = fixture(name).Records[index];
  if (!record) throw new Error(`fixture ${name} has no record ${index}`);
  return record;
}

export const ORDERS_STREAM = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-04-01T08:00:00.000';

/** `count` INSERTs of distinct items with increasing sequence numbers, shaped like insert.json. */
export function inserts(count: number, firstSequence = 1_000_000): DynamoDBRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `order-${i}`;
    return {
      eventID: `evt-${i}`,
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-west-1',
      dynamodb: {
        ApproximateCreationDateTime: 1776076200,
        Keys: { id: { S: id } },
        NewImage: { id: { S: id }, amount: { N: String(i) } },
        SequenceNumber: `44215845000000${firstSequence + i}`,
        SizeBytes: 40,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: ORDERS_STREAM,
    } as DynamoDBRecord;
  });
}
