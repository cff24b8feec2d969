import {
  ConfigurationError,
  createMemoryRateLimitStore,
  RateLimitError,
  type RateLimitStoreV1,
} from '@act/core/internal';
import { describe, expect, it } from 'vitest';
import { scopedRateLimits } from '../src/api/index';

/** A clock that only moves when the limiter sleeps. */
function virtualClock() {
  let time = 1_000_000;
  return {
    now: () => time,
    sleep: async (ms: number) => {
      time += ms;
    },
    advance: (ms: number) => {
      time += ms;
    },
  };
}

function recordingStore(): { store: RateLimitStoreV1; sets: { key: string; remaining: number; at: number }[] } {
  const memory = createMemoryRateLimitStore();
  const sets: { key: string; remaining: number; at: number }[] = [];
  const store: RateLimitStoreV1 = {
    ...memory,
    set: async (request) => {
      sets.push({ key: request.key, remaining: request.remaining, at: request.now });
      await memory.set(request);
    },
  };
  return { store, sets };
}

const respond = (status: number, headers: Record<string, string> = {}) => new Response(null, { status, headers });

/** A provider shaped like Xero: an app-wide minute bucket, and per tenant a daily bucket, a window and a cap. */
function provider(options: { store?: RateLimitStoreV1; clock?: ReturnType<typeof virtualClock>; maxWaitMs?: number }) {
  const clock = options.clock ?? virtualClock();
  return scopedRateLimits({
    scopes: {
      app: { key: () => 'p:app', buckets: { appMinute: { capacity: 100, intervalMs: 60_000 } } },
      tenant: {
        key: 'p',
        buckets: { daily: { capacity: 1_000, intervalMs: 86_400_000 } },
        windows: { minuteWindow: { limit: 3, windowMs: 60_000, marginMs: 1_000 } },
        concurrency: { concurrent: { limit: 2 } },
      },
    },
    remainingHeaders: { daily: 'x-day-remaining', appMinute: 'x-app-remaining' },
    onRateLimited: ({ response, retryAfterMs }) => {
      const problem = response.headers.get('x-problem');
      if (problem === 'concurrent') return { retryAfterMs: retryAfterMs ?? 500, detail: 'concurrent' };
      return {
        retryAfterMs: retryAfterMs ?? 60_000,
        bucket: problem === 'app' ? 'appMinute' : 'daily',
        detail: `problem: ${problem}`,
      };
    },
    ...(options.store ? { store: options.store } : {}),
    ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}),
    packageName: '@act/connector-example',
    now: clock.now,
    sleep: clock.sleep,
  });
}

describe('scopedRateLimits: scopes', () => {
  it('keys each scope: a prefix per tenant, a function for an app-wide budget', () => {
    const limits = provider({});
    expect(limits.keyOf('tenant', 't1')).toBe('p:t1');
    expect(limits.keyOf('app', 't1')).toBe('p:app');
    expect(Object.keys(limits.limiters)).toEqual(['app', 'tenant']);
  });

  it('a sliding window never lets more than its limit through in any window, each slot held window + margin', async () => {
    const clock = virtualClock();
    const limits = provider({ clock });
    const sent: number[] = [];
    for (let call = 0; call < 7; call += 1) await limits.run('t1', async () => sent.push(clock.now()));
    const start = sent[0] as number;
    expect(sent.map((at) => at - start)).toEqual([0, 0, 0, 61_000, 61_000, 61_000, 122_000]);
    // Another tenant has its own window.
    const other: number[] = [];
    await limits.run('t2', async () => other.push(clock.now()));
    expect(other).toEqual([clock.now()]);
  });

  it('caps calls in flight per tenant, holds the slot while the call runs and frees it when it throws', async () => {
    const limits = scopedRateLimits({
      scopes: { tenant: { key: 'p', concurrency: { concurrent: { limit: 2 } } } },
    });
    let inFlight = 0;
    let most = 0;
    const call = (fail: boolean) =>
      limits.run('t1', async () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 10));
        inFlight -= 1;
        if (fail) throw new Error('boom');
        return 'ok';
      });
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, index) => call(index % 2 === 0)));
    expect(most).toBe(2);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(4);
    // Every slot was released: two more calls run at once.
    await expect(Promise.all([call(false), call(false)])).resolves.toEqual(['ok', 'ok']);
  });

  it('hands a call back with RateLimitError past maxWaitMs, counted over all scopes, naming the scope key and limit', async () => {
    const clock = virtualClock();
    const limits = provider({ clock, maxWaitMs: 30_000 });
    for (let call = 0; call < 3; call += 1) await limits.run('t1', async () => undefined);
    const error = await limits.run('t1', async () => 'sent').catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ scope: 'p:t1', limitName: 'minuteWindow', errorClass: 'rate_limit' });
    expect((error as RateLimitError).retryAfterMs).toBeGreaterThan(60_000);
    // A per-call budget overrides the default.
    await expect(limits.run('t1', async () => 'sent', { maxWaitMs: 120_000 })).resolves.toBe('sent');
  });
});

