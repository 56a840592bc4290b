import { readWebhookSettings } from '../../lambdas/webhook-intake/settings';

const ENV = { EVENT_BUS_NAME: 'domain-events', DETAIL_TYPE: 'Certyo Record', DELIVERIES_TABLE_NAME: 'deliveries', WEBHOOK_SECRET_PREFIX: 'certyo/webhooks/' };

describe('readWebhookSettings', () => {
  it('defaults to a 5-minute signature tolerance and a 24-hour replay log', () => {
    // Act
    const settings = readWebhookSettings(ENV);

    // Assert
    expect(settings).toEqual({ eventBusName: 'domain-events', detailType: 'Certyo Record', deliveriesTableName: 'deliveries', secretPrefix: 'certyo/webhooks/', toleranceSeconds: 300, retentionSeconds: 86_400 });
  });

  it('names a missing variable', () => {
    // Act
    const read = () => readWebhookSettings({ ...ENV, EVENT_BUS_NAME: undefined });

    // Assert
    expect(read).toThrow('Environment variable EVENT_BUS_NAME is not set');
  });

  it('refuses a replay log shorter than the window in which a timestamp passes', () => {
    // Act
    const read = () => readWebhookSettings({ ...ENV, SIGNATURE_TOLERANCE_SECONDS: '600', DELIVERY_RETENTION_SECONDS: '1200' });

    // Assert
    expect(read).toThrow('DELIVERY_RETENTION_SECONDS (1200) must exceed twice SIGNATURE_TOLERANCE_SECONDS (600)');
  });

  it('names a malformed number', () => {
    // Act
    const read = () => readWebhookSettings({ ...ENV, SIGNATURE_TOLERANCE_SECONDS: '5m' });

    // Assert
    expect(read).toThrow('SIGNATURE_TOLERANCE_SECONDS = "5m"');
  });
});
