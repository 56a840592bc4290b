import { parseWebhookSources, readWebhookSettings } from '../../lambdas/webhook-intake/settings';

const ENV = { EVENT_BUS_NAME: 'domain-events', DETAIL_TYPE: 'Certyo Record', DELIVERIES_TABLE_NAME: 'deliveries', WEBHOOK_SECRET_PREFIX: 'certyo/webhooks/', WEBHOOK_SOURCES: '[{"source":"orders","tenantIds":["acme"],"databases":["shop"]}]' };

describe('readWebhookSettings', () => {
  it('defaults to a 5-minute signature tolerance, a 24-hour replay log and 30-second pending claims', () => {
    // Act
    const settings = readWebhookSettings(ENV);

    // Assert
    expect(settings).toEqual({
      eventBusName: 'domain-events',
      detailType: 'Certyo Record',
      deliveriesTableName: 'deliveries',
      secretPrefix: 'certyo/webhooks/',
      toleranceSeconds: 300,
      retentionSeconds: 86_400,
      pendingSeconds: 30,
      sources: new Map([['orders', { source: 'orders', tenantIds: ['acme'], databases: ['shop'] }]]),
    });
  });

  it.each([
    ['not JSON', '[{', 'WEBHOOK_SOURCES is not JSON'],
    ['a bad source name', '[{"source":"Orders","tenantIds":["a"],"databases":["d"]}]', 'WEBHOOK_SOURCES[0].source must be lower-case letters, digits or -'],
    ['no tenants', '[{"source":"orders","tenantIds":[],"databases":["d"]}]', 'WEBHOOK_SOURCES[0].tenantIds (source "orders") must be a non-empty list of strings'],
    ['no databases', '[{"source":"orders","tenantIds":["a"]}]', 'WEBHOOK_SOURCES[0].databases (source "orders") must be a non-empty list of strings'],
    ['a source twice', '[{"source":"o","tenantIds":["a"],"databases":["d"]},{"source":"o","tenantIds":["a"],"databases":["d"]}]', 'WEBHOOK_SOURCES[1].source "o" appears twice'],
  ])('refuses WEBHOOK_SOURCES with %s, naming the item and field', (_, json, message) => {
    expect(() => parseWebhookSources(json)).toThrow(message);
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
