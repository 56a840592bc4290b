/**
 * The proxy's tenant guard: a body reaches Certyo only when every reader of it would see only the
 * consumer's tenants, and then byte for byte. Bodies are generated from a model whose members are
 * labelled by hand with what some JSON reader could bind them to (case-insensitive ASP.NET
 * binding, NFKC, a NUL-terminated name), so the oracle does not share the guard's code.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { guardTenants, GuardDeps } from '../../lambdas/proxy-tenant-guard/guard';
import { readGuardSettings } from '../../lambdas/proxy-tenant-guard/settings';
import { parseTenants } from '../../lambdas/shared/proxy-tenants';
import { checkTenants } from '../../lambdas/proxy-tenant-guard/tenant-check';
import type { ForwardedRequest } from '../../lambdas/shared/certyo-client';
import { AuthError, RateLimitedError, RetryableError } from '../../lambdas/shared/certyo-types';
import type { TenantBody } from '../../lambdas/proxy-authorizer/routes';

/** A member name as written in the body, what it decodes to, and whether a reader could take it for the field. */
interface Name {
  readonly raw: string;
  readonly binds: boolean;
  /** Exactly the field's name once decoded. */
  readonly exact: boolean;
}

const TENANT_NAMES: readonly Name[] = [
  { raw: '"tenantId"', binds: true, exact: true },
  { raw: '"tenant\\u0049d"', binds: true, exact: true },
  { raw: '"\\u0074enantId"', binds: true, exact: true },
  { raw: '"TenantId"', binds: true, exact: false },
  { raw: '"TENANTID"', binds: true, exact: false },
  { raw: '"tenantid"', binds: true, exact: false },
  { raw: '"tenant\u0131d"', binds: true, exact: false }, // dotless i: OrdinalIgnoreCase upper-cases it to I
  { raw: '"\uff54\uff45\uff4e\uff41\uff4e\uff54\uff29\uff44"', binds: true, exact: false }, // full-width, NFKC → tenantId
  { raw: '"tenantId\\u0000x"', binds: true, exact: false }, // a NUL-terminated reader sees tenantId
  { raw: '"tenant"', binds: false, exact: false },
  { raw: '"tenantIds"', binds: false, exact: false },
  { raw: '"x-tenantId"', binds: false, exact: false },
  { raw: '"tenant_id"', binds: false, exact: false },
];

const ITEMS_NAMES: readonly Name[] = [
  { raw: '"items"', binds: true, exact: true },
  { raw: '"\\u0069tems"', binds: true, exact: true },
  { raw: '"Items"', binds: true, exact: false },
  { raw: '"ITEMS"', binds: true, exact: false },
  { raw: '"records"', binds: false, exact: false },
];

const TENANTS = ['acme', 'globex', 'initech', 'Acme', 'acme '] as const;

/** A tenant value: a tenant written plainly or with escapes (it decodes to the same), or not a string. */
type TenantValue = { readonly tenant: string; readonly raw: string } | { readonly tenant: undefined; readonly raw: string };

const tenantValue: fc.Arbitrary<TenantValue> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...TENANTS).map((tenant) => ({ tenant, raw: JSON.stringify(tenant) })) },
  { weight: 2, arbitrary: fc.constantFrom(...TENANTS).map((tenant) => ({ tenant, raw: `"\\u${tenant.charCodeAt(0).toString(16).padStart(4, '0')}${tenant.slice(1)}"` })) },
  { weight: 1, arbitrary: fc.constantFrom('null', '42', '["acme"]', '{"id":"acme"}', 'true').map((raw) => ({ tenant: undefined, raw })) },
);

interface RecordModel {
  readonly tenants: readonly { readonly name: Name; readonly value: TenantValue }[];
  readonly text: string;
}

/** Big numbers and a payload that itself names tenants: data, which the guard must neither read nor change. */
const PAYLOAD = fc.constantFrom(
  '{"amount":12345678901234567890123,"ratio":1.000000000000000000001}',
  '{"tenantId":"globex","nested":{"TenantId":"initech","items":[{"tenantId":"x"}]}}',
  '[1,2,{"tenantId":"globex"}]',
  '"tenantId"',
  '{}',
);

const recordModel: fc.Arbitrary<RecordModel> = fc
  .record({
    tenants: fc.array(fc.record({ name: fc.constantFrom(...TENANT_NAMES), value: tenantValue }), { maxLength: 3 }),
    payload: PAYLOAD,
    recordId: fc.constantFrom('"INV-1"', '"r\\"1"', '12345678901234567890'),
    order: fc.nat(),
  })
  .map(({ tenants, payload, recordId, order }) => {
    const members = [`"database":"billing"`, `"collection":"invoices"`, `"recordId":${recordId}`, `"recordPayload":${payload}`, ...tenants.map((t) => `${t.name.raw}:${t.value.raw}`)];
    const at = order % (members.length + 1);
    // Rotated, so tenant members appear before, between and after the others.
    const rotated = [...members.slice(at), ...members.slice(0, at)];
    return { tenants, text: `{ ${rotated.join(', ')} }` };
  });

