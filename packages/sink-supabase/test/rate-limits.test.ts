import { ConfigurationError, type RateLimitStoreV1 } from '@act/core';
import { createMemoryRateLimitStore, createRateLimiter } from '@act/core/internal';
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

  it('leased slots behave like the memory store, step for step', async () => {
    const test = await h.create();
    try {
      const memory = createMemoryRateLimitStore();
      const stores: RateLimitStoreV1[] = [memory, test.state.rateLimits];
      const t0 = 1_700_000_000_000;
      const steps: { at: number; owner: string; release?: boolean; leaseMs?: number; key?: string }[] = [
        { at: 0, owner: 'a' },
        { at: 10, owner: 'b' },
        { at: 20, owner: 'c' }, // refused: 2 held, a's lease ends first
        { at: 30, owner: 'a' }, // renews a
        { at: 40, owner: 'c' },
        { at: 50, owner: 'b', release: true },
        { at: 60, owner: 'c' },
        { at: 70, owner: 'd', key: 'other' },
        { at: 1_010, owner: 'd' }, // b released, a renewed until 1030, c holds until 1060
        { at: 1_030, owner: 'd' }, // a's renewed lease has just ended
        { at: 1_030, owner: 'e', leaseMs: 5 },
      ];
      for (const step of steps) {
        const answers = await Promise.all(
          stores.map(async (store) => {
            if (step.release) {
              await store.releaseSlot?.({ key: step.key ?? 'k', owner: step.owner });
              return 'released';
            }
            return store.acquireSlot?.({
              key: step.key ?? 'k',
              limit: 2,
              owner: step.owner,
              leaseMs: step.leaseMs ?? 1_000,
              now: t0 + step.at,
            });
          }),
        );
        expect(answers[1], JSON.stringify(step)).toEqual(answers[0]);
      }
      expect(
        await test.state.rateLimits.acquireSlot?.({ key: 'k', limit: 2, owner: 'f', leaseMs: 1, now: t0 + 1_030 }),
      ).toEqual({
        acquired: false,
        retryAfterMs: 30,
      });
    } finally {
      await test.destroy();
    }
  });

  it('reclaims expired leases (a crashed holder) and keeps at most the limit in the table', async () => {
    const test = await h.create();
    try {
      const slots = test.state.rateLimits;
      for (const owner of ['crashed-1', 'crashed-2']) {
        expect(
          await slots.acquireSlot?.({ key: 'xero:t:concurrent', limit: 2, owner, leaseMs: 30_000, now: 0 }),
        ).toEqual({
          acquired: true,
        });
      }
      expect(
        await slots.acquireSlot?.({ key: 'xero:t:concurrent', limit: 2, owner: 'w', leaseMs: 30_000, now: 29_999 }),
      ).toEqual({
        acquired: false,
        retryAfterMs: 1,
      });
      expect(
        await slots.acquireSlot?.({ key: 'xero:t:concurrent', limit: 2, owner: 'w', leaseMs: 30_000, now: 30_000 }),
      ).toEqual({
        acquired: true,
      });
      const rows = await test.query<{ owner: string }>(
        `select owner from "${test.schema}".act_rate_slots where key = 'xero:t:concurrent' order by owner`,
      );
      expect(rows.map((row) => row.owner)).toEqual(['w']);
      await slots.releaseSlot?.({ key: 'xero:t:concurrent', owner: 'w' });
      expect(await test.query(`select * from "${test.schema}".act_rate_slots`)).toEqual([]);
      await expect(slots.acquireSlot?.({ key: 'k', limit: 0, owner: 'a', leaseMs: 1, now: 0 })).rejects.toBeInstanceOf(
        ConfigurationError,
      );
    } finally {
      await test.destroy();
    }
  });

  it('20 concurrent slot acquires never exceed the limit', async () => {
    const test = await h.create();
    try {
      const now = Date.now();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          test.state.rateLimits.acquireSlot?.({ key: 'k20', limit: 5, owner: `o-${index}`, leaseMs: 60_000, now }),
        ),
      );
      expect(results.filter((result) => result?.acquired)).toHaveLength(5);
      expect(results.filter((result) => result?.acquired === false)).toHaveLength(15);
    } finally {
      await test.destroy();
    }
  });

  it('a paused bucket (set with a future now) counts the pause in waitMs, like the memory store', async () => {
    const test = await h.create();
    try {
      const limit60 = { capacity: 60, intervalMs: 60_000 };
      for (const store of [createMemoryRateLimitStore(), test.state.rateLimits]) {
        await store.set({ key: 'p', limit: limit60, remaining: 0, now: 10_000 });
        expect(await store.take({ key: 'p', limit: limit60, now: 0 })).toEqual({
          granted: false,
          waitMs: 11_000,
          remaining: 0,
        });
        expect((await store.take({ key: 'p', limit: limit60, now: 11_000 })).granted).toBe(true);
      }
    } finally {
      await test.destroy();
    }
  });

  it('limits a core RateLimiter to its concurrency across limiters sharing the store', async () => {
    const test = await h.create();
    try {
      const limiters = Array.from({ length: 3 }, () =>
        createRateLimiter({ store: test.state.rateLimits, concurrency: { concurrent: { limit: 2 } }, slotPollMs: 5 }),
      );
      let inFlight = 0;
      let most = 0;
      await Promise.all(
        Array.from({ length: 12 }, (_, index) =>
          (limiters[index % 3] as (typeof limiters)[number]).run('xero:t', async () => {
            inFlight += 1;
            most = Math.max(most, inFlight);
            await new Promise((resolve) => setTimeout(resolve, 5));
            inFlight -= 1;
          }),
        ),
      );
      expect(most).toBe(2);
      expect(await test.query(`select * from "${test.schema}".act_rate_slots`)).toEqual([]);
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

  it('20 concurrent slot acquires from 4 pools never exceed the limit, and the refused learn when a lease ends', async () => {
    const test = await h.create();
    const states = Array.from({ length: 4 }, () =>
      createPostgresState({ connectionString: DATABASE_URL as string }, { schema: test.schema }),
    );
    try {
      const now = Date.now();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          (states[index % 4] as PostgresState).rateLimits.acquireSlot?.({
            key: 'xero:t:concurrent',
            limit: 5,
            owner: `owner-${index}`,
            leaseMs: 60_000,
            now,
          }),
        ),
      );
      expect(results.filter((result) => result?.acquired)).toHaveLength(5);
      expect(
        results
          .filter((result) => result && !result.acquired)
          .map((result) => (result as { retryAfterMs: number }).retryAfterMs),
      ).toEqual(Array.from({ length: 15 }, () => 60_000));
      const [row] = await test.query<{ held: string }>(`select count(*) as held from "${test.schema}".act_rate_slots`);
      expect(Number(row?.held)).toBe(5);

      // Rounds of acquire-and-release through 4 limiters on 4 pools: never more than 5 at once.
      const limiters = states.map((state) =>
        createRateLimiter({ store: state.rateLimits, concurrency: { concurrent: { limit: 5 } }, slotPollMs: 5 }),
      );
      await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          (states[index % 4] as PostgresState).rateLimits.releaseSlot?.({
            key: 'xero:t:concurrent',
            owner: `owner-${index}`,
          }),
        ),
      );
      let inFlight = 0;
      let most = 0;
      await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          (limiters[index % 4] as (typeof limiters)[number]).run('xero:t', async () => {
            inFlight += 1;
            most = Math.max(most, inFlight);
            await new Promise((resolve) => setTimeout(resolve, 10));
            inFlight -= 1;
          }),
        ),
      );
      expect(most).toBeLessThanOrEqual(5);
      expect(most).toBeGreaterThan(1);
    } finally {
      await Promise.all(states.map((state) => state.close()));
      await test.destroy();
    }
  });
});
