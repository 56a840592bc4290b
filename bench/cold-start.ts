/**
 * `coldStart`: for every Lambda, the size of the bundle the stacks deploy (built with the one
 * bundling definition, `toEsbuildOptions`) and how long loading it takes: the module
 * initialisation a cold start pays before the first event, i.e. importing the handler module in
 * a fresh `node` with the Lambda's environment (including `NODE_OPTIONS` when the template sets
 * it), compared with a bare `node -e 0`.
 */
import { median, roundTo } from './numbers';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { entryEsbuildOptions, lambdaNames, PROJECT_ROOT, toEsbuildOptions } from '../lib/bundling';
import { bundleBytes } from './bundle-analysis';
import { CfnTemplate, resourcesOfType } from '../local/harness/synthesized';

export interface ColdStartFigure {
  /** Every code file of the function's zip (the entry and all its chunks). */
  readonly bundleKiB: number;
  /** The entry and the chunks it imports statically: what initialisation loads. */
  readonly initKiB: number;
  /** Largest contributors to `initKiB`, by npm package or `lambdas/` folder. */
  readonly initTopKiB: Readonly<Record<string, number>>;
  /** Median time of `import(bundle)` measured inside the process. */
  readonly requireMs: number;
  /** Median wall time of `node -e "import(bundle)"` minus that of `node -e 0`. */
  readonly overNodeMs: number;
  /**
   * Median wall time of the import minus that of the floor's (`sdk-floor-handler.ts`: one SDK
   * client and the logger) in the same interleaved runs: what this function's own code and
   * clients add to the least any function loads.
   */
  readonly overFloorMs: number;
  /**
   * The baseline, timed in the same interleaved runs: the bundling this project used before
   * issue 21 (one CommonJS file with its source map, loaded with `--enable-source-maps`).
   */
  readonly previous: { readonly bundleKiB: number; readonly mapKiB: number; readonly requireMs: number; readonly overNodeMs: number };
  /** Where the environment came from: the synthesized function, or discovered from load errors. */
  readonly environmentFrom: 'template' | 'discovered';
  /** Variables not in the synthesized template that had to be set (with placeholders) to initialise. */
  readonly discovered: readonly string[];
}

/** The least any function of this project loads, built and timed like the functions. */
export interface ColdStartFloor {
  readonly bundleKiB: number;
  readonly initKiB: number;
  /** Median of (floor import − `node -e 0`) over every function's interleaved runs. */
  readonly overNodeMs: number;
  readonly what: string;
}

export interface ColdStartResult {
  readonly runs: number;
  readonly nodeMs: number;
  readonly floor: ColdStartFloor;
  readonly lambdas: Readonly<Record<string, ColdStartFigure | { readonly error: string }>>;
}

/** What every Lambda gets from `CertyoFunction` plus an AWS region and dummy credentials (nothing is called). */
export const BASE_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  CERTYO_API_URL: 'https://certyo.invalid',
  CERTYO_TENANT_ID: 'bench',
  CERTYO_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:certyo/api-key-AbCdEf',
  POWERTOOLS_SERVICE_NAME: 'bench',
  POWERTOOLS_METRICS_NAMESPACE: 'Certyo',
};

/** A placeholder shaped like what the variable's name suggests. */
function placeholder(name: string): string {
  if (name.endsWith('_URL')) return `https://sqs.us-east-1.amazonaws.com/123456789012/${name.toLowerCase()}`;
  if (name.endsWith('_ARN')) return `arn:aws:states:us-east-1:123456789012:stateMachine:${name.toLowerCase()}`;
  return 'bench';
}

function timeNode(args: readonly string[], env: NodeJS.ProcessEnv): { ms: number; stdout: string; stderr: string; status: number | null } {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, stdout: run.stdout, stderr: run.stderr, status: run.status };
}

