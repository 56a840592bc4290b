import * as fs from 'node:fs';
import * as path from 'node:path';
import { BundlingOptions, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';

/** Repository root, from which Lambda entry points are resolved. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** Must match the runtime in `lib/constructs/certyo-function.ts`. */
export const NODE_TARGET = 'node24';

/**
 * The one bundling definition. The stacks hand it to `NodejsFunction`; `npm run bundle`
 * turns it into esbuild options with `toEsbuildOptions`, so what is tested locally is
 * byte-for-byte what is deployed.
 */
export const LAMBDA_BUNDLING = {
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.DEFAULT,
  target: NODE_TARGET,
  format: OutputFormat.CJS,
  // Bundle the AWS SDK v3 clients instead of using the runtime's copy: a tree-shaken,
  // minified client loads faster than resolving the runtime's full package at cold start,
  // and the version we test is the version that runs.
  externalModules: [],
  // Prefer ESM entry points of dependencies so esbuild can tree-shake them.
  mainFields: ['module', 'main'],
  forceDockerBundling: false,
} as const satisfies BundlingOptions;

/** Names of the Lambdas: every folder of `lambdas/` (except `shared`) with a `handler.ts`. */
export function lambdaNames(root: string = PROJECT_ROOT): string[] {
  const dir = path.join(root, 'lambdas');
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'shared' && fs.existsSync(path.join(dir, d.name, 'handler.ts')))
    .map((d) => d.name)
    .sort();
}

/** Path of a Lambda's entry point; throws with the list of known Lambdas when it does not exist. */
export function lambdaEntry(name: string, root: string = PROJECT_ROOT): string {
  const entry = path.join(root, 'lambdas', name, 'handler.ts');
  if (!fs.existsSync(entry)) {
    throw new Error(`No Lambda named "${name}": expected ${entry} (known: ${lambdaNames(root).join(', ') || 'none'})`);
  }
  return entry;
}

/** esbuild options equivalent to what NodejsFunction runs with LAMBDA_BUNDLING. */
export function toEsbuildOptions(name: string, outdir: string) {
  return {
    entryPoints: [lambdaEntry(name)],
    outfile: path.join(outdir, name, 'index.js'),
    bundle: true,
    platform: 'node' as const,
    target: LAMBDA_BUNDLING.target,
    format: LAMBDA_BUNDLING.format,
    minify: LAMBDA_BUNDLING.minify,
    sourcemap: LAMBDA_BUNDLING.sourceMap,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    external: [...LAMBDA_BUNDLING.externalModules],
    metafile: true,
    logLevel: 'warning' as const,
  };
}
