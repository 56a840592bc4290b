/** What the operator CLIs (`npm run backfill`, `npm run redrive`) share: flag parsing and exit handling. */

/** A bad command line; the CLI prints the usage text after the message. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Where a progress line goes: stderr, whose `isTTY` decides between redrawing in place and logging lines. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** `--flag=value` → flag and inline value; any other argument → itself, no inline value. */
export function splitFlag(arg: string): { readonly flag: string; readonly inline?: string } {
  const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
  return eq > 0 ? { flag: arg.slice(0, eq), inline: arg.slice(eq + 1) } : { flag: arg };
}

/**
 * Runs `main` as the process: exits with its code, or prints `<name>: <message>` (and the usage
 * text after a `UsageError`) and exits with `errorCode`.
 */
export function runCli(name: string, usage: string, errorCode: number, main: (argv: readonly string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const help = error instanceof UsageError ? `\n\n${usage}` : '';
      console.error(`${name}: ${error instanceof Error ? error.message : String(error)}${help}`);
      process.exit(errorCode);
    },
  );
}
