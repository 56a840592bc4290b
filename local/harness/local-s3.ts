/**
 * An S3-compatible server on 127.0.0.1 (s3rver, files in a temporary directory) and an SDK
 * client configured for it as architecture.md's pitfalls require: path-style `127.0.0.1`
 * (`localhost` would become `bucket.localhost`), s3rver's built-in credentials, and checksums
 * only when required.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export interface LocalS3 {
  readonly endpoint: string;
  readonly client: S3Client;
  /** Uploads an object; returns its ETag without quotes, as notifications carry it. */
  put(bucket: string, key: string, body: string | Uint8Array, contentType?: string): Promise<{ etag: string; size: number }>;
  close(): Promise<void>;
}

export async function startLocalS3(buckets: readonly string[]): Promise<LocalS3> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'certyo-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    client,
    async put(bucket, key, body, contentType) {
      const out = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
      return { etag: (out.ETag ?? '').replace(/"/g, ''), size: typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength };
    },
    async close() {
      client.destroy();
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
