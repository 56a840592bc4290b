import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONTINUATION_TYPE, continuationBody, MAX_DELAY_SECONDS, scheduleContinuation } from '../../lambdas/s3-ingest/continuation';
import { decodeS3Key, EventFormatError, parseQueueMessage } from '../../lambdas/s3-ingest/s3-event';
import { TASK } from '../helpers/s3-ingest-fakes';

const fixture = (name: string): string => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 's3', name), 'utf8');

describe('parseQueueMessage', () => {
  it('turns an ObjectCreated:Put notification into a task with the key URL-decoded', () => {
    const message = parseQueueMessage(fixture('object-created-put.json'));

    expect(message).toEqual({
      kind: 'files',
      ignored: [],
      tasks: [
        {
          bucket: 'amzn-s3-demo-bucket',
          key: 'invoices/2026/April batch+1.ndjson',
          versionId: '096fKKXTRTtl3on89fVO.nfljtsv6qko',
          etag: 'd41d8cd98f00b204e9800998ecf8427e',
          eventTime: '2026-04-13T10:30:00.000Z',
          nextIndex: 0,
        },
      ],
    });
  });

  it('reads every record of a multi-record notification, unversioned objects by ETag', () => {
    const message = parseQueueMessage(fixture('object-created-multi.json'));

    expect(message.kind === 'files' && message.tasks.map((t) => [t.key, t.versionId, t.etag])).toEqual([
      ['exports/café résumé/orders (50% off).json.gz', undefined, 'b9bd2b7e1d4e0b0f6c5e8a9d2f3c4b1a-9'],
      ['root-file.json', undefined, '0cc175b9c0f1b6a831c399e269772661'],
    ]);
  });

  it('recognises the s3:TestEvent S3 sends when notifications are configured', () => {
    expect(parseQueueMessage(fixture('test-event.json'))).toEqual({ kind: 'test-event', bucket: 'amzn-s3-demo-bucket' });
  });

  it('ignores events other than ObjectCreated, saying why', () => {
    const message = parseQueueMessage(fixture('object-removed.json'));

    expect(message).toEqual({ kind: 'files', tasks: [], ignored: ['ObjectRemoved:Delete for s3://amzn-s3-demo-bucket/invoices/2026/old.json is not an ObjectCreated event'] });
  });

  it('reads the S3 notifications inside the SQS event the Lambda receives', () => {
    const event = JSON.parse(fixture('sqs-s3-notifications.json')) as { Records: { body: string }[] };

    const kinds = event.Records.map((r) => parseQueueMessage(r.body).kind);

    expect(kinds).toEqual(['files', 'files', 'test-event']);
  });

  it.each([
    ['a body that is not JSON', 'not json', /message body is not JSON/],
    ['an unknown shape', '{"hello":"world"}', /neither an S3 event notification/],
    ['eventVersion 3', fixture('object-created-put.json').replace('"2.1"', '"3.0"'), /Records\[0\]\.eventVersion is "3.0", expected 2.x/],
    ['another event source', fixture('object-created-put.json').replace('"aws:s3"', '"aws:sqs"'), /Records\[0\]\.eventSource/],
    ['no object key', fixture('object-created-put.json').replace('"key"', '"name"'), /Records\[0\]\.s3\.object\.key must be a non-empty string/],
    ['no version and no ETag', fixture('object-created-multi.json').replace(/"eTag": "[^"]*",/g, ''), /Records\[0\]\.s3\.object needs a versionId or an eTag/],
    ['a bad %-escape in the key', fixture('object-created-put.json').replace('%2B1', '%ZZ1'), /is not a valid URL-encoded key/],
    ['a continuation without nextIndex', JSON.stringify({ type: CONTINUATION_TYPE, ...TASK, nextIndex: -1 }), /nextIndex must be a record index/],
  ])('rejects %s with an EventFormatError naming the field', (_name, body, message) => {
    expect(() => parseQueueMessage(body)).toThrow(EventFormatError);
    expect(() => parseQueueMessage(body)).toThrow(message);
  });

  it('round-trips a continuation with its resume point', () => {
    const task = { ...TASK, nextIndex: 2000, resume: { mode: 'lines' as const, offset: 81234, index: 2000, line: 2001 } };

    expect(parseQueueMessage(continuationBody(task))).toEqual({ kind: 'files', tasks: [task], ignored: [] });
  });
});

describe('decodeS3Key', () => {
  it.each([
    ['a+b', 'a b'],
    ['a%2Bb', 'a+b'],
    ['%E6%97%A5%E6%9C%AC/file.json', '日本/file.json'],
    ['plain/key.json', 'plain/key.json'],
  ])('decodes %s as %s', (encoded, decoded) => {
    expect(decodeS3Key(encoded)).toBe(decoded);
  });
});

describe('scheduleContinuation', () => {
  const now = Date.parse('2026-04-13T10:30:00Z');

  it('delays by the Retry-After wait, rounded up, when SQS can hold it', () => {
    const scheduled = scheduleContinuation({ ...TASK, notBefore: '2026-04-13T10:29:00Z' }, new Date(now + 119_500), now);

    expect(scheduled).toEqual({ task: TASK, delaySeconds: 120 });
  });

  it('delays by the SQS maximum and says when to resume when the wait is longer', () => {
    const retryAt = new Date(now + 3_600_000);

    const scheduled = scheduleContinuation(TASK, retryAt, now);

    expect(scheduled).toEqual({ task: { ...TASK, notBefore: retryAt.toISOString() }, delaySeconds: MAX_DELAY_SECONDS });
  });

  it('continues at once when Lambda time ran out (no retry time)', () => {
    expect(scheduleContinuation(TASK, undefined, now).delaySeconds).toBe(0);
  });
});