const REQUIRE_SCRIPT = 'const t=process.hrtime.bigint();require(process.argv[1]);process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))';
const IMPORT_SCRIPT = 'const t=process.hrtime.bigint();import(process.argv[1]).then(()=>process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6)))';

/**
 * Function environments from the synthesized templates, by Lambda (`POWERTOOLS_SERVICE_NAME`
 * is the Lambda's folder name). Values CloudFormation resolves at deploy time (queue URLs,
 * ARNs) become placeholders of the same shape.
 */
export function environmentsFromTemplates(templates: Readonly<Record<string, CfnTemplate>>): Record<string, Record<string, string>> {
  const environments: Record<string, Record<string, string>> = {};
  for (const fn of resourcesOfType(templates, 'AWS::Lambda::Function')) {
    const variables = ((fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
    const name = variables.POWERTOOLS_SERVICE_NAME;
    if (typeof name !== 'string') continue;
    environments[name] = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v : placeholder(k)]));
  }
  return environments;
}

/** Loads the bundle once, adding each variable its initialisation names as missing. */
function discoverEnvironment(bundle: string, known: Readonly<Record<string, string>>): { env: NodeJS.ProcessEnv; added: string[] } | { error: string } {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...BASE_ENV, ...known };
  const added: string[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const run = timeNode(['-e', IMPORT_SCRIPT, bundle], env);
    if (run.status === 0) return { env, added };
    const missing = /Environment variable (\w+) is not set/.exec(run.stderr)?.[1];
    if (!missing || env[missing] !== undefined) {
      const line = run.stderr.split('\n').find((l) => /Error/.test(l)) ?? run.stderr.trim().split('\n')[0] ?? `exit ${run.status}`;
      return { error: line.trim().slice(0, 300) };
    }
    env[missing] = placeholder(missing);
    added.push(missing);
  }
  return { error: 'more than 20 missing environment variables' };
}

export interface ColdStartOptions {
  /** Spawns per Lambda (and of `node -e 0`). @default 7 */
  readonly runs?: number;
  /** Deployed environment per Lambda, e.g. from `environmentsFromTemplates`. @default {} */
  readonly environments?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly log?: (line: string) => void;
}

/** `sdk-floor-handler.ts` with the deployed bundling options. */
function floorBundling(outdir: string): BuildOptions & { outdir: string } {
  return entryEsbuildOptions(path.join(PROJECT_ROOT, 'bench', 'sdk-floor-handler.ts'), path.join(outdir, 'sdk-floor'));
}

/** The pre-issue-21 bundling, kept only as this figure's baseline. */
function previousBundling(name: string, outdir: string): BuildOptions & { outfile: string } {
  const { outdir: _, splitting: __, outExtension: ___, chunkNames: ____, banner: _____, ...rest } = toEsbuildOptions(name, outdir);
  return { ...rest, format: 'cjs', sourcemap: true, outfile: path.join(outdir, 'previous', name, 'index.js') };
}

