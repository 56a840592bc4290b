/**
 * `lambdaMemory`: peak memory of every Lambda but s3-ingest (which has `s3.memory`) under its
 * largest realistic input, measured like the S3 figure: each function in its own node process
 * with the environment it deploys with (its `NODE_OPTIONS` heap limits included, read from the
 * synthesized templates), its handler module loaded, then its own processing driven through a
 * few invocations of that input, with Certyo as the sandbox and in-memory stand-ins for the AWS
 * services around it; peak RSS from the child's own VmHWM. Each function's peak gives the memory
 * size of the rule (`memorySizeFor`), reported next to the size it deploys.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { entryEsbuildOptions, HANDLER_FILE } from '../lib/bundling';
import { memorySizeFor } from '../lib/constructs/certyo-function';
import { startSandbox } from '../local/sandbox';
import { CfnTemplate, lambdaMemoryMb, referencedId, resourceEntries, synthesizeTemplates } from '../local/harness/synthesized';
import { BASE_ENV, environmentsFromTemplates } from './cold-start';
import type { FunctionMemoryInput, FunctionMemoryOutput } from './function-memory-child';
import { runChild } from './peak-memory';

/** The functions this figure measures (s3-ingest has its own, `s3.memory`). */
export const MEASURED_FUNCTIONS = ['forwarder', 'ddb-ingest', 'mongo-ingest', 'proxy-tenant-guard', 'webhook-intake', 'proxy-authorizer', 'verify-starter', 'connection-key-sync'] as const;
export type MeasuredFunction = (typeof MEASURED_FUNCTIONS)[number];

export interface FunctionMemoryRun extends FunctionMemoryOutput {
  readonly scenario: string;
  /** Records the sandbox stored over the run (bulk paths and the tenant guard). */
  readonly recordsStored: number;
}

export interface FunctionMemoryEntry {
  /** The largest peak RSS of the function's runs. */
  readonly peakRssMb: number;
  /** `memorySizeFor(fn, peakRssMb)`: what the rule gives. */
  readonly ruleMb: number;
  /** The memory size the templates deployed when measured; the runs had its `NODE_OPTIONS`. */
  readonly deployedMb: number;
  readonly nodeOptions: string;
  readonly runs: readonly FunctionMemoryRun[];
}

export interface FunctionMemoryFigure {
  readonly functions: Readonly<Record<string, FunctionMemoryEntry>>;
  readonly method: string;
}

export interface FunctionMemoryOptions {
  /** Invocations per run: the first allocates, later ones show whether the peak keeps growing. @default 3 */
  readonly invocations?: number;
  /** @default every function */
  readonly only?: readonly MeasuredFunction[];
  readonly log?: (line: string) => void;
}

/** A DocumentDB stream, so that the mongo-ingest function is synthesized (its identifiers are never called). */
const DOCUMENTDB_SOURCE = {
  clusterArn: 'arn:aws:rds:us-east-1:123456789012:cluster:bench',
  secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:docdb/bench-AbCdEf',
  database: 'shop',
  collection: 'orders',
  vpcId: 'vpc-0abc12345678def01',
  subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0b1b2c3d4e5f60718'],
  securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
};

