import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { gzipSync } from 'node:zlib';
import { continuationBody } from '../../lambdas/s3-ingest/continuation';
import { BatchDeps, processQueueBatch } from '../../lambdas/s3-ingest/process-batch';
import { RecordingLog } from '../../local/harness/recording-log';
import { harness, Harness, LIMITS, MemoryContinuations, ndjson, TASK } from '../helpers/s3-ingest-fakes';

const event = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 's3', 'sqs-s3-notifications.json'), 'utf8')) as SQSEvent;
const NOW = Date.parse('2026-04-13T10:30:10Z');

type Deps = BatchDeps & Harness & { continuations: MemoryContinuations; log: RecordingLog };

function deps(overrides: Partial<BatchDeps> = {}): Deps {
  return { ...harness({ now: () => NOW, ...overrides }), continuations: new MemoryContinuations(), log: new RecordingLog() } as Deps;
}

function sqsRecord(messageId: string, body: string): SQSRecord {
  return { ...(event.Records[0] as SQSRecord), messageId, body };
}

/** The objects the fixture's notifications name, under their decoded keys. */
function putFixtureObjects(d: Deps): void {
  d.objects.put('invoices/2026/April batch+1.ndjson', ndjson(3));
  d.objects.put('exports/café résumé/orders (50% off).json.gz', gzipSync(JSON.stringify([{ id: 'g-1' }, { id: 'g-2' }])));
  d.objects.put('root-file.json', '{"id":"solo"}');
}

