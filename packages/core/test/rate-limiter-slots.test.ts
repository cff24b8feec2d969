import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyError, RateLimitError } from '../src/errors';
import { createMemoryRateLimitStore } from '../src/memory/memory-rate-limit-store';
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

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe('memory store: leased slots', () => {
  it('grants up to the limit, says when the earliest lease ends, renews the same owner, and frees on release', async () => {
    const store = createMemoryRateLimitStore();
    const slot = (owner: string, now: number, leaseMs = 1_000) =>
      store.acquireSlot?.({ key: 'k', limit: 2, owner, leaseMs, now });
    expect(await slot('a', 0)).toEqual({ acquired: true });
    expect(await slot('b', 100)).toEqual({ acquired: true });
    expect(await slot('c', 200)).toEqual({ acquired: false, retryAfterMs: 800 });
    // Asking again renews a's lease rather than taking a third slot.
    expect(await slot('a', 300)).toEqual({ acquired: true });
    expect(await slot('c', 300)).toEqual({ acquired: false, retryAfterMs: 800 });
    await store.releaseSlot?.({ key: 'k', owner: 'b' });
    expect(await slot('c', 300)).toEqual({ acquired: true });
    // Releasing what one does not hold is a no-op.
    await store.releaseSlot?.({ key: 'k', owner: 'nobody' });
    await store.releaseSlot?.({ key: 'other', owner: 'a' });
  });

  it('reclaims an expired lease (a crashed holder), at exactly its end', async () => {
    const store = createMemoryRateLimitStore();
    expect(await store.acquireSlot?.({ key: 'k', limit: 1, owner: 'crashed', leaseMs: 500, now: 0 })).toEqual({
      acquired: true,
    });
    expect(await store.acquireSlot?.({ key: 'k', limit: 1, owner: 'next', leaseMs: 500, now: 499 })).toEqual({
      acquired: false,
      retryAfterMs: 1,
    });
    expect(await store.acquireSlot?.({ key: 'k', limit: 1, owner: 'next', leaseMs: 500, now: 500 })).toEqual({
      acquired: true,
    });
  });

  it('refuses invalid requests', async () => {
    const store = createMemoryRateLimitStore();
    await expect(store.acquireSlot?.({ key: 'k', limit: 0, owner: 'a', leaseMs: 1, now: 0 })).rejects.toThrow(
      /limit must be a positive integer/,
    );
    await expect(store.acquireSlot?.({ key: 'k', limit: 1, owner: 'a', leaseMs: 0, now: 0 })).rejects.toThrow(
      /leaseMs must be a positive number/,
    );
  });

  it('never has more than `limit` unexpired leases (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(
          fc.record({
            dt: fc.integer({ min: 0, max: 400 }),
            owner: fc.integer({ min: 0, max: 9 }),
            release: fc.boolean(),
            leaseMs: fc.integer({ min: 1, max: 1_000 }),
          }),
          { maxLength: 80 },
        ),
        async (limit, ops) => {
          const store = createMemoryRateLimitStore();
          const model = new Map<number, number>(); // owner → lease end
          let now = 0;
          for (const op of ops) {
            now += op.dt;
            for (const [owner, until] of model) if (until <= now) model.delete(owner);
            if (op.release) {
              await store.releaseSlot?.({ key: 'k', owner: String(op.owner) });
              model.delete(op.owner);
              continue;
            }
            const result = await store.acquireSlot?.({
              key: 'k',
              limit,
              owner: String(op.owner),
              leaseMs: op.leaseMs,
              now,
            });
            const expected = model.has(op.owner) || model.size < limit;
            expect(result?.acquired).toBe(expected);
            if (result?.acquired) model.set(op.owner, now + op.leaseMs);
            else expect(result?.retryAfterMs).toBe(Math.max(1, Math.min(...model.values()) - now));
            expect(model.size).toBeLessThanOrEqual(limit);
          }
        },
      ),
    );
  });
});

describe('memory store: a bucket held until a future time', () => {
  it('counts the hold in waitMs (how a Retry-After pauses every worker)', async () => {
    const store = createMemoryRateLimitStore();
    const limit = { capacity: 60, intervalMs: 60_000 };
    await store.set({ key: 'k', limit, remaining: 0, now: 10_000 });
    expect(await store.take({ key: 'k', limit, now: 0 })).toEqual({ granted: false, waitMs: 11_000, remaining: 0 });
    expect(await store.take({ key: 'k', limit, now: 10_500 })).toEqual({ granted: false, waitMs: 500, remaining: 0 });
    expect((await store.take({ key: 'k', limit, now: 11_000 })).granted).toBe(true);
  });
});

