import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { DeadLetter, DeadLetterError, packBatches, sqsDeadLetterSink } from '../../lambdas/shared/dead-letter';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/rejected-records';
const sqsMock = mockClient(SQSClient);

function letters(count: number, bodySize = 10): DeadLetter[] {
  return Array.from({ length: count }, (_, i) => ({
    body: 'x'.repeat(bodySize),
    reason: `line ${i + 1}: recordId is missing`,
    source: `s3://bucket/file.ndjson#line ${i + 1}`,
  }));
}

beforeEach(() => sqsMock.reset());

describe('sqsDeadLetterSink', () => {
  it('sends every letter with its reason and source as message attributes, 10 per call', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });

    await sqsDeadLetterSink(QUEUE_URL, new SQSClient({})).send(letters(23));

    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    const first = calls[0]?.args[0].input.Entries?.[0];
    expect(first?.MessageAttributes?.ERROR_MESSAGE?.StringValue).toBe('line 1: recordId is missing');
    expect(first?.MessageAttributes?.SOURCE?.StringValue).toBe('s3://bucket/file.ndjson#line 1');
    expect(first?.MessageAttributes?.ERROR_CODE?.StringValue).toBe('INVALID_RECORD');
    expect(calls.every((c) => c.args[0].input.QueueUrl === QUEUE_URL)).toBe(true);
  });

  it('throws naming the queue when SQS reports failed entries, so the caller does not lose them', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false, Message: 'try again' }],
    });

    await expect(sqsDeadLetterSink(QUEUE_URL, new SQSClient({})).send(letters(1))).rejects.toThrow(DeadLetterError);
    await expect(sqsDeadLetterSink(QUEUE_URL, new SQSClient({})).send(letters(1))).rejects.toThrow(/rejected-records.*InternalError/);
  });

  it('cuts a body larger than an SQS message and says so in the reason', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });

    await sqsDeadLetterSink(QUEUE_URL, new SQSClient({})).send(letters(1, 300 * 1024));

    const entry = sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries?.[0];
    expect(Buffer.byteLength(entry?.MessageBody ?? '', 'utf8')).toBeLessThan(256 * 1024);
    expect(entry?.MessageAttributes?.ERROR_MESSAGE?.StringValue).toMatch(/body truncated from 307200 bytes/);
  });

  it('sends nothing for no letters', async () => {
    await sqsDeadLetterSink(QUEUE_URL, new SQSClient({})).send([]);

    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });
});

describe('packBatches', () => {
  it('keeps each call within 256 KiB', () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({ Id: String(i), MessageBody: 'y'.repeat(100 * 1024) }));

    const batches = packBatches(entries);

    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
  });
});
