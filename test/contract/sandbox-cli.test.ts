/**
 * `npm run sandbox` as a user runs it: a separate process that prints its URL and key, answers
 * the API reference's curl example, and stops cleanly on SIGTERM.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { EXAMPLE_RECORD } from './support';

const ROOT = join(__dirname, '..', '..');

function startCli(args: string[]): { child: ChildProcess; output: () => string; url: Promise<string>; exit: Promise<number | null> } {
  // The same command `npm run sandbox` runs (package.json), without npm in between so the signal reaches it.
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['local/sandbox/cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1] as string);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', () => reject(new Error(`sandbox exited before listening:\n${output}`)));
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, url, exit };
}

describe('npm run sandbox', () => {
  it('starts, prints URL and key, accepts the curl example and stops on SIGTERM', async () => {
    const cli = startCli(['--port', '0', '--api-key', 'test-key', '--flush-seconds', '60', '--seed', '1']);
    try {
      const url = await cli.url;

      const response = await fetch(`${url}/api/v1/records`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-API-Key': 'test-key' },
        body: JSON.stringify(EXAMPLE_RECORD),
      });

      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ recordId: 'INV-2026-0042', tenantId: 'acme-corp', idempotencyReplayed: false });
      expect(cli.output()).toContain('API key: test-key');
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect(await cli.exit).toBe(0);
  });

  it('exits 2 with a message naming a bad flag', async () => {
    const cli = startCli(['--fail-rate', 'lots']);

    const code = await cli.exit;

    expect(code).toBe(2);
    expect(cli.output()).toContain('--fail-rate must be a number, got "lots"');
    await expect(cli.url).rejects.toThrow('exited before listening');
  });
});
