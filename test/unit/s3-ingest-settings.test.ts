import { readS3IngestSettings } from '../../lambdas/s3-ingest/settings';
import { DEFAULT_MAX_BODY_BYTES } from '../../lambdas/shared/certyo-types';

const ENV = {
  INGEST_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ingest',
  REJECTED_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/rejected',
};

describe('readS3IngestSettings', () => {
  it('defaults to the seed mapping and full bulk requests', () => {
    const settings = readS3IngestSettings('acme', ENV);

    expect(settings).toEqual({
      ingestQueueUrl: ENV.INGEST_QUEUE_URL,
      rejectedQueueUrl: ENV.REJECTED_QUEUE_URL,
      mapping: { tenantId: 'acme', recordIdPath: 'id', recordVersionPath: 'version', database: undefined },
      limits: { records: 1000, bytes: DEFAULT_MAX_BODY_BYTES, recordBytes: 1024 * 1024 },
    });
  });

  it('reads the configured mapping and limits', () => {
    const settings = readS3IngestSettings('acme', { ...ENV, RECORD_ID_FIELD: 'order.id', RECORD_VERSION_FIELD: 'rev', CERTYO_DATABASE: 'archive', CERTYO_MAX_BODY_BYTES: '65536', MAX_RECORD_BYTES: '1048576' });

    expect(settings.mapping).toEqual({ tenantId: 'acme', recordIdPath: 'order.id', recordVersionPath: 'rev', database: 'archive' });
    expect(settings.limits).toEqual({ records: 1000, bytes: 65536, recordBytes: 65536 });
  });

  it.each([
    [{ INGEST_QUEUE_URL: undefined }, /INGEST_QUEUE_URL is not set/],
    [{ REJECTED_QUEUE_URL: ' ' }, /REJECTED_QUEUE_URL is not set/],
    [{ CERTYO_MAX_BODY_BYTES: 'lots' }, /CERTYO_MAX_BODY_BYTES = "lots" is not a byte count/],
    [{ CERTYO_MAX_BODY_BYTES: '1024' }, /CERTYO_MAX_BODY_BYTES = "1024" is not a byte count from 65536/],
  ])('fails the cold start naming the variable for %o', (change, message) => {
    expect(() => readS3IngestSettings('acme', { ...ENV, ...change })).toThrow(message);
  });
});