describe('processQueueBatch', () => {
  it('ingests every file of the SQS-wrapped notifications and acknowledges the test event', async () => {
    const d = deps();
    putFixtureObjects(d);

    const response = await processQueueBatch(event.Records, d);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(d.certyo.bulks.flat().map((r) => [r.collection, r.recordId])).toEqual([
      ['invoices/2026', 'r-0'],
      ['invoices/2026', 'r-1'],
      ['invoices/2026', 'r-2'],
      ['exports/café résumé', 'g-1'],
      ['exports/café résumé', 'g-2'],
      ['root', 'solo'],
    ]);
    const summaries = d.log.lines.filter((l) => l.message === 'file ingested').map((l) => l.attributes?.summary);
    expect(summaries).toEqual([
      expect.objectContaining({ file: 's3://amzn-s3-demo-bucket/invoices/2026/April batch+1.ndjson?versionId=096fKKXTRTtl3on89fVO.nfljtsv6qko', records: 3, accepted: 3, requests: 1, status: 'complete' }),
      expect.objectContaining({ file: 's3://records-archive/exports/café résumé/orders (50% off).json.gz', records: 2 }),
      expect.objectContaining({ file: 's3://records-archive/root-file.json', records: 1 }),
    ]);
    expect(d.log.lines.some((l) => l.message.startsWith('s3:TestEvent'))).toBe(true);
  });

  it('packs the records of several files into one request and books each file once it has landed', async () => {
    const d = deps();
    putFixtureObjects(d);

    await processQueueBatch(event.Records, d);

    expect(d.certyo.bulks.map((b) => b.length)).toEqual([6]);
    expect(d.log.lines.filter((l) => l.message === 'file ingested')).toHaveLength(3);
  });

  it('pauses every file a rate-limited request carried at its own first record, and defers later files without reading them', async () => {
    // Arrange: requests of 2 records, so the first file's third record shares a request with the second file
    const d = deps({ limits: { ...LIMITS, records: 2 } });
    putFixtureObjects(d);
    d.certyo.failFrom(1);
    d.certyo.retryAt = new Date(NOW + 120_000);

    // Act
    const response = await processQueueBatch(event.Records, d);

    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(d.certyo.bulks).toHaveLength(1);
    expect(d.objects.opened.map((o) => o.key)).toEqual(['invoices/2026/April batch+1.ndjson', 'exports/café résumé/orders (50% off).json.gz']);
    expect(d.continuations.sent.map((s) => [s.task.key, s.task.nextIndex, s.delaySeconds])).toEqual([
      ['root-file.json', 0, 120],
      ['invoices/2026/April batch+1.ndjson', 0, 120],
      ['exports/café résumé/orders (50% off).json.gz', 0, 120],
    ]);
    expect(d.log.lines.filter((l) => l.message === 'file ingested')).toEqual([]);
  });

  it('fails the messages of every file a refused shared request carried, and books the others', async () => {
    // Arrange: the second request (file 1's last record and file 2's first) is refused outright
    const d = deps({ limits: { ...LIMITS, records: 2 } });
    d.objects.put('a.ndjson', ndjson(3));
    d.objects.put('b.ndjson', ndjson(1, 3));
    d.objects.put('c.ndjson', ndjson(2, 4));
    const ingestMany = d.certyo.ingestMany.bind(d.certyo);
    let calls = 0;
    d.certyo.ingestMany = async (recs, options) => {
      if (++calls === 2) throw new Error('key refused');
      return ingestMany(recs, options);
    };
    const task = (key: string): string => continuationBody({ ...TASK, key });

    // Act
    const response = await processQueueBatch([sqsRecord('m-a', task('a.ndjson')), sqsRecord('m-b', task('b.ndjson')), sqsRecord('m-c', task('c.ndjson'))], d);

    // Assert: a and b are delivered again; c's request landed and c is done
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-a' }, { itemIdentifier: 'm-b' }]);
    expect(d.log.lines.filter((l) => l.message === 'file ingested').map((l) => (l.attributes?.summary as { file: string }).file)).toEqual(['s3://records-bucket/c.ndjson?versionId=v-1']);
    expect(d.continuations.sent).toEqual([]);
  });

  it('re-enqueues a continuation whose rate-limit wait is not over, without calling Certyo', async () => {
    const d = deps();
    const notBefore = new Date(NOW + 2_000_000).toISOString();

    await processQueueBatch([sqsRecord('m-1', continuationBody({ ...TASK, nextIndex: 5000, notBefore }))], d);

    expect(d.objects.opened).toHaveLength(0);
    expect(d.continuations.sent).toEqual([{ task: { ...TASK, nextIndex: 5000, notBefore }, delaySeconds: 900 }]);
  });

  it('runs a continuation whose wait is over from its record index', async () => {
    const d = deps();
    d.objects.put(TASK.key, ndjson(10));

    await processQueueBatch([sqsRecord('m-1', continuationBody({ ...TASK, nextIndex: 7, notBefore: new Date(NOW - 1000).toISOString() }))], d);

    expect(d.certyo.bulks.flat().map((r) => r.recordId)).toEqual(['r-7', 'r-8', 'r-9']);
  });

  it('dead-letters a message it cannot understand, with the reason, and goes on', async () => {
    const d = deps();
    d.objects.put(TASK.key, ndjson(1));

    const response = await processQueueBatch([sqsRecord('bad-1', '{"Records":[{"eventSource":"aws:s3"}]}'), sqsRecord('good-1', continuationBody(TASK))], d);

    expect(response.batchItemFailures).toEqual([]);
    expect(d.deadLetters.letters).toEqual([{ body: '{"Records":[{"eventSource":"aws:s3"}]}', reason: 'Records[0].eventVersion must be a non-empty string', source: 'sqs message bad-1' }]);
    expect(d.certyo.stored.size).toBe(1);
  });

  it('fails only the message whose file hit an unexpected error, so SQS redelivers it', async () => {
    const d = deps();
    d.objects.put(TASK.key, ndjson(1));
    const open = d.objects.open.bind(d.objects);
    d.objects.open = async (task, from) => {
      if (task.key === 'broken.json') throw new Error('AccessDenied');
      return open(task, from);
    };

    const response = await processQueueBatch([sqsRecord('m-1', continuationBody({ ...TASK, key: 'broken.json' })), sqsRecord('m-2', continuationBody(TASK))], d);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(d.log.lines.find((l) => l.level === 'error')?.attributes).toEqual({ messageId: 'm-1', error: 'Error: AccessDenied' });
    expect(d.certyo.stored.size).toBe(1);
  });

  it('logs and skips a file deleted before it was read', async () => {
    const d = deps();

    const response = await processQueueBatch([sqsRecord('m-1', continuationBody(TASK))], d);

    expect(response.batchItemFailures).toEqual([]);
    expect(d.log.lines).toEqual([expect.objectContaining({ level: 'warn', message: 'file skipped', attributes: expect.objectContaining({ reason: expect.stringMatching(/deleted/) }) })]);
  });

  it('defers files at once when the invocation has no time left', async () => {
    const d = deps({ deadline: NOW - 1 });

    await processQueueBatch([sqsRecord('m-1', continuationBody(TASK))], d);

    expect(d.objects.opened).toHaveLength(0);
    expect(d.continuations.sent).toEqual([{ task: TASK, delaySeconds: 0 }]);
  });
});
