/**
 * Fault injection on the S3 path: NDJSON files (with some broken lines) in a local S3 server,
 * notifications through the real s3-ingest batch processing and the real Certyo client, into
 * a sandbox that fails 10% of requests with 500, 5% with 429, hangs 2% past the client's
 * timeout and resets 1% of connections after applying them.
 */
import { s3ObjectSource } from '../../lambdas/s3-ingest/object-source';
import { startLocalS3 } from '../../local/harness/local-s3';
import { isBadLine, NdjsonSpec, ndjsonText, recordId, recordVersion } from '../../local/harness/ndjson';
import { objectCreatedNotification, runS3Path } from '../../local/harness/s3-path';
import { faultTolerantClient, faultySandbox, SOAK, tallyAndCheckFaultRun, versionOf } from './fault-harness';

const RECORDS = SOAK ? 20_000 : 2_000;
/** Small files, so the fault rates apply to many requests (one bulk request per file). */
const RECORDS_PER_FILE = 50;
const BAD_EVERY = 23;
/** Each id appears as three consecutive versions in its file: every version must be stored. */
const VERSIONS_PER_ID = 3;
const BUCKET = 'fault-s3';
const TENANT = 'fault-s3';

function fileSpecs(): NdjsonSpec[] {
  return Array.from({ length: RECORDS / RECORDS_PER_FILE }, (_, f) => ({ records: RECORDS_PER_FILE, idPrefix: `f${f}`, badEvery: BAD_EVERY, versionsPerId: VERSIONS_PER_ID }));
}

/** `{recordId}@{version}` of the good (or bad) lines. */
function expectedVersions(specs: readonly NdjsonSpec[], bad: boolean): string[] {
  return specs.flatMap((spec) =>
    Array.from({ length: spec.records }, (_, i) => i)
      .filter((i) => isBadLine(spec, i) === bad)
      .map((i) => versionOf({ recordId: recordId(spec, i), recordVersion: recordVersion(spec, i) })),
  );
}

test(
  `S3 path: ${RECORDS} records under 500/429/hang/reset faults are each stored once or dead-lettered with a reason`,
  async () => {
    // Arrange
    const started = Date.now();
    const sandbox = await faultySandbox(10);
    const s3 = await startLocalS3([BUCKET]);
    try {
      const specs = fileSpecs();
      const notifications: string[] = [];
      for (const [f, spec] of specs.entries()) {
        const key = `faults/file ${f}.ndjson`;
        const uploaded = await s3.put(BUCKET, key, ndjsonText(spec), 'application/x-ndjson');
        notifications.push(objectCreatedNotification({ bucket: BUCKET, key, ...uploaded }));
      }
      // Every kind of fault at least once, whatever the random draws.
      sandbox.injectFaults('hang', 'reset', 'error', 'throttle');

      // Act
      const run = await runS3Path(notifications, { certyo: faultTolerantClient(sandbox), objects: s3ObjectSource(s3.client), tenantId: TENANT, invocationMs: 60_000 });

      // Assert
      const stored = await tallyAndCheckFaultRun(sandbox, run, { path: 'S3 (s3-ingest)', tenantId: TENANT, recordsSent: RECORDS, started });
      const good = expectedVersions(specs, false);
      const bad = expectedVersions(specs, true);
      expect(stored.map(versionOf).sort()).toEqual([...good].sort());
      // Nothing silently dropped: every bad line is in the rejected-records queue, named, with its line and reason.
      expect(run.rejected.letters).toHaveLength(bad.length);
      for (const version of bad) {
        const [id, v] = version.split('@') as [string, string];
        const letter = run.rejected.letters.find((l) => l.body.includes(`"id":"${id}","version":"${v}"`));
        expect(letter?.reason).toMatch(/^line \d+, record \d+ of s3:\/\/fault-s3\/faults\/file \d+\.ndjson.*: not valid JSON/);
      }
      // No message failed for good: faults never push a file into the ingest queue's DLQ.
      expect(run.queue.deadLetters).toEqual([]);
    } finally {
      await s3.close();
      await sandbox.close();
    }
  },
  SOAK ? 900_000 : 60_000,
);
