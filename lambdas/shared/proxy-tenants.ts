/**
 * Which tenants each proxy consumer may name, and how a name given by a caller is matched, for
 * both places that confine a consumer to its tenants: the tenant guard (tenants in request bodies,
 * `../proxy-tenant-guard/`) and the authorizer (tenants in query strings, `../proxy-authorizer/`).
 */

/** The member or query parameter naming a record's tenant in Certyo's API. */
export const TENANT_FIELD = 'tenantId';

/**
 * A name some reader could bind to `field`: case-insensitively (ASP.NET binds members and query
 * parameters that way, and under OrdinalIgnoreCase even `tenantıd` with a dotless i), after NFKC,
 * or cut at a NUL.
 */
export function bindsTo(name: string, field: string): boolean {
  const cut = name.split('\u0000')[0] as string;
  return [name, cut, name.normalize('NFKC'), cut.normalize('NFKC')].some(
    (spelling) => spelling.toUpperCase() === field.toUpperCase() || spelling.toLowerCase() === field.toLowerCase(),
  );
}

/** Parses `PROXY_TENANTS` (written by the stack from `certyo:apiProxy.consumers`): `{"<consumer>": ["<tenant>", ...]}`. */
export function parseTenants(json: string, variable = 'PROXY_TENANTS'): Map<string, readonly string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`Environment variable ${variable} is not JSON: expected {"<consumer>": ["<tenant>", ...]}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`Environment variable ${variable} must be a JSON object {"<consumer>": ["<tenant>", ...]}`);
  }
  return new Map(
    Object.entries(parsed).map(([consumer, tenants]: [string, unknown]) => {
      if (!Array.isArray(tenants) || !tenants.every((t) => typeof t === 'string' && t !== '')) {
        throw new Error(`Environment variable ${variable}: consumer "${consumer}" must map to a list of tenant ids`);
      }
      return [consumer, tenants as string[]];
    }),
  );
}
