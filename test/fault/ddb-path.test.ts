/**
 * Fault injection on the DynamoDB stream path: INSERT stream records (some from a KEYS_ONLY
 * view, which cannot be mapped) through the real ddb-ingest batch processing and the real
 * Certyo client, into a sandbox that fails 10% of requests with 500, 5% with 429, hangs 2% past
 * the client's timeout and resets 1% of connections after applying them.
 */
import { recordIdOf } from '../../lambdas/shared/dynamodb-mapping';
import { isBadStreamRecord, StreamSpec, streamRecordId, streamRecords } from '../../local/harness/ddb-stream';
import { runDdbPath } from '../../local/harness/ddb-path';
import { faultTolerantClient, faultySandbox, SOAK, tallyAndCheckFaultRun } from './fault-harness';

const RECORDS = SOAK ? 20_000 : 2_000;
/** Small batches, so the fault rates apply to many requests (one bulk request per batch). */
const BATCH_SIZE = 50;
const TENANT = 'fault-ddb';
const spec: StreamSpec = { records: RECORDS, table: 'orders', keyPrefix: 'FAULT', badEvery: 53 };

const indexes = (bad: boolean): number[] => Array.from({ length: RECORDS }, (_, i) => i).filter((i) => isBadStreamRecord(spec, i) === bad);

test(
  `DynamoDB path: ${RECORDS} stream records under 500/429/hang/reset faults are each stored once or dead-lettered with a reason`,
  async () => {
    // Arrange
    const started = Date.now();
    const sandbox = await faultySandbox(20);
    try {
      const records = streamRecords(spec);
      sandbox.injectFaults('hang', 'reset', 'error', 'throttle');

      // Act
      const run = await runDdbPath(records, { certyo: faultTolerantClient(sandbox), tenantId: TENANT, batchSize: BATCH_SIZE });

      // Assert
      const stored = await tallyAndCheckFaultRun(sandbox, run, { path: 'DynamoDB stream (ddb-ingest)', tenantId: TENANT, recordsSent: RECORDS, started });
      // Certyo record ids as ddb-ingest derives them from the key attributes.
      const good = indexes(false).map((i) => recordIdOf(records[i]?.dynamodb?.Keys));
      const bad = indexes(true).map((i) => streamRecordId(spec, i));
      expect(stored.map((r) => r.recordId).sort()).toEqual(good.sort());
      // recordVersion is the stream sequence number: a retried batch replays the same versions.
      expect(new Set(stored.map((r) => r.recordVersion)).size).toBe(stored.length);
      expect(run.rejected.letters).toHaveLength(bad.length);
      for (const id of bad) {
        const letter = run.rejected.letters.find((l) => l.body.includes(`"${id}"`));
        expect(letter?.reason).toMatch(/^table orders, sequence number \d{28}, INSERT: no NewImage/);
      }
      expect(run.onFailure).toEqual([]);
    } finally {
      await sandbox.close();
    }
  },
  SOAK ? 900_000 : 60_000,
);
