/**
 * `npm run bundle [-- name ...]`: esbuild every Lambda (or the named ones) into
 * dist/lambdas/<function>/index.js with the same options the stacks deploy.
 */
import * as path from 'node:path';
import { build } from 'esbuild';
import { lambdaNames, PROJECT_ROOT, toEsbuildOptions } from '../lib/bundling';

async function main(): Promise<void> {
  const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = requested.length > 0 ? requested : lambdaNames();
  const outdir = path.join(PROJECT_ROOT, 'dist', 'lambdas');
  if (names.length === 0) {
    console.log('No Lambdas to bundle (no lambdas/<name>/handler.ts yet).');
    return;
  }
  for (const name of names) {
    const started = Date.now();
    const result = await build(toEsbuildOptions(name, outdir));
    const bytes = Object.values(result.metafile?.outputs ?? {})
      .filter((o) => o.entryPoint !== undefined)
      .reduce((sum, o) => sum + o.bytes, 0);
    console.log(`${name.padEnd(24)} ${(bytes / 1024).toFixed(1).padStart(8)} KiB  ${Date.now() - started} ms`);
  }
  console.log(`Bundled ${names.length} Lambda(s) into ${path.relative(process.cwd(), outdir) || outdir}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
