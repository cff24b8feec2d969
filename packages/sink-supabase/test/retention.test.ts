import { ConfigurationError, type IntegrationEventV1 } from '@act/core';
import { makeTestDelivery } from '@act/core/testing';
import { describe, expect, it } from 'vitest';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness, type TestState } from './helpers/harness';

const DAY = 86_400_000;
const NOW = new Date();
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);

function event(entityId: string, createdAt: Date): IntegrationEventV1 {
  return {
    source: 'ghl',
    tenant: 't1',
    type: 'ContactUpdate',
    entity: 'contact',
    entityId,
    outcome: 'updated',
    triggeredBy: 'poll',
    createdAt,
  };
}

/** Enqueue a delivery received `receivedDaysAgo`, claim it then, and finish it `finishedDaysAgo` as `outcome`. */
async function delivery(
  test: TestState,
  label: string,
  outcome: 'pending' | 'processing' | 'done' | 'dead' | 'retried-then-done',
  receivedDaysAgo: number,
  finishedDaysAgo = receivedDaysAgo,
): Promise<string> {
  const { store } = test.state;
  const received = daysAgo(receivedDaysAgo);
  // Its own source, so claiming it at a past time claims nothing else.
  const { id } = await store.enqueue(
    makeTestDelivery({ source: label, dedupeKey: `${label}:1`, receivedAt: received }),
  );
  if (outcome === 'pending') return id;
  const claim = async (at: Date) => {
    const [mine] = await store.claim({ owner: 'w', limit: 1, leaseMs: 60_000, sources: [label], now: at });
    if (mine?.id !== id) throw new Error(`could not claim ${label}`);
    return mine;
  };
  const finished = daysAgo(finishedDaysAgo);
  let claimed = await claim(finished);
  if (outcome === 'processing') return id;
  if (outcome === 'retried-then-done') {
    await store.fail({
      id,
      claimToken: claimed.claimToken,
      error: 'boom',
      errorClass: 'transient',
      retryAt: finished,
      countsTowardsSchedule: true,
      startedAt: finished,
      now: finished,
    });
    claimed = await claim(finished);
  }
  if (outcome === 'dead') {
    await store.fail({
      id,
      claimToken: claimed.claimToken,
      error: 'bad payload',
      errorClass: 'validation',
      retryAt: null,
      countsTowardsSchedule: true,
      startedAt: finished,
      now: finished,
    });
    return id;
  }
  await store.complete({ id, claimToken: claimed.claimToken, events: [], startedAt: finished, now: finished });
  return id;
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

  async function statuses(test: TestState): Promise<Record<string, string>> {
    const rows = await test.query<{ source: string; status: string }>(
      `select source, status from "${test.schema}".act_deliveries order by id`,
    );
    return Object.fromEntries(rows.map((row) => [row.source, row.status]));
  }

  async function attemptCount(test: TestState): Promise<number> {
    const [row] = await test.query<{ n: number }>(
      `select count(*)::int as n from "${test.schema}".act_delivery_attempts`,
    );
    return Number(row?.n);
  }

  it('removes old done deliveries, their attempts and old events; keeps recent ones, pending, processing and dead', () =>
    withState(async (test) => {
      const { state } = test;
      await delivery(test, 'old-done', 'done', 45, 40);
      await delivery(test, 'old-retried', 'retried-then-done', 50, 35);
      await delivery(test, 'recent-done', 'done', 45, 5);
      await delivery(test, 'old-pending', 'pending', 90);
      await delivery(test, 'old-processing', 'processing', 80);
      await delivery(test, 'old-dead', 'dead', 70);
      await state.store.recordEvents([
        event('old-1', daysAgo(31)),
        event('old-2', daysAgo(100)),
        event('recent', daysAgo(29)),
        event('now', NOW),
      ]);
      expect(await attemptCount(test)).toBe(5);

      expect(await state.cleanup({ now: NOW })).toEqual({
        deliveries: 2,
        attempts: 3,
        events: 2,
        jobRuns: 0,
        syncEvents: 0,
      });
      expect(await statuses(test)).toEqual({
        'recent-done': 'done',
        'old-pending': 'pending',
        'old-processing': 'processing',
        'old-dead': 'dead',
      });
      expect(await attemptCount(test)).toBe(2); // recent-done's and the dead letter's
      const events = await state.store.listEvents({});
      expect(events.map((kept) => kept.entityId).sort()).toEqual(['now', 'recent']);

      // Nothing more to do.
      expect(await state.cleanup({ now: NOW })).toEqual({
        deliveries: 0,
        attempts: 0,
        events: 0,
        jobRuns: 0,
        syncEvents: 0,
      });
      // A shorter retention reaches the recent ones.
      expect(await state.cleanup({ olderThanDays: 1, now: NOW })).toEqual({
        deliveries: 1,
        attempts: 1,
        events: 1,
        jobRuns: 0,
        syncEvents: 0,
      });
      expect(await statuses(test)).toEqual({
        'old-pending': 'pending',
        'old-processing': 'processing',
        'old-dead': 'dead',
      });
    }));

  it('purges dead letters only when asked, by the time of their last attempt', () =>
    withState(async (test) => {
      const { state } = test;
      await delivery(test, 'dead-long-ago', 'dead', 70, 60);
      await delivery(test, 'dead-recently', 'dead', 70, 3); // received long ago, died again lately
      await delivery(test, 'dead-young', 'dead', 2);
      expect(await state.cleanup({ olderThanDays: 0, now: NOW })).toEqual({
        deliveries: 0,
        attempts: 0,
        events: 0,
        jobRuns: 0,
        syncEvents: 0,
      });
      expect(await state.cleanup({ deadOlderThanDays: 30, now: NOW })).toEqual({
        deliveries: 1,
        attempts: 1,
        events: 0,
        jobRuns: 0,
        syncEvents: 0,
      });
      expect(await statuses(test)).toEqual({ 'dead-recently': 'dead', 'dead-young': 'dead' });
    }));

  it('works through a backlog in batches, one transaction each, with the right totals', () =>
    withState(async (test) => {
      const { state } = test;
      for (let index = 0; index < 7; index++) await delivery(test, `done-${index}`, 'done', 60, 40);
      await delivery(test, 'kept', 'done', 60, 1);
      await state.store.recordEvents(Array.from({ length: 11 }, (_, index) => event(`e${index}`, daysAgo(40))));
      expect(await state.cleanup({ batchSize: 3, now: NOW })).toEqual({
        deliveries: 7,
        attempts: 7,
        events: 11,
        jobRuns: 0,
        syncEvents: 0,
      });
      expect(Object.keys(await statuses(test))).toEqual(['kept']);

      // The SQL function on its own (pg_cron): every batch in one call, or one batch with `more`.
      for (let index = 0; index < 4; index++) await delivery(test, `again-${index}`, 'done', 60, 40);
      const [bounded] = await test.query<Record<string, unknown>>(
        `select deliveries::int, attempts::int, events::int, more from "${test.schema}".act_cleanup(30, null, $1, 3, 1)`,
        [NOW.toISOString()],
      );
      expect(bounded).toMatchObject({ deliveries: 3, attempts: 3, events: 0, more: true });
      const [rest] = await test.query<Record<string, unknown>>(
        `select deliveries::int, attempts::int, events::int, more from "${test.schema}".act_cleanup(30)`,
      );
      expect(rest).toMatchObject({ deliveries: 1, attempts: 1, events: 0, more: false });
    }));

  it('removes job runs and sync events older than the same age, and keeps the jobs themselves', () =>
    withState(async (test) => {
      const { sync } = test.state;
      await sync.planJobs({
        jobs: [
          {
            key: 'poll:ghl:t1:contacts',
            kind: 'poll',
            source: 'ghl',
            tenant: 't1',
            target: 'contacts',
            firstRunAt: daysAgo(50),
          },
        ],
        sources: ['ghl'],
      });
      // Runs that finished 45, 40 and 2 days ago.
      for (const days of [45, 40, 2]) {
        const [job] = await sync.claimJobs({ owner: 'scheduler-a', limit: 1, leaseMs: 60_000, now: daysAgo(days) });
        if (!job) throw new Error('no job claimed');
        const finished = await sync.finishJob({
          key: job.key,
          claimToken: job.claimToken,
          outcome: 'ok',
          nextRunAt: daysAgo(days - 1),
          startedAt: daysAgo(days),
          now: daysAgo(days),
        });
        expect(finished).toBe(true);
      }
      await sync.recordSyncEvent({ source: 'ghl', tenant: 't1', kind: 'cursor_expired', now: daysAgo(31) });
      await sync.recordSyncEvent({ source: 'ghl', tenant: 't1', kind: 'webhooks_quiet', now: daysAgo(29) });

      expect(await test.state.cleanup({ now: NOW })).toEqual({
        deliveries: 0,
        attempts: 0,
        events: 0,
        jobRuns: 2,
        syncEvents: 1,
      });
      expect((await sync.listJobRuns()).map((run) => run.finishedAt)).toEqual([daysAgo(2)]);
      expect((await sync.listSyncEvents()).map((event) => event.kind)).toEqual(['webhooks_quiet']);
      expect((await sync.listJobs()).map((job) => job.key)).toEqual(['poll:ghl:t1:contacts']);
    }));

  it('refuses negative or fractional ages', () =>
    withState(async ({ state, schema, query }) => {
      await expect(state.cleanup({ olderThanDays: -1 })).rejects.toBeInstanceOf(ConfigurationError);
      await expect(state.cleanup({ deadOlderThanDays: 1.5 })).rejects.toBeInstanceOf(ConfigurationError);
      await expect(state.cleanup({ batchSize: 0 })).rejects.toBeInstanceOf(ConfigurationError);
      await expect(query(`select * from "${schema}".act_cleanup(-1)`)).rejects.toThrow(/older_than_days/);
    }));
}

describe('PGlite', () => suite(pgliteHarness));
describe.skipIf(!DATABASE_URL)('Postgres (DATABASE_URL)', () => suite(postgresHarness));
