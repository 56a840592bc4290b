/**
 * `npm run sandbox -- [flags]`: starts the local Certyo sandbox, prints its URL and key, and
 * runs until interrupted. Flags and defaults: `cli-args.ts` (or `--help`).
 */
import { CliArgumentError, parseSandboxArgs } from './cli-args';
import { SandboxOptionError } from './options';
import { startSandbox } from './sandbox';

async function main(): Promise<void> {
  const sandbox = await startSandbox(parseSandboxArgs(process.argv.slice(2)));
  const o = sandbox.options;
  console.log(`Certyo sandbox listening on ${sandbox.url}`);
  console.log(`API key: ${sandbox.apiKey}`);
  console.log(
    `rate limit ${o.rateLimit} per ${o.rateWindowMs / 1000} s; flush at ${o.flushRecords} records or ${o.flushMs / 1000} s; ` +
      `anchor after ${o.anchorDelayMs / 1000} s; fail ${o.failRate}, 500 ${o.errorRate}, 429 ${o.throttleRate}, reset ${o.resetRate}, hang ${o.hangRate}, latency ${o.latencyMs} ms, seed ${o.seed}`,
  );
  console.log(`Try: curl -H 'X-API-Key: ${sandbox.apiKey}' -H 'Content-Type: application/json' -X POST ${sandbox.url}/api/v1/records -d '{"tenantId":"acme-corp","database":"billing","collection":"invoices","recordId":"INV-1","recordPayload":{"amount":100},"idempotencyKey":"billing-invoices-INV-1-v1"}'`);
  const stop = (): void => {
    void sandbox.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const expected = error instanceof CliArgumentError || error instanceof SandboxOptionError;
  console.error(expected ? (error as Error).message : error);
  process.exit(expected ? 2 : 1);
});
