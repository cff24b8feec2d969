import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActError } from '../src/errors';
import { createMemoryRateLimitStore } from '../src/memory/memory-rate-limit-store';
import type { RateLimiterOptions } from '../src/resilience/rate-limiter';
import { createRateLimiter } from '../src/resilience/rate-limiter';

/** A clock that only moves when the limiter sleeps, so waits are exact. */
function fakeClock(start = 1_000_000) {
  const clock = {
    t: start,
    slept: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      clock.slept.push(ms);
      clock.t += ms;
    },
  };
  return clock;
}

function limiter(limits: RateLimiterOptions['limits'], clock = fakeClock()) {
  return { clock, limiter: createRateLimiter({ limits, now: clock.now, sleep: clock.sleep }) };
}

describe('createMemoryRateLimitStore', () => {
  const limit = { capacity: 10, intervalMs: 1_000 };

  it('starts full, counts down, then says how long until the next token', async () => {
    const store = createMemoryRateLimitStore();
    expect(store.specificationVersion).toBe('v1');
    for (let i = 9; i >= 0; i--) {
      expect(await store.take({ key: 'k', limit, now: 0 })).toEqual({ granted: true, waitMs: 0, remaining: i });
    }
    expect(await store.take({ key: 'k', limit, now: 0 })).toEqual({ granted: false, waitMs: 100, remaining: 0 });
    expect(await store.take({ key: 'k', limit, cost: 3, now: 50 })).toEqual({
      granted: false,
      waitMs: 250,
      remaining: 0,
    });
    expect((await store.take({ key: 'k', limit, now: 100 })).granted).toBe(true);
    // Refill stops at capacity.
    expect(await store.take({ key: 'k', limit, now: 1_000_000 })).toEqual({ granted: true, waitMs: 0, remaining: 9 });
  });

  it('keeps keys apart', async () => {
    const store = createMemoryRateLimitStore();
    const one = { capacity: 1, intervalMs: 1_000 };
    expect((await store.take({ key: 'a', limit: one, now: 0 })).granted).toBe(true);
    expect((await store.take({ key: 'b', limit: one, now: 0 })).granted).toBe(true);
    expect((await store.take({ key: 'a', limit: one, now: 0 })).granted).toBe(false);
  });

  it('never grants more than capacity plus what refilled, and grants exactly when it said it would', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 5_000 }), cost: fc.integer({ min: 0, max: 50 }) }), {
          maxLength: 60,
        }),
        async (capacity, intervalMs, ops) => {
          const store = createMemoryRateLimitStore();
          const bucket = { capacity, intervalMs };
          let now = 0;
          let granted = 0;
          for (const { dt, cost: rawCost } of ops) {
            now += dt;
            const cost = Math.min(rawCost, capacity);
            const result = await store.take({ key: 'k', limit: bucket, cost, now });
            if (result.granted) {
              granted += cost;
              expect(granted).toBeLessThanOrEqual(capacity + (now * capacity) / intervalMs + 1e-6);
            } else {
              expect(result.waitMs).toBeGreaterThan(0);
              // Nothing else takes in between, so the promised wait is enough.
              now += result.waitMs;
              expect((await store.take({ key: 'k', limit: bucket, cost, now })).granted).toBe(true);
              granted += cost;
            }
          }
        },
      ),
    );
  });

  it('set() makes the provider count authoritative, clamped to [0, capacity]', async () => {
    const store = createMemoryRateLimitStore();
    await store.set({ key: 'k', limit, remaining: 0, now: 0 });
    expect(await store.take({ key: 'k', limit, now: 0 })).toMatchObject({ granted: false, waitMs: 100 });
    await store.set({ key: 'k', limit, remaining: 500, now: 0 });
    expect(await store.take({ key: 'k', limit, now: 0 })).toMatchObject({ granted: true, remaining: 9 });
  });

  it('refuses a cost no bucket could ever grant instead of waiting forever', async () => {
    const store = createMemoryRateLimitStore();
    await expect(store.take({ key: 'k', limit, cost: 11, now: 0 })).rejects.toThrow(
      /^\[@act\/core\] .*cost must be between 0 and the bucket capacity \(10\)/,
    );
  });
});

