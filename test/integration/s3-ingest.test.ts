/**
 * The s3-ingest handler as deployed (its module builds its clients from the environment)
 * against s3rver and the local Certyo sandbox over real HTTP. Only SQS (dead letters and
 * continuations) and Secrets Manager are mocked, and the notifications are built as S3 sends
 * them (URL-encoded keys), not taken from s3rver.
 */
import { SecretsManagerClient, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { gzipSync } from 'node:zlib';
import { startLocalS3, LocalS3 } from '../../local/harness/local-s3';
import { objectCreatedNotification } from '../../local/harness/s3-path';
import { Sandbox, startSandbox } from '../../local/sandbox';
import { lambdaContext } from '../helpers/lambda-context';

const BUCKET = 'records-bucket';
const REJECTED_QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/rejected-records';
const INGEST_QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/s3-ingest';
/** Retry-After of the injected 429: longer than the invocation has left, so the file must continue. */
const RETRY_AFTER_SECONDS = 120;

const sqsMock = mockClient(SQSClient);
const secretsMock = mockClient(SecretsManagerClient);

let s3: LocalS3;
let sandbox: Sandbox;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let messageCount = 0;

function context(remainingMs: number): Context {
  return lambdaContext('s3-ingest', remainingMs, `request-${messageCount}`);
}

function sqsRecord(body: string): SQSRecord {
  messageCount++;
  return {
    messageId: `message-${messageCount}`,
    receiptHandle: `receipt-${messageCount}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1776076200500', SenderId: 'AIDAJHIPRHEMV73VRJEBU', ApproximateFirstReceiveTimestamp: '1776076200500' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:s3-ingest',
    awsRegion: 'eu-west-1',
  };
}

async function upload(key: string, body: string | Uint8Array): Promise<string> {
  const { etag, size } = await s3.put(BUCKET, key, body);
  return objectCreatedNotification({ bucket: BUCKET, key, etag, size, eventTime: '2026-04-13T10:30:00.000Z' });
}

function ndjson(count: number, prefix: string): string {
  // Written as text: the 23-digit number is not representable as a JavaScript number.
  return Array.from({ length: count }, (_, i) => `{"id":"${prefix}-${i}","amount":${i},"big":12345678901234567890123}`).join('\n') + '\n';
}

/** The records the sandbox stored for the tenant. */
async function queryStored(): Promise<{ recordId: string; recordVersion?: string }[]> {
  const response = await fetch(`${sandbox.url}/api/v1/records?tenantId=acme`, { headers: { 'X-API-Key': sandbox.apiKey } });
  return ((await response.json()) as { items: { recordId: string; recordVersion?: string }[] }).items;
}

const bulkRequests = (status: string): number => sandbox.stats().requests['POST /api/v1/records/bulk']?.[status] ?? 0;

/** The dead letters sent to the rejected-records queue. */
function deadLetters(): { body: string; reason: string; source: string }[] {
  return sqsMock.commandCalls(SendMessageBatchCommand).flatMap((call) =>
    (call.args[0].input.Entries ?? []).map((entry) => ({
      body: entry.MessageBody ?? '',
      reason: entry.MessageAttributes?.ERROR_MESSAGE?.StringValue ?? '',
      source: entry.MessageAttributes?.SOURCE?.StringValue ?? '',
    })),
  );
}

/**
 * Only `Date` is faked, and it keeps running: the test can let the Retry-After of a 429 pass
 * (the delay SQS holds a continuation for) without waiting two minutes.
 */
const REAL_TIMERS = ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] as const;

function letTimePass(seconds: number): void {
  jest.setSystemTime(Date.now() + seconds * 1000);
}

/**
 * Plays SQS for the continuations the handler sent itself: waits each one's `DelaySeconds`,
 * then delivers it, until the file is done (bounded, so a loop would fail the test).
 */
async function deliverContinuations(): Promise<SQSBatchResponse[]> {
  const responses: SQSBatchResponse[] = [];
  for (let next = 0; next < sqsMock.commandCalls(SendMessageCommand).length; next++) {
    if (next >= 10) throw new Error('more than 10 continuations for one file');
    const input = sqsMock.commandCalls(SendMessageCommand)[next]?.args[0].input;
    letTimePass((input?.DelaySeconds ?? 0) + 1);
    responses.push(await handler({ Records: [sqsRecord(input?.MessageBody ?? '')] }, context(300_000)));
  }
  return responses;
}

beforeAll(async () => {
  jest.useFakeTimers({ doNotFake: [...REAL_TIMERS], advanceTimers: true });
  s3 = await startLocalS3([BUCKET]);
  // A rate window no longer than the Retry-After: the injected 429's X-RateLimit-Reset then
  // falls within the delay, as it would for a real exhausted budget. (A longer jump of the
  // faked clock would also trip s3rver's 15-minute request-time check.)
  sandbox = await startSandbox({ throttleRetryAfterSeconds: RETRY_AFTER_SECONDS, rateWindowMs: RETRY_AFTER_SECONDS * 1000 });
  Object.assign(process.env, {
    CERTYO_API_URL: sandbox.url,
    CERTYO_TENANT_ID: 'acme',
    CERTYO_SECRET_ARN: 'certyo/api-key',
    INGEST_QUEUE_URL,
    REJECTED_QUEUE_URL,
    RECORD_ID_FIELD: 'id',
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  ({ handler } = await import('../../lambdas/s3-ingest/handler'));
});

afterAll(async () => {
  await sandbox?.close();
  await s3?.close();
  jest.useRealTimers();
});

beforeEach(() => {
  sandbox.reset();
  sqsMock.reset();
  sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'continuation' });
  secretsMock.reset();
  secretsMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ apiKey: sandbox.apiKey }) });
});

describe('s3-ingest against s3rver and the Certyo sandbox', () => {
  it('anchors a 10,000-record NDJSON file with at most 10 bulk requests', async () => {
    // Arrange
    const event = { Records: [sqsRecord(await upload('incoming/April batch+1.ndjson', ndjson(10_000, 'order')))] };

    // Act
    const response = await handler(event, context(300_000));

    // Assert
    expect(response).toEqual({ batchItemFailures: [] });
    const stats = sandbox.stats();
    expect(stats.recordsStored).toBe(10_000);
    expect(bulkRequests('202')).toBeLessThanOrEqual(10);
    expect(stats.totalRequests).toBe(bulkRequests('202'));
    expect(deadLetters()).toEqual([]);
  });

  it('anchors every good line of a file with bad lines and reports each bad one', async () => {
    // Arrange
    const lines = ndjson(50, 'good').trim().split('\n');
    lines.splice(10, 0, '{"id": "cut off",');
    lines.splice(20, 0, 'not json at all');
    lines.splice(30, 0, '{"id": ["not", "an", "id"]}');
    const event = { Records: [sqsRecord(await upload('incoming/mixed.ndjson', lines.join('\n')))] };

    // Act
    const response = await handler(event, context(300_000));

    // Assert
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sandbox.stats().recordsStored).toBe(50);
    expect(deadLetters()).toEqual([
      { body: '{"id": "cut off",', reason: expect.stringMatching(/^line 11, record 10 of s3:\/\/records-bucket\/incoming\/mixed\.ndjson: not valid JSON/), source: 's3://records-bucket/incoming/mixed.ndjson#line 11, record 10' },
      { body: 'not json at all', reason: expect.stringMatching(/^line 21, record 20 of .*: not valid JSON/), source: expect.stringContaining('#line 21') },
      { body: '{"id": ["not", "an", "id"]}', reason: expect.stringMatching(/^line 31, record 30 of .*: field "id" is an array/), source: expect.stringContaining('#line 31') },
    ]);
  });

  it('finishes a file rate-limited mid-way through continuations, storing every record exactly once', async () => {
    // Arrange: the second bulk request gets a 429 whose Retry-After outlasts the invocation.
    const event = { Records: [sqsRecord(await upload('incoming/large.ndjson', ndjson(3_500, 'large')))] };
    sandbox.injectFaults('none', 'throttle');

    // Act: the first invocation pauses; SQS delivers each continuation after its delay.
    const first = await handler(event, context(30_000));
    const storedBeforeContinuation = sandbox.stats().recordsStored;
    const later = await deliverContinuations();

    // Assert
    expect([first, ...later]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    const continuations = sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(continuations[0]).toMatchObject({ QueueUrl: INGEST_QUEUE_URL, DelaySeconds: RETRY_AFTER_SECONDS });
    expect(JSON.parse(continuations[0]?.MessageBody ?? '{}')).toMatchObject({ bucket: BUCKET, key: 'incoming/large.ndjson', nextIndex: 1000, resume: { mode: 'lines', index: 1000 } });
    expect(storedBeforeContinuation).toBe(1000);
    const stats = sandbox.stats();
    expect(stats.recordsStored).toBe(3_500);
    expect(stats.idempotentReplays).toBe(0);
    expect(stats.duplicateIngests).toBe(0);
    expect(bulkRequests('429')).toBe(1);
    expect(bulkRequests('202')).toBe(4);
  });

  it('replays an S3 redelivery of the same upload instead of storing it again', async () => {
    const body = await upload('incoming/replayed.json.gz', gzipSync(JSON.stringify([{ id: 'a' }, { id: 'b' }])));

    const first = await handler({ Records: [sqsRecord(body)] }, context(300_000));
    const redelivered = await handler({ Records: [sqsRecord(body)] }, context(300_000));

    expect([first, redelivered]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    const stats = sandbox.stats();
    expect(stats.recordsStored).toBe(2);
    expect(stats.idempotentReplays).toBe(2);
  });

  it('stores each version of one id in one file once, and replays them all on redelivery', async () => {
    // Arrange: three versions of dup-1 (one repeated verbatim later in the file) around another record.
    const lines = ['{"id":"dup-1","version":1,"amount":10}', '{"id":"dup-1","version":2,"amount":20}', '{"id":"other","version":1}', '{"id":"dup-1","version":3,"amount":30}'];
    const notification = await upload('incoming/versions.ndjson', lines.join('\n'));

    // Act
    const first = await handler({ Records: [sqsRecord(notification)] }, context(300_000));
    const afterFirst = sandbox.stats();
    const redelivered = await handler({ Records: [sqsRecord(notification)] }, context(300_000));

    // Assert
    expect([first, redelivered]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(afterFirst).toMatchObject({ recordsStored: 4, idempotentReplays: 0, replayMismatches: 0 });
    expect(sandbox.stats()).toMatchObject({ recordsStored: 4, idempotentReplays: 4, replayMismatches: 0, duplicateIngests: 0 });
    const stored = (await queryStored()).filter((r) => r.recordId === 'dup-1').map((r) => r.recordVersion);
    expect(stored.sort()).toEqual(['1', '2', '3']);
    expect(deadLetters()).toEqual([]);
  });

  it('stores two elements with the same id and no version field as two record versions', async () => {
    // Arrange: identical lines; each element is its own version (its place in the object).
    const notification = await upload('incoming/same-id.ndjson', '{"id":"same","amount":1}\n{"id":"same","amount":1}\n');

    // Act
    const response = await handler({ Records: [sqsRecord(notification)] }, context(300_000));

    // Assert
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sandbox.stats()).toMatchObject({ recordsStored: 2, idempotentReplays: 0, replayMismatches: 0 });
    const versions = (await queryStored()).map((r) => r.recordVersion);
    expect(new Set(versions).size).toBe(2);
  });
});

