/**
 * Fault injection. Each `/api/v1/*` request draws one number from a PRNG seeded with the
 * sandbox's `seed`, so the same requests in the same order meet the same faults on every run.
 * Scripted faults (`injectFaults`) are taken first, for tests that need "the next request fails".
 */
import { FaultRates, ScriptedFault } from './options';
import { seededRandom } from './prng';

export class FaultInjector {
  private readonly random: () => number;
  private script: ScriptedFault[] = [];

  constructor(
    private rates: FaultRates,
    seed: number,
  ) {
    this.random = seededRandom(seed);
  }

  get latencyMs(): number {
    return this.rates.latencyMs ?? 0;
  }

  setRates(rates: FaultRates): void {
    this.rates = { ...this.rates, ...rates };
  }

  inject(faults: readonly ScriptedFault[]): void {
    this.script.push(...faults);
  }

  clearScript(): void {
    this.script = [];
  }

  /** The fault for the next request. One draw per request keeps the sequence reproducible. */
  next(): ScriptedFault {
    const scripted = this.script.shift();
    const draw = this.random();
    if (scripted) return scripted;
    let threshold = 0;
    for (const [fault, rate] of [
      ['error', this.rates.errorRate],
      ['throttle', this.rates.throttleRate],
      ['reset', this.rates.resetRate],
      ['hang', this.rates.hangRate],
    ] as const) {
      threshold += rate ?? 0;
      if (draw < threshold) return fault;
    }
    return 'none';
  }
}
