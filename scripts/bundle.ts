/**
 * `npm run bundle [-- name ...] [-- --source-map]`: esbuild every Lambda (or the named ones) into
 * dist/lambdas/<function>/ (index.mjs and its chunks) with the same options the stacks deploy.
 * `--source-map` also writes external `.map` files beside byte-identical code, to read a
 * minified stack trace from a deployed function built from the same commit.
 */
import * as path from 'node:path';
import { build } from 'esbuild';
import { lambdaNames, PROJECT_ROOT, toEsbuildOptions } from '../lib/bundling';
import { bundleBytes } from '../bench/bundle-analysis';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const requested = args.filter((a) => !a.startsWith('-'));
  const unknown = args.filter((a) => a.startsWith('-') && a !== '--source-map');
  if (unknown.length > 0) throw new Error(`Unknown option ${unknown.join(', ')} (known: --source-map)`);
  const names = requested.length > 0 ? requested : lambdaNames();
  const outdir = path.join(PROJECT_ROOT, 'dist', 'lambdas');
  if (names.length === 0) {
    console.log('No Lambdas to bundle (no lambdas/<name>/handler.ts yet).');
    return;
  }
  for (const name of names) {
    const started = Date.now();
    const result = await build({ ...toEsbuildOptions(name, outdir), ...(args.includes('--source-map') ? { sourcemap: 'external' as const } : {}) });
    const bytes = bundleBytes(result.metafile);
    console.log(`${name.padEnd(24)} ${(bytes.totalBytes / 1024).toFixed(1).padStart(8)} KiB (${(bytes.initBytes / 1024).toFixed(1)} KiB loaded at start)  ${Date.now() - started} ms`);
  }
  console.log(`Bundled ${names.length} Lambda(s) into ${path.relative(process.cwd(), outdir) || outdir}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
