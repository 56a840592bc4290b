/**
 * `npm run sandbox -- --flag value` → `SandboxOptions`. Durations are given in seconds on the
 * command line (as the example) and converted to the library's milliseconds here.
 */
import { FlagValues, integerFlag, parseFlags, UsageError } from '../../scripts/cli';
import { SandboxOptions } from './options';

/** The command's own default port (the library's is 0, a free port). */
export const CLI_DEFAULT_PORT = 4010;

const NUMBER_FLAGS = {
  port: { option: 'port', scale: 1 },
  'rate-limit': { option: 'rateLimit', scale: 1 },
  'rate-window-seconds': { option: 'rateWindowMs', scale: 1000 },
  'flush-records': { option: 'flushRecords', scale: 1 },
  'flush-seconds': { option: 'flushMs', scale: 1000 },
  'anchor-delay-seconds': { option: 'anchorDelayMs', scale: 1000 },
  'fail-rate': { option: 'failRate', scale: 1 },
  'error-rate': { option: 'errorRate', scale: 1 },
  'throttle-rate': { option: 'throttleRate', scale: 1 },
  'reset-rate': { option: 'resetRate', scale: 1 },
  'hang-rate': { option: 'hangRate', scale: 1 },
  'latency-ms': { option: 'latencyMs', scale: 1 },
  seed: { option: 'seed', scale: 1 },
} as const;

export const CLI_USAGE = `Usage: npm run sandbox -- [--port 4010] [--host 127.0.0.1] [--api-key test-key ...]
  [--rate-limit 1000] [--rate-window-seconds 3600] [--flush-records 1000] [--flush-seconds 60]
  [--anchor-delay-seconds 30] [--fail-rate 0] [--error-rate 0] [--throttle-rate 0] [--reset-rate 0]
  [--hang-rate 0] [--latency-ms 0] [--seed 1] [--retry-after-format seconds|http-date|body-only]
  [--record-hash-format hex|prefixed] [--bulk-detail-format indexed|unindexed|partial]`;

/** `'help'` for `--help`; throws `UsageError` naming the flag otherwise. */
export function parseSandboxArgs(argv: readonly string[]): SandboxOptions | 'help' {
  const values = parseFlags(argv, {
    ...Object.fromEntries(Object.keys(NUMBER_FLAGS).map((flag) => [flag, { type: 'string' as const }])),
    host: { type: 'string' },
    'api-key': { type: 'string', multiple: true },
    'retry-after-format': { type: 'string' },
    'record-hash-format': { type: 'string' },
    'bulk-detail-format': { type: 'string' },
  });
  if (values === 'help') return 'help';
  const options: Record<string, unknown> = { port: integerFlag(values, 'port', 0, 65_535) ?? CLI_DEFAULT_PORT };
  for (const [flag, { option, scale }] of Object.entries(NUMBER_FLAGS)) {
    const raw = values[flag];
    if (flag === 'port' || typeof raw !== 'string') continue;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${flag} must be a number, got "${raw}"`);
    options[option] = value * scale;
  }
  if (typeof values.host === 'string') options.host = values.host;
  if (Array.isArray(values['api-key'])) options.apiKeys = values['api-key'];
  options.retryAfterFormat = oneOf(values, 'retry-after-format', ['seconds', 'http-date', 'body-only']);
  options.recordHashFormat = oneOf(values, 'record-hash-format', ['hex', 'prefixed']);
  options.bulkDetailFormat = oneOf(values, 'bulk-detail-format', ['indexed', 'unindexed', 'partial']);
  return options as SandboxOptions;
}

function oneOf(values: FlagValues, flag: string, allowed: readonly string[]): string | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !allowed.includes(raw)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got "${String(raw)}"`);
  return raw;
}
