/**
 * The whole pipeline on one machine (`npm run local`, and `test/e2e/local-run.test.ts`): the
 * Certyo sandbox with short accumulation and anchoring times and a local S3 server, then the
 * real handler code and the real state machine definition for every path:
 * - direct mode: sample events through the synthesized rules and input transformers → POST /records;
 * - batched mode: sample events through the synthesized buffer rule → the forwarder → bulk;
 * - S3: an NDJSON file dropped in local S3 → s3-ingest (its notification delivered twice, as S3
 *   may: the second delivery replays);
 * - DynamoDB: the stream fixtures → ddb-ingest;
 * - MongoDB: DocumentDB change-event fixtures → mongo-ingest, Atlas Trigger fixtures → forwarder;
 * - verification: the executions the paths start run the real ASL in aws-local-stepfunctions,
 *   and every SNS notification is reported as it is published.
 * No AWS and no network beyond 127.0.0.1.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DynamoDBRecord } from 'aws-lambda';
import { staticApiKey } from '../../lambdas/shared/api-key';
import { createCertyoClient } from '../../lambdas/shared/certyo-client';
import { IngestManyOutcome } from '../../lambdas/shared/certyo-types';
import { createVerificationStarter, parseVerificationPolicy, VerificationPolicy, VerificationStarter } from '../../lambdas/shared/verification-starter';
import { startVerifications } from '../../lambdas/verify-starter/start-verifications';
import { s3ObjectSource } from '../../lambdas/s3-ingest/object-source';
import { PROJECT_ROOT } from '../../lib/bundling';
import type { Notification } from './local-workflow';
import { Sandbox, SandboxStats, startSandbox } from '../sandbox';
import { runDdbPath } from './ddb-path';
import { runMongoPath } from './mongo-path';
import { runDirectPath } from './direct-path';
import { eventRoutes } from './event-routes';
import { runForwarderPath } from './forwarder-path';
import { startLocalS3 } from './local-s3';
import { LocalStepFunctions } from './local-sfn';
import { NdjsonSpec, ndjsonText } from './ndjson';
import { recordEvents } from './record-events';
import { objectCreatedNotification, runS3Path } from './s3-path';
import { synthesizeTemplates } from './synthesized';

export const PATHS = ['direct', 'batched', 's3', 'dynamodb', 'mongodb'] as const;
export type PathName = (typeof PATHS)[number];

export interface PathRow {
  /** Records (events, lines, stream records) given to the path. */
  sent: number;
  /** Stored by Certyo for the first time. */
  accepted: number;
  /** Answered from Certyo's idempotency store (a redelivery). */
  replayed: number;
  /** Skipped on purpose (e.g. a DynamoDB MODIFY of `certyo_*` attributes only). */
  skipped: number;
  /** Confirmed anchored by an SNS notification. */
  anchored: number;
  /** Dead-lettered with a reason, or notified `failed`. */
  failed: number;
  /** Notified `unverified`: Certyo gave no answer within the horizon (e.g. the budget was spent). */
  unverified: number;
  /** Sent, but neither accepted, replayed, skipped nor dead-lettered: must stay 0. */
  lost: number;
  /** Certyo requests: ingest plus verification. */
  requests: number;
}

export interface LocalRunReport {
  readonly rows: Readonly<Record<PathName, PathRow>>;
  readonly total: PathRow;
  readonly notifications: readonly { readonly path: PathName; readonly notification: Notification }[];
  /** Every dead letter, by path, with its reason. */
  readonly deadLetters: readonly { readonly path: PathName; readonly reason: string }[];
  /** `failed` notifications: every record here is intact, so each one is a false tamper report. */
  readonly falselyFailed: number;
  /** Records in the S3 file (sized to the verification policy unless given). */
  readonly s3Records: number;
  readonly sandbox: SandboxStats;
  readonly ms: number;
}

export interface LocalRunOptions {
  /**
   * Records in the NDJSON file dropped in local S3.
   * @default 2_500, or fewer when the policy verifies more than one record in 1,000: sized so the run stays within one hour of Certyo budget
   */
  readonly s3Records?: number;
  /** Generated events in batched mode (besides the fixtures). @default 50 */
  readonly batchedEvents?: number;
  /** Verification policy of the ingest Lambdas (`certyo:verify.policy`). @default 'batch' */
  readonly verifyPolicy?: string;
  /** Called with progress lines and each notification as it is published. */
  readonly print?: (line: string) => void;
  /**
   * Flush and anchor every snapshot before the workflows run, instead of letting the sandbox's
   * timers (flush after 1 s, anchor 2 s later) race the workflows' polls: the outcome then
   * does not depend on how busy the machine is. @default false (`npm run local` shows the polls)
   */
  readonly settleBeforeVerification?: boolean;
}

