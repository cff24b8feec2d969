import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ActError, ProviderApiError } from '../src/errors';
import { computeRetryDelay, DEFAULT_RETRY_SCHEDULE_MS, parseRetryAfter, retry } from '../src/resilience/retry';

const providerError = (status: number, retryAfterMs?: number) =>
  new ProviderApiError({
    packageName: '@act/test',
    status,
    method: 'GET',
    url: 'https://api.example.com/x',
    retryAfterMs,
  });

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('DEFAULT_RETRY_SCHEDULE_MS', () => {
  it('is 1m, 5m, 15m, 1h, 6h and cannot be mutated', () => {
    expect(DEFAULT_RETRY_SCHEDULE_MS).toEqual([60_000, 300_000, 900_000, 3_600_000, 21_600_000]);
    expect(Object.isFrozen(DEFAULT_RETRY_SCHEDULE_MS)).toBe(true);
  });
});

describe('computeRetryDelay', () => {
  const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

  it('stays within the jitter bounds of the schedule entry, never below retryAfterMs, null exactly when exhausted', () => {
    fc.assert(
      fc.property(
        fc.option(fc.array(fc.integer({ min: 0, max: 100_000_000 }), { maxLength: 8 }), { nil: undefined }),
        fc.integer({ min: 1, max: 10 }),
        fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
        unit,
        fc.option(fc.integer({ min: 0, max: 200_000_000 }), { nil: undefined }),
        (schedule, attempt, jitter, r, retryAfterMs) => {
          const delay = computeRetryDelay({ attempt, schedule, jitter, random: () => r, retryAfterMs });
          const effective = schedule ?? DEFAULT_RETRY_SCHEDULE_MS;
          const base = effective[attempt - 1];
          if (base === undefined) {
            expect(delay).toBeNull();
            return;
          }
          expect(delay).not.toBeNull();
          const d = delay as number;
          const j = jitter ?? 0.2;
          expect(Number.isInteger(d)).toBe(true);
          const lo = Math.floor(base * (1 - j));
          const hi = Math.ceil(base * (1 + j));
          if (retryAfterMs !== undefined) {
            expect(d).toBeGreaterThanOrEqual(retryAfterMs);
            // Either the jittered delay, or raised exactly to the provider's wait.
            if (d !== retryAfterMs) {
              expect(d).toBeGreaterThanOrEqual(lo);
              expect(d).toBeLessThanOrEqual(hi);
            }
          } else {
            expect(d).toBeGreaterThanOrEqual(lo);
            expect(d).toBeLessThanOrEqual(hi);
          }
        },
      ),
    );
  });

  it('has monotone non-decreasing bases for the default schedule, and delays follow them for the same draw', () => {
    const bases = DEFAULT_RETRY_SCHEDULE_MS.map((_, i) => computeRetryDelay({ attempt: i + 1, jitter: 0 }));
    expect(bases).toEqual([...DEFAULT_RETRY_SCHEDULE_MS]);
    for (let i = 1; i < bases.length; i++) expect(bases[i]).toBeGreaterThanOrEqual(bases[i - 1] as number);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: DEFAULT_RETRY_SCHEDULE_MS.length - 1 }), unit, (attempt, r) => {
        const earlier = computeRetryDelay({ attempt, random: () => r }) as number;
        const later = computeRetryDelay({ attempt: attempt + 1, random: () => r }) as number;
        expect(later).toBeGreaterThanOrEqual(earlier);
      }),
    );
  });

  it('dead-letters after the fifth failure by default', () => {
    expect(computeRetryDelay({ attempt: 5 })).not.toBeNull();
    expect(computeRetryDelay({ attempt: 6 })).toBeNull();
    expect(computeRetryDelay({ attempt: 1, schedule: [] })).toBeNull();
  });

  it('ignores a nonsensical retryAfterMs instead of sleeping forever', () => {
    const delay = computeRetryDelay({ attempt: 1, jitter: 0, retryAfterMs: Number.POSITIVE_INFINITY });
    expect(delay).toBe(60_000);
    expect(computeRetryDelay({ attempt: 1, jitter: 0, retryAfterMs: -5 })).toBe(60_000);
    expect(computeRetryDelay({ attempt: 1, jitter: 0, retryAfterMs: 90_000.2 })).toBe(90_001);
  });

  it('rejects an attempt that is not a positive integer and a jitter outside [0, 1]', () => {
    for (const attempt of [0, -1, 1.5, Number.NaN]) {
      expect(() => computeRetryDelay({ attempt })).toThrow(/^\[@act\/core\] computeRetryDelay: attempt/);
    }
    expect(() => computeRetryDelay({ attempt: 1, jitter: 1.5 })).toThrow(/^\[@act\/core\] computeRetryDelay: jitter/);
    try {
      computeRetryDelay({ attempt: 0 });
    } catch (error) {
      expect(ActError.isInstance(error) && error.errorClass).toBe('validation');
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2025, 0, 15, 12, 0, 0);

  it('reads delay-seconds as milliseconds', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter(' 7 ')).toBe(7_000);
    fc.assert(
      fc.property(fc.nat(), (n) => {
        expect(parseRetryAfter(String(n))).toBe(n * 1000);
      }),
    );
  });

  it('reads the three HTTP-date forms relative to now, and a past date as 0', () => {
    expect(parseRetryAfter('Wed, 15 Jan 2025 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wednesday, 15-Jan-25 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Wed Jan 15 12:00:05 2025', now)).toBe(5_000);
    expect(parseRetryAfter('Wed Jan  1 12:00:05 2025', now)).toBe(0);
    expect(parseRetryAfter('Tue, 14 Jan 2025 12:00:00 GMT', now)).toBe(0);
  });

  it('agrees with Date#toUTCString for any instant', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Date.UTC(9999, 11, 31) }),
        fc.integer({ min: 0, max: Date.UTC(9999, 11, 31) }),
        (at, from) => {
          const whole = Math.floor(at / 1000) * 1000;
          expect(parseRetryAfter(new Date(at).toUTCString(), from)).toBe(Math.max(0, whole - from));
        },
      ),
    );
  });

  it('returns undefined for missing or malformed values', () => {
    for (const value of [
      undefined,
      null,
      '',
      '  ',
      '-1',
      '1.5',
      '1e3',
      'soon',
      '12abc',
      'Sun, 30 Feb 2025 00:00:00 GMT',
      'Wed, 15 Jan 2025 25:00:00 GMT',
      'Xyz, 15 Jan 2025 12:00:00 GMT',
      '2025-01-15T12:00:00Z',
    ]) {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    }
  });
});