describe('createRateLimiter: concurrency', () => {
  it('run() holds one slot for the duration of each call: 20 calls, limit 3, never more than 3 in flight', async () => {
    const limiter = createRateLimiter({ concurrency: { concurrent: { limit: 3 } } });
    let inFlight = 0;
    let most = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        limiter.run('xero:t1', async () => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          for (let i = 0; i < 3; i++) await tick();
          inFlight -= 1;
          return index;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, index) => index));
    expect(most).toBe(3);
  });

  it('shares the limit between limiters on one store (workers) and keeps scopes apart', async () => {
    const store = createMemoryRateLimitStore();
    const a = createRateLimiter({ store, concurrency: { concurrent: { limit: 1 } }, slotPollMs: 5 });
    const b = createRateLimiter({ store, concurrency: { concurrent: { limit: 1 } }, slotPollMs: 5 });
    const held = await a.acquire('xero:t1');
    const other = await b.acquire('xero:t2');
    let got = false;
    const waiting = b.acquire('xero:t1').then((permit) => {
      got = true;
      return permit;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(got).toBe(false);
    await held.release();
    const permit = await waiting;
    expect(got).toBe(true);
    await Promise.all([permit.release(), other.release(), held.release()]);
  });

  it('reclaims the slot of a holder that never released it once its lease ends', async () => {
    const clock = fakeClock(0);
    const store = createMemoryRateLimitStore();
    const crashed = createRateLimiter({
      store,
      concurrency: { concurrent: { limit: 1, leaseMs: 5_000 } },
      now: clock.now,
    });
    await crashed.acquire('s'); // never released
    const survivor = createRateLimiter({
      store,
      concurrency: { concurrent: { limit: 1, leaseMs: 5_000 } },
      slotPollMs: 1_000,
      now: clock.now,
      sleep: clock.sleep,
    });
    const permit = await survivor.acquire('s');
    expect(clock.t).toBe(5_000);
    expect(clock.slept).toEqual([1_000, 1_000, 1_000, 1_000, 1_000]);
    await permit.release();
  });

  it('past maxWaitMs, a call waiting for a concurrency slot is handed back until the earliest lease ends', async () => {
    const clock = fakeClock(0);
    const store = createMemoryRateLimitStore();
    const options = {
      store,
      concurrency: { concurrent: { limit: 1, leaseMs: 60_000 } },
      slotPollMs: 100,
      now: clock.now,
      sleep: clock.sleep,
    };
    await createRateLimiter(options).acquire('s'); // held by another worker
    const error = await createRateLimiter({ ...options, maxWaitMs: 250 })
      .acquire('s')
      .catch((e: unknown) => e);
    expect(clock.slept).toEqual([100, 100]);
    expect(error).toMatchObject({ name: 'RateLimitError', limitName: 'concurrent', retryAfterMs: 59_800 });
  });

  it('refuses a window named like a limit, and a fractional window limit', () => {
    expect(() =>
      createRateLimiter({ limits: { x: { capacity: 1, intervalMs: 1 } }, windows: { x: { limit: 1, windowMs: 1 } } }),
    ).toThrow(/used once/);
    expect(() => createRateLimiter({ windows: { w: { limit: 1.5, windowMs: 1 } } })).toThrow(/positive integer/);
  });
});

