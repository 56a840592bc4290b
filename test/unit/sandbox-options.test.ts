import { CLI_DEFAULT_PORT, parseSandboxArgs } from '../../local/sandbox/cli-args';
import { UsageError } from '../../scripts/cli';
import { FaultInjector } from '../../local/sandbox/faults';
import { resolveOptions, SANDBOX_DEFAULTS, SandboxOptionError } from '../../local/sandbox/options';
import { FixedWindowRateLimiter, rateLimitHeaders } from '../../local/sandbox/rate-limiter';

describe('resolveOptions', () => {
  it('applies the documented defaults, ignoring undefined values', () => {
    expect(resolveOptions({ port: undefined })).toEqual(SANDBOX_DEFAULTS);
    expect(SANDBOX_DEFAULTS).toMatchObject({ port: 0, apiKeys: ['test-key'], rateLimit: 1000, rateWindowMs: 3_600_000, flushRecords: 1000, flushMs: 60_000, seed: 1 });
  });

  it.each([
    [{ failRate: 1.5 }, 'sandbox option failRate must be between 0 and 1, got 1.5'],
    [{ errorRate: -0.1 }, 'sandbox option errorRate must be between 0 and 1, got -0.1'],
    [{ rateLimit: 0 }, 'sandbox option rateLimit must be > 0, got 0'],
    [{ latencyMs: -1 }, 'sandbox option latencyMs must be >= 0, got -1'],
    [{ apiKeys: [] }, 'sandbox option apiKeys must list at least one non-empty key'],
    [{ seed: 1.5 }, 'sandbox option seed must be an integer, got 1.5'],
  ])('refuses %j naming the option', (options, message) => {
    expect(() => resolveOptions(options)).toThrow(new SandboxOptionError(message));
  });
});

describe('parseSandboxArgs', () => {
  it('answers help to --help and -h', () => {
    expect(parseSandboxArgs(['--help'])).toBe('help');
    expect(parseSandboxArgs(['-h'])).toBe('help');
  });

  it('maps the issue command line to options, seconds to milliseconds', () => {
    const argv = '--port 4010 --api-key test-key --rate-limit 1000 --rate-window-seconds 3600 --flush-records 1000 --flush-seconds 60 --anchor-delay-seconds 30 --fail-rate 0 --error-rate 0 --throttle-rate 0 --latency-ms 0 --seed 1'.split(' ');

    const options = parseSandboxArgs(argv);

    expect(options).not.toBe('help');
    expect(resolveOptions(options as Exclude<typeof options, 'help'>)).toEqual({ ...SANDBOX_DEFAULTS, port: 4010, anchorDelayMs: 30_000 });
  });

  it('defaults to port 4010 and accepts several keys and fractional seconds', () => {
    expect(parseSandboxArgs(['--api-key', 'a', '--api-key', 'b', '--flush-seconds', '0.5'])).toMatchObject({ port: CLI_DEFAULT_PORT, apiKeys: ['a', 'b'], flushMs: 500 });
  });

  it.each([
    [['--seed', 'x'], '--seed must be a number, got "x"'],
    [['--retry-after-format', 'minutes'], '--retry-after-format must be one of seconds, http-date, body-only, got "minutes"'],
    [['--colour'], 'unknown flag --colour'],
    [['--port', '70000'], '--port must be a whole number from 0 to 65535, got "70000"'],
    [['--port', '12.5'], '--port must be a whole number from 0 to 65535, got "12.5"'],
    [['--port'], '--port needs a value'],
    [['4010'], 'unexpected argument 4010'],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseSandboxArgs(argv)).toThrow(UsageError);
    expect(() => parseSandboxArgs(argv)).toThrow(message);
  });
});

describe('FixedWindowRateLimiter', () => {
  it('allows the limit per window per key, then refuses until the window ends', () => {
    const clock = { now: 1_000_000 };
    const limiter = new FixedWindowRateLimiter(2, 60_000, () => clock.now);

    const decisions = [limiter.take('k'), limiter.take('k'), limiter.take('k'), limiter.take('other')];
    clock.now += 60_000;
    const after = limiter.take('k');

    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([[true, 1], [true, 0], [false, 0], [true, 1]]);
    expect(rateLimitHeaders(decisions[2]!)).toEqual({ 'X-RateLimit-Limit': '2', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '1060' });
    expect(after).toMatchObject({ allowed: true, remaining: 1 });
  });
});

describe('FaultInjector', () => {
  it('takes scripted faults first, then draws from the seeded rates', () => {
    const faults = new FaultInjector({ errorRate: 1 }, 1);
    faults.inject(['hang', 'none']);

    expect([faults.next(), faults.next(), faults.next()]).toEqual(['hang', 'none', 'error']);
  });

  it('injects roughly the configured fractions', () => {
    const faults = new FaultInjector({ errorRate: 0.1, throttleRate: 0.2, resetRate: 0.05, hangRate: 0.05 }, 42);
    const counts: Record<string, number> = {};

    for (let i = 0; i < 10_000; i++) {
      const fault = faults.next();
      counts[fault] = (counts[fault] ?? 0) + 1;
    }

    expect(counts.error! / 10_000).toBeCloseTo(0.1, 2);
    expect(counts.throttle! / 10_000).toBeCloseTo(0.2, 2);
    expect(counts.reset! / 10_000).toBeCloseTo(0.05, 2);
    expect(counts.hang! / 10_000).toBeCloseTo(0.05, 2);
    expect(counts.none! / 10_000).toBeCloseTo(0.6, 2);
  });
});
