import { parseConsumers } from '../../lambdas/proxy-authorizer/consumers';
import { allowedResources, MethodArnError, PROXY_ROUTES, PROXY_SCOPES } from '../../lambdas/proxy-authorizer/routes';
import { readAuthorizerSettings } from '../../lambdas/proxy-authorizer/settings';

describe('parseConsumers', () => {
  it('reads the consumers the stack writes into PROXY_CONSUMERS', () => {
    // Arrange
    const json = JSON.stringify([{ name: 'billing', keyId: 'abc123', scopes: ['ingest', 'read'] }]);

    // Act
    const consumers = parseConsumers(json);

    // Assert
    expect(consumers).toEqual([{ name: 'billing', keyId: 'abc123', scopes: ['ingest', 'read'] }]);
  });

  it.each([
    ['not JSON', '[{', /PROXY_CONSUMERS is not JSON/],
    ['an object', '{"name":"a"}', /PROXY_CONSUMERS must be a JSON array/],
    ['a consumer without name', '[{"keyId":"k","scopes":["read"]}]', /PROXY_CONSUMERS\[0\]\.name must be a non-empty string/],
    ['a duplicate name', '[{"name":"a","keyId":"k","scopes":["read"]},{"name":"a","keyId":"j","scopes":["read"]}]', /PROXY_CONSUMERS\[1\]\.name "a" appears twice/],
    ['a consumer without keyId', '[{"name":"a","scopes":["read"]}]', /PROXY_CONSUMERS\[0\]\.keyId \(consumer "a"\)/],
    ['an unknown scope', '[{"name":"a","keyId":"k","scopes":["write"]}]', /PROXY_CONSUMERS\[0\]\.scopes \(consumer "a"\) must be a non-empty list of ingest, verify, read, admin/],
  ])('rejects %s with an error naming the field', (_case, json, message) => {
    // Act
    const parse = () => parseConsumers(json);

    // Assert
    expect(parse).toThrow(message);
  });
});

describe('readAuthorizerSettings', () => {
  const consumers = '[{"name":"a","keyId":"k","scopes":["read"]}]';

  it('caches for five minutes unless told otherwise, and reads the consumers\u2019 tenants', () => {
    // Act
    const settings = readAuthorizerSettings({ PROXY_CONSUMERS: consumers, PROXY_TENANTS: '{"a":["acme","initech"]}' });

    // Assert
    expect(settings.cacheMaxAgeMs).toBe(300_000);
    expect(settings.tenants.get('a')).toEqual(['acme', 'initech']);
  });

  it('fails the cold start without PROXY_TENANTS, naming it', () => {
    expect(() => readAuthorizerSettings({ PROXY_CONSUMERS: consumers })).toThrow('Environment variable PROXY_TENANTS is not set');
  });

  it('names the variable that is missing or malformed', () => {
    // Act
    const missing = () => readAuthorizerSettings({});
    const malformed = () => readAuthorizerSettings({ PROXY_CONSUMERS: consumers, CACHE_MAX_AGE_SECONDS: 'soon' });

    // Assert
    expect(missing).toThrow('Environment variable PROXY_CONSUMERS is not set');
    expect(malformed).toThrow('CACHE_MAX_AGE_SECONDS = "soon"');
  });
});

describe('allowedResources', () => {
  it('lists each route once when scopes overlap', () => {
    // Arrange
    const methodArn = 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/records';

    // Act
    const resources = allowedResources(methodArn, ['ingest', 'read', 'read']);

    // Assert
    expect(resources).toEqual([
      'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/records',
      'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/snapshots/*',
      'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/snapshots/*/lifecycle',
      'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/POST/records',
      'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/POST/records/bulk',
    ]);
  });

  it('has routes for every scope', () => {
    // Assert
    for (const scope of PROXY_SCOPES) expect(PROXY_ROUTES.filter((r) => r.scope === scope).length).toBeGreaterThan(0);
  });

  it('rejects a method ARN that is not an execute-api ARN', () => {
    // Act
    const build = () => allowedResources('arn:aws:lambda:eu-west-1:123456789012:function:x', ['read']);

    // Assert
    expect(build).toThrow(MethodArnError);
  });
});

describe('an authorizer without consumers', () => {
  it('accepts an empty list, so the proxy can be deployed before its first consumer', () => {
    // Act
    const consumers = parseConsumers('[]');

    // Assert
    expect(consumers).toEqual([]);
  });
});
