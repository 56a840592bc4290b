/**
 * The Lambda memory sizes in the templates follow the measurements (issue 21): every function's
 * synthesized `MemorySize` is what `memorySizeFor` gives from its peak RSS in the committed
 * `bench/results.json`, and that peak was measured with the heap limits the function deploys
 * with. A re-measure that moves a peak across a 64 MB step fails here until the construct's
 * default follows; a default changed without re-measuring fails too (the heap limits differ).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { heapOptions, memorySizeFor, SYNCHRONOUS_LAMBDAS, SYNCHRONOUS_MEMORY_FLOOR_MB } from '../../lib/constructs/certyo-function';
import { deployedFunctions, MEASURED_FUNCTIONS } from '../../bench/function-memory';
import type { BenchResults } from '../../bench/report';

const results = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'bench', 'results.json'), 'utf8')) as BenchResults;

/** Each function's measured peak and the heap limits it was measured with. */
function measured(fn: string): { peakRssMb: number; nodeOptions: string } {
  if (fn === 's3-ingest') {
    const memory = results.s3?.memory;
    if (!memory) throw new Error('bench/results.json has no s3.memory (npm run bench -- --only s3Memory)');
    return { peakRssMb: Math.max(...memory.runs.map((r) => r.maxRssMb)), nodeOptions: memory.nodeOptions };
  }
  const figure = results.lambdaMemory?.functions[fn];
  if (!figure) throw new Error(`bench/results.json has no lambdaMemory.functions["${fn}"] (npm run bench -- --only lambdaMemory)`);
  return figure;
}

describe('Lambda memory sizes follow bench/results.json', () => {
  let memory: Record<string, number>;
  beforeAll(() => {
    memory = deployedFunctions().memory;
  }, 120_000);

  it('measures every function the stacks deploy, and only those', () => {
    expect(Object.keys(memory).sort()).toEqual([...MEASURED_FUNCTIONS, 's3-ingest'].sort());
    expect(results.lambdaMemory?.quick).toBe(false);
    expect(results.s3?.memory?.quick).toBe(false);
  });

  it.each([...MEASURED_FUNCTIONS, 's3-ingest'])('%s deploys memorySizeFor(its measured peak), measured at its deployed heap limits', (fn) => {
    const { peakRssMb, nodeOptions } = measured(fn);
    expect({ fn, memorySize: memory[fn] }).toEqual({ fn, memorySize: memorySizeFor(fn, peakRssMb) });
    expect({ fn, nodeOptions }).toEqual({ fn, nodeOptions: heapOptions(memory[fn] as number) });
  });

  it.each([...MEASURED_FUNCTIONS])("%s: the recorded peak is the largest of its runs and gave the recorded rule size", (fn) => {
    const figure = results.lambdaMemory?.functions[fn];
    expect(figure?.peakRssMb).toBe(Math.max(...(figure?.runs ?? []).map((r) => r.maxRssMb)));
    expect(figure?.ruleMb).toBe(memorySizeFor(fn, figure?.peakRssMb ?? NaN));
  });
});

describe('memorySizeFor', () => {
  const peak = fc.double({ min: 0.1, max: 5000, noNaN: true });
  const name = fc.constantFrom(...MEASURED_FUNCTIONS, 's3-ingest');

  it('gives the smallest multiple of 128 MB at least twice the peak, above the function floor', () => {
    fc.assert(
      fc.property(name, peak, (fn, peakRssMb) => {
        const size = memorySizeFor(fn, peakRssMb);
        const floor = SYNCHRONOUS_LAMBDAS.includes(fn) ? SYNCHRONOUS_MEMORY_FLOOR_MB : 128;
        expect(size % 128).toBe(0);
        expect(size).toBeGreaterThanOrEqual(Math.max(floor, 2 * peakRssMb));
        // One step smaller would be under twice the peak, or under the floor.
        expect(size - 128 < 2 * peakRssMb || size - 128 < floor).toBe(true);
      }),
    );
  });

  it('keeps functions a caller waits on at 256 MB, and lets the others go down to 128 MB', () => {
    expect(memorySizeFor('proxy-authorizer', 50)).toBe(256);
    expect(memorySizeFor('connection-key-sync', 50)).toBe(128);
    expect(memorySizeFor('forwarder', 64.1)).toBe(256);
    expect(memorySizeFor('forwarder', 192)).toBe(384);
    expect(memorySizeFor('forwarder', 192.1)).toBe(512);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses a peak of %p, naming the function', (value) => {
    expect(() => memorySizeFor('forwarder', value)).toThrow(/memorySizeFor\(forwarder\): peakRssMb must be a positive number of MB/);
  });
});
