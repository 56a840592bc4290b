/**
 * `npm run local`, run programmatically: every path of the pipeline offline (sandbox, local S3,
 * real handlers, real verification workflow), and the final table must add up.
 */
import { LocalRunReport, PATHS, runLocalPipeline, s3RecordsFor } from '../../local/harness/pipeline';

let report: LocalRunReport;

/**
 * Only a hang detector: the run synthesizes the stacks twice, which on a loaded two-core
 * machine takes minutes. Nothing below depends on how long it took.
 */
const HANG_BUDGET_MS = 15 * 60_000;

beforeAll(async () => {
  report = await runLocalPipeline({ s3Records: 1_200, settleBeforeVerification: true });
}, HANG_BUDGET_MS);

test('every record sent is accepted, replayed, skipped or dead-lettered: nothing vanishes', () => {
  for (const path of PATHS) {
    const row = report.rows[path];
    expect({ path, accounted: row.accepted + row.replayed + row.skipped + row.failed }).toEqual({ path, accounted: row.sent });
  }
});

test('each path did its part: the table shows what the fixtures and the dropped file contain', () => {
  // direct: 4 event fixtures, 2 break the contract (no recordVersion; an object recordId).
  expect(report.rows.direct).toMatchObject({ sent: 4, accepted: 2, failed: 2 });
  // batched: the same 4 fixtures (the 2 valid ones were already stored by direct mode) + 50 generated, every 25th invalid.
  expect(report.rows.batched).toMatchObject({ sent: 54, accepted: 48, replayed: 2, failed: 4 });
  // s3: 1,200 lines, line 1,000 broken, notification delivered twice: the second delivery replays.
  expect(report.rows.s3).toMatchObject({ sent: 2_400, accepted: 1_199, replayed: 1_199, failed: 2 });
  // dynamodb: 9 stream records; a certyo_*-only MODIFY pair is skipped, the KEYS_ONLY insert dead-lettered.
  expect(report.rows.dynamodb).toMatchObject({ sent: 9, accepted: 6, skipped: 2, failed: 1 });
  // mongodb: the DocumentDB batch (insert, write-back update, delete) + 20 generated + 1 malformed;
  // the two Atlas fixtures + a drop. The write-back update and the drop are skipped.
  expect(report.rows.mongodb).toMatchObject({ sent: 27, accepted: 24, skipped: 2, failed: 1 });
});

test('Certyo stored each accepted record exactly once', () => {
  expect(report.sandbox.recordsStored).toBe(report.total.accepted);
  expect(report.sandbox.duplicateIngests).toBe(0);
});

test('every accepted record is confirmed anchored by a notification, none failed', () => {
  for (const path of PATHS) {
    const row = report.rows[path];
    // Batch verification covers the records of each bulk request, replays included; direct mode verifies each event.
    expect({ path, anchored: row.anchored }).toEqual({ path, anchored: path === 's3' ? row.accepted : row.accepted + row.replayed });
  }
  expect(report.notifications.filter((n) => n.notification.message.status !== 'anchored')).toEqual([]);
  expect(report.falselyFailed).toBe(0);
  expect(report.total.lost).toBe(0);
});

test('with --verify-policy all the S3 file is sized to the budget: every record verified, none rate limited', async () => {
  const all = await runLocalPipeline({ verifyPolicy: 'all', settleBeforeVerification: true });

  expect(all.s3Records).toBe(s3RecordsFor({ kind: 'all' }));
  expect(all.total.requests).toBeLessThan(1_000);
  expect(all.total).toMatchObject({ unverified: 0, lost: 0 });
  expect(all.falselyFailed).toBe(0);
  expect(all.total.anchored).toBe(all.total.accepted + all.total.replayed - all.rows.s3.replayed);
}, HANG_BUDGET_MS);

test('dead letters carry a reason naming the problem', () => {
  const reasons = report.deadLetters.map((d) => `${d.path}: ${d.reason}`);
  expect(reasons).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^direct: matched the invalid-events rule/),
      expect.stringMatching(/^batched: detail\.recordVersion is required$/),
      expect.stringMatching(/^batched: detail\.recordId must be a string/),
      expect.stringMatching(/^s3: line 1000, record 999 of s3:\/\/certyo-local-ingest\/incoming\/orders 2026-04\.ndjson: not valid JSON/),
      expect.stringMatching(/^dynamodb: table audit, .*no NewImage/),
      expect.stringMatching(/^mongodb: change shop\.orders, resume token \(none\): _id\._data/),
    ]),
  );
});

test('the whole run stays inside one hour of Certyo budget', () => {
  expect(report.total.requests).toBeGreaterThan(0);
  expect(report.total.requests).toBeLessThan(100);
});
