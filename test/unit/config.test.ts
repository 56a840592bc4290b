import * as fs from 'node:fs';
import fc from 'fast-check';
import * as path from 'node:path';
import { budgetPolicy, ConfigError, loadConfig } from '../../lib/config';
import { CONFIGURATION_PAGE, configTable, tableInPage } from '../../scripts/config-table';

const valid = { 'certyo:tenantId': 'acme-corp' };

function problemsOf(context: Record<string, unknown>): string {
  try {
    loadConfig(context);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(valid);

    expect(config).toMatchObject({
      apiUrl: 'https://www.certyos.com',
      tenantId: 'acme-corp',
      secretName: 'certyo/api-key',
      busName: 'domain-events',
      lambdaArchitecture: 'arm64',
      forwarding: { mode: 'direct', detailType: 'Certyo Record', sources: [], apiDestinationRateLimitPerSecond: 1 },
      verify: { policy: { kind: 'batch' }, waitSeconds: 120, workflowType: 'STANDARD' },
      dynamodb: { tables: [], ttlDeletes: 'ingest', writeBack: false },
    });
  });

  it('accepts -c strings for numbers, booleans and JSON lists', () => {
    const config = loadConfig({
      ...valid,
      'certyo:logRetentionDays': '14',
      'certyo:dynamodb.writeBack': 'true',
      'certyo:eventSources': '["com.acme.billing"]',
      'certyo:verify.policy': 'sample:0.05',
      'certyo:apiProxy.consumers': '[{"name":"billing","scopes":["ingest"],"tenantIds":["acme","acme","acme-eu"]}]',
    });

    expect(config.logRetentionDays).toBe(14);
    expect(config.dynamodb.writeBack).toBe(true);
    expect(config.forwarding.sources).toEqual(['com.acme.billing']);
    expect(config.verify.policy).toEqual({ kind: 'sample', fraction: 0.05 });
    // The whole default share (200 requests/hour): a burst of 20 and 180 more over the hour.
    expect(config.apiProxy.consumers).toEqual([{ name: 'billing', scopes: ['ingest'], tenantIds: ['acme', 'acme-eu'], rateLimit: 0.05, burstLimit: 20, hourlyRequests: 200, monthlyQuota: undefined }]);
  });

  it('normalises the API URL to its origin', () => {
    expect(loadConfig({ ...valid, 'certyo:apiUrl': 'http://127.0.0.1:4010/' }).apiUrl).toBe('http://127.0.0.1:4010');
  });

  it.each([
    [{ 'certyo:tenantId': '' }, 'certyo:tenantId = "": expected a non-empty string'],
    [{}, 'certyo:tenantId is not set'],
    [{ ...valid, 'certyo:apiUrl': 'not-a-url' }, 'certyo:apiUrl = "not-a-url": expected an absolute http(s) URL'],
    [{ ...valid, 'certyo:apiUrl': 'https://x.example/api/v1' }, 'certyo:apiUrl = "https://x.example/api/v1": expected the API origin only'],
    [{ ...valid, 'certyo:apiUrl': 'ftp://x.example' }, 'certyo:apiUrl = "ftp://x.example": expected an absolute http(s) URL'],
    [{ ...valid, 'certyo:forwardingMode': 'fast' }, 'certyo:forwardingMode = "fast": expected one of "direct", "batched"'],
    [{ ...valid, 'certyo:logRetentionDays': 'soon' }, 'certyo:logRetentionDays = "soon": expected one of the retention periods CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30,'],
    [{ ...valid, 'certyo:logRetentionDays': '31' }, 'certyo:logRetentionDays = "31": expected one of the retention periods CloudWatch Logs accepts'],
    [{ ...valid, 'certyo:dynamodb.writeBack': 'yes' }, 'certyo:dynamodb.writeBack = "yes": expected true or false'],
    [{ ...valid, 'certyo:verify.policy': 'sample:2' }, 'certyo:verify.policy = "sample:2": expected "all", "none", "batch" or "sample:'],
    [{ ...valid, 'certyo:tenantID': 'x' }, 'certyo:tenantID: unknown key'],
    [{ ...valid, 'certyo:eventSources': 'billing' }, 'certyo:eventSources = "billing": expected a JSON array of strings'],
    [
      { ...valid, 'certyo:dynamodb.tables': [{ tableName: 'orders', streamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/other/stream/x' }] },
      'item 0 needs the streamArn of table orders',
    ],
    [{ ...valid, 'certyo:apiProxy.consumers': [{ name: 'a', scopes: ['write'] }] }, 'consumer "a" to have scopes'],
    [
      { ...valid, 'certyo:apiProxy.consumers': [{ name: 'a', scopes: ['read', 'ingest'] }] },
      'certyo:apiProxy.consumers = [{"name":"a","scopes":["read","ingest"]}]: expected consumer "a" to have tenantIds, a non-empty JSON array of the tenant ids it may write, verify or read (its read and ingest scopes name tenants, which must be listed)',
    ],
    [{ ...valid, 'certyo:apiProxy.consumers': [{ name: 'v', scopes: ['verify'], tenantIds: [] }] }, 'expected consumer "v" to have tenantIds, a non-empty JSON array of the tenant ids it may write, verify or read (its verify scope'],
    [{ ...valid, 'certyo:apiProxy.consumers': [{ name: 'r', scopes: ['read'], tenantIds: ['acme', ' '] }] }, 'expected consumer "r" to have tenantIds, a non-empty JSON array of the tenant ids it may write'],
    [{ ...valid, 'certyo:alarmEmail': 'ops' }, 'certyo:alarmEmail = "ops": expected an e-mail address'],
    [{ ...valid, 'certyo:batched.batchWindowSeconds': 0 }, 'certyo:batched.batchWindowSeconds = 0: expected at least 1'],
  ])('rejects %j naming the key, value and expectation', (context, message) => {
    expect(problemsOf(context)).toContain(message);
  });

  it('reports every problem at once', () => {
    const message = problemsOf({ 'certyo:tenantId': '', 'certyo:apiUrl': 'nope' });

    expect(message).toContain('certyo:tenantId');
    expect(message).toContain('certyo:apiUrl');
  });

  it('is fully documented: docs/configuration.md holds the table generated from SETTINGS', () => {
    const page = fs.readFileSync(CONFIGURATION_PAGE, 'utf8');

    // Regenerate with `npx tsx scripts/config-table.ts --write` after changing a setting.
    expect(tableInPage(page)).toBe(configTable());
  });

  it('has working defaults in cdk.json, and no tenant id: a deploy must name the real one', () => {
    const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };

    expect(cdkJson.context).not.toHaveProperty(['certyo:tenantId']);
    expect(() => loadConfig({ ...cdkJson.context, ...valid })).not.toThrow();
  });
});