describe('retry', () => {
  it('returns the first success without waiting and passes attempt and signal', async () => {
    const fn = vi.fn(async ({ attempt, signal }: { attempt: number; signal: AbortSignal }) => {
      expect(signal).toBeInstanceOf(AbortSignal);
      return attempt;
    });
    await expect(retry(fn)).resolves.toBe(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('retries transient failures with numbered attempts until one succeeds', async () => {
    const attempts: number[] = [];
    const result = await retry(
      async ({ attempt }) => {
        attempts.push(attempt);
        if (attempt < 3) throw providerError(503);
        return 'ok';
      },
      { baseDelayMs: 1, maxDelayMs: 2 },
    );
    expect(result).toBe('ok');
    expect(attempts).toEqual([1, 2, 3]);
  });

  it("waits at least a ProviderApiError's retryAfterMs before the next attempt", async () => {
    vi.useFakeTimers();
    const onRetry = vi.fn();
    const fn = vi
      .fn<(context: { attempt: number }) => Promise<string>>()
      .mockRejectedValueOnce(providerError(429, 5_000))
      .mockResolvedValue('done');
    const promise = retry(fn, { baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 10_000, onRetry });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(onRetry).toHaveBeenCalledWith({ attempt: 1, delayMs: 5_000, error: expect.any(ProviderApiError) });
    await vi.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(2);
    await expect(promise).resolves.toBe('done');
  });

  it('uses exponential backoff with full jitter capped at maxDelayMs', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const delays: number[] = [];
    await expect(
      retry(
        async () => {
          throw new Error('boom');
        },
        { maxAttempts: 5, baseDelayMs: 4, maxDelayMs: 10, onRetry: ({ delayMs }) => delays.push(delayMs) },
      ),
    ).rejects.toThrow('boom');
    // caps 4, 8, 10 (capped), 10 — the draw stays below each cap
    expect(delays).toEqual([3, 7, 9, 9]);
  });

  it('stops at once on a non-retryable error', async () => {
    for (const status of [400, 401, 404]) {
      const error = providerError(status);
      const fn = vi.fn(async () => {
        throw error;
      });
      await expect(retry(fn, { baseDelayMs: 1 })).rejects.toBe(error);
      expect(fn).toHaveBeenCalledTimes(1);
    }
  });

  it('lets isRetryable decide', async () => {
    const fn = vi.fn(async () => {
      throw providerError(401);
    });
    await expect(retry(fn, { baseDelayMs: 0, isRetryable: () => true })).rejects.toBeInstanceOf(ProviderApiError);
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('makes exactly maxAttempts calls in total and rejects with the last error', async () => {
    for (const maxAttempts of [1, 2, 4]) {
      let calls = 0;
      const promise = retry(
        async () => {
          calls++;
          throw new Error(`failure ${calls}`);
        },
        { maxAttempts, baseDelayMs: 0 },
      );
      await expect(promise).rejects.toThrow(`failure ${maxAttempts}`);
      expect(calls).toBe(maxAttempts);
    }
  });

  it('rejects with the abort reason as soon as the signal aborts during a wait, leaving no timer behind', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const fn = vi.fn(async () => {
      throw providerError(429, 60_000);
    });
    const promise = retry(fn, { signal: controller.signal, maxRetryAfterMs: 3_600_000 });
    const settled = promise.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1_000);
    controller.abort(reason);
    await expect(settled).resolves.toBe(reason);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not call fn when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    const fn = vi.fn(async () => 1);
    await expect(retry(fn, { signal: controller.signal })).rejects.toThrow('gone');
    expect(fn).not.toHaveBeenCalled();
  });

  it('rejects with the abort reason when fn fails because of the abort', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const fn = vi.fn(async () => {
      controller.abort(reason);
      throw new Error('fetch aborted');
    });
    await expect(retry(fn, { signal: controller.signal })).rejects.toBe(reason);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('rejects invalid options with a ConfigurationError', async () => {
    await expect(retry(async () => 1, { maxAttempts: 0 })).rejects.toThrow(/^\[@act\/core\] retry: maxAttempts/);
    await expect(retry(async () => 1, { baseDelayMs: -1 })).rejects.toThrow(/^\[@act\/core\] retry: baseDelayMs/);
  });
});

describe('retry: long Retry-After goes back to the worker', () => {
  it('does not sleep through a Retry-After longer than maxRetryAfterMs', async () => {
    const { ProviderApiError } = await import('../src/errors');
    const { retry } = await import('../src/resilience/retry');
    let calls = 0;
    const limited = new ProviderApiError({
      packageName: '@act/x',
      status: 429,
      method: 'GET',
      url: 'u',
      retryAfterMs: 3_600_000,
    });
    const started = Date.now();
    await expect(
      retry(
        async () => {
          calls += 1;
          throw limited;
        },
        { maxAttempts: 5, maxDelayMs: 1_000 },
      ),
    ).rejects.toBe(limited);
    expect(calls).toBe(1);
    expect(Date.now() - started).toBeLessThan(500);
  });
});
