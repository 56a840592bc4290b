/**
 * `npm run sandbox -- [flags]`: starts the local Certyo sandbox, prints its URL and key, and
 * runs until interrupted. Flags and defaults: `cli-args.ts` (or `--help`).
 */
import { EXIT_OK, ExpectedError, runCli, UsageError } from '../../scripts/cli';
import { CLI_USAGE, parseSandboxArgs } from './cli-args';
import { SandboxOptionError } from './options';
import { Sandbox, startSandbox } from './sandbox';

async function start(options: Exclude<ReturnType<typeof parseSandboxArgs>, 'help'>): Promise<Sandbox> {
  try {
    return await startSandbox(options);
  } catch (error) {
    // A value out of range is a bad command line; a port taken or not ours to bind is the machine's.
    if (error instanceof SandboxOptionError) throw new UsageError(error.message);
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new ExpectedError(`cannot listen on ${options.host ?? '127.0.0.1'}:${options.port} (${code}): choose another --port or --host`);
    }
    throw error;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseSandboxArgs(argv);
  if (options === 'help') {
    console.log(CLI_USAGE);
    return EXIT_OK;
  }
  const sandbox = await start(options);
  const o = sandbox.options;
  console.log(`Certyo sandbox listening on ${sandbox.url}`);
  console.log(`API key: ${sandbox.apiKey}`);
  console.log(
    `rate limit ${o.rateLimit} per ${o.rateWindowMs / 1000} s; flush at ${o.flushRecords} records or ${o.flushMs / 1000} s; ` +
      `anchor after ${o.anchorDelayMs / 1000} s; fail ${o.failRate}, 500 ${o.errorRate}, 429 ${o.throttleRate}, reset ${o.resetRate}, hang ${o.hangRate}, latency ${o.latencyMs} ms, seed ${o.seed}`,
  );
  console.log(`Try: curl -H 'X-API-Key: ${sandbox.apiKey}' -H 'Content-Type: application/json' -X POST ${sandbox.url}/api/v1/records -d '{"tenantId":"acme-corp","database":"billing","collection":"invoices","recordId":"INV-1","recordPayload":{"amount":100},"idempotencyKey":"billing-invoices-INV-1-v1"}'`);
  return new Promise((resolve) => {
    const stop = (): void => {
      void sandbox.close().then(() => resolve(EXIT_OK));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

runCli('sandbox', main);