const TENANT = 'local-tenant';
const BUCKET = 'certyo-local-ingest';
const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures');
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:VerifyRecord';
/** Fixtures of the forwarding contract: valid ones and ones that break it (dead-lettered with a reason). */
const EVENT_FIXTURES = ['record-event-full.json', 'record-event-minimal.json', 'record-event-missing-version.json', 'record-event-object-id.json'];
const STREAM_FIXTURES = ['insert.json', 'modify.json', 'remove.json', 'ttl-remove.json', 'precision.json', 'binary-and-sets.json', 'certyo-only-modify.json', 'keys-only-insert.json'];

/** Verify executions the S3 file may start: within the run's budget (1,000 requests/hour) with the ingest and the other paths. */
const S3_VERIFY_BUDGET = 400;
const DEFAULT_S3_RECORDS = 2_500;
/** Real time the sandbox below takes to snapshot and anchor (flushMs + anchorDelayMs): the workflow's anchoring wait. */
const ANCHORING_MS = 3_000;

/** The S3 file's size for a policy: as many records as its verifications can afford. */
export function s3RecordsFor(policy: VerificationPolicy): number {
  const perRecord = policy.kind === 'all' ? 1 : policy.kind === 'sample' ? policy.fraction : 0;
  return perRecord === 0 ? DEFAULT_S3_RECORDS : Math.min(DEFAULT_S3_RECORDS, Math.floor(S3_VERIFY_BUDGET / perRecord));
}

const emptyRow = (): PathRow => ({ sent: 0, accepted: 0, replayed: 0, skipped: 0, anchored: 0, failed: 0, unverified: 0, lost: 0, requests: 0 });

function eventFixtureTexts(): string[] {
  return EVENT_FIXTURES.map((f) => fs.readFileSync(path.join(FIXTURES, 'eventbridge', f), 'utf8'));
}

function streamFixtureRecords(): DynamoDBRecord[] {
  return STREAM_FIXTURES.flatMap((f) => (JSON.parse(fs.readFileSync(path.join(FIXTURES, 'dynamodb', f), 'utf8')) as { Records: DynamoDBRecord[] }).Records);
}

const apiRequests = (stats: SandboxStats): number =>
  Object.entries(stats.requests)
    .filter(([endpoint]) => endpoint.includes(' /api/v1/'))
    .reduce((sum, [, byStatus]) => sum + Object.values(byStatus).reduce((a, b) => a + b, 0), 0);

/** Counts what an ingest path's reporter sees, as the handler's metrics would. */
function counting(row: PathRow): (outcome: IngestManyOutcome) => void {
  return (outcome) => {
    const replayed = outcome.accepted.filter((a) => a.replayed).length;
    row.accepted += outcome.accepted.length - replayed;
    row.replayed += replayed;
  };
}

function describeNotification(pathName: PathName, n: Notification): string {
  const m = n.message;
  const covers = Array.isArray(m.covers) ? ` (+${m.covers.length - 1} more records of its bulk request)` : '';
  const detail = m.status === 'anchored' ? `snapshot ${String(m.snapshotId)}, merkle root ${String(m.merkleRoot).slice(0, 16)}…, tx ${String(m.transactionHash).slice(0, 18)}…` : `reason ${String(m.reason)}`;
  return `  [${pathName}] ${String(m.status).padEnd(8)} ${String(m.database)}/${String(m.collection)}/${String(m.recordId)}${covers}: ${detail}`;
}

/** Records a notification confirms: the records a batch execution covers, else one. */
function confirmed(n: Notification): number {
  return Array.isArray(n.message.covers) ? n.message.covers.length : 1;
}

