/**
 * `npm run local [-- --verify-policy all|batch|sample:<f>|none] [-- --s3-records N]`: the whole
 * pipeline offline — Certyo sandbox, local S3, the real handlers and the real verification
 * workflow — ending with a table of what each path sent, got accepted, replayed, anchored and
 * dead-lettered, and the Certyo requests it used. No AWS, no network beyond 127.0.0.1.
 */
import './harness/quiet-sdk';
import { EnvironmentError } from '../lambdas/shared/runtime-env';
import { parseVerificationPolicy } from '../lambdas/shared/verification-starter';
import { EXIT_FAILURE, EXIT_OK, integerFlag, parseFlags, runCli, textFlag, UsageError } from '../scripts/cli';
import { formatReport, runLocalPipeline } from './harness/pipeline';

export const USAGE = `Usage: npm run local -- [--verify-policy batch|all|none|sample:<fraction>] [--s3-records N]

Runs every path of the pipeline offline (sandbox, local S3, the real handlers and verification
workflow) and prints what each path sent, got accepted, replayed, anchored and dead-lettered.
  --verify-policy   certyo:verify.policy of the ingest Lambdas (default batch)
  --s3-records      records in the NDJSON file dropped in local S3 (default 2,500; fewer
                    when the policy verifies more than 1 in 1,000, to fit the budget)
Exits 1 when a record is lost or an intact record is notified failed.`;

/** `'help'` for `--help`; throws `UsageError` naming the flag otherwise. */
export function parseLocalArgs(argv: readonly string[]): { verifyPolicy?: string; s3Records?: number } | 'help' {
  const values = parseFlags(argv, { 'verify-policy': { type: 'string' }, 's3-records': { type: 'string' } });
  if (values === 'help') return 'help';
  const verifyPolicy = textFlag(values, 'verify-policy');
  if (verifyPolicy !== undefined) {
    try {
      parseVerificationPolicy(verifyPolicy);
    } catch (error) {
      if (!(error instanceof EnvironmentError)) throw error;
      throw new UsageError(`--verify-policy must be batch, all, none or sample:<fraction between 0 and 1>, got "${verifyPolicy}"`);
    }
  }
  return { verifyPolicy, s3Records: integerFlag(values, 's3-records', 1, 10_000_000) };
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseLocalArgs(argv);
  if (args === 'help') {
    console.log(USAGE);
    return EXIT_OK;
  }
  const report = await runLocalPipeline({ ...args, print: (line) => console.log(line) });
  console.log('\ndead letters (each with its reason):');
  for (const d of report.deadLetters) console.log(`  [${d.path}] ${d.reason}`);
  console.log(`\n${formatReport(report)}`);
  console.log(`\n${report.sandbox.recordsStored} records stored in the sandbox, ${report.sandbox.duplicateIngests} duplicates; ${(report.ms / 1000).toFixed(1)} s`);
  // Every record here is intact: a lost record or a failed verdict is a defect, whatever else passed.
  const problems = [
    ...(report.total.lost > 0 ? [`${report.total.lost} record(s) lost`] : []),
    ...(report.falselyFailed > 0 ? [`${report.falselyFailed} intact record(s) notified failed`] : []),
  ];
  if (problems.length > 0) {
    console.error(`
FAILED: ${problems.join('; ')}`);
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

if (require.main === module) runCli('local', main);
