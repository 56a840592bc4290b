/**
 * `npm run redrive -- --queue <name|url> [--dry-run] [--max N] [--bus <name>]`: lists a
 * dead-letter queue's messages grouped by error and sends them back (docs/operations.md, "Operating the
 * dead-letter queues"). The work is in `scripts/redrive/`; this file wires the real clients and
 * prints the summary.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { sleep } from '../lambdas/shared/retry';
import { parseRedriveArgs, USAGE } from './redrive/args';
import { EXIT_FAILURE, EXIT_OK, isAwsError, runCli } from './cli';
import { streamProgress } from './redrive/progress';
import { RedriveSummary, runRedrive } from './redrive/run-redrive';

const HOW: Record<RedriveSummary['mode'], string> = {
  'put-events': 'EventBridge dead letters → PutEvents of the original events',
  'move-task': 'redrive dead-letter queue → StartMessageMoveTask back to the source queue',
  resend: 'redrive dead-letter queue → receive / send / delete to the source queue',
};

export function formatSummary(summary: RedriveSummary): string {
  const n = (value: number): string => value.toLocaleString('en-US').padStart(8);
  const lines = [`Queue ${summary.queueUrl}`, `  ${HOW[summary.mode]}${summary.destinations.length > 0 ? ` (${summary.destinations.join(', ')})` : ''}`, '', 'Messages by error:'];
  if (summary.groups.length === 0) lines.push('  (the queue is empty)');
  for (const group of summary.groups) lines.push(`${n(group.count)}  ${group.error}`);
  lines.push('');
  if (summary.dryRun) lines.push(`Dry run: ${summary.listed} listed, nothing republished or deleted.`);
  else lines.push(`Republished ${summary.republished} of ${summary.listed}; ${summary.failed.length} failed, ${summary.skipped.length} skipped (left in the queue).`);
  for (const f of summary.failed) lines.push(`  failed  ${f.messageId}: ${f.reason}`);
  for (const s of summary.skipped) lines.push(`  skipped ${s.messageId}: ${s.reason}`);
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseRedriveArgs(argv);
  if (args === 'help') {
    console.log(USAGE);
    return EXIT_OK;
  }
  const summary = await runRedrive(args, {
    // Queue URLs are used as given, so AWS_ENDPOINT_URL_SQS applies locally (architecture.md, pitfalls).
    sqs: new SQSClient({ useQueueUrlAsEndpoint: false }),
    events: new EventBridgeClient({}),
    progress: streamProgress(process.stderr, args.dryRun ? 'listed' : 'redriven'),
    sleep,
  });
  console.log(formatSummary(summary));
  return summary.failed.length > 0 || summary.skipped.length > 0 ? EXIT_FAILURE : EXIT_OK;
}

if (require.main === module) {
  runCli('redrive', main, isAwsError);
}
