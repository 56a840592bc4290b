import { Metrics } from '@aws-lambda-powertools/metrics';
import { AcceptedRecord, IngestManyOutcome, RateLimitedError, RetryableError } from '../../lambdas/shared/certyo-types';
import { INGEST_PATHS, METRIC_NAMES, PATH_DIMENSION } from '../../lambdas/shared/metric-names';
import { createMetrics, publishIngestMetrics } from '../../lambdas/shared/observability';

/** One CloudWatch embedded-metric-format document, as Powertools writes it to stdout. */
interface EmfDocument {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** Flushes `metrics` and returns the EMF documents written to stdout. */
function flush(metrics: Metrics): EmfDocument[] {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(chunk.toString());
    return true;
  });
  try {
    metrics.publishStoredMetrics();
  } finally {
    spy.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EmfDocument);
}

function accepted(count: number, replayed: number): AcceptedRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    record: { tenantId: 't', database: 'db', collection: 'c', recordId: `r${index}`, recordPayload: {}, idempotencyKey: `k${index}` },
    result: { recordId: `r${index}`, recordHash: 'h', tenantId: 't', acceptedAt: '2026-01-01T00:00:00Z' },
    replayed: index < replayed,
  }));
}

function outcome(overrides: Partial<IngestManyOutcome>): IngestManyOutcome {
  return { accepted: [], rejected: [], unsent: [], requests: 0, ...overrides };
}

describe('createMetrics', () => {
  const saved = process.env.POWERTOOLS_METRICS_NAMESPACE;
  afterEach(() => {
    if (saved === undefined) delete process.env.POWERTOOLS_METRICS_NAMESPACE;
    else process.env.POWERTOOLS_METRICS_NAMESPACE = saved;
  });

  it.each(INGEST_PATHS)('emits %s metrics with Path as their only dimension (no Powertools service dimension)', (path) => {
    // Arrange
    const metrics = createMetrics(path, 'Test');
    publishIngestMetrics(metrics, outcome({ accepted: accepted(1, 0), requests: 1 }), {});

    // Act
    const [document] = flush(metrics);

    // Assert
    expect(document?._aws.CloudWatchMetrics).toEqual([expect.objectContaining({ Namespace: 'Test', Dimensions: [[PATH_DIMENSION]] })]);
    expect(document?.[PATH_DIMENSION]).toBe(path);
    expect(document).not.toHaveProperty('service');
  });

  it('takes the namespace from POWERTOOLS_METRICS_NAMESPACE, as CertyoFunction sets it', () => {
    // Arrange
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'Acme/Certyo';
    const metrics = createMetrics('s3');
    publishIngestMetrics(metrics, outcome({ requests: 1 }), {});

    // Act
    const [document] = flush(metrics);

    // Assert
    expect(document?._aws.CloudWatchMetrics[0]?.Namespace).toBe('Acme/Certyo');
  });

  it('defaults the namespace to Certyo', () => {
    // Arrange
    delete process.env.POWERTOOLS_METRICS_NAMESPACE;
    const metrics = createMetrics('dynamodb');
    publishIngestMetrics(metrics, outcome({ requests: 1 }), {});

    // Act
    const [document] = flush(metrics);

    // Assert
    expect(document?._aws.CloudWatchMetrics[0]?.Namespace).toBe('Certyo');
  });
});

describe('publishIngestMetrics', () => {
  it('counts new and replayed records apart, rejections, requests, bulk size and the remaining budget', () => {
    // Arrange
    const metrics = createMetrics('forwarder', 'Test');
    const result = outcome({
      accepted: accepted(1500, 300),
      rejected: [{ index: 1500, record: accepted(1, 0)[0]!.record, reason: 'recordId: missing' }],
      requests: 2,
    });

    // Act
    publishIngestMetrics(metrics, result, { limit: 1000, remaining: 412 });
    const [document] = flush(metrics);

    // Assert
    expect(document).toMatchObject({
      [METRIC_NAMES.recordsAccepted]: 1200,
      [METRIC_NAMES.recordsReplayed]: 300,
      [METRIC_NAMES.recordsRejected]: 1,
      [METRIC_NAMES.certyoRequests]: 2,
      [METRIC_NAMES.rateLimited]: 0,
      [METRIC_NAMES.bulkSize]: 750,
      [METRIC_NAMES.rateLimitRemaining]: 412,
    });
    expect(document?._aws.CloudWatchMetrics[0]?.Metrics).toEqual(
      Object.values(METRIC_NAMES).map((name) => ({ Name: name, Unit: 'Count' })),
    );
  });

  it('counts a call stopped by a 429 as rate limited', () => {
    // Arrange
    const metrics = createMetrics('s3', 'Test');
    const stopped = outcome({ requests: 1, stoppedBy: new RateLimitedError('rate limited', new Date()) });

    // Act
    publishIngestMetrics(metrics, stopped, { remaining: 0 });
    const [document] = flush(metrics);

    // Assert
    expect(document?.[METRIC_NAMES.rateLimited]).toBe(1);
    expect(document?.[METRIC_NAMES.rateLimitRemaining]).toBe(0);
  });

  it('does not count an outage as rate limited', () => {
    // Arrange
    const metrics = createMetrics('s3', 'Test');
    const stopped = outcome({ requests: 3, stoppedBy: new RetryableError('503', new Date(), 503) });

    // Act
    publishIngestMetrics(metrics, stopped, {});
    const [document] = flush(metrics);

    // Assert
    expect(document?.[METRIC_NAMES.rateLimited]).toBe(0);
  });

  it('leaves out bulk size without requests and the remaining budget when Certyo did not say', () => {
    // Arrange
    const metrics = createMetrics('dynamodb', 'Test');

    // Act
    publishIngestMetrics(metrics, outcome({ rejected: [{ index: 0, record: accepted(1, 0)[0]!.record, reason: 'bad' }] }), {});
    const [document] = flush(metrics);

    // Assert
    const names = document?._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name);
    expect(names).not.toContain(METRIC_NAMES.bulkSize);
    expect(names).not.toContain(METRIC_NAMES.rateLimitRemaining);
    expect(document?.[METRIC_NAMES.recordsRejected]).toBe(1);
  });

  it('keeps every call of one invocation as a separate value, so CloudWatch sums them', () => {
    // Arrange
    const metrics = createMetrics('s3', 'Test');

    // Act
    publishIngestMetrics(metrics, outcome({ accepted: accepted(1000, 0), requests: 1 }), {});
    publishIngestMetrics(metrics, outcome({ accepted: accepted(10, 0), requests: 1 }), {});
    const documents = flush(metrics);

    // Assert
    expect(documents).toHaveLength(1);
    expect(documents[0]?.[METRIC_NAMES.recordsAccepted]).toEqual([1000, 10]);
    expect(documents[0]?.[METRIC_NAMES.certyoRequests]).toEqual([1, 1]);
  });
});
