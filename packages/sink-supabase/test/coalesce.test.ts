import type { NewDeliveryV1, StateStoreV1 } from '@act/core';
import { makeTestDelivery } from '@act/core/testing';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createPostgresState, type PostgresState } from '../src';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness, type TestState } from './helpers/harness';

// Inbox coalescing of sync requests (NewDeliveryV1.coalesceKey, migration
// 0010_act_sync), lease renewal and webhook activity of the Postgres store.

const KEY = 'gmail:ana@example.com:history';
const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

/** A Gmail-style push: every one asks for the same stream sync. */
const push = (overrides: Partial<NewDeliveryV1> = {}): NewDeliveryV1 =>
  makeTestDelivery({ source: 'gmail', tenant: 'ana@example.com', coalesceKey: KEY, receivedAt: T0, ...overrides });

async function pendingWithKey(test: TestState): Promise<string[]> {
  const rows = await test.query<{ id: string }>(
    `select id::text from "${test.schema}".act_deliveries where status = 'pending' and coalesce_key = $1`,
    [KEY],
  );
  return rows.map((row) => row.id);
}

function suite(harness: () => Harness) {
  const h = harness();

  async function withState(fn: (test: TestState) => Promise<void>) {
    const test = await h.create();
    try {
      await fn(test);
    } finally {
      await test.destroy();
    }
  }

  const claimOne = async (store: StateStoreV1, now: Date) => {
    const [claimed] = await store.claim({ owner: 'worker-1', limit: 1, leaseMs: 60_000, sources: ['gmail'], now });
    if (!claimed) throw new Error('nothing claimed');
    return claimed;
  };

  it('stores a push whose sync already waits as done, coalesced into the waiting one; a push after the claim waits again', () =>
    withState(async ({ state }) => {
      const { store } = state;
      const first = await store.enqueue(push());
      expect(first.coalescedInto).toBeUndefined();
      const second = await store.enqueue(push());
      expect(second).toMatchObject({ duplicate: false, coalescedInto: first.id });
      const stored = await store.getDelivery(second.id);
      expect(stored).toMatchObject({ status: 'done', coalesceKey: KEY, coalescedInto: first.id });
      expect(stored?.completedAt).toBeInstanceOf(Date);
      // Its bytes are kept.
      expect(stored?.body.length).toBeGreaterThan(0);
      expect((await store.getDelivery(first.id))?.coalescedInto).toBeUndefined();

      const claimed = await claimOne(store, at(1_000));
      expect(claimed.id).toBe(first.id);
      // A push during the sync causes one more sync after it.
      const during = await store.enqueue(push());
      expect(during.coalescedInto).toBeUndefined();
      expect((await store.getDelivery(during.id))?.status).toBe('pending');
      const later = await store.enqueue(push());
      expect(later.coalescedInto).toBe(during.id);

      // Other keys and deliveries without one are not touched.
      const other = await store.enqueue(push({ coalesceKey: 'gmail:bob@example.com:history' }));
      const plain = await store.enqueue(push({ coalesceKey: undefined }));
      const plainToo = await store.enqueue(push({ coalesceKey: undefined }));
      for (const result of [other, plain, plainToo]) {
        expect(result.coalescedInto).toBeUndefined();
        expect((await store.getDelivery(result.id))?.status).toBe('pending');
      }
      expect((await store.listDeliveries({ status: 'done' })).map((d) => d.coalescedInto)).toEqual([
        during.id,
        first.id,
      ]);
    }));

  it('checks dedupe first: a redelivered sync request is a duplicate, not coalesced', () =>
    withState(async ({ state }) => {
      const delivery = push();
      const first = await state.store.enqueue(delivery);
      const again = await state.store.enqueue({ ...delivery });
      expect(again).toEqual({ id: first.id, duplicate: true });
      expect(await state.store.listDeliveries({})).toHaveLength(1);
    }));

  it('keeps one waiting sync per key when 1,000 pushes arrive at once', { timeout: 120_000 }, async () => {
    // Several states (each its own pool on Postgres, as processes have) and
    // group commit on and off: many rows in one statement, and many
    // transactions racing for the key.
    const test = await h.create();
    const extra: PostgresState[] = [];
    try {
      const states: PostgresState[] = [test.state];
      if (h.name === 'postgres') {
        for (const groupCommit of [false, true, false]) {
          const other = createPostgresState(
            { connectionString: DATABASE_URL as string, poolOptions: { max: 8 } },
            { schema: test.schema, groupCommit },
          );
          extra.push(other);
          states.push(other);
        }
      }
      const results = await Promise.all(
        Array.from({ length: 1_000 }, (_, index) =>
          (states[index % states.length] as PostgresState).store.enqueue(push({ receivedAt: at(index) })),
        ),
      );
      const waiting = await pendingWithKey(test);
      expect(waiting).toHaveLength(1);
      const [survivor] = waiting as [string];
      expect(results.filter((result) => result.coalescedInto === undefined).map((result) => result.id)).toEqual([
        survivor,
      ]);
      expect(results.filter((result) => result.coalescedInto === survivor)).toHaveLength(999);
      const [counts] = await test.query<{ done: number; coalesced: number }>(
        `select count(*) filter (where status = 'done')::int as done,
           count(*) filter (where coalesced_into = $1::bigint)::int as coalesced
         from "${test.schema}".act_deliveries`,
        [survivor],
      );
      expect(counts).toEqual({ done: 999, coalesced: 999 });
    } finally {
      for (const other of extra) await other.close();
      await test.destroy();
    }
  });

  it('coalesces a push that waited during a failed sync into the retry, which keeps its retry time and attempts', () =>
    withState(async (test) => {
      const { store } = test.state;
      const first = await store.enqueue(push());
      const claimed = await claimOne(store, at(1_000));
      const during = await store.enqueue(push());
      expect(
        await store.fail({
          id: first.id,
          claimToken: claimed.claimToken,
          error: 'HTTP 429',
          errorClass: 'rate_limit',
          retryAt: at(60_000),
          countsTowardsSchedule: true,
          startedAt: at(1_000),
          now: at(2_000),
        }),
      ).toBe('retrying');
      expect(await pendingWithKey(test)).toEqual([first.id]);
      expect(await store.getDelivery(during.id)).toMatchObject({ status: 'done', coalescedInto: first.id });
      expect(await store.getDelivery(first.id)).toMatchObject({ attempts: 1, nextAttemptAt: at(60_000) });
      // Not due before the retry time, and pushes meanwhile join it.
      expect(
        await store.claim({ owner: 'w', limit: 10, leaseMs: 60_000, sources: ['gmail'], now: at(30_000) }),
      ).toEqual([]);
      expect((await store.enqueue(push())).coalescedInto).toBe(first.id);
    }));

  it('leaves a waiting push alone when the failed sync is dead-lettered', () =>
    withState(async (test) => {
      const { store } = test.state;
      const first = await store.enqueue(push());
      const claimed = await claimOne(store, at(1_000));
      const during = await store.enqueue(push());
      await store.fail({
        id: first.id,
        claimToken: claimed.claimToken,
        error: 'bad',
        errorClass: 'validation',
        retryAt: null,
        countsTowardsSchedule: true,
        startedAt: at(1_000),
        now: at(2_000),
      });
      expect(await pendingWithKey(test)).toEqual([during.id]);
      expect((await store.getDelivery(first.id))?.status).toBe('dead');
    }));

  it('makes an expired sync wait again with a push that waited coalesced into it (the expiry counts as an attempt)', () =>
    withState(async (test) => {
      const { store } = test.state;
      const first = await store.enqueue(push());
      await claimOne(store, at(1_000)); // lease until at(61_000); the worker dies
      const during = await store.enqueue(push());
      const reclaimed = await claimOne(store, at(120_000));
      expect(reclaimed).toMatchObject({ id: first.id, attempts: 1 });
      expect(await store.getDelivery(during.id)).toMatchObject({ status: 'done', coalescedInto: first.id });
      expect(await pendingWithKey(test)).toEqual([]);
    }));

  it('replays dead sync requests of one key as one waiting sync', () =>
    withState(async (test) => {
      const { store } = test.state;
      const ids: string[] = [];
      for (let index = 0; index < 3; index++) {
        const { id } = await store.enqueue(push());
        ids.push(id);
        const claimed = await claimOne(store, at(1_000));
        await store.fail({
          id,
          claimToken: claimed.claimToken,
          error: 'bad',
          errorClass: 'validation',
          retryAt: null,
          countsTowardsSchedule: true,
          startedAt: at(1_000),
          now: at(2_000),
        });
      }
      expect(await store.replay({ source: 'gmail' })).toBe(3);
      expect(await pendingWithKey(test)).toEqual([ids[0]]);
      for (const id of ids.slice(1)) {
        expect(await store.getDelivery(id)).toMatchObject({ status: 'done', coalescedInto: ids[0] });
      }
      // With one waiting already, a replayed one joins it. (Replayed deliveries are due at the database's clock.)
      const claimed = await claimOne(store, new Date(Date.now() + 60_000));
      await store.fail({
        id: claimed.id,
        claimToken: claimed.claimToken,
        error: 'bad',
        errorClass: 'validation',
        retryAt: null,
        countsTowardsSchedule: true,
        startedAt: at(3_000),
        now: at(3_000),
      });
      const waiting = await store.enqueue(push());
      expect(await store.replay({ ids: [claimed.id] })).toBe(1);
      expect(await store.getDelivery(claimed.id)).toMatchObject({ status: 'done', coalescedInto: waiting.id });
      expect(await pendingWithKey(test)).toEqual([waiting.id]);
    }));

  it('renews a held lease, so it is not reclaimed when the first lease would have expired; a stale token renews nothing', () =>
    withState(async ({ state }) => {
      const { store } = state;
      const { id } = await store.enqueue(push({ coalesceKey: undefined }));
      const claimed = await claimOne(store, at(0));
      expect(claimed.leaseExpiresAt).toEqual(at(60_000));
      expect(await store.renewLease({ id, claimToken: claimed.claimToken, leaseMs: 120_000, now: at(50_000) })).toBe(
        true,
      );
      expect(await store.claim({ owner: 'w2', limit: 1, leaseMs: 60_000, now: at(100_000) })).toEqual([]);
      expect(
        await store.renewLease({ id, claimToken: '00000000-0000-4000-8000-000000000000', leaseMs: 1, now: at(1) }),
      ).toBe(false);
      expect(await store.renewLease({ id: 'nope', claimToken: claimed.claimToken, leaseMs: 1 })).toBe(false);
      // Past the renewed lease another worker takes it, and the old token no longer renews.
      const taken = await claimOne(store, at(171_000));
      expect(taken.id).toBe(id);
      expect(await store.renewLease({ id, claimToken: claimed.claimToken, leaseMs: 60_000, now: at(171_001) })).toBe(
        false,
      );
      expect(await store.complete({ id, claimToken: taken.claimToken, events: [], startedAt: at(171_000) })).toBe(true);
      expect(await store.renewLease({ id, claimToken: taken.claimToken, leaseMs: 60_000 })).toBe(false);
    }));

  it('reports webhook activity per source and tenant: last delivery, deliveries since, median gap of distinct arrivals', () =>
    withState(async ({ state }) => {
      const { store } = state;
      const receive = (source: string, tenant: string, ms: number) =>
        store.enqueue(makeTestDelivery({ source, tenant, receivedAt: at(ms) }));
      await receive('ghl', 'loc-1', -3_600_000); // before `since`
      await receive('ghl', 'loc-1', 0);
      await receive('ghl', 'loc-1', 10_000);
      await receive('ghl', 'loc-1', 10_000); // a split delivery's second part: one arrival
      await receive('ghl', 'loc-1', 40_000);
      await receive('ghl', 'loc-1', 100_000);
      await receive('xero', 'org-1', 5_000);
      await receive('xero', 'org-2', -7_200_000);

      const activity = await store.webhookActivity({ since: at(-60_000), now: at(200_000) });
      const bySource = Object.fromEntries(activity.map((entry) => [`${entry.source}/${entry.tenant}`, entry]));
      // Gaps 10 s, 30 s, 60 s: the median is 30 s.
      expect(bySource['ghl/loc-1']).toEqual({
        source: 'ghl',
        tenant: 'loc-1',
        lastDeliveryAt: at(100_000),
        deliveries: 5,
        medianGapMs: 30_000,
      });
      expect(bySource['xero/org-1']).toEqual({
        source: 'xero',
        tenant: 'org-1',
        lastDeliveryAt: at(5_000),
        deliveries: 1,
        medianGapMs: null,
      });
      expect(bySource['xero/org-2']).toEqual({
        source: 'xero',
        tenant: 'org-2',
        lastDeliveryAt: at(-7_200_000),
        deliveries: 0,
        medianGapMs: null,
      });

      // An even number of gaps: the mean of the middle two.
      await receive('ghl', 'loc-1', 150_000);
      const [ghl] = (await store.webhookActivity({ since: at(-60_000) })).filter((entry) => entry.source === 'ghl');
      expect(ghl?.medianGapMs).toBe(40_000); // gaps 10, 30, 50, 60 s
    }));
}

