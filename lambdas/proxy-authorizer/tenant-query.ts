/**
 * Whether a read route's query string names only one of the consumer's tenants, decided so that
 * Certyo cannot read a different tenant out of the same query: API Gateway hands the query on to
 * Certyo as sent (HTTP proxy), and ASP.NET binds query parameters case-insensitively and takes
 * the first of repeated values. So the query must give `tenantId` exactly once, under exactly that
 * name, and one of the consumer's tenants; any other name some reader could bind to it
 * (`TenantId`, `tenantid`, NFKC forms, NUL-cut) is refused, and so is any name still holding a
 * `%` (a reader decoding once more could turn it into `tenantId`). The other parameters
 * (`database`, `recordId`, paging) are Certyo's to read.
 */
import { bindsTo, TENANT_FIELD } from '../shared/proxy-tenants';

/** `multiValueQueryStringParameters` of a REQUEST authorizer event. */
export type QueryParameters = Readonly<Record<string, readonly string[] | undefined>> | null | undefined;

/** Why the query may not reach Certyo for this consumer, or `undefined` when it names one of `allowed`. */
export function tenantQueryProblem(query: QueryParameters, consumer: string, allowed: readonly string[]): string | undefined {
  const names = Object.keys(query ?? {});
  const encoded = names.find((name) => name.includes('%'));
  if (encoded !== undefined) return `query parameter ${JSON.stringify(encoded)} is still percent-encoded; send parameter names decoded once`;
  const bound = names.filter((name) => bindsTo(name, TENANT_FIELD));
  const list = allowed.length > 0 ? allowed.join(', ') : 'none';
  if (bound.length === 0) return `query parameter ${TENANT_FIELD} is required: consumer ${consumer} may read only its tenants (${list})`;
  if (bound.length > 1) return `query parameter ${TENANT_FIELD} is given under ${bound.length} names (${bound.map((n) => JSON.stringify(n)).join(', ')}); give it once`;
  const name = bound[0] as string;
  if (name !== TENANT_FIELD) return `query parameter ${JSON.stringify(name)} may be read as ${TENANT_FIELD}; spell it ${TENANT_FIELD}`;
  const values = query?.[name] ?? [];
  if (values.length !== 1) return `query parameter ${TENANT_FIELD} is given ${values.length} times; give it once`;
  const tenant = values[0] as string;
  if (!allowed.includes(tenant)) return `${TENANT_FIELD} ${JSON.stringify(tenant)} is not a tenant consumer ${consumer} may read (${list})`;
  return undefined;
}
