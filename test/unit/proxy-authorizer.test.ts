import { APIGatewayClient, GetApiKeyCommand, NotFoundException } from '@aws-sdk/client-api-gateway';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import fc from 'fast-check';
import { mockClient } from 'aws-sdk-client-mock';
import { PROXY_ROUTES } from '../../lambdas/proxy-authorizer/routes';
import { secretsManagerApiKey } from '../../lambdas/shared/api-key';
import { authorize, AuthorizerDeps, Unauthorized } from '../../lambdas/proxy-authorizer/authorize';
import { apiGatewayKeyLookup, cachedConsumerDirectory, ConsumerDefinition } from '../../lambdas/proxy-authorizer/consumers';
import { authorizerEvent, onRoute, policyAllows, recordingLog } from './proxy-authorizer-fakes';

const CERTYO_KEY = 'certyo-live-key-7f3a9c1e5b2d4f6a8c0e';
const CONSUMERS: ConsumerDefinition[] = [
  { name: 'billing', keyId: 'kid-ingest', scopes: ['ingest'] },
  { name: 'audit', keyId: 'kid-verify', scopes: ['verify'] },
  { name: 'reporting', keyId: 'kid-read', scopes: ['read'] },
  { name: 'ops', keyId: 'kid-admin', scopes: ['admin'] },
  { name: 'platform', keyId: 'kid-all', scopes: ['ingest', 'verify', 'read', 'admin'] },
];
const KEY_VALUES: Record<string, string> = {
  'kid-ingest': 'consumerkey-billing-0123456789abcdefABCD',
  'kid-verify': 'consumerkey-audit-0123456789abcdefABCDE',
  'kid-read': 'consumerkey-reporting-0123456789abcdefAB',
  'kid-admin': 'consumerkey-ops-0123456789abcdefABCDEFGH',
  'kid-all': 'consumerkey-platform-0123456789abcdefABC',
};
const keyOf = (name: string): string => KEY_VALUES[(CONSUMERS.find((c) => c.name === name) as ConsumerDefinition).keyId] as string;

/** The tenants each consumer's read and verify routes may name (the fixtures ask for acme-corp). */
const TENANTS: ReadonlyMap<string, readonly string[]> = new Map([
  ['audit', ['acme-corp']],
  ['reporting', ['acme-corp', 'initech']],
  ['platform', ['acme-corp']],
]);

const apiGateway = mockClient(APIGatewayClient);
const secrets = mockClient(SecretsManagerClient);

function givenStoredKeys(disabled: readonly string[] = []): void {
  apiGateway.on(GetApiKeyCommand).callsFake((input: { apiKey: string; includeValue?: boolean }) => {
    const value = KEY_VALUES[input.apiKey];
    if (value === undefined) throw new NotFoundException({ message: 'Invalid API Key identifier specified', $metadata: {} });
    return { id: input.apiKey, name: `certyo-proxy-${input.apiKey}`, enabled: !disabled.includes(input.apiKey), value: input.includeValue ? value : undefined };
  });
}

function deps(options: { now?: () => number } = {}): AuthorizerDeps & { log: ReturnType<typeof recordingLog> } {
  const log = recordingLog();
  const secretsClient = new SecretsManagerClient({});
  return {
    consumers: cachedConsumerDirectory({ consumers: CONSUMERS, lookup: apiGatewayKeyLookup(new APIGatewayClient({})), log, now: options.now }),
    tenants: TENANTS,
    certyoKey: secretsManagerApiKey({ secretId: 'certyo/api-key', client: secretsClient, maxAgeMs: 300_000, now: options.now }),
    log,
  };
}

beforeEach(() => {
  apiGateway.reset();
  secrets.reset();
  givenStoredKeys();
  secrets.on(GetSecretValueCommand, { SecretId: 'certyo/api-key' }).resolves({ SecretString: JSON.stringify({ apiKey: CERTYO_KEY }) });
});