describe('createRateLimiter: sliding windows', () => {
  it('never lets more than `limit` calls into any window, where a token bucket would let a burst plus its refill through', async () => {
    const calls = 40;
    const limit = 6;
    const windowMs = 1_000;
    const maxInAnyWindow = (times: number[]) =>
      Math.max(...times.map((start) => times.filter((t) => t >= start && t < start + windowMs).length));

    const windowClock = fakeClock(0);
    const windowed = createRateLimiter({
      windows: { minute: { limit, windowMs } },
      now: windowClock.now,
      sleep: windowClock.sleep,
    });
    const windowTimes: number[] = [];
    for (let i = 0; i < calls; i++) {
      await windowed.acquire('s');
      windowTimes.push(windowClock.t);
    }
    expect(maxInAnyWindow(windowTimes)).toBe(limit);

    const bucketClock = fakeClock(0);
    const bucket = createRateLimiter({
      limits: { minute: { capacity: limit, intervalMs: windowMs } },
      now: bucketClock.now,
      sleep: bucketClock.sleep,
    });
    const bucketTimes: number[] = [];
    for (let i = 0; i < calls; i++) {
      await bucket.acquire('s');
      bucketTimes.push(bucketClock.t);
    }
    expect(maxInAnyWindow(bucketTimes)).toBeGreaterThan(limit);
  });

  it('gives its concurrency slot back while it sleeps for the window', async () => {
    const clock = fakeClock(0);
    const store = createMemoryRateLimitStore();
    const seen: boolean[] = [];
    const limiter = createRateLimiter({
      store,
      concurrency: { concurrent: { limit: 1 } },
      windows: { window: { limit: 1, windowMs: 1_000 } },
      now: clock.now,
      sleep: async (ms, signal) => {
        // While this call sleeps for the window, another worker can take the concurrency slot.
        const probe = await store.acquireSlot?.({
          key: 's:concurrent',
          limit: 1,
          owner: 'probe',
          leaseMs: 10,
          now: clock.t,
        });
        seen.push(probe?.acquired === true);
        await store.releaseSlot?.({ key: 's:concurrent', owner: 'probe' });
        await clock.sleep(ms, signal);
      },
    });
    await (await limiter.acquire('s')).release();
    await (await limiter.acquire('s')).release();
    expect(clock.slept).toEqual([1_000]);
    expect(seen).toEqual([true]);
  });
});

describe('createRateLimiter: maxWaitMs and pause', () => {
  it('hands a long wait back as a RateLimitError (class rate_limit, retryAfterMs) without sleeping', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({
      limits: { daily: { capacity: 2, intervalMs: 86_400_000 } },
      now: clock.now,
      sleep: clock.sleep,
      maxWaitMs: 30_000,
      packageName: '@act/connector-xero',
    });
    await limiter.acquire('xero:t1');
    await limiter.acquire('xero:t1');
    const error = await limiter.acquire('xero:t1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({
      name: 'RateLimitError',
      errorClass: 'rate_limit',
      retryAfterMs: 43_200_000,
      scope: 'xero:t1',
      limitName: 'daily',
      isRetryable: true,
    });
    expect((error as Error).message).toMatch(
      /^\[@act\/connector-xero\] rate limit "daily" of xero:t1 needs another 43200000 ms/,
    );
    expect(classifyError(error)).toMatchObject({ errorClass: 'rate_limit', retryAfterMs: 43_200_000 });
    expect(clock.slept).toEqual([]);
    // A per-call maxWaitMs overrides the default.
    expect((await limiter.acquire('xero:t1', { maxWaitMs: 50_000_000 })).waitedMs).toBe(43_200_000);
  });

  it('counts what was already waited: a queue of calls is handed back once the total would pass maxWaitMs', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({
      windows: { minute: { limit: 2, windowMs: 60_000 } },
      now: clock.now,
      sleep: clock.sleep,
    });
    for (let i = 0; i < 2; i++) await limiter.acquire('s');
    // The next call would wait 60 s: allowed with 60 s, refused with 59 s.
    await expect(limiter.acquire('s', { maxWaitMs: 59_999 })).rejects.toMatchObject({ retryAfterMs: 60_000 });
    expect((await limiter.acquire('s', { maxWaitMs: 60_000 })).waitedMs).toBe(60_000);
  });

  it('pause() empties a bucket for every worker on the store until the time passes', async () => {
    const clock = fakeClock(0);
    const store = createMemoryRateLimitStore();
    const options = {
      store,
      limits: { minute: { capacity: 60, intervalMs: 60_000 } },
      now: clock.now,
      sleep: clock.sleep,
    };
    const a = createRateLimiter(options);
    const b = createRateLimiter({ ...options, maxWaitMs: 10_000 });
    await a.pause('xero:t1', 'minute', 45_000);
    await expect(b.acquire('xero:t1')).rejects.toMatchObject({ errorClass: 'rate_limit', retryAfterMs: 46_000 });
    expect((await a.acquire('xero:t1')).waitedMs).toBe(46_000);
    await expect(a.pause('xero:t1', 'nope', 1)).rejects.toThrow(/unknown limit "nope"/);
  });
});
