/**
 * The one command-line convention of every CLI (`npm run sandbox|local|bench|redrive|backfill`):
 * flags parsed by `node:util` `parseArgs` (strict, no positionals); `--help` prints the usage
 * and exits 0; an unknown flag or a bad value exits 2 with one line naming the flag; an expected
 * failure (a busy port, a missing environment variable) exits 1 with one line, no stack trace.
 */
import { parseArgs, ParseArgsConfig } from 'node:util';

export const EXIT_OK = 0;
/** The command ran and failed, or did not finish everything it was asked to. */
export const EXIT_FAILURE = 1;
/** The command line was wrong: nothing was done. */
export const EXIT_USAGE = 2;

/** A bad command line: the message names the flag and what it needs. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the user can act on from its message alone: printed without a stack trace. */
export class ExpectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpectedError';
  }
}

/** Where a progress line goes: stderr, whose `isTTY` decides between redrawing in place and logging lines. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

type Options = NonNullable<ParseArgsConfig['options']>;
export type FlagValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** `parseArgs`'s messages, shortened to one line that names the flag. */
function usageMessage(error: Error & { code?: string }): string {
  const flag = /'(-{1,2}[^' ]+)/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag ${flag ?? error.message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return error.message.includes('argument missing') ? `${flag} needs a value` : `${flag} takes no value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${flag ?? /'([^']*)'/.exec(error.message)?.[1] ?? ''} (flags start with --)`;
    default:
      return error.message.split('\n')[0] ?? error.message;
  }
}

/**
 * Parses `argv` against `options` (a `help` flag is added). `'help'` when `--help` or `-h` is
 * given; throws `UsageError` naming the flag otherwise.
 */
export function parseFlags(argv: readonly string[], options: Options): FlagValues | 'help' {
  let values: FlagValues;
  try {
    values = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values as FlagValues;
  } catch (error) {
    // Duck-typed: under jest, node's own errors come from another realm and fail `instanceof Error`.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) throw new UsageError(usageMessage(error as Error & { code: string }));
    throw error;
  }
  return values.help ? 'help' : values;
}

/** A flag's text value, or `undefined` when absent; an empty value is a usage error. */
export function textFlag(values: FlagValues, flag: string): string | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.trim() === '') throw new UsageError(`--${flag} needs a value`);
  return raw.trim();
}

/** A whole-number flag within `[min, max]` (no upper bound by default). */
export function integerFlag(values: FlagValues, flag: string, min: number, max: number = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = textFlag(values, flag);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${flag} must be a whole number ${range}, got "${raw}"`);
  }
  return n;
}

/**
 * Runs `main` as the process and exits with its code. `--help` is `main`'s to print (exit 0);
 * a `UsageError` exits 2, an `ExpectedError` (or an error `isExpected` accepts) exits 1, each
 * with one line `<name>: <message>`; anything else is a bug and keeps its stack.
 */
export function runCli(name: string, main: (argv: readonly string[]) => Promise<number>, isExpected: (error: Error) => boolean = () => false): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError) {
        console.error(`${name}: ${error.message} (--help lists the flags)`);
        process.exit(EXIT_USAGE);
      }
      if (error instanceof ExpectedError || (error instanceof Error && isExpected(error))) {
        console.error(`${name}: ${(error as Error).message}`);
        process.exit(EXIT_FAILURE);
      }
      console.error(error);
      process.exit(EXIT_FAILURE);
    },
  );
}

/** An AWS SDK error (a service answer or missing credentials): its message says what to fix. */
export function isAwsError(error: Error): boolean {
  return '$metadata' in error || error.name === 'CredentialsProviderError';
}