/** Concrete requests; the expected decisions below are written by hand from the issue, not derived from the route table. */
const REQUESTS: readonly (readonly [string, string])[] = [
  ['POST', 'records'],
  ['POST', 'records/bulk'],
  ['POST', 'verify/record'],
  ['GET', 'verify/history'],
  ['GET', 'records'],
  ['GET', 'snapshots/snap_xyz789'],
  ['GET', 'snapshots/snap_xyz789/lifecycle'],
  ['POST', 'snapshots/snap_xyz789/retry'],
  ['DELETE', 'records'],
  ['GET', 'records/bulk'],
  ['PUT', 'records'],
  ['GET', 'verify/record'],
  ['POST', 'snapshots/snap_xyz789'],
];
const ALLOWED: Record<string, readonly string[]> = {
  billing: ['POST records', 'POST records/bulk'],
  audit: ['POST verify/record', 'GET verify/history'],
  reporting: ['GET records', 'GET snapshots/snap_xyz789', 'GET snapshots/snap_xyz789/lifecycle'],
  ops: ['POST snapshots/snap_xyz789/retry'],
  platform: ['POST records', 'POST records/bulk', 'POST verify/record', 'GET verify/history', 'GET records', 'GET snapshots/snap_xyz789', 'GET snapshots/snap_xyz789/lifecycle', 'POST snapshots/snap_xyz789/retry'],
};

describe('proxy authorizer: scope matrix', () => {
  const cases = Object.keys(ALLOWED).flatMap((consumer) =>
    REQUESTS.map(([method, route]) => [consumer, method, route, (ALLOWED[consumer] as readonly string[]).includes(`${method} ${route}`)] as const),
  );

  it.each(cases)('%s: %s /%s allowed = %s (policy cached from the POST /records/bulk request)', async (consumer, method, route, allowed) => {
    // Arrange: the policy API Gateway caches comes from the consumer's first request, POST /records/bulk.
    const first = authorizerEvent('authorizer-request-post-bulk', keyOf(consumer));

    // Act
    const result = await authorize(first, deps());

    // Assert: API Gateway applies that cached policy to the later request on another route.
    expect(policyAllows(result.policyDocument, onRoute(first, method, route).methodArn)).toBe(allowed);
  });

  it('issues the same policy whichever route comes first, so the cache never depends on it', async () => {
    // Arrange
    const history = authorizerEvent('authorizer-request-get-history', keyOf('platform'));
    const bulk = authorizerEvent('authorizer-request-post-bulk', keyOf('platform'));

    // Act
    const fromHistory = await authorize(history, deps());
    const fromBulk = await authorize(bulk, deps());

    // Assert
    expect(fromHistory.policyDocument).toEqual(fromBulk.policyDocument);
    expect(fromHistory.policyDocument.Statement).toHaveLength(1);
  });

  it('scopes the policy to the API and stage of the request', async () => {
    // Arrange
    const event = authorizerEvent('authorizer-request-post-bulk', keyOf('billing'));
    const otherStage = { ...event, methodArn: event.methodArn.replace('/prod/', '/dev/') };

    // Act
    const result = await authorize(event, deps());

    // Assert
    expect(policyAllows(result.policyDocument, otherStage.methodArn)).toBe(false);
    expect(policyAllows(result.policyDocument, event.methodArn.replace('a1b2c3d4e5', 'zzzzzzzzzz'))).toBe(false);
  });
});