interface BodyModel {
  readonly kind: TenantBody;
  readonly text: string;
  /** The records a reader could read (for bulk: the elements of every member it could take for `items`). */
  readonly records: readonly RecordModel[];
  /** For bulk: the root's own tenant members. */
  readonly rootTenants: RecordModel['tenants'];
  /** For bulk: the members a reader could take for `items`; each must hold only records. */
  readonly itemsMembers: readonly { readonly name: Name; readonly elements: readonly (RecordModel | { readonly text: string; readonly notRecord: true })[] }[];
}

const notRecord = fc.constantFrom('[{"tenantId":"acme"}]', '"acme"', 'null', '7').map((text) => ({ text, notRecord: true as const }));

const bodyModel: fc.Arbitrary<BodyModel> = fc.oneof(
  recordModel.map((record): BodyModel => ({ kind: 'record', text: record.text, records: [record], rootTenants: [], itemsMembers: [] })),
  fc
    .record({
      rootTenants: fc.array(fc.record({ name: fc.constantFrom(...TENANT_NAMES), value: tenantValue }), { maxLength: 2 }),
      itemsMembers: fc.array(
        fc.record({
          name: fc.constantFrom(...ITEMS_NAMES),
          elements: fc.array(fc.oneof({ weight: 12, arbitrary: recordModel }, { weight: 1, arbitrary: notRecord }), { maxLength: 6 }),
        }),
        { minLength: 1, maxLength: 2 },
      ),
    })
    .map(({ rootTenants, itemsMembers }): BodyModel => {
      const members = [
        ...rootTenants.map((t) => `${t.name.raw}:${t.value.raw}`),
        ...itemsMembers.map((m) => `${m.name.raw}:[${m.elements.map((e) => e.text).join(',\n ')}]`),
      ];
      const records = itemsMembers.filter((m) => m.name.binds).flatMap((m) => m.elements.filter((e): e is RecordModel => !('notRecord' in e)));
      return { kind: 'bulk', text: `{${members.join(',')}}`, records, rootTenants, itemsMembers };
    }),
);

const readable = (tenants: RecordModel['tenants']) => tenants.filter((t) => t.name.binds);

/** Could any reader see a tenant outside `allowed`, a record without tenant, or something that is not a record where records are read? */
function someReaderEscapes(body: BodyModel, allowed: readonly string[]): boolean {
  const bad = (t: RecordModel['tenants'][number]) => t.value.tenant === undefined || !allowed.includes(t.value.tenant);
  if (readable(body.rootTenants).some(bad)) return true;
  if (body.kind === 'bulk') {
    const items = body.itemsMembers.filter((m) => m.name.binds);
    if (items.length === 0 || items.some((m) => m.elements.some((e) => 'notRecord' in e))) return true;
  }
  const readRecords = body.kind === 'record' ? body.records : body.itemsMembers.filter((m) => m.name.binds).flatMap((m) => m.elements as RecordModel[]);
  return readRecords.some((r) => readable(r.tenants).length === 0 || readable(r.tenants).some(bad));
}

/** Unambiguous: one exactly named member where a reader looks, allowed tenants only. */
function clearlyAllowed(body: BodyModel, allowed: readonly string[]): boolean {
  const one = (tenants: RecordModel['tenants'], required: boolean) => {
    const bound = readable(tenants);
    if (bound.length === 0) return !required;
    const only = bound[0] as RecordModel['tenants'][number];
    return bound.length === 1 && only.name.exact && only.value.tenant !== undefined && allowed.includes(only.value.tenant);
  };
  if (body.kind === 'record') return one((body.records[0] as RecordModel).tenants, true);
  const items = body.itemsMembers.filter((m) => m.name.binds);
  return (
    one(body.rootTenants, false) &&
    items.length === 1 &&
    (items[0] as BodyModel['itemsMembers'][number]).name.exact &&
    (items[0] as BodyModel['itemsMembers'][number]).elements.every((e) => !('notRecord' in e) && one(e.tenants, true))
  );
}

const allowedTenants = fc.subarray([...TENANTS], { minLength: 1 });

