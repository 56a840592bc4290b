/** Command line of `npm run redrive`; errors name the flag and what it needs. */
import { integerFlag, parseFlags, textFlag, UsageError } from '../cli';

export interface RedriveArgs {
  /** Queue name or URL. */
  readonly queue: string;
  /** List and group only; every message stays where it is. */
  readonly dryRun: boolean;
  /** Most messages to handle; `undefined`: all of them. */
  readonly max?: number;
  /** Bus for EventBridge dead letters whose `RULE_ARN` does not name one. */
  readonly bus: string;
}

export const DEFAULT_BUS = 'domain-events';

export const USAGE = `Usage: npm run redrive -- --queue <name|url> [--dry-run] [--max N] [--bus <name>]

Lists the messages of a dead-letter queue grouped by error, then sends them back:
  - dead letters of an EventBridge target (and events the forwarder rejected): PutEvents of the
    original event to the bus named in RULE_ARN (else --bus, default ${DEFAULT_BUS});
  - a queue's redrive dead-letter queue: back to its source queue (StartMessageMoveTask, or
    receive / send / delete when --max is given).
Messages are deleted only once republished. --dry-run changes nothing. A progress bar goes to
stderr, the summary to stdout. Uses the usual AWS credentials and region.`;

export { UsageError };

/** `'help'` for `--help`; throws `UsageError` naming the flag otherwise. */
export function parseRedriveArgs(argv: readonly string[]): RedriveArgs | 'help' {
  const values = parseFlags(argv, { queue: { type: 'string' }, 'dry-run': { type: 'boolean' }, max: { type: 'string' }, bus: { type: 'string' } });
  if (values === 'help') return 'help';
  const queue = textFlag(values, 'queue');
  if (queue === undefined) throw new UsageError('--queue is required (the dead-letter queue name or URL)');
  return { queue, dryRun: values['dry-run'] === true, max: integerFlag(values, 'max', 1), bus: textFlag(values, 'bus') ?? DEFAULT_BUS };
}
