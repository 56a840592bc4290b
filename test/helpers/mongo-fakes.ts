/**
 * The MongoDB ingest's harness (shared fakes wired into `MongoBatchDeps`) and change events:
 * the documented fixtures, and generated inserts shaped like them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IngestManyOutcome } from '../../lambdas/shared/certyo-types';
import { DocumentDbEvent, MongoBatchDeps, MongoBatchSummary, MongoReporter } from '../../lambdas/mongo-ingest/process-batch';
import { documentDbChanges } from '../../local/harness/mongo-changes';
import { RecordingLog } from '../../local/harness/recording-log';
import { FakeCertyo } from './fake-certyo';
import { MemoryDeadLetters } from './memory-dead-letters';
import { RecordingVerification } from './recording-verification';

export const NOW = Date.parse('2026-04-13T10:40:00Z');

export class RecordingMongoReporter implements MongoReporter {
  readonly outcomes: IngestManyOutcome[] = [];
  readonly summaries: MongoBatchSummary[] = [];
  batchSent(outcome: IngestManyOutcome): void {
    this.outcomes.push(outcome);
  }
  finished(summary: MongoBatchSummary): void {
    this.summaries.push(summary);
  }
}

export interface MongoHarness extends MongoBatchDeps {
  readonly certyo: FakeCertyo;
  readonly deadLetters: MemoryDeadLetters;
  readonly verification: RecordingVerification;
  readonly reporter: RecordingMongoReporter;
  readonly log: RecordingLog;
  readonly slept: number[];
}

export function mongoHarness(): MongoHarness {
  const slept: number[] = [];
  return {
    certyo: new FakeCertyo(),
    deadLetters: new MemoryDeadLetters(),
    verification: new RecordingVerification(),
    reporter: new RecordingMongoReporter(),
    log: new RecordingLog(),
    options: { tenantId: 'acme' },
    deadline: NOW + 240_000,
    now: () => NOW,
    sleep: async (ms: number) => {
      slept.push(ms);
    },
    slept,
  };
}

export function mongoFixture(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'mongodb', name), 'utf8')) as Record<string, unknown>;
}

/** `count` insert events of distinct documents (the local run's and the benchmark's generator). */
export const insertEvents = documentDbChanges;

export function documentDbEvent(events: readonly unknown[]): DocumentDbEvent {
  return { eventSource: 'aws:docdb', eventSourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster:orders', events: events.map((event) => ({ event })) };
}
