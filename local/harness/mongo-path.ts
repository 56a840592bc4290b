/**
 * The MongoDB step of the local run: the DocumentDB change-event fixtures (plus generated
 * changes and one malformed event) through `mongo-ingest`'s batch processing, and the Atlas
 * Trigger fixtures as buffered EventBridge events through the forwarder, as the partner-bus
 * rule delivers them. Returns the dead letters each wrote.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { forwardBatch } from '../../lambdas/forwarder/forward-batch';
import { processDocumentDbBatch, MongoBatchSummary } from '../../lambdas/mongo-ingest/process-batch';
import { CertyoApi, IngestManyOutcome } from '../../lambdas/shared/certyo-types';
import { DeadLetter } from '../../lambdas/shared/dead-letter';
import { VerificationStarter } from '../../lambdas/shared/verification-starter';
import { PROJECT_ROOT } from '../../lib/bundling';
import { documentDbChanges } from './mongo-changes';
import { RecordingLog } from './recording-log';

const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'mongodb');
/**
 * Canonical first: with batch verification the last record of the bulk request is verified with
 * its payload, and the canonical fixture's Int64 beyond 2^53 does not survive the local
 * workflow's JSON (a known, documented limit: docs/status-and-limits.md, Step Functions).
 */
const ATLAS_FIXTURES = ['atlas-replace-canonical.json', 'atlas-update-relaxed.json'];

const read = (name: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;

export interface MongoPathOptions {
  readonly certyo: CertyoApi;
  readonly tenantId: string;
  /** DocumentDB and Atlas each start their own verifications, as their Lambdas do. */
  readonly verification: { readonly documentDb: VerificationStarter; readonly atlas: VerificationStarter };
  readonly batchSent: (outcome: IngestManyOutcome) => void;
}

export interface MongoPathRun {
  readonly sent: number;
  readonly skipped: number;
  readonly letters: readonly DeadLetter[];
}

export async function runMongoPath(options: MongoPathOptions): Promise<MongoPathRun> {
  const letters: DeadLetter[] = [];
  const deadLetters = { send: async (sent: readonly DeadLetter[]) => void letters.push(...sent) };
  const log = new RecordingLog();
  const deadline = Date.now() + 60_000;

  const documentDb = read('documentdb-batch.json') as { events: { event: unknown }[] };
  const events = [...documentDb.events.map((e) => e.event), ...documentDbChanges(20), { operationType: 'insert', ns: { db: 'shop', coll: 'orders' } }];
  let summary: MongoBatchSummary | undefined;
  await processDocumentDbBatch(
    { eventSource: 'aws:docdb', eventSourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster:local', events: events.map((event) => ({ event })) },
    {
      certyo: options.certyo,
      deadLetters,
      verification: options.verification.documentDb,
      reporter: { batchSent: options.batchSent, finished: (s) => (summary = s) },
      options: { tenantId: options.tenantId },
      log,
      deadline,
      now: Date.now,
      sleep: async () => undefined,
    },
  );

  const envelope = read(ATLAS_FIXTURES[1] as string);
  const atlasEvents = [...ATLAS_FIXTURES.map(read), { ...envelope, detail: read('change-drop.json') }];
  let skipped = (summary?.skipped['certyo-only'] ?? 0) + (summary?.skipped['other-operation'] ?? 0);
  await forwardBatch(
    atlasEvents.map((event, i) => ({ messageId: `atlas-${i}`, receiptHandle: `atlas-${i}`, body: JSON.stringify(event) })),
    {
      certyo: options.certyo,
      deadLetters,
      visibility: { postpone: async () => undefined },
      verification: options.verification.atlas,
      tenantId: options.tenantId,
      deadline,
      now: Date.now,
      log,
      reporter: { ingested: options.batchSent, invalid: () => undefined },
    },
  );
  skipped += log.lines.filter((l) => l.message === 'event skipped').length;
  return { sent: events.length + atlasEvents.length, skipped, letters };
}