describe('PGlite', () => suite(pgliteHarness));
describe.skipIf(!DATABASE_URL)('Postgres (DATABASE_URL)', () => suite(postgresHarness));

// The races the key's unique index settles, made to happen: a transaction
// that stored a waiting delivery is held open while another call with the
// same key runs into its index entry and waits; once the first commits, the
// second must end coalesced into it (not fail, not store a second waiting one).
describe.skipIf(!DATABASE_URL)('coalescing races (Postgres, two connections)', () => {
  const h = postgresHarness();

  /** Wait until a backend is blocked on a lock while running the schema's `fn` (polls pg_stat_activity). */
  async function blockedOn(test: TestState, fn: string): Promise<void> {
    for (let poll = 0; poll < 500; poll++) {
      const [row] = await test.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like $1`,
        // This test's schema: other suites may share the server.
        [`%"${test.schema}".${fn}(%`],
      );
      if (Number(row?.n) > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no backend blocked in ${fn}`);
  }

  const batchElement = (delivery: NewDeliveryV1) => ({
    source: delivery.source,
    tenant: delivery.tenant,
    dedupe_key: delivery.dedupeKey,
    method: delivery.method,
    url: delivery.url,
    headers: delivery.headers,
    body: Buffer.from(delivery.body).toString('base64'),
    received_at: delivery.receivedAt.toISOString(),
    correlation_id: delivery.correlationId,
    event_types: [...delivery.eventTypes],
    coalesce_key: delivery.coalesceKey,
  });

  it('an enqueue waiting on another transaction’s waiting delivery is coalesced into it once that commits', async () => {
    const test = await h.create();
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
    const held = await pool.connect();
    try {
      await held.query('begin');
      const [first] = (
        await held.query(`select * from "${test.schema}".act_enqueue_batch($1::jsonb)`, [
          JSON.stringify([batchElement(push())]),
        ])
      ).rows as { id: string; coalesced_into: string | null }[];
      expect(first?.coalesced_into).toBeNull();
      const second = test.state.store.enqueue(push());
      await blockedOn(test, 'act_enqueue_batch');
      await held.query('commit');
      expect((await second).coalescedInto).toBe(first?.id);
      expect(await pendingWithKey(test)).toEqual([first?.id]);
    } finally {
      held.release();
      await pool.end();
      await test.destroy();
    }
  });

  it('a failed sync going back to waiting, blocked by a push stored meanwhile, coalesces that push into itself', async () => {
    const test = await h.create();
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
    const held = await pool.connect();
    try {
      const { store } = test.state;
      const first = await store.enqueue(push());
      const [claimed] = await store.claim({ owner: 'w', limit: 1, leaseMs: 60_000, now: at(1_000) });
      await held.query('begin');
      const [during] = (
        await held.query(`select * from "${test.schema}".act_enqueue_batch($1::jsonb)`, [
          JSON.stringify([batchElement(push())]),
        ])
      ).rows as { id: string; coalesced_into: string | null }[];
      expect(during?.coalesced_into).toBeNull(); // the first is processing: this one waits
      const failed = store.fail({
        id: first.id,
        claimToken: claimed?.claimToken as string,
        error: 'HTTP 503',
        errorClass: 'transient',
        retryAt: at(60_000),
        countsTowardsSchedule: true,
        startedAt: at(1_000),
        now: at(2_000),
      });
      await blockedOn(test, 'act_fail');
      await held.query('commit');
      expect(await failed).toBe('retrying');
      expect(await pendingWithKey(test)).toEqual([first.id]);
      expect(await store.getDelivery(during?.id as string)).toMatchObject({ status: 'done', coalescedInto: first.id });
    } finally {
      held.release();
      await pool.end();
      await test.destroy();
    }
  });

  it('a lapsed sync going back to waiting, blocked by a push stored meanwhile, coalesces that push into itself', async () => {
    const test = await h.create();
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
    const held = await pool.connect();
    try {
      const { store } = test.state;
      const first = await store.enqueue(push());
      await store.claim({ owner: 'dies', limit: 1, leaseMs: 60_000, now: at(1_000) });
      await held.query('begin');
      const [during] = (
        await held.query(`select * from "${test.schema}".act_enqueue_batch($1::jsonb)`, [
          JSON.stringify([batchElement(push())]),
        ])
      ).rows as { id: string; coalesced_into: string | null }[];
      expect(during?.coalesced_into).toBeNull();
      const reclaim = store.claim({ owner: 'next', limit: 5, leaseMs: 60_000, now: at(120_000) });
      await blockedOn(test, 'act_claim');
      await held.query('commit');
      expect((await reclaim).map((delivery) => delivery.id)).toEqual([first.id]);
      expect(await store.getDelivery(during?.id as string)).toMatchObject({ status: 'done', coalescedInto: first.id });
    } finally {
      held.release();
      await pool.end();
      await test.destroy();
    }
  });
});