export async function measureColdStart(options: ColdStartOptions = {}): Promise<ColdStartResult> {
  const { runs = 7, environments = {}, log = () => undefined } = options;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'certyo-bench-bundles-'));
  try {
    const nodeEnv = { PATH: process.env.PATH, ...BASE_ENV };
    const nodeTimes: number[] = [];
    const floorTimes: number[] = [];
    const floorBytes = bundleBytes((await build({ ...floorBundling(outdir), logLevel: 'silent' })).metafile);
    const floorEntry = path.resolve(floorBytes.entry);
    const lambdas: Record<string, ColdStartFigure | { error: string }> = {};
    for (const name of lambdaNames()) {
      let bytes: ReturnType<typeof bundleBytes>;
      const previous = previousBundling(name, outdir);
      try {
        bytes = bundleBytes((await build({ ...toEsbuildOptions(name, outdir), logLevel: 'silent' })).metafile);
        await build({ ...previous, logLevel: 'silent' });
      } catch (error) {
        lambdas[name] = { error: `bundling failed: ${(error as Error).message.split('\n')[0]}` };
        continue;
      }
      const known = environments[name];
      const discovered = discoverEnvironment(path.resolve(bytes.entry), known ?? {});
      if ('error' in discovered) {
        lambdas[name] = { error: discovered.error };
        continue;
      }
      const requireTimes: number[] = [];
      const wallTimes: number[] = [];
      const previousRequireTimes: number[] = [];
      const previousWallTimes: number[] = [];
      const ownNodeTimes: number[] = [];
      const ownFloorTimes: number[] = [];
      const previousEnv = { ...discovered.env, NODE_OPTIONS: `--enable-source-maps ${discovered.env.NODE_OPTIONS ?? ''}`.trim() };
      // Interleaved with bare `node -e 0`, the floor and the baseline so all four see the same machine load.
      for (let i = 0; i < runs; i++) {
        ownNodeTimes.push(timeNode(['-e', '0'], nodeEnv).ms);
        ownFloorTimes.push(timeNode(['-e', IMPORT_SCRIPT, floorEntry], discovered.env).ms);
        const run = timeNode(['-e', IMPORT_SCRIPT, path.resolve(bytes.entry)], discovered.env);
        wallTimes.push(run.ms);
        requireTimes.push(Number(run.stdout));
        const before = timeNode(['-e', REQUIRE_SCRIPT, previous.outfile], previousEnv);
        previousWallTimes.push(before.ms);
        previousRequireTimes.push(Number(before.stdout));
      }
      nodeTimes.push(...ownNodeTimes);
      floorTimes.push(...ownFloorTimes.map((t, i) => t - (ownNodeTimes[i] ?? 0)));
      const kib = (n: number): number => roundTo(n / 1024, 1);
      const ms = (n: number): number => roundTo(n, 1);
      const figure: ColdStartFigure = {
        bundleKiB: kib(bytes.totalBytes),
        initKiB: kib(bytes.initBytes),
        initTopKiB: Object.fromEntries(bytes.initByPackage.slice(0, 6).map(([pkg, n]) => [pkg, kib(n)])),
        requireMs: ms(median(requireTimes)),
        overNodeMs: ms(median(wallTimes) - median(ownNodeTimes)),
        overFloorMs: ms(median(wallTimes) - median(ownFloorTimes)),
        previous: {
          bundleKiB: kib(fs.statSync(previous.outfile).size),
          mapKiB: kib(fs.statSync(`${previous.outfile}.map`).size),
          requireMs: ms(median(previousRequireTimes)),
          overNodeMs: ms(median(previousWallTimes) - median(ownNodeTimes)),
        },
        environmentFrom: known ? 'template' : 'discovered',
        discovered: discovered.added,
      };
      lambdas[name] = figure;
      log(`coldStart ${name}: ${figure.bundleKiB} KiB (${figure.initKiB} KiB at start), import ${figure.requireMs} ms, +${figure.overNodeMs} ms over node -e 0, +${figure.overFloorMs} ms over the floor (before: ${figure.previous.bundleKiB} KiB + ${figure.previous.mapKiB} KiB map, +${figure.previous.overNodeMs} ms)`);
    }
    const floor: ColdStartFloor = {
      bundleKiB: roundTo(floorBytes.totalBytes / 1024, 1),
      initKiB: roundTo(floorBytes.initBytes / 1024, 1),
      overNodeMs: roundTo(median(floorTimes.length > 0 ? floorTimes : [0]), 1),
      what: 'one bundled SDK client (Secrets Manager) and the Powertools logger, constructed and nothing else (bench/sdk-floor-handler.ts)',
    };
    log(`coldStart floor: ${floor.bundleKiB} KiB (${floor.initKiB} KiB at start), +${floor.overNodeMs} ms over node -e 0`);
    return { runs, nodeMs: roundTo(median(nodeTimes.length > 0 ? nodeTimes : [0]), 1), floor, lambdas };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
