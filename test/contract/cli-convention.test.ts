/**
 * Every CLI follows one convention (scripts/cli.ts): `--help` exits 0 with the usage on stdout;
 * an unknown flag or a bad value exits 2 with one line naming the flag; an expected failure exits
 * 1 with one line; never a stack trace for any of them.
 */
import { spawn } from 'node:child_process';
import { createServer, Server } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
/** Spawning tsx on a loaded two-core machine can take seconds; this only catches a hang. */
const HANG_BUDGET_MS = 120_000;

const CLIS = {
  sandbox: 'local/sandbox/cli.ts',
  local: 'local/run-local.ts',
  bench: 'bench/run.ts',
  redrive: 'scripts/redrive.ts',
  backfill: 'scripts/backfill.ts',
} as const;
type CliName = keyof typeof CLIS;

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(cli: CliName, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [CLIS[cli], ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Node's own warnings (e.g. an experimental feature) are not the CLI's output. */
const messageLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.trim() !== '' && !/^\(node:\d+\)|--trace-warnings/.test(l));

describe('every CLI follows one convention', () => {
  it.each(Object.keys(CLIS) as CliName[])(
    '%s --help prints its usage and exits 0',
    async (cli) => {
      const outcome = await run(cli, ['--help']);

      expect(outcome.code).toBe(0);
      expect(outcome.stdout).toContain(`Usage: npm run ${cli}`);
    },
    HANG_BUDGET_MS,
  );

  it.each([
    ['sandbox', ['--bogus'], 'unknown flag --bogus'],
    ['local', ['--bogus'], 'unknown flag --bogus'],
    ['bench', ['--bogus'], 'unknown flag --bogus'],
    ['redrive', ['--bogus'], 'unknown flag --bogus'],
    ['backfill', ['--bogus'], 'unknown flag --bogus'],
    ['sandbox', ['--port', '99999'], '--port must be a whole number from 0 to 65535'],
    ['sandbox', ['--fail-rate', '2'], 'failRate'],
    ['local', ['--verify-policy', 'bogus'], '--verify-policy must be batch, all, none or sample:'],
    ['local', ['--s3-records', '0'], '--s3-records must be a whole number'],
    ['bench', ['--only', 'bogus'], '--only: unknown figure "bogus"'],
    ['redrive', ['--queue', 'q', '--max', '0'], '--max must be a whole number of at least 1'],
    ['backfill', ['--table', 'orders', '--segments', '0'], '--segments must be a whole number from 1 to 1000'],
    ['backfill', [], '--table is required'],
  ] as [CliName, string[], string][])(
    '%s %j exits 2 with one line naming the flag',
    async (cli, args, message) => {
      const outcome = await run(cli, args);

      expect(outcome.code).toBe(2);
      expect(messageLines(outcome.stderr)).toEqual([expect.stringContaining(message)]);
      expect(outcome.stderr).toMatch(new RegExp(`^${cli}: `, 'm'));
    },
    HANG_BUDGET_MS,
  );

  it(
    'backfill without its environment exits 1 naming the variable, without a stack trace',
    async () => {
      const env = { ...process.env, CERTYO_TENANT_ID: '', CERTYO_SECRET_ARN: '' };

      const outcome = await run('backfill', ['--table', 'orders'], env);

      expect(outcome.code).toBe(1);
      expect(messageLines(outcome.stderr)).toEqual(['backfill: Environment variable CERTYO_TENANT_ID is not set']);
    },
    HANG_BUDGET_MS,
  );

  describe('sandbox on a busy port', () => {
    let busy: Server;
    let port: number;

    beforeAll(async () => {
      busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
      port = (busy.address() as { port: number }).port;
    });

    afterAll(async () => {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    });

    it(
      'exits 1 with one line naming the address, without a stack trace',
      async () => {
        const outcome = await run('sandbox', ['--port', String(port)]);

        expect(outcome.code).toBe(1);
        expect(messageLines(outcome.stderr)).toEqual([`sandbox: cannot listen on 127.0.0.1:${port} (EADDRINUSE): choose another --port or --host`]);
      },
      HANG_BUDGET_MS,
    );
  });
});