describe('proxy authorizer: identity', () => {
  it('returns the consumer, its usage-plan key and the Certyo key for the integration', async () => {
    // Arrange
    const event = authorizerEvent('authorizer-request-post-bulk', keyOf('billing'));

    // Act
    const result = await authorize(event, deps());

    // Assert
    expect(result.principalId).toBe('billing');
    expect(result.usageIdentifierKey).toBe(keyOf('billing'));
    expect(result.context).toEqual({ consumer: 'billing', scopes: 'ingest', certyoApiKey: CERTYO_KEY });
    expect(apiGateway.commandCalls(GetApiKeyCommand).map((c) => c.args[0].input)).toContainEqual({ apiKey: 'kid-ingest', includeValue: true });
  });

  it('reads the consumer key header whatever its case', async () => {
    // Arrange: the fixture's client sent lower-case header names.
    const event = authorizerEvent('authorizer-request-get-history', keyOf('audit'));

    // Act
    const result = await authorize(event, deps());

    // Assert
    expect(result.principalId).toBe('audit');
    expect(policyAllows(result.policyDocument, event.methodArn)).toBe(true);
  });

  it('refuses an unknown key with exactly "Unauthorized" (API Gateway: 401)', async () => {
    // Arrange
    const event = authorizerEvent('authorizer-request-post-bulk', 'consumerkey-guessed-0123456789abcdefXYZ');

    // Act
    const outcome = authorize(event, deps());

    // Assert
    await expect(outcome).rejects.toThrow(Unauthorized);
    await expect(outcome).rejects.toThrow(/^Unauthorized$/);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('refuses a request without the X-Consumer-Key header before looking up any key', async () => {
    // Arrange
    const event = authorizerEvent('authorizer-request-post-bulk', undefined);

    // Act
    const outcome = authorize(event, deps());

    // Assert
    await expect(outcome).rejects.toThrow(/^Unauthorized$/);
    expect(apiGateway.commandCalls(GetApiKeyCommand)).toHaveLength(0);
  });

  it('refuses a consumer whose API Gateway key is disabled', async () => {
    // Arrange
    givenStoredKeys(['kid-ingest']);
    const event = authorizerEvent('authorizer-request-post-bulk', keyOf('billing'));
    const d = deps();

    // Act
    const outcome = authorize(event, d);

    // Assert
    await expect(outcome).rejects.toThrow(/^Unauthorized$/);
    expect(d.log.entries).toContainEqual(expect.objectContaining({ level: 'warn', details: { consumer: 'billing', keyId: 'kid-ingest' } }));
  });

  it('refuses a consumer whose key id no longer exists, and still serves the others', async () => {
    // Arrange
    const removed = KEY_VALUES['kid-read'];
    delete KEY_VALUES['kid-read'];
    const d = deps();

    try {
      // Act
      const reporting = authorize(authorizerEvent('authorizer-request-post-bulk', removed), d);
      const billing = await authorize(authorizerEvent('authorizer-request-post-bulk', keyOf('billing')), d);

      // Assert
      await expect(reporting).rejects.toThrow(/^Unauthorized$/);
      expect(billing.principalId).toBe('billing');
    } finally {
      KEY_VALUES['kid-read'] = removed as string;
    }
  });
});

describe('proxy authorizer: caches', () => {
  it('reads consumer keys once per maximum age, not per request', async () => {
    // Arrange
    let now = 1_000_000;
    const d = deps({ now: () => now });
    const event = authorizerEvent('authorizer-request-post-bulk', keyOf('billing'));

    // Act
    await authorize(event, d);
    now += 299_000;
    await authorize(event, d);
    const readsWithinMaxAge = apiGateway.commandCalls(GetApiKeyCommand).length;
    now += 2_000;
    await authorize(event, d);

    // Assert
    expect(readsWithinMaxAge).toBe(CONSUMERS.length);
    expect(apiGateway.commandCalls(GetApiKeyCommand)).toHaveLength(2 * CONSUMERS.length);
  });

  it('re-reads keys for an unknown key at most every 30 s, so a newly enabled key works soon and guessing costs little', async () => {
    // Arrange: billing's key starts disabled.
    let now = 1_000_000;
    givenStoredKeys(['kid-ingest']);
    const d = deps({ now: () => now });
    const event = authorizerEvent('authorizer-request-post-bulk', keyOf('billing'));
    await expect(authorize(event, d)).rejects.toThrow(Unauthorized);
    givenStoredKeys();

    // Act
    now += 10_000;
    const tooSoon = authorize(event, d);
    await expect(tooSoon).rejects.toThrow(Unauthorized);
    const readsAfterTooSoon = apiGateway.commandCalls(GetApiKeyCommand).length;
    now += 25_000;
    const result = await authorize(event, d);

    // Assert
    expect(readsAfterTooSoon).toBe(CONSUMERS.length);
    expect(result.principalId).toBe('billing');
    expect(apiGateway.commandCalls(GetApiKeyCommand)).toHaveLength(2 * CONSUMERS.length);
  });

  it('returns a rotated Certyo key once the cached one is older than its maximum age', async () => {
    // Arrange
    let now = 1_000_000;
    const d = deps({ now: () => now });
    const event = authorizerEvent('authorizer-request-post-bulk', keyOf('billing'));
    const before = await authorize(event, d);
    secrets.on(GetSecretValueCommand, { SecretId: 'certyo/api-key' }).resolves({ SecretString: JSON.stringify({ apiKey: 'certyo-rotated-key-0000' }) });

    // Act
    now += 60_000;
    const cached = await authorize(event, d);
    now += 300_000;
    const refreshed = await authorize(event, d);

    // Assert
    expect(before.context.certyoApiKey).toBe(CERTYO_KEY);
    expect(cached.context.certyoApiKey).toBe(CERTYO_KEY);
    expect(refreshed.context.certyoApiKey).toBe('certyo-rotated-key-0000');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('fails (API Gateway: 500) without naming the key when the Certyo secret cannot be read', async () => {
    // Arrange
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"apiKey": ' });
    const event = authorizerEvent('authorizer-request-post-bulk', keyOf('billing'));

    // Act
    const outcome = authorize(event, deps());

    // Assert
    await expect(outcome).rejects.toThrow('Secret certyo/api-key starts with "{" but is not valid JSON');
    await expect(outcome).rejects.not.toThrow(Unauthorized);
  });
});

describe('proxy authorizer without consumers', () => {
  it('refuses every key and reads no key from API Gateway', async () => {
    // Arrange
    const log = recordingLog();
    const d: AuthorizerDeps = {
      consumers: cachedConsumerDirectory({ consumers: [], lookup: apiGatewayKeyLookup(new APIGatewayClient({})), log }),
      tenants: new Map(),
      certyoKey: secretsManagerApiKey({ secretId: 'certyo/api-key', client: new SecretsManagerClient({}) }),
      log,
    };

    // Act
    const outcome = authorize(authorizerEvent('authorizer-request-post-bulk', keyOf('platform')), d);

    // Assert
    await expect(outcome).rejects.toThrow(/^Unauthorized$/);
    expect(apiGateway.commandCalls(GetApiKeyCommand)).toHaveLength(0);
  });
});

describe('proxy authorizer: path parameters and unknown routes', () => {
  const TRAVERSAL = fc.constantFrom('..', '.', '%2e%2e', '%2E%2E', '.%2e', '%2f', '%2F', 'a/b', '../..', '', ';', 'a;b', '..;', '\\', '%5c', '%00', 'A'.repeat(129));
  const UNSAFE_ID = fc.oneof(TRAVERSAL, fc.tuple(fc.stringMatching(/^[a-z0-9_]{0,8}$/), TRAVERSAL, fc.stringMatching(/^[a-z0-9_]{0,8}$/)).map((parts) => parts.join('')))
    // An empty traversal part between safe parts leaves a safe id.
    .filter((id) => !/^[A-Za-z0-9_-]{1,128}$/.test(id));
  const SNAPSHOT_ROUTES = PROXY_ROUTES.filter((r) => r.path.includes('{snapshotId}'));

  it('denies every consumer a snapshot route whose id is not one segment of safe characters, and hands out no Certyo key', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CONSUMERS), fc.constantFrom(...SNAPSHOT_ROUTES), UNSAFE_ID, async (consumer, route, id) => {
        // Arrange: API Gateway routed the request to the route's resource with this parameter value.
        const base = onRoute(authorizerEvent('authorizer-request-post-bulk', keyOf(consumer.name)), route.method, route.path.replace('{snapshotId}', 'snap_1'));
        const event = { ...base, methodArn: base.methodArn.replace('snap_1', id), path: base.path.replace('snap_1', id), pathParameters: { snapshotId: id } };

        // Act
        const result = await authorize(event, deps());

        // Assert
        expect(policyAllows(result.policyDocument, event.methodArn)).toBe(false);
        expect(result.context.certyoApiKey).toBe('');
      }),
      { numRuns: 300 },
    );
  });

  it('allows a safe snapshot id exactly for the consumers whose scopes open the route', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CONSUMERS), fc.constantFrom(...SNAPSHOT_ROUTES), fc.stringMatching(/^[A-Za-z0-9_-]{1,128}$/), async (consumer, route, id) => {
        // Arrange
        const event = onRoute(authorizerEvent('authorizer-request-post-bulk', keyOf(consumer.name)), route.method, route.path.replace('{snapshotId}', id));

        // Act
        const result = await authorize(event, deps());

        // Assert
        expect(policyAllows(result.policyDocument, event.methodArn)).toBe(consumer.scopes.includes(route.scope));
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    ['a resource that is not a proxy route', { resource: '/{proxy+}', pathParameters: { proxy: '../verify/history' } }],
    ['an unexpected path parameter', { pathParameters: { proxy: 'x' } }],
  ])('denies %s', async (_, change) => {
    // Arrange
    const event = { ...authorizerEvent('authorizer-request-post-bulk', keyOf('platform')), ...change };

    // Act
    const result = await authorize(event, deps());

    // Assert
    expect(policyAllows(result.policyDocument, event.methodArn)).toBe(false);
    expect(result.policyDocument.Statement).toEqual([{ Effect: 'Deny', Action: 'execute-api:Invoke', Resource: event.methodArn }]);
  });
});