describe('scopedRateLimits: headers and 429s', () => {
  it('aligns each bucket in its scope with its header, in the order the headers are listed; bad values are ignored', async () => {
    const { store, sets } = recordingStore();
    const limits = provider({ store });
    await limits.align('t1', respond(200, { 'x-app-remaining': '77', 'x-day-remaining': '900' }));
    await limits.align('t1', respond(200, { 'x-day-remaining': 'lots', 'x-app-remaining': '-1' }));
    expect(sets.map(({ key, remaining }) => ({ key, remaining }))).toEqual([
      { key: 'p:t1:daily', remaining: 900 },
      { key: 'p:app:appMinute', remaining: 77 },
    ]);
  });

  it('a 429 pauses the classified bucket in its scope for every tenant sharing it, for Retry-After', async () => {
    const store = createMemoryRateLimitStore();
    const clock = virtualClock();
    const limits = provider({ store, clock, maxWaitMs: 1_000 });
    const answer = await limits.rateLimited('t1', respond(429, { 'x-problem': 'app', 'retry-after': '45' }));
    expect(answer).toEqual({ retryAfterMs: 45_000, detail: 'problem: app' });
    const error = await limits.run('t2', async () => 'sent').catch((reason: unknown) => reason);
    expect(error).toMatchObject({ name: 'RateLimitError', scope: 'p:app', limitName: 'appMinute' });
    expect((error as RateLimitError).retryAfterMs).toBeGreaterThan(44_000);
  });

  it('the classifier decides the wait without Retry-After; no bucket pauses nothing', async () => {
    const { store, sets } = recordingStore();
    const limits = provider({ store });
    expect(await limits.rateLimited('t1', respond(429, { 'x-problem': 'concurrent' }))).toEqual({
      retryAfterMs: 500,
      detail: 'concurrent',
    });
    expect(sets).toEqual([]);
    expect(await limits.rateLimited('t1', respond(429, { 'x-problem': 'day' }))).toMatchObject({
      retryAfterMs: 60_000,
    });
    expect(sets.map(({ key, remaining }) => ({ key, remaining }))).toEqual([{ key: 'p:t1:daily', remaining: 0 }]);
  });

  it('default classifier: Retry-After, pausing the first bucket whose header reads 0, else the first bucket', async () => {
    const { store, sets } = recordingStore();
    const limits = scopedRateLimits({
      scopes: {
        tenant: {
          key: 'p',
          buckets: { burst: { capacity: 10, intervalMs: 1_000 }, daily: { capacity: 100, intervalMs: 86_400_000 } },
        },
      },
      remainingHeaders: { burst: 'x-burst', daily: 'x-daily' },
      store,
    });
    expect(await limits.rateLimited('t1', respond(429, { 'x-daily': '0', 'retry-after': '2' }))).toEqual({
      retryAfterMs: 2_000,
    });
    // Without Retry-After nor a header, the first bucket is emptied (not paused).
    expect(await limits.rateLimited('t1', respond(429))).toEqual({ retryAfterMs: undefined });
    expect(sets.map(({ key, remaining }) => ({ key, remaining }))).toEqual([
      { key: 'p:t1:daily', remaining: 0 },
      { key: 'p:t1:burst', remaining: 0 },
    ]);
  });
});

describe('scopedRateLimits: configuration', () => {
  it('refuses a bucket declared in two scopes, a header for an unknown bucket, no scopes, and invalid limits', () => {
    const bucket = { capacity: 1, intervalMs: 1_000 };
    expect(() =>
      scopedRateLimits({
        scopes: { a: { key: 'a', buckets: { x: bucket } }, b: { key: 'b', buckets: { x: bucket } } },
      }),
    ).toThrow(ConfigurationError);
    expect(() =>
      scopedRateLimits({
        scopes: { a: { key: 'a', buckets: { x: bucket } } },
        remainingHeaders: { y: 'x-y' } as unknown as Record<'x', string>,
      }),
    ).toThrow(/unknown bucket "y"/);
    expect(() => scopedRateLimits({ scopes: {} })).toThrow(ConfigurationError);
    expect(() =>
      scopedRateLimits({ scopes: { a: { key: 'a', windows: { w: { limit: 0, windowMs: 1_000 } } } } }),
    ).toThrow(ConfigurationError);
  });
});
