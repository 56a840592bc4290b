import { ingestFile } from '../../lambdas/s3-ingest/file-ingest';
import { FileTask } from '../../lambdas/s3-ingest/file-task';
import { CertyoRecord } from '../../lambdas/shared/certyo-types';
import { stringifyJson } from '../../lambdas/shared/json';
import { harness, LIMITS, ndjson, TASK } from '../helpers/s3-ingest-fakes';

const ids = (records: readonly CertyoRecord[]): string[] => records.map((r) => r.recordId);

describe('ingestFile', () => {
  it('sends a 10,000-record NDJSON file in 10 bulk requests of 1,000', async () => {
    // Arrange
    const deps = harness();
    deps.objects.put(TASK.key, ndjson(10_000));

    // Act
    const result = await ingestFile(TASK, deps);

    // Assert
    expect(deps.certyo.bulks.map((c) => c.length)).toEqual(Array(10).fill(1000));
    expect(deps.certyo.stored.size).toBe(10_000);
    expect(result).toMatchObject({ status: 'complete', summary: { records: 10_000, accepted: 10_000, replayed: 0, rejected: 0, requests: 10, batches: 10 } });
    expect(deps.verification.started).toHaveLength(10_000);
    expect(deps.reporter.outcomes).toHaveLength(10);
  });

  it('reads the next batch while one is in flight, and no further', async () => {
    // Arrange: hold the first request until the reader has had every chance to run ahead.
    const deps = harness();
    const text = ndjson(3500);
    deps.objects.put(TASK.key, text);
    let readWhileFirstInFlight = 0;
    deps.certyo.onRequest = async (request) => {
      if (request !== 1) return;
      for (let i = 0; i < 200; i++) await new Promise((resolve) => setImmediate(resolve));
      readWhileFirstInFlight = deps.objects.bytesRead;
    };

    // Act
    await ingestFile(TASK, deps);

    // Assert: the second batch (records 1000-1999) was read, the third was not started.
    const bytesOf = (records: number) => Buffer.byteLength(ndjson(records));
    expect(readWhileFirstInFlight).toBeGreaterThanOrEqual(bytesOf(2000));
    expect(readWhileFirstInFlight).toBeLessThan(bytesOf(2001) + 4096);
    expect(deps.certyo.stored.size).toBe(3500);
  });

  it('cuts batches so that each bulk body stays within the body limit', async () => {
    const deps = harness({ limits: { ...LIMITS, bytes: 64 * 1024 } });
    const big = Array.from({ length: 300 }, (_, i) => JSON.stringify({ id: `b-${i}`, text: 'x'.repeat(1000 + (i % 7) * 100) })).join('\n');
    deps.objects.put(TASK.key, big);

    await ingestFile(TASK, deps);

    const bodies = deps.certyo.bulks.map((call) => Buffer.byteLength(`{"items":[${call.map((r) => stringifyJson(r)).join(',')}]}`));
    expect(Math.max(...bodies)).toBeLessThanOrEqual(64 * 1024);
    expect(Math.min(...bodies.slice(0, -1))).toBeGreaterThan(60 * 1024);
    expect(deps.certyo.stored.size).toBe(300);
  });

  it('ingests every good line and dead-letters each bad one with bucket, key, line and reason', async () => {
    // Arrange
    const deps = harness();
    const lines = ndjson(10).trim().split('\n');
    lines.splice(2, 0, '{"id": "broken",');
    lines.splice(6, 0, '[1, 2, 3]');
    lines.splice(9, 0, '{"id": {"nested": true}}');
    deps.objects.put(TASK.key, lines.join('\n'));

    // Act
    const result = await ingestFile(TASK, deps);

    // Assert
    expect(deps.certyo.stored.size).toBe(10);
    expect(result).toMatchObject({ status: 'complete', summary: { records: 13, accepted: 10, rejected: 3 } });
    expect(deps.reporter.rejected).toBe(3);
    expect(deps.deadLetters.letters.map((l) => [l.body, l.source])).toEqual([
      ['{"id": "broken",', 's3://records-bucket/orders/2026/batch.ndjson?versionId=v-1#line 3, record 2'],
      ['[1, 2, 3]', 's3://records-bucket/orders/2026/batch.ndjson?versionId=v-1#line 7, record 6'],
      ['{"id": {"nested": true}}', 's3://records-bucket/orders/2026/batch.ndjson?versionId=v-1#line 10, record 9'],
    ]);
    expect(deps.deadLetters.letters[0]?.reason).toMatch(/^line 3, record 2 of s3:\/\/records-bucket\/orders\/2026\/batch\.ndjson\?versionId=v-1: not valid JSON/);
    expect(deps.deadLetters.letters[1]?.reason).toMatch(/record is an array, expected a JSON object/);
  });

  it('dead-letters records Certyo rejects, with its reason, and keeps the rest', async () => {
    const deps = harness();
    deps.objects.put(TASK.key, ndjson(5));
    deps.certyo.refuseWhen = (r) => (r.recordId === 'r-3' ? 'recordPayload: too deep' : undefined);

    const result = await ingestFile(TASK, deps);

    expect(result.summary).toMatchObject({ accepted: 4, rejected: 1 });
    expect(deps.deadLetters.letters).toEqual([
      { body: '{"id":"r-3","amount":3}', reason: expect.stringMatching(/line 4, record 3 of .*: recordPayload: too deep$/), source: expect.stringMatching(/#line 4, record 3$/) },
    ]);
  });

  it('pauses at the first unsent record on a rate limit and the continuation finishes the file exactly once', async () => {
    // Arrange: the second request is rate limited.
    const deps = harness();
    deps.objects.put(TASK.key, ndjson(3500));
    deps.certyo.failFrom(2);

    // Act
    const first = await ingestFile(TASK, deps);
    if (first.status !== 'paused') throw new Error(`expected a pause, got ${first.status}`);
    deps.certyo.recover();
    const second = await ingestFile(first.continueFrom, deps);

    // Assert
    expect(first.retryAt).toEqual(deps.certyo.retryAt);
    expect(first.cause).toBe('rate limit');
    expect(first.continueFrom).toMatchObject({ nextIndex: 1000, resume: { mode: 'lines', index: 1000, line: 1001, offset: Buffer.byteLength(ndjson(1000)) } });
    expect(deps.objects.opened.map((o) => o.fromByte)).toEqual([undefined, Buffer.byteLength(ndjson(1000))]);
    expect(second).toMatchObject({ status: 'complete', summary: { fromIndex: 1000, records: 2500, accepted: 2500, replayed: 0 } });
    expect(deps.certyo.stored.size).toBe(3500);
    const sentAndAccepted = deps.certyo.bulks.filter((_, i) => i !== 1).flatMap(ids);
    expect(new Set(sentAndAccepted).size).toBe(sentAndAccepted.length);
  });

  it('continues a gzip file by record index, skipping confirmed records without sending them', async () => {
    const task: FileTask = { ...TASK, key: 'orders/2026/batch.ndjson.gz' };
    const deps = harness();
    deps.objects.put(task.key, ndjson(2500), { gzip: true });
    deps.certyo.failFrom(2);

    const first = await ingestFile(task, deps);
    if (first.status !== 'paused') throw new Error(`expected a pause, got ${first.status}`);
    deps.certyo.recover();
    const second = await ingestFile(first.continueFrom, deps);

    expect(first.continueFrom.resume).toBeUndefined();
    expect(first.continueFrom.nextIndex).toBe(1000);
    expect(second.summary).toMatchObject({ records: 1500, accepted: 1500, replayed: 0 });
    expect(deps.certyo.bulks.slice(2).flatMap(ids)[0]).toBe('r-1000');
    expect(deps.certyo.stored.size).toBe(2500);
  });

  it('reports each bad line exactly once across a pause and its continuation', async () => {
    const deps = harness();
    const lines = ndjson(2500).trim().split('\n');
    lines.splice(500, 0, 'not json 1'); // before the pause point
    lines.splice(1500, 0, 'not json 2'); // after it
    deps.objects.put(TASK.key, lines.join('\n'));
    deps.certyo.failFrom(2);

    const first = await ingestFile(TASK, deps);
    const afterFirst = deps.deadLetters.letters.map((l) => l.body);
    deps.certyo.recover();
    if (first.status === 'paused') await ingestFile(first.continueFrom, deps);

    expect(afterFirst).toEqual(['not json 1']);
    expect(deps.deadLetters.letters.map((l) => l.body)).toEqual(['not json 1', 'not json 2']);
    expect(deps.certyo.stored.size).toBe(2500);
  });

  it('pauses when the Lambda runs out of time and resumes from the first record not sent', async () => {
    // Arrange: the clock passes the deadline while record 1,500 is read.
    let reads = 0;
    const deps = harness({ deadline: 1_500, now: () => reads++ });
    deps.objects.put(TASK.key, ndjson(3000));

    // Act
    const result = await ingestFile(TASK, deps);

    // Assert
    expect(result).toMatchObject({ status: 'paused', cause: 'Lambda time ran out', retryAt: undefined, continueFrom: { nextIndex: 1000 } });
    expect(deps.certyo.stored.size).toBe(1000);
  });

  it('skips an object deleted before it was read', async () => {
    const deps = harness();

    const result = await ingestFile(TASK, deps);

    expect(result).toMatchObject({ status: 'gone', reason: expect.stringMatching(/deleted/) });
    expect(deps.certyo.bulks).toHaveLength(0);
    expect(deps.deadLetters.letters).toHaveLength(0);
  });

  it('dead-letters a file that is not JSON as a file, with the reason', async () => {
    const task = { ...TASK, key: 'orders/2026/export.csv' };
    const deps = harness();
    deps.objects.put(task.key, 'id,amount\n1,100\n');

    const result = await ingestFile(task, deps);

    expect(result).toMatchObject({ status: 'unreadable' });
    expect(deps.certyo.bulks).toHaveLength(0);
    expect(deps.deadLetters.letters).toEqual([
      {
        body: JSON.stringify({ bucket: 'records-bucket', key: 'orders/2026/export.csv', versionId: 'v-1', etag: 'etag-1' }),
        reason: expect.stringMatching(/^s3:\/\/records-bucket\/orders\/2026\/export\.csv\?versionId=v-1 cannot be read past byte 0: not JSON: the file starts with 'i'/),
        source: 's3://records-bucket/orders/2026/export.csv?versionId=v-1',
      },
    ]);
  });

  it('ingests the records before a JSON array breaks off, then dead-letters the file', async () => {
    const task = { ...TASK, key: 'orders/2026/cut.json' };
    const deps = harness();
    const items = Array.from({ length: 1500 }, (_, i) => JSON.stringify({ id: `a-${i}` }));
    deps.objects.put(task.key, `[${items.join(',')},{"id":"a-15`);

    const result = await ingestFile(task, deps);

    expect(result).toMatchObject({ status: 'unreadable', summary: { accepted: 1500 } });
    expect(deps.certyo.stored.size).toBe(1500);
    expect(deps.deadLetters.letters[0]?.reason).toMatch(/cannot be read past byte \d+: unexpected end of file .* record 1500 .*1500 records before it were processed/);
  });

  it.each([
    ['a JSON array', '[{"id":"a"},{"id":"b"}]', ['a', 'b']],
    ['a single pretty-printed object', '{\n  "id": "solo",\n  "total": 3\n}\n', ['solo']],
    ['a gzip-encoded upload', '{"id":"z1"}\n{"id":"z2"}\n', ['z1', 'z2']],
  ])('reads %s', async (name, body, expected) => {
    const task = { ...TASK, key: 'orders/2026/upload.json' };
    const deps = harness();
    deps.objects.put(task.key, body, name.startsWith('a gzip') ? { gzip: true, contentEncoding: 'gzip' } : {});

    await ingestFile(task, deps);

    expect(deps.certyo.bulks.flatMap(ids)).toEqual(expected);
  });
});
