/** Command line of `npm run backfill`; errors name the flag and what it needs. */
import * as path from 'node:path';
import { integerFlag, parseFlags, textFlag, UsageError } from '../cli';

export interface BackfillArgs {
  readonly table: string;
  /** Parallel Scan segments (DynamoDB `TotalSegments`); `undefined`: the checkpoint's, else the default. */
  readonly segments?: number;
  /** Continue the run recorded in the checkpoint file. */
  readonly resume: boolean;
  readonly checkpointPath: string;
}

export const DEFAULT_SEGMENTS = 4;
export const MAX_SEGMENTS = 1000;

export const USAGE = `Usage: npm run backfill -- --table <name> [--segments N] [--resume] [--checkpoint <file>]

Scans an existing DynamoDB table in N parallel segments (default ${DEFAULT_SEGMENTS}) and anchors every item
in Certyo with the same mapping as the stream ingest, in bulk requests of up to 1,000 records.
Progress is saved to the checkpoint file (default ./backfill-<table>.checkpoint.json); after an
interruption, run the same command with --resume. Items that cannot be ingested are written,
with the reason, next to it (<checkpoint>.rejected.ndjson).

Environment: CERTYO_TENANT_ID, CERTYO_SECRET_ARN (secret {"apiKey": "..."}), optional
CERTYO_API_URL and CERTYO_DATABASE (default dynamodb), and the usual AWS credentials and region.`;

export { UsageError };

/** `'help'` for `--help`; throws `UsageError` naming the flag otherwise. */
export function parseBackfillArgs(argv: readonly string[], cwd: string = process.cwd()): BackfillArgs | 'help' {
  const values = parseFlags(argv, { table: { type: 'string' }, segments: { type: 'string' }, resume: { type: 'boolean' }, checkpoint: { type: 'string' } });
  if (values === 'help') return 'help';
  const table = textFlag(values, 'table');
  if (table === undefined) throw new UsageError('--table is required');
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(table)) throw new UsageError(`--table "${table}" is not a DynamoDB table name (3-255 letters, digits, _ . -)`);
  const checkpoint = textFlag(values, 'checkpoint');
  return {
    table,
    segments: integerFlag(values, 'segments', 1, MAX_SEGMENTS),
    resume: values.resume === true,
    checkpointPath: path.resolve(cwd, checkpoint ?? `backfill-${table}.checkpoint.json`),
  };
}
