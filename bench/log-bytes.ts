/**
 * Bytes the structured log lines of a run would put into CloudWatch Logs. Each line is what the
 * handler logged plus the fields Powertools Logger adds on Lambda (timestamp, level, service,
 * cold_start, function name/ARN/memory/request id, sampling rate, X-Ray trace id): 456 bytes,
 * measured on a Powertools 2.36 line of a function named like the stack's (57 characters).
 */
const POWERTOOLS_ENVELOPE_BYTES = 456;

export function logBytes(lines: readonly { readonly message: string; readonly attributes: Record<string, unknown> }[]): number {
  return lines.reduce((sum, line) => sum + JSON.stringify({ message: line.message, ...line.attributes }).length + POWERTOOLS_ENVELOPE_BYTES, 0);
}