describe('proxy authorizer: the tenant in a read route\u2019s query', () => {
  /**
   * Query parameter names labelled by hand with what a reader (ASP.NET binds query parameters
   * case-insensitively; NFKC; a NUL-terminated name; one more percent-decoding) could take them
   * for. The oracle below reads only these labels, not the authorizer's code.
   */
  const NAMES: readonly { readonly name: string; readonly tenant: 'exact' | 'lookalike' | 'encoded' | 'other' }[] = [
    { name: 'tenantId', tenant: 'exact' },
    { name: 'TenantId', tenant: 'lookalike' },
    { name: 'TENANTID', tenant: 'lookalike' },
    { name: 'tenantid', tenant: 'lookalike' },
    { name: 'tenant\u0131d', tenant: 'lookalike' },
    { name: '\uFF54enantId', tenant: 'lookalike' },
    { name: 'tenantId\u0000x', tenant: 'lookalike' },
    { name: 'tenant%49d', tenant: 'encoded' },
    { name: '%74enantId', tenant: 'encoded' },
    { name: 'recordId%00', tenant: 'encoded' },
    { name: 'tenant', tenant: 'other' },
    { name: 'tenantIds', tenant: 'other' },
    { name: 'tenant_id', tenant: 'other' },
    { name: 'recordId', tenant: 'other' },
    { name: 'database', tenant: 'other' },
  ];
  const TENANT_VALUES = ['acme-corp', 'initech', 'globex', 'ACME-CORP', 'acme-corp ', '', 'acme%2Dcorp'];
  const QUERY_ROUTES = PROXY_ROUTES.filter((r) => r.method === 'GET' && (r.path === 'records' || r.path === 'verify/history'));

  const QUERY = fc.uniqueArray(fc.tuple(fc.constantFrom(...NAMES), fc.array(fc.constantFrom(...TENANT_VALUES), { minLength: 1, maxLength: 2 })), {
    maxLength: 4,
    selector: ([n]) => n.name,
  });

  /** Allowed by hand: exactly one tenant-like name, spelled exactly, with one value among the consumer's tenants; no encoded name. */
  function expectedAllowed(consumer: string, query: readonly (readonly [(typeof NAMES)[number], readonly string[]])[]): boolean {
    if (query.some(([n]) => n.tenant === 'encoded')) return false;
    const tenantLike = query.filter(([n]) => n.tenant !== 'other');
    if (tenantLike.length !== 1) return false;
    const [name, values] = tenantLike[0] as readonly [(typeof NAMES)[number], readonly string[]];
    return name.tenant === 'exact' && values.length === 1 && (TENANTS.get(consumer) ?? []).includes(values[0] as string);
  }

  it('allows a read route only when its query names exactly one of the consumer\u2019s tenants, once, under exactly tenantId', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CONSUMERS.map((c) => c.name)), fc.constantFrom(...QUERY_ROUTES), QUERY, async (consumer, route, query) => {
        // Arrange
        const base = onRoute(authorizerEvent('authorizer-request-get-history', keyOf(consumer)), route.method, route.path);
        const multi = Object.fromEntries(query.map(([n, values]) => [n.name, [...values]]));
        const event = { ...base, multiValueQueryStringParameters: multi, queryStringParameters: Object.fromEntries(query.map(([n, values]) => [n.name, values.at(-1) as string])) };
        const scoped = (CONSUMERS.find((c) => c.name === consumer) as ConsumerDefinition).scopes.includes(route.scope);

        // Act
        const result = await authorize(event, deps());

        // Assert
        expect(policyAllows(result.policyDocument, event.methodArn)).toBe(scoped && expectedAllowed(consumer, query));
        if (!expectedAllowed(consumer, query)) expect(result.context.certyoApiKey).toBe('');
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    [{ tenantId: ['acme-corp'] }, true, undefined],
    [{ tenantId: ['globex'] }, false, 'tenantId "globex" is not a tenant consumer platform may read (acme-corp)'],
    [{ recordId: ['INV-1'] }, false, 'query parameter tenantId is required: consumer platform may read only its tenants (acme-corp)'],
    [{ tenantId: ['acme-corp', 'globex'] }, false, 'query parameter tenantId is given 2 times; give it once'],
    [{ tenantId: ['acme-corp'], TenantId: ['globex'] }, false, 'query parameter tenantId is given under 2 names ("tenantId", "TenantId"); give it once'],
    [{ TENANTID: ['acme-corp'] }, false, 'query parameter "TENANTID" may be read as tenantId; spell it tenantId'],
    [{ tenantId: ['acme-corp'], 'tenant%49d': ['globex'] }, false, 'query parameter "tenant%49d" is still percent-encoded; send parameter names decoded once'],
  ])('GET /records?%j: allowed = %s, the refusal logged with its reason', async (query, allowed, reason) => {
    // Arrange
    const event = { ...onRoute(authorizerEvent('authorizer-request-get-history', keyOf('platform')), 'GET', 'records'), multiValueQueryStringParameters: query };
    const d = deps();

    // Act
    const result = await authorize(event, d);

    // Assert
    expect(policyAllows(result.policyDocument, event.methodArn)).toBe(allowed);
    const refusal = d.log.entries.find((e) => e.message === 'Request refused: tenant in the query');
    expect(refusal?.details.reason).toBe(reason);
  });

  it('lets a consumer without tenants read no tenant', async () => {
    // Arrange: ops has only the admin scope, so no tenants; give it the read route's query anyway.
    const event = onRoute(authorizerEvent('authorizer-request-get-history', keyOf('ops')), 'GET', 'records');

    // Act
    const result = await authorize(event, deps());

    // Assert
    expect(result.policyDocument.Statement).toEqual([{ Effect: 'Deny', Action: 'execute-api:Invoke', Resource: event.methodArn }]);
  });
});