describe('checkTenants', () => {
  it('passes a body only when no reader could see a foreign, missing or ambiguous tenant, and passes every unambiguous allowed body', () => {
    fc.assert(
      fc.property(bodyModel, allowedTenants, (body, allowed) => {
        const check = checkTenants(body.kind, body.text, 'billing', allowed);
        expect(() => JSON.parse(body.text)).not.toThrow();
        if (check.ok) expect(someReaderEscapes(body, allowed)).toBe(false);
        if (clearlyAllowed(body, allowed)) expect(check).toEqual({ ok: true, records: body.records.length });
        if (!check.ok) expect(check.message).toMatch(/^body/);
      }),
      { numRuns: 3000 },
    );
  });

  it('names the first foreign item of a bulk body by its index', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }), (foreign) => {
        fc.pre(foreign.includes(true));
        const items = foreign.map((f, i) => `{"recordId":"r${i}","tenantId":"${f ? 'globex' : 'acme'}","recordPayload":{"n":98765432109876543210}}`);
        const check = checkTenants('bulk', `{"items":[${items.join(',')}]}`, 'billing', ['acme']);
        expect(check).toEqual({
          ok: false,
          status: 403,
          message: `body.items[${foreign.indexOf(true)}].tenantId "globex" is not a tenant consumer billing may write (acme)`,
        });
      }),
    );
  });

  it.each([
    ['record', '{"tenantId":"acme","tenantId":"globex"}', 403, 'body.tenantId is given 2 times ("tenantId", "tenantId"); give it once'],
    ['record', '{"tenantId":"acme","TenantId":"globex"}', 403, 'body.tenantId is given 2 times ("tenantId", "TenantId"); give it once'],
    ['record', '{"TENANTID":"acme"}', 403, 'body has member "TENANTID", which a JSON reader may take for tenantId; spell it tenantId'],
    ['record', '{"recordId":"r"}', 403, 'body.tenantId is required: consumer billing may write only its tenants (acme)'],
    ['record', '{"tenantId":null}', 403, "body.tenantId must be a string naming one of consumer billing's tenants (acme)"],
    ['record', '{"tenantId":"acme"', 400, 'body must be JSON'],
    ['record', '[{"tenantId":"acme"}]', 400, 'body must be a JSON object'],
    ['bulk', '{"items":{"tenantId":"acme"}}', 400, 'body.items must be a JSON array of records'],
    ['bulk', '{"records":[{"tenantId":"acme"}]}', 400, 'body.items must be a JSON array of records'],
    ['bulk', '{"items":[{"tenantId":"acme"}],"Items":[{"tenantId":"globex"}]}', 403, 'body.items is given 2 times ("items", "Items"); give it once'],
    ['bulk', '{"items":[{"tenantId":"acme"},[{"tenantId":"acme"}]]}', 400, 'body.items[1] must be a JSON object (a record)'],
    ['bulk', '{"tenantId":"globex","items":[{"tenantId":"acme"}]}', 403, 'body.tenantId "globex" is not a tenant consumer billing may write (acme)'],
  ] as const)('%s %s → %i %s', (kind, text, status, message) => {
    expect(checkTenants(kind, text, 'billing', ['acme'])).toEqual({ ok: false, status, message });
  });
});

const CONSUMERS = new Map<string, readonly string[]>([
  ['billing', ['acme']],
  ['ops', ['acme', 'globex']],
  ['reader', []],
]);

function proxyEvent(resource: string, body: string, consumer: string | undefined, headers: Record<string, string> = {}): APIGatewayProxyEvent {
  return {
    resource,
    path: resource,
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Consumer-Key': 'consumer-key-value', ...headers },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    isBase64Encoded: false,
    body,
    requestContext: {
      requestId: 'req-1',
      authorizer: consumer === undefined ? undefined : { consumer, principalId: consumer, scopes: 'ingest verify', certyoApiKey: 'certyo-key-value' },
    },
  } as unknown as APIGatewayProxyEvent;
}

function recordingDeps(answer: () => Promise<{ status: number; headers: Headers; text: string }> = async () => ({ status: 202, headers: new Headers({ 'content-type': 'application/json', 'x-ratelimit-remaining': '41', server: 'certyo' }), text: '{"recordId":"r"}' })) {
  const forwarded: ForwardedRequest[] = [];
  const logged: string[] = [];
  const line = (message: string, details: Record<string, unknown>) => logged.push(JSON.stringify({ message, ...details }));
  const deps: GuardDeps = {
    tenantsOf: (name) => CONSUMERS.get(name),
    certyo: {
      forward: async (request) => {
        forwarded.push(request);
        return answer();
      },
    },
    log: { info: line, warn: line, error: line },
    now: () => 1_000_000,
    forwardTimeoutMs: 20_000,
  };
  return { deps, forwarded, logged };
}

const ROUTES: readonly [string, TenantBody][] = [
  ['/records', 'record'],
  ['/records/bulk', 'bulk'],
  ['/verify/record', 'record'],
];

