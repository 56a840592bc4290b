import { GetObjectCommand, GetObjectCommandOutput, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { CONTINUATION_TYPE, sqsContinuationQueue } from '../../lambdas/s3-ingest/continuation';
import { s3ObjectSource } from '../../lambdas/s3-ingest/object-source';
import { TASK } from '../helpers/s3-ingest-fakes';

const s3Mock = mockClient(S3Client);
const sqsMock = mockClient(SQSClient);

beforeEach(() => {
  s3Mock.reset();
  sqsMock.reset();
});

/** The SDK's Node stream body; the reader only iterates it. */
function body(content: string): GetObjectCommandOutput['Body'] {
  return Readable.from([Buffer.from(content)]) as unknown as GetObjectCommandOutput['Body'];
}

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
}

async function text(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

describe('s3ObjectSource', () => {
  it('reads the announced version of a versioned object', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: body('{"id":1}'), ContentEncoding: 'gzip', ContentType: 'application/json' });

    const result = await s3ObjectSource(new S3Client({})).open(TASK);

    expect(s3Mock.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({ Bucket: 'records-bucket', Key: 'orders/2026/batch.ndjson', VersionId: 'v-1' });
    expect(result.found && [await text(result.object.body), result.object.contentEncoding, result.object.contentType]).toEqual(['{"id":1}', 'gzip', 'application/json']);
  });

  it('pins an unversioned object to its ETag and reads a continuation from its byte offset', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: body('') });

    await s3ObjectSource(new S3Client({})).open({ ...TASK, versionId: undefined }, 4096);

    expect(s3Mock.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({ Bucket: 'records-bucket', Key: 'orders/2026/batch.ndjson', IfMatch: '"etag-1"', Range: 'bytes=4096-' });
  });

  it.each([
    ['NoSuchKey', new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }), /deleted/],
    ['NoSuchVersion', s3Error('NoSuchVersion', 404), /version was deleted/],
    ['PreconditionFailed', s3Error('PreconditionFailed', 412), /overwritten/],
  ])('reports %s as gone instead of failing', async (_name, error, reason) => {
    s3Mock.on(GetObjectCommand).rejects(error);

    const result = await s3ObjectSource(new S3Client({})).open(TASK);

    expect(result.found).toBe(false);
    expect(!result.found && result.reason).toMatch(reason);
  });

  it('lets other errors (AccessDenied) fail the message', async () => {
    s3Mock.on(GetObjectCommand).rejects(s3Error('AccessDenied', 403));

    await expect(s3ObjectSource(new S3Client({})).open(TASK)).rejects.toThrow('AccessDenied');
  });
});

describe('sqsContinuationQueue', () => {
  it('sends the continuation to the ingest queue with its delay', async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: '1' });
    const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ingest';

    await sqsContinuationQueue(queueUrl, new SQSClient({})).enqueue({ ...TASK, nextIndex: 3000 }, 120);

    const input = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input?.QueueUrl).toBe(queueUrl);
    expect(input?.DelaySeconds).toBe(120);
    expect(JSON.parse(input?.MessageBody ?? '{}')).toEqual({ type: CONTINUATION_TYPE, ...TASK, nextIndex: 3000 });
  });
});