export async function runLocalPipeline(options: LocalRunOptions = {}): Promise<LocalRunReport> {
  const started = Date.now();
  const print = options.print ?? (() => undefined);
  const rows: Record<PathName, PathRow> = { direct: emptyRow(), batched: emptyRow(), s3: emptyRow(), dynamodb: emptyRow(), mongodb: emptyRow() };
  const deadLetters: { path: PathName; reason: string }[] = [];
  const notifications: { path: PathName; notification: Notification }[] = [];
  // Short accumulation and anchoring; the real hourly budget of 1,000 requests.
  const sandbox: Sandbox = await startSandbox({ flushMs: 1_000, anchorDelayMs: 2_000 });
  const s3 = await startLocalS3([BUCKET]);
  try {
    const certyo = createCertyoClient({ apiUrl: sandbox.url, apiKey: staticApiKey(sandbox.apiKey) });
    const policy = parseVerificationPolicy(options.verifyPolicy ?? 'batch');
    const workflows: Record<PathName, LocalStepFunctions> = { direct: new LocalStepFunctions(), batched: new LocalStepFunctions(), s3: new LocalStepFunctions(), dynamodb: new LocalStepFunctions(), mongodb: new LocalStepFunctions() };
    const starter = (p: PathName): VerificationStarter => createVerificationStarter({ stateMachineArn: STATE_MACHINE_ARN, policy, sfn: workflows[p].client });
    const ingestRequests = (p: PathName, before: SandboxStats): void => {
      rows[p].requests += apiRequests(sandbox.stats()) - apiRequests(before);
    };
    const context = { 'certyo:apiUrl': sandbox.url, 'certyo:tenantId': TENANT };

    print('direct mode: sample events → synthesized rules and input transformers → API Destination POST /api/v1/records');
    let before = sandbox.stats();
    const directEvents = eventFixtureTexts().map((text) => JSON.parse(text) as unknown);
    const verificationQueue: string[] = [];
    const direct = await runDirectPath(directEvents, {
      routes: eventRoutes(synthesizeTemplates({ ...context, 'certyo:forwardingMode': 'direct' })),
      apiKey: sandbox.apiKey,
      queueVerification: (event) => verificationQueue.push(JSON.stringify(event)),
    });
    // The verification queue's batch → the verify-starter's code with the run's policy.
    await startVerifications(verificationQueue, { verification: starter('direct'), tenantId: TENANT, log: { warn: (message) => print(`  [direct] ${message}`) } });
    Object.assign(rows.direct, { sent: directEvents.length, accepted: direct.accepted, replayed: direct.replayed });
    for (const d of [...direct.invalid, ...direct.deadLettered]) deadLetters.push({ path: 'direct', reason: d.reason });
    ingestRequests('direct', before);

    print('batched mode: sample events → synthesized buffer rule → SQS buffer → forwarder → POST /api/v1/records/bulk');
    before = sandbox.stats();
    const batchedEvents = [...eventFixtureTexts(), ...recordEvents({ events: options.batchedEvents ?? 50, idPrefix: 'local-evt', badEvery: 25 })];
    const batched = await runForwarderPath(batchedEvents, {
      routes: eventRoutes(synthesizeTemplates({ ...context, 'certyo:forwardingMode': 'batched' })),
      certyo,
      tenantId: TENANT,
      verification: starter('batched'),
      reporter: { ingested: counting(rows.batched), invalid: () => undefined },
    });
    rows.batched.sent = batchedEvents.length;
    for (const l of batched.rejected.letters) deadLetters.push({ path: 'batched', reason: l.reason });
    ingestRequests('batched', before);

    print('S3: NDJSON file dropped in local S3 → ObjectCreated notification (delivered twice) → s3-ingest');
    before = sandbox.stats();
    const s3Records = options.s3Records ?? s3RecordsFor(policy);
    if (s3Records < DEFAULT_S3_RECORDS && options.s3Records === undefined) {
      print(`  (${s3Records} records, not ${DEFAULT_S3_RECORDS}: with verify policy ${options.verifyPolicy ?? 'batch'} their verifications must fit one hour of Certyo budget)`);
    }
    const spec: NdjsonSpec = { records: s3Records, idPrefix: 'order', badEvery: 1_000 };
    const key = 'incoming/orders 2026-04.ndjson';
    const uploaded = await s3.put(BUCKET, key, ndjsonText(spec), 'application/x-ndjson');
    const notification = objectCreatedNotification({ bucket: BUCKET, key, ...uploaded });
    const s3Run = await runS3Path([notification, notification], {
      certyo,
      objects: s3ObjectSource(s3.client),
      tenantId: TENANT,
      verification: starter('s3'),
      reporter: { batchSent: counting(rows.s3), recordsRejected: () => undefined },
      batchSize: 1,
    });
    // Sent once per delivery: the second delivery is the replay S3's at-least-once delivery causes.
    rows.s3.sent = spec.records * 2;
    for (const l of s3Run.rejected.letters) deadLetters.push({ path: 's3', reason: l.reason });
    ingestRequests('s3', before);

    print('DynamoDB: stream fixtures → ddb-ingest');
    before = sandbox.stats();
    const streamRecords = streamFixtureRecords();
    const ddb = await runDdbPath(streamRecords, {
      certyo,
      tenantId: TENANT,
      verification: starter('dynamodb'),
      reporter: {
        batchSent: counting(rows.dynamodb),
        finished: (summary) => {
          rows.dynamodb.skipped += Object.values(summary.skipped).reduce((a, b) => a + b, 0);
        },
      },
    });
    rows.dynamodb.sent = streamRecords.length;
    for (const l of ddb.rejected.letters) deadLetters.push({ path: 'dynamodb', reason: l.reason });
    ingestRequests('dynamodb', before);

    print('MongoDB: DocumentDB change-event fixtures → mongo-ingest; Atlas Trigger fixtures → forwarder');
    before = sandbox.stats();
    const mongo = await runMongoPath({ certyo, tenantId: TENANT, verification: { documentDb: starter('mongodb'), atlas: starter('mongodb') }, batchSent: counting(rows.mongodb) });
    Object.assign(rows.mongodb, { sent: mongo.sent, skipped: mongo.skipped });
    for (const l of mongo.letters) deadLetters.push({ path: 'mongodb', reason: l.reason });
    ingestRequests('mongodb', before);

    if (options.settleBeforeVerification) {
      sandbox.flush();
      sandbox.settle();
    } else {
      // What the workflow's anchoring wait (90 s) stands for: verify once the sandbox has anchored.
      await new Promise((resolve) => setTimeout(resolve, ANCHORING_MS));
    }
    print('verification: the real ASL in aws-local-stepfunctions; notifications as they are published:');
    await Promise.all(
      PATHS.map(async (p) => {
        const runs = await workflows[p].runPending({
          apiUrl: sandbox.url,
          apiKey: sandbox.apiKey,
          tenantId: TENANT,
          onNotification: (n) => {
            notifications.push({ path: p, notification: n });
            print(describeNotification(p, n));
          },
        });
        rows[p].requests += runs.reduce((sum, r) => sum + r.run.calls.length, 0);
      }),
    );

    let falselyFailed = 0;
    for (const { path: p, notification: n } of notifications) {
      if (n.message.status === 'anchored') rows[p].anchored += confirmed(n);
      else if (n.message.status === 'unverified') rows[p].unverified += confirmed(n);
      else {
        rows[p].failed += confirmed(n);
        falselyFailed += confirmed(n);
      }
    }
    for (const { path: p } of deadLetters) rows[p].failed++;
    for (const p of PATHS) {
      const row = rows[p];
      row.lost = row.sent - row.accepted - row.replayed - row.skipped - deadLetters.filter((d) => d.path === p).length;
    }
    const total = emptyRow();
    for (const row of Object.values(rows)) for (const k of Object.keys(total) as (keyof PathRow)[]) total[k] += row[k];
    return { rows, total, notifications, deadLetters, falselyFailed, s3Records, sandbox: sandbox.stats(), ms: Date.now() - started };
  } finally {
    await s3.close();
    await sandbox.close();
  }
}

/** The final table, as `npm run local` prints it. */
export function formatReport(report: LocalRunReport): string {
  const columns: (keyof PathRow)[] = ['sent', 'accepted', 'replayed', 'skipped', 'anchored', 'failed', 'unverified', 'lost', 'requests'];
  const header = ['path', 'records sent', 'accepted', 'replayed', 'skipped', 'anchored', 'failed', 'unverified', 'lost', 'Certyo requests'];
  const lines = [...PATHS.map((p) => [p, ...columns.map((c) => String(report.rows[p][c]))]), ['total', ...columns.map((c) => String(report.total[c]))]];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const row = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [row(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.slice(0, -1).map(row), widths.map((w) => '-'.repeat(w)).join('  '), row(lines[lines.length - 1] ?? [])].join('\n');
}
