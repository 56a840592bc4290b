import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { buildSync, type BuildOptions } from 'esbuild';

/** Repository root, from which Lambda entry points are resolved. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** Must match the runtime in `lib/constructs/certyo-function.ts`. */
export const NODE_TARGET = 'node24';

/** The file the Lambda runtime loads for `index.handler` (`.mjs`: an ES module without a package.json). */
export const HANDLER_FILE = 'index.mjs';

/**
 * Bundled CommonJS dependencies call `require` for Node built-ins; an ES module has none, so
 * every output file gets one from `createRequire`.
 */
const ESM_REQUIRE_BANNER = "import{createRequire as __certyoCreateRequire}from'node:module';const require=__certyoCreateRequire(import.meta.url);";

/**
 * The one bundling definition, as esbuild options: the stacks run it at synth time
 * (`lambdaCode`), `npm run bundle` and the cold-start benchmark run it as is, so what is
 * measured locally is byte-for-byte what is deployed. Why each option (docs/performance.md):
 * - ES module output with code splitting: what the SDK imports dynamically (the credential
 *   providers other than environment variables, their STS/SSO clients, event streams) goes to
 *   chunks that a cold start never loads, since Lambda gives credentials in the environment.
 *   NodejsFunction cannot split (it passes `--outfile`), hence our own asset bundling.
 * - Minified, and no source map: a map is only useful with `--enable-source-maps`, which
 *   measurably slows every module load; `npm run bundle -- --source-map` rebuilds the same
 *   bytes with a map for reading a minified stack trace.
 * - The AWS SDK clients are bundled (not the runtime's copy), so the version tested is the
 *   version that runs; ESM entry points of dependencies are preferred so esbuild can tree-shake.
 */
export function toEsbuildOptions(name: string, outdir: string): BuildOptions & { outdir: string } {
  return entryEsbuildOptions(lambdaEntry(name), path.join(outdir, name));
}

/**
 * The same options for any entry file written to `outdir` as `index.mjs` and its chunks: the
 * benchmarks build their own children and the cold-start floor this way, so they load code
 * exactly as the deployed functions do.
 */
export function entryEsbuildOptions(entry: string, outdir: string): BuildOptions & { outdir: string } {
  return {
    entryPoints: { index: entry },
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    target: NODE_TARGET,
    format: 'esm',
    minify: true,
    sourcemap: false,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    metafile: true,
    logLevel: 'warning',
  };
}

/**
 * The Lambda's code asset: `toEsbuildOptions` run in-process at synth time into the asset
 * directory. Hashed by output, so an unchanged bundle is not uploaded again.
 */
export function lambdaCode(name: string): Code {
  // The Lambda's own folder as the asset source: CDK caches bundling per source path and
  // options, and the options here are the same for every Lambda (the name is in the closure).
  return Code.fromAsset(path.dirname(lambdaEntry(name)), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: local bundling always succeeds or throws (esbuild is a dependency of this project).
      image: DockerImage.fromRegistry('dummy'),
      local: {
        tryBundle(outputDir: string): boolean {
          const built = toEsbuildOptions(name, outputDir);
          buildSync({ ...built, outdir: outputDir, metafile: false });
          return true;
        },
      },
    },
  });
}

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
