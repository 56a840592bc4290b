import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { runInvocation } from '../../lambdas/shared/invocation';
import { lambdaContext } from '../helpers/lambda-context';

function observability() {
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'test' });
  const published = jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
  return { logger, metrics, published, safetyMs: 20_000 };
}

describe('runInvocation', () => {
  it('gives the work a deadline safetyMs before the Lambda times out', async () => {
    // Arrange
    const o = observability();
    const before = Date.now();

    // Act
    const deadline = await runInvocation(lambdaContext('fn', 60_000), o, async (d) => d);

    // Assert
    expect(deadline).toBeGreaterThanOrEqual(before + 40_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 40_000);
  });

  it('publishes the stored metrics even when the work throws', async () => {
    // Arrange
    const o = observability();

    // Act
    const run = runInvocation(lambdaContext('fn', 60_000), o, async () => {
      o.metrics.addMetric('RecordsAccepted', MetricUnit.Count, 3);
      throw new Error('boom');
    });

    // Assert
    await expect(run).rejects.toThrow('boom');
    expect(o.published).toHaveBeenCalledTimes(1);
  });

  it('publishes nothing when the invocation stored no metric', async () => {
    // Arrange
    const o = observability();

    // Act
    await runInvocation(lambdaContext('fn', 60_000), o, async () => 'done');

    // Assert
    expect(o.published).not.toHaveBeenCalled();
  });
});