/** The `BatchSize` of each function's event source mapping, by function (`POWERTOOLS_SERVICE_NAME`). */
function batchSizes(templates: Readonly<Record<string, CfnTemplate>>): Record<string, number> {
  const functions = new Map(resourceEntries(templates, 'AWS::Lambda::Function'));
  const sizes: Record<string, number> = {};
  for (const [, mapping] of resourceEntries(templates, 'AWS::Lambda::EventSourceMapping')) {
    const fn = functions.get(referencedId(mapping.Properties?.FunctionName) ?? '');
    const name = (fn?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.POWERTOOLS_SERVICE_NAME;
    if (typeof name === 'string') sizes[name] = Number(mapping.Properties?.BatchSize);
  }
  return sizes;
}

/** Every function's deployed environment, memory size and batch size: direct mode has verify-starter, batched mode the forwarder, and mongo-ingest needs a stream. */
export function deployedFunctions(): { environments: Record<string, Record<string, string>>; memory: Record<string, number>; batchSizes: Record<string, number> } {
  const templates = [synthesizeTemplates(), synthesizeTemplates({ 'certyo:forwardingMode': 'batched', 'certyo:mongodb.documentdb': [DOCUMENTDB_SOURCE] })];
  const merged = <T>(read: (t: Record<string, CfnTemplate>) => Record<string, T>): Record<string, T> => Object.assign({}, ...templates.map(read)) as Record<string, T>;
  return { environments: merged(environmentsFromTemplates), memory: merged(lambdaMemoryMb), batchSizes: merged(batchSizes) };
}

/** Inputs per function: the largest realistic one; DynamoDB has two shapes of "largest". */
const SCENARIOS: Readonly<Record<MeasuredFunction, readonly string[]>> = {
  forwarder: ['full-batch'],
  'ddb-ingest': ['full-batch', 'large-items'],
  'mongo-ingest': ['full-batch'],
  'proxy-tenant-guard': ['largest-body'],
  'webhook-intake': ['largest-body'],
  'proxy-authorizer': ['typical'],
  'verify-starter': ['full-batch'],
  'connection-key-sync': ['typical'],
};

/** The proxy's consumers come from `certyo:apiProxy.consumers` (none in cdk.json): one consumer of the sandbox's tenant. */
const PROXY_TENANTS = (tenant: string): string => JSON.stringify({ bench: [tenant] });

export async function measureFunctionMemory(options: FunctionMemoryOptions = {}): Promise<FunctionMemoryFigure> {
  const { invocations = 3, only = MEASURED_FUNCTIONS, log = () => undefined } = options;
  const { environments, memory, batchSizes: batches } = deployedFunctions();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certyo-bench-function-memory-'));
  // Bundled with the deployed functions' options (ES modules split, minified), so a child loads
  // only the measured function's code, as its deployed bundle would.
  const childDir = path.join(dir, 'child');
  await build({ ...entryEsbuildOptions(path.join(__dirname, 'function-memory-child.ts'), childDir), metafile: false });
  const script = path.join(childDir, HANDLER_FILE);
  // The guard's bulk body is near 6 MB: above cdk.json's bulk body cap, which is the ingest paths' own packing limit, not Certyo's.
  const sandbox = await startSandbox({ rateLimit: 1_000_000_000, flushMs: 3_600_000, anchorDelayMs: 3_600_000, maxBodyBytes: 8 * 1024 ** 2 });
  const functions: Record<string, FunctionMemoryEntry> = {};
  try {
    for (const fn of only) {
      const deployed = environments[fn];
      const deployedMb = memory[fn];
      if (!deployed || deployedMb === undefined) throw new Error(`lambdaMemory: ${fn} is not in the synthesized templates`);
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        ...BASE_ENV,
        ...deployed,
        CERTYO_API_URL: sandbox.url,
        CERTYO_TENANT_ID: 'bench',
        ...(fn === 'proxy-tenant-guard' || fn === 'proxy-authorizer' ? { PROXY_TENANTS: PROXY_TENANTS('bench') } : {}),
      };
      const runs: FunctionMemoryRun[] = [];
      for (const scenario of SCENARIOS[fn]) {
        sandbox.reset();
        const payloadDir = fs.mkdtempSync(path.join(dir, `${fn}-`));
        const input = (mode: FunctionMemoryInput['mode']): FunctionMemoryInput => ({ fn, scenario, sandboxApiKey: sandbox.apiKey, invocations, mode, payloadDir, batchSize: batches[fn] });
        await runChild(script, input('write'), { ...env, NODE_OPTIONS: '' }, `${fn} ${scenario} payloads`);
        const output = await runChild<FunctionMemoryOutput>(script, input('measure'), env, `${fn} ${scenario}`);
        fs.rmSync(payloadDir, { recursive: true, force: true });
        const run: FunctionMemoryRun = { ...output, scenario, recordsStored: sandbox.stats().recordsStored };
        log(`${fn} (${scenario}): peak RSS ${run.maxRssMb} MB (${run.startRssMb} MB loaded), ${run.invocations} × ${(run.payloadBytes / 1024 ** 2).toFixed(2)} MB, ${run.maxInvocationCpuMs} ms CPU per invocation at most, ${run.recordsStored} records stored`);
        runs.push(run);
      }
      const peakRssMb = Math.max(...runs.map((r) => r.maxRssMb));
      functions[fn] = { peakRssMb, ruleMb: memorySizeFor(fn, peakRssMb), deployedMb, nodeOptions: deployed.NODE_OPTIONS ?? '', runs };
    }
  } finally {
    await sandbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return {
    functions,
    method: `each function and input in its own node process with the function's deployed environment and NODE_OPTIONS (bundled with esbuild, no TypeScript tooling), handler module loaded, then ${invocations} invocations of the input through the function's own processing (payload read as JSON text, as the runtime receives it; Certyo as the sandbox, AWS services as in-memory stand-ins); peak RSS from the child's own VmHWM (/proc/self/status)`,
  };
}