describe('createRateLimiter', () => {
  it('passes immediately while tokens last, then waits exactly until one refills', async () => {
    const { clock, limiter: rl } = limiter({ burst: { capacity: 2, intervalMs: 1_000 } });
    expect((await rl.acquire('ghl:loc_1')).waitedMs).toBe(0);
    expect((await rl.acquire('ghl:loc_1')).waitedMs).toBe(0);
    expect((await rl.acquire('ghl:loc_1')).waitedMs).toBe(500);
    expect(clock.slept).toEqual([500]);
    expect((await rl.acquire('ghl:loc_1', { cost: 2 })).waitedMs).toBe(1_000);
  });

  it('must pass every named bucket: the daily budget holds even when the burst one has room', async () => {
    const { clock, limiter: rl } = limiter({
      burst: { capacity: 100, intervalMs: 10_000 },
      daily: { capacity: 3, intervalMs: 86_400_000 },
    });
    for (let i = 0; i < 3; i++) expect((await rl.acquire('s')).waitedMs).toBe(0);
    expect((await rl.acquire('s')).waitedMs).toBe(28_800_000);
    expect(clock.slept).toEqual([28_800_000]);
  });

  it('keeps scopes apart and stores buckets under <scope>:<limitName>', async () => {
    const keys: string[] = [];
    const memory = createMemoryRateLimitStore();
    const clock = fakeClock();
    const rl = createRateLimiter({
      limits: { burst: { capacity: 1, intervalMs: 1_000 } },
      now: clock.now,
      sleep: clock.sleep,
      store: {
        specificationVersion: 'v1',
        take: (request) => {
          keys.push(request.key);
          return memory.take(request);
        },
        set: (request) => memory.set(request),
        acquireSlot: (request) => memory.acquireSlot(request),
        releaseSlot: (request) => memory.releaseSlot(request),
      },
    });
    await rl.acquire('ghl:loc_1');
    await rl.acquire('ghl:loc_2');
    expect(clock.slept).toEqual([]);
    expect(keys).toEqual(['ghl:loc_1:burst', 'ghl:loc_2:burst']);
  });

  it('update() aligns a bucket with the provider count, both down and up', async () => {
    const { clock, limiter: rl } = limiter({ burst: { capacity: 10, intervalMs: 1_000 } });
    await rl.acquire('s');
    // Another app spent the rest of the budget.
    await rl.update('s', 'burst', 0);
    expect((await rl.acquire('s')).waitedMs).toBe(100);
    // The provider's window reset early: its count wins.
    await rl.update('s', 'burst', 5);
    for (let i = 0; i < 5; i++) expect((await rl.acquire('s')).waitedMs).toBe(0);
    expect((await rl.acquire('s')).waitedMs).toBe(100);
    // A missing header (NaN) changes nothing.
    await rl.update('s', 'burst', Number.NaN);
    expect((await rl.acquire('s')).waitedMs).toBe(100);
    expect(clock.slept).toEqual([100, 100, 100]);
  });

  it('update() rejects an unknown limit name', async () => {
    const { limiter: rl } = limiter({ burst: { capacity: 10, intervalMs: 1_000 } });
    await expect(rl.update('s', 'daily', 1)).rejects.toThrow(
      /^\[@act\/core\] RateLimiter.update: unknown limit "daily"; configured: burst/,
    );
  });

  it('rejects with the signal reason when aborted before or while waiting', async () => {
    const { limiter: rl } = limiter({ burst: { capacity: 1, intervalMs: 1_000 } });
    const before = new AbortController();
    before.abort(new Error('stopped'));
    await expect(rl.acquire('s', { signal: before.signal })).rejects.toThrow('stopped');

    // Default sleep, real timers: a 60 s wait must end as soon as the signal aborts.
    const real = createRateLimiter({ limits: { burst: { capacity: 1, intervalMs: 60_000 } } });
    await real.acquire('s');
    const during = new AbortController();
    const reason = new Error('shutdown');
    const started = Date.now();
    const pending = real.acquire('s', { signal: during.signal });
    setTimeout(() => during.abort(reason), 10);
    await expect(pending).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('rejects bad configuration with a ConfigurationError', async () => {
    expect(() => createRateLimiter({ limits: { 'a:b': { capacity: 1, intervalMs: 1 } } })).toThrow(/contain no ':'/);
    expect(() => createRateLimiter({ limits: { burst: { capacity: 0, intervalMs: 1 } } })).toThrow(
      /^\[@act\/core\] createRateLimiter: limit "burst": a limit needs a positive capacity/,
    );
    const { limiter: rl } = limiter({ burst: { capacity: 5, intervalMs: 1_000 } });
    const error = await rl.acquire('s', { cost: 6 }).catch((e: unknown) => e);
    expect(ActError.isInstance(error) && error.errorClass).toBe('validation');
    await expect(rl.acquire('')).rejects.toThrow(/scope must be a non-empty string/);
  });
});
