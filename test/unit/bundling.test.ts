import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { bundleBytes, packageOf } from '../../bench/bundle-analysis';
import * as fc from 'fast-check';
import { HANDLER_FILE, toEsbuildOptions } from '../../lib/bundling';
import { heapOptions } from '../../lib/constructs/certyo-function';

describe('Lambda bundling (the deployed esbuild definition)', () => {
  let outdir: string;
  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'certyo-bundling-test-'));
  });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('builds index.mjs whose `handler` export Node resolves as an ES module, with lazily loaded chunks and no source map', async () => {
    const result = await build({ ...toEsbuildOptions('connection-key-sync', outdir), logLevel: 'silent' });
    const bytes = bundleBytes(result.metafile);
    expect(path.basename(bytes.entry)).toBe(HANDLER_FILE);
    // The SDK's other credential providers are imported dynamically: shipped, not loaded at start.
    expect(bytes.initBytes).toBeLessThan(bytes.totalBytes);
    expect(Object.keys(result.metafile?.outputs ?? {}).filter((f) => f.endsWith('.map'))).toEqual([]);

    const run = spawnSync(process.execPath, ['-e', 'import(process.argv[1]).then((m) => process.stdout.write(typeof m.handler))', path.resolve(bytes.entry)], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        CERTYO_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:certyo-AbCdEf',
        CONNECTION_NAME: 'certyo',
        API_KEY_HEADER: 'X-API-Key',
      },
    });
    expect(run.stderr.slice(0, 500)).toBe('');
    expect(run.stdout).toBe('function');
  }, 60_000);

  it.each([
    ['forwarder', false],
    ['verify-starter', false],
    ['mongo-ingest', true],
  ])('%s ships bson and loads it at start: %s (only DocumentDB needs it for every event)', async (name, atStart) => {
    const result = await build({ ...toEsbuildOptions(name, outdir), write: false, logLevel: 'silent' });
    const outputs = result.metafile?.outputs ?? {};
    const shipsBson = Object.values(outputs).some((output) => Object.keys(output.inputs).some((input) => packageOf(input) === 'bson'));
    expect(shipsBson).toBe(true);
    expect(bundleBytes(result.metafile).initByPackage.some(([pkg]) => pkg === 'bson')).toBe(atStart);
  }, 60_000);

  it('attributes output bytes to npm packages (scoped or not) and to our own Lambda folders', () => {
    expect(packageOf('node_modules/@smithy/core/dist-es/index.js')).toBe('@smithy/core');
    expect(packageOf('node_modules/bson/lib/bson.mjs')).toBe('bson');
    expect(packageOf('node_modules/@aws-sdk/client-s3/node_modules/@smithy/x/y.js')).toBe('@smithy/x');
    expect(packageOf('lambdas/shared/certyo-client.ts')).toBe('lambdas/shared');
  });

  it('refuses a metafile without the handler file', () => {
    expect(() => bundleBytes({ inputs: {}, outputs: { 'out/x/chunk.mjs': { bytes: 1, inputs: {}, imports: [], exports: [] } } })).toThrow(/no index\.mjs/);
  });
});

describe('heapOptions (V8 heap limits from the memory size)', () => {
  it.each([
    [128, '--max-semi-space-size=1 --max-old-space-size=64'],
    [256, '--max-semi-space-size=2 --max-old-space-size=64'],
    [1024, '--max-semi-space-size=8 --max-old-space-size=448'],
    [10_240, '--max-semi-space-size=16 --max-old-space-size=5056'],
  ])('%i MB → %s', (memory, options) => {
    expect(heapOptions(memory)).toBe(options);
  });

  it('keeps at least half the memory outside the old space from 256 MB up, and both limits positive', () => {
    fc.assert(
      fc.property(fc.integer({ min: 128, max: 10_240 }), (memory) => {
        const [semi, old] = [...heapOptions(memory).matchAll(/=(\d+)/g)].map((m) => Number(m[1]));
        expect(semi).toBeGreaterThanOrEqual(1);
        expect(old).toBeGreaterThanOrEqual(64);
        expect(old).toBeLessThanOrEqual(Math.max(64, memory / 2));
      }),
    );
  });
});
