/**
 * HTTP header lookup in API Gateway events. Header names are case-insensitive, and API Gateway
 * passes them on in the case the client used (`x-consumer-key` from HTTP/2 clients, `X-Consumer-Key`
 * from others), so a lookup by exact name would miss half the callers.
 */
export type HeaderMap = Readonly<Record<string, string | undefined>> | null | undefined;

/** The trimmed value of header `name` in any case, or `undefined` when absent or blank. */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const entry = Object.entries(headers ?? {}).find(([key]) => key.toLowerCase() === wanted);
  const value = entry?.[1]?.trim();
  return value ? value : undefined;
}