describe('proxy budget partition (certyo:apiProxy.hourlyRequestShare)', () => {
  const consumerArb = fc.record(
    {
      name: fc.stringMatching(/^[a-z]{1,8}$/),
      rateLimit: fc.double({ min: 0.0001, max: 0.2, noNaN: true }),
      burstLimit: fc.integer({ min: 1, max: 100 }),
    },
    { requiredKeys: ['name'] },
  );

  it('never lets the consumers together exceed the share in an hour (burst + rate × 3600), deriving unset throttles from what is left', () => {
    fc.assert(
      fc.property(fc.uniqueArray(consumerArb, { selector: (c) => c.name, minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 999 }), (consumers, share) => {
        let config;
        try {
          // The other shares leave the proxy any share the key allows.
          const otherShares = { 'certyo:rateBudget.ingestHourlyShare': 1, 'certyo:rateBudget.verificationHourlyShare': 0 };
          config = loadConfig({ ...valid, ...otherShares, 'certyo:apiProxy.hourlyRequestShare': share, 'certyo:apiProxy.consumers': consumers.map((c) => ({ ...c, scopes: ['read'], tenantIds: ['acme'] })) });
        } catch (error) {
          // Refused: and then the message names both keys.
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as Error).message).toMatch(/certyo:apiProxy\.consumers.*certyo:apiProxy\.hourlyRequestShare/);
          return;
        }
        const spend = config.apiProxy.consumers.reduce((sum, c) => sum + c.burstLimit + c.rateLimit * 3600, 0);
        expect(spend).toBeLessThanOrEqual(share + 1e-6);
        for (const c of config.apiProxy.consumers) {
          expect(c.rateLimit).toBeGreaterThan(0);
          expect(c.hourlyRequests).toBeCloseTo(c.burstLimit + c.rateLimit * 3600, 6);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('splits the default share of 200 requests/hour equally among consumers without their own throttle', () => {
    // Act
    const config = loadConfig({ ...valid, 'certyo:apiProxy.consumers': [{ name: 'a', scopes: ['admin'] }, { name: 'b', scopes: ['verify'], tenantIds: ['acme'] }] });

    // Assert: 100 each, a burst of 10 and 90 over the hour (0.025/s).
    expect(config.apiProxy.hourlyRequestShare).toBe(200);
    expect(config.apiProxy.consumers.map((c) => [c.rateLimit, c.burstLimit, c.hourlyRequests])).toEqual([
      [0.025, 10, 100],
      [0.025, 10, 100],
    ]);
  });

  it('refuses a consumer throttle beyond the share, naming both keys', () => {
    // Act
    const load = () => loadConfig({ ...valid, 'certyo:apiProxy.consumers': [{ name: 'chatty', scopes: ['ingest'], tenantIds: ['acme'], rateLimit: 100 }] });

    // Assert
    expect(load).toThrow(/certyo:apiProxy\.consumers: the consumers' throttles allow .* more than certyo:apiProxy\.hourlyRequestShare \(200\)/);
  });

  it('refuses a share that would leave the pipeline nothing', () => {
    expect(() => loadConfig({ ...valid, 'certyo:apiProxy.hourlyRequestShare': 1000 })).toThrow('certyo:apiProxy.hourlyRequestShare = 1000: expected a whole number from 1 to 999');
  });
});

/**
 * The values CloudFormation accepts, written out from the AWS documentation (AWS::Logs::LogGroup
 * RetentionInDays; EventBridge ApiDestination InvocationRateLimitPerSecond; Lambda event source
 * mapping BatchSize and MaximumBatchingWindowInSeconds for SQS and DynamoDB Streams), so the
 * config is checked against an oracle that does not share its code.
 */
const CLOUDWATCH_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const CLOUDFORMATION_RANGES: readonly (readonly [string, number, number])[] = [
  ['certyo:apiDestination.rateLimitPerSecond', 1, 300],
  ['certyo:batched.batchSize', 1, 10_000],
  ['certyo:batched.batchWindowSeconds', 0, 300],
  ['certyo:dynamodb.batchSize', 1, 10_000],
  ['certyo:dynamodb.batchWindowSeconds', 0, 300],
];

describe('loadConfig accepts exactly what CloudFormation accepts', () => {
  const accepts = (context: Record<string, unknown>): boolean => {
    try {
      loadConfig({ ...valid, ...context });
      return true;
    } catch (error) {
      if (error instanceof ConfigError) return false;
      throw error;
    }
  };

  it('certyo:logRetentionDays: only CloudWatch Logs retention periods, from cdk.json or -c', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -10, max: 4000 }), fc.constantFrom(...CLOUDWATCH_RETENTION_DAYS)), fc.boolean(), (days, asText) => {
        expect(accepts({ 'certyo:logRetentionDays': asText ? String(days) : days })).toBe(CLOUDWATCH_RETENTION_DAYS.includes(days));
      }),
    );
  });

  it.each(CLOUDFORMATION_RANGES)('%s: whole numbers from %d to %d', (key, min, max) => {
    // A batch above 10 SQS messages needs a window (checked on its own), so keep the window valid.
    const base = key === 'certyo:batched.batchWindowSeconds' ? { 'certyo:batched.batchSize': 10 } : {};
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: min - 50, max: max + 50 }), fc.constantFrom(min - 1, min, max, max + 1), fc.double({ min, max, noInteger: true })), (value) => {
        expect(accepts({ ...base, [key]: value })).toBe(Number.isInteger(value) && value >= min && value <= max);
      }),
    );
  });
});

describe('rate budget shares (certyo:rateBudget.*)', () => {
  it('refuses shares that add up to more than the key allows, naming the three keys', () => {
    expect(() => loadConfig({ ...valid, 'certyo:rateBudget.ingestHourlyShare': 750, 'certyo:apiProxy.hourlyRequestShare': 200 })).toThrow(
      'certyo:rateBudget.ingestHourlyShare (750) + certyo:rateBudget.verificationHourlyShare (100) + certyo:apiProxy.hourlyRequestShare (200) = 1050: the shares must add up to at most',
    );
  });

  it('gives the governor each share as a fraction of the hour and the lending point as a fraction of the window', () => {
    const config = loadConfig({ ...valid, 'certyo:rateBudget.ingestHourlyShare': 600, 'certyo:rateBudget.lendingMinutes': 6 });

    expect(budgetPolicy(config)).toEqual({ shares: { ingest: 0.6, verification: 0.1, apiProxy: 0.2 }, lendingFraction: 0.1 });
  });
});