describe('guardTenants', () => {
  it('sends Certyo exactly the bodies the check passes, unchanged, for every consumer and route; nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(bodyModel, fc.constantFrom('billing', 'ops', 'reader', 'stranger'), async (body, consumer) => {
        const [resource] = ROUTES.find(([, kind]) => kind === body.kind) as [string, TenantBody];
        const { deps, forwarded, logged } = recordingDeps();

        const response = await guardTenants(proxyEvent(resource, body.text, consumer), deps);

        const allowed = CONSUMERS.get(consumer) ?? [];
        const passes = allowed.length > 0 && checkTenants(body.kind, body.text, consumer, allowed).ok;
        expect(forwarded).toEqual(passes ? [{ method: 'POST', path: `/api/v1${resource}`, body: body.text, headers: {} }] : []);
        if (passes) expect(someReaderEscapes(body, allowed)).toBe(false);
        else expect([400, 403]).toContain(response.statusCode);
        // Neither key nor body in any log line.
        for (const line of logged) expect(line).not.toMatch(/consumer-key-value|certyo-key-value|recordPayload|12345678901234567890123/);
      }),
      { numRuns: 1000 },
    );
  });

  it("answers with Certyo's status, body and rate-limit headers, passing the Idempotency-Key header on", async () => {
    const { deps, forwarded } = recordingDeps();
    const body = '{"tenantId":"acme","recordId":"r","recordPayload":{"n":12345678901234567890123}}';

    const response = await guardTenants(proxyEvent('/records', body, 'billing', { 'idempotency-key': 'k-1', 'X-API-Key': 'forged' }), deps);

    expect(forwarded).toEqual([{ method: 'POST', path: '/api/v1/records', body, headers: { 'Idempotency-Key': 'k-1' } }]);
    expect(response).toEqual({ statusCode: 202, headers: { 'Content-Type': 'application/json', 'X-RateLimit-Remaining': '41' }, body: '{"recordId":"r"}' });
  });

  it('reads a base64 body as the UTF-8 text it encodes', async () => {
    const { deps, forwarded } = recordingDeps();
    const body = '{"tenantId":"acme","recordPayload":"caf\u00e9"}';
    const event = { ...proxyEvent('/records', Buffer.from(body, 'utf8').toString('base64'), 'billing'), isBase64Encoded: true };

    await guardTenants(event, deps);

    expect(forwarded.map((f) => f.body)).toEqual([body]);
  });

  it('refuses a request the authorizer named no consumer for, and a route it does not guard', async () => {
    const { deps, forwarded } = recordingDeps();

    const anonymous = await guardTenants(proxyEvent('/records', '{"tenantId":"acme"}', undefined), deps);
    const otherRoute = await guardTenants({ ...proxyEvent('/snapshots/{snapshotId}/retry', '{"tenantId":"acme"}', 'billing') }, deps);

    expect([anonymous.statusCode, otherRoute.statusCode]).toEqual([403, 403]);
    expect(forwarded).toEqual([]);
  });

  it.each([
    [new RateLimitedError('spent', new Date(1_000_000 + 90_500)), 429, { 'Content-Type': 'application/json', 'Retry-After': '91' }],
    [new AuthError('Could not load the Certyo API key: AccessDenied'), 502, { 'Content-Type': 'application/json' }],
    [new RetryableError('timeout', new Date(0)), 504, { 'Content-Type': 'application/json' }],
  ])('answers %s with %i', async (error, status, headers) => {
    const { deps, logged } = recordingDeps(() => Promise.reject(error));

    const response = await guardTenants(proxyEvent('/records', '{"tenantId":"acme"}', 'billing'), deps);

    expect(response.statusCode).toBe(status);
    expect(response.headers).toEqual(headers);
    expect(logged.join('\n')).not.toContain(error.message);
  });
});

describe('guard settings', () => {
  it('reads PROXY_TENANTS and refuses malformed values naming the variable', () => {
    expect(readGuardSettings({ PROXY_TENANTS: '{"billing":["acme"]}' })).toEqual({ tenants: new Map([['billing', ['acme']]]), forwardTimeoutMs: 20_000 });
    expect(() => parseTenants('[]')).toThrow('Environment variable PROXY_TENANTS must be a JSON object');
    expect(() => parseTenants('{"billing":"acme"}')).toThrow('Environment variable PROXY_TENANTS: consumer "billing" must map to a list of tenant ids');
    expect(() => readGuardSettings({})).toThrow('Environment variable PROXY_TENANTS is not set');
    expect(() => readGuardSettings({ PROXY_TENANTS: '{}', FORWARD_TIMEOUT_MS: '29000' })).toThrow('FORWARD_TIMEOUT_MS = "29000"');
  });
});
