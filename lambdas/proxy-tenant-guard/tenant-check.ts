/**
 * Which tenants a proxied body writes, decided so that Certyo cannot read a different tenant out
 * of the same text than this check did. The body is forwarded byte for byte when it passes, so
 * the check must agree with *any* reasonable JSON reader, not just `JSON.parse`:
 * - a member given twice is ambiguous (`JSON.parse` keeps the last, others the first or refuse):
 *   refused;
 * - ASP.NET Core binds member names case-insensitively (`TenantId`, `TENANTID`, and under
 *   OrdinalIgnoreCase even `tenantıd` with a dotless i): any spelling some reader could bind to
 *   `tenantId` or `items`, other than the exact one, is refused, and so are two of them;
 * - escapes in names (`"tenant\u0049d"`) are decoded first, as every reader does.
 * Only the record level is read: `recordPayload` is the business's data and may hold anything.
 */
import type { TenantBody } from '../proxy-authorizer/routes';
import { bindsTo, TENANT_FIELD } from '../shared/proxy-tenants';
import { rawElements, rawMembers } from '../shared/raw-json-path';

export type TenantCheck =
  | { readonly ok: true; readonly records: number }
  | { readonly ok: false; readonly status: 400 | 403; readonly message: string };

export const ITEMS_FIELD = 'items';

const refuse = (status: 400 | 403, message: string): TenantCheck => ({ ok: false, status, message });

/** The one raw value bound to `field` in `members`, `undefined` when absent, or why it is ambiguous. */
function single(members: readonly [string, string][], where: string, field: string): { raw?: string } | { problem: string } {
  const bound = members.filter(([name]) => bindsTo(name, field));
  if (bound.length === 0) return {};
  const [name, raw] = bound[0] as [string, string];
  if (bound.length > 1) return { problem: `${where}.${field} is given ${bound.length} times (${bound.map(([n]) => JSON.stringify(n)).join(', ')}); give it once` };
  if (name !== field) return { problem: `${where} has member ${JSON.stringify(name)}, which a JSON reader may take for ${field}; spell it ${field}` };
  return { raw };
}

/** Checks the tenant of one object at `where`; `required`: the object is a record and must name its tenant. */
function checkTenant(members: readonly [string, string][], where: string, consumer: string, allowed: readonly string[], required: boolean): TenantCheck | undefined {
  const found = single(members, where, TENANT_FIELD);
  if ('problem' in found) return refuse(403, found.problem);
  const list = allowed.join(', ');
  if (found.raw === undefined) {
    return required ? refuse(403, `${where}.${TENANT_FIELD} is required: consumer ${consumer} may write only its tenants (${list})`) : undefined;
  }
  const value: unknown = JSON.parse(found.raw);
  if (typeof value !== 'string') return refuse(403, `${where}.${TENANT_FIELD} must be a string naming one of consumer ${consumer}'s tenants (${list})`);
  if (!allowed.includes(value)) return refuse(403, `${where}.${TENANT_FIELD} ${JSON.stringify(value)} is not a tenant consumer ${consumer} may write (${list})`);
  return undefined;
}

/**
 * Whether `text`, the body of a route of kind `kind`, writes only tenants of `allowed`. The first
 * problem found is named with its path (`body.items[3].tenantId`); 400 when the body does not
 * have the route's shape, 403 when a tenant is missing, ambiguous or not allowed.
 */
export function checkTenants(kind: TenantBody, text: string, consumer: string, allowed: readonly string[]): TenantCheck {
  try {
    JSON.parse(text);
  } catch {
    return refuse(400, 'body must be JSON');
  }
  const root = rawMembers(text);
  if (!root) return refuse(400, 'body must be a JSON object');
  if (kind === 'record') return checkTenant(root, 'body', consumer, allowed, true) ?? { ok: true, records: 1 };

  // A bulk body's own tenantId, if Certyo ever read one as a default for its items, is confined too.
  const rootProblem = checkTenant(root, 'body', consumer, allowed, false);
  if (rootProblem) return rootProblem;
  const items = single(root, 'body', ITEMS_FIELD);
  if ('problem' in items) return refuse(403, items.problem);
  const elements = items.raw === undefined ? undefined : rawElements(items.raw);
  if (!elements) return refuse(400, `body.${ITEMS_FIELD} must be a JSON array of records`);
  for (const [index, element] of elements.entries()) {
    const where = `body.${ITEMS_FIELD}[${index}]`;
    const members = rawMembers(element);
    if (!members) return refuse(400, `${where} must be a JSON object (a record)`);
    const problem = checkTenant(members, where, consumer, allowed, true);
    if (problem) return problem;
  }
  return { ok: true, records: elements.length };
}
