import { ConfigurationError, createMemoryRateLimitStore, createRateLimiter, type RateLimitStoreV1 } from '@act/core';
import { describe, expect, it } from 'vitest';
import { createPostgresState, type PostgresState } from '../src';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness } from './helpers/harness';

const limit = { capacity: 5, intervalMs: 10_000 };

function suite(harness: () => Harness) {
  const h = harness();

  it('behaves like the memory store, step for step', async () => {
    const test = await h.create();
    try {
      const memory = createMemoryRateLimitStore();
      const stores: RateLimitStoreV1[] = [memory, test.state.rateLimits];
      const t0 = 1_700_000_000_000;
      const steps: { at: number; cost?: number; set?: number }[] = [
        { at: 0 },
        { at: 0, cost: 3 },
        { at: 1, cost: 2 },
        { at: 2 },
        { at: 1_000 },
        { at: 2_000 },
        { at: 2_000, cost: 2 },
        { at: 500 }, // the clock stepped back: no refill, no drain
        { at: 3_000, set: 4 },
        { at: 3_000, cost: 4 },
        { at: 3_001 },
        { at: 60_000, cost: 5 },
      ];
      for (const step of steps) {
        const answers = await Promise.all(
          stores.map(async (store) => {
            if (step.set !== undefined) {
              await store.set({ key: 'k', limit, remaining: step.set, now: t0 + step.at });
              return 'set';
            }
            return store.take({
              key: 'k',
              limit,
              now: t0 + step.at,
              ...(step.cost !== undefined ? { cost: step.cost } : {}),
            });
          }),
        );
        expect(answers[1], JSON.stringify(step)).toEqual(answers[0]);
      }
    } finally {
      await test.destroy();
    }
  });

  it('refuses invalid limits and costs like the memory store', async () => {
    const test = await h.create();
    try {
      await expect(
        test.state.rateLimits.take({ key: 'k', limit: { capacity: 0, intervalMs: 1 }, now: 0 }),
      ).rejects.toBeInstanceOf(ConfigurationError);
      await expect(test.state.rateLimits.take({ key: 'k', limit, cost: 6, now: 0 })).rejects.toThrow(
        /cost must be between 0 and the bucket capacity/,
      );
    } finally {
      await test.destroy();
    }
  });

  it('paces a core RateLimiter', async () => {
    const test = await h.create();
    try {
      let now = 0;
      const slept: number[] = [];
      const limiter = createRateLimiter({
        store: test.state.rateLimits,
        limits: { burst: { capacity: 2, intervalMs: 1_000 } },
        now: () => now,
        sleep: async (ms) => {
          slept.push(ms);
          now += ms;
        },
      });
      for (let call = 0; call < 4; call++) await limiter.acquire('ghl:loc');
      expect(slept).toEqual([500, 500]);
    } finally {
      await test.destroy();
    }
  });
}

describe('rate limits on PGlite', () => suite(pgliteHarness));
describe.skipIf(!DATABASE_URL)('rate limits on Postgres', () => {
  suite(postgresHarness);
  const h = postgresHarness();

  it('shares one budget between processes: 40 concurrent takes from 4 pools grant exactly the capacity', async () => {
    const test = await h.create();
    const states = Array.from({ length: 4 }, () =>
      createPostgresState({ connectionString: DATABASE_URL as string }, { schema: test.schema }),
    );
    try {
      const now = Date.now();
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, index) =>
          (states[index % 4] as PostgresState).rateLimits.take({ key: 'shared', limit, now }),
        ),
      );
      expect(results.filter((result) => result.granted)).toHaveLength(limit.capacity);
      expect(results.filter((result) => !result.granted).every((result) => result.waitMs === 2_000)).toBe(true);
    } finally {
      await Promise.all(states.map((state) => state.close()));
      await test.destroy();
    }
  });
});
