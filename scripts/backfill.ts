/**
 * `npm run backfill -- --table <name> [--segments N] [--resume] [--checkpoint <file>]`:
 * anchors the items already in a DynamoDB table (the stream only carries changes from now on).
 * The work is in `scripts/backfill/`; this file wires the real clients and prints the summary.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { certyoClientFromEnv } from '../lambdas/shared/certyo-client';
import { sleep } from '../lambdas/shared/retry';
import { EnvironmentError, readRuntimeEnv } from '../lambdas/shared/runtime-env';
import { parseBackfillArgs, USAGE } from './backfill/args';
import { fileCheckpointStore } from './backfill/checkpoint';
import { streamProgress } from './backfill/progress';
import { BackfillSummary, fileRejectSink, runBackfill } from './backfill/run-backfill';
import { EXIT_FAILURE, EXIT_OK, isAwsError, runCli } from './cli';

export function formatSummary(summary: BackfillSummary): string {
  const n = (value: number): string => value.toLocaleString('en-US').padStart(10);
  const lines = [
    `Backfill of ${summary.table} ${summary.complete ? 'complete' : 'incomplete'}${summary.resumed ? ' (resumed)' : ''} in ${(summary.durationMs / 1000).toFixed(1)} s, ${summary.segments} segments`,
    `  items scanned    ${n(summary.scanned)}`,
    `  accepted         ${n(summary.accepted)}`,
    `  replayed         ${n(summary.replayed)}   (already anchored with the same content)`,
    `  rejected         ${n(summary.rejected)}${summary.rejected > 0 ? `   → ${summary.rejectsPath}` : ''}`,
    `  Certyo requests  ${n(summary.requests)}   (of the key's 1,000 per hour)`,
    `  checkpoint       ${summary.checkpointPath}`,
  ];
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseBackfillArgs(argv);
  if (args === 'help') {
    console.log(USAGE);
    return EXIT_OK;
  }
  const runtime = readRuntimeEnv();
  const summary = await runBackfill(args, {
    dynamodb: new DynamoDBClient({}),
    certyo: certyoClientFromEnv(),
    checkpoints: fileCheckpointStore(args.checkpointPath),
    rejects: fileRejectSink(args.checkpointPath.replace(/\.json$/, '') + '.rejected.ndjson'),
    progress: streamProgress(process.stderr),
    tenantId: runtime.tenantId,
    database: process.env.CERTYO_DATABASE?.trim() || 'dynamodb',
    now: Date.now,
    sleep,
  });
  console.log(formatSummary(summary));
  return summary.rejected > 0 ? EXIT_FAILURE : EXIT_OK;
}

if (require.main === module) {
  runCli('backfill', main, (error) => error instanceof EnvironmentError || isAwsError(error));
}
