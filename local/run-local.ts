/**
 * `npm run local [-- --verify-policy all|batch|sample:<f>|none] [-- --s3-records N]`: the whole
 * pipeline offline — Certyo sandbox, local S3, the real handlers and the real verification
 * workflow — ending with a table of what each path sent, got accepted, replayed, anchored and
 * dead-lettered, and the Certyo requests it used. No AWS, no network beyond 127.0.0.1.
 */
import './harness/quiet-sdk';
import { formatReport, runLocalPipeline } from './harness/pipeline';

function flag(name: string): string | undefined {
  const argv = process.argv.slice(2);
  const inline = argv.find((a) => a.startsWith(`--${name}=`));
  if (inline) return inline.slice(name.length + 3);
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const s3Records = flag('s3-records');
  if (s3Records !== undefined && !(Number.isSafeInteger(Number(s3Records)) && Number(s3Records) > 0)) {
    throw new Error(`--s3-records must be a positive integer, got "${s3Records}"`);
  }
  const report = await runLocalPipeline({
    verifyPolicy: flag('verify-policy'),
    s3Records: s3Records === undefined ? undefined : Number(s3Records),
    print: (line) => console.log(line),
  });
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
    console.error(`\nFAILED: ${problems.join('; ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
