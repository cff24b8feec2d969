import type { ClaimedJobV1, PlannedJobV1, SyncStoreV1 } from '@act/core';
import { describe, expect, it } from 'vitest';
import { createPostgresState, type PostgresState } from '../src';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness, type TestState } from './helpers/harness';

// The Postgres SyncStoreV1 (migration 0010_act_sync), on PGlite and on a real
// Postgres, where concurrent callers use separate pools as separate
// processes would.

const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

const job = (
  kind: PlannedJobV1['kind'],
  source: string,
  tenant: string,
  target = '',
  firstRunAt = T0,
): PlannedJobV1 => ({
  key: `${kind}:${source}:${tenant}:${target}`,
  kind,
  source,
  tenant,
  target,
  firstRunAt,
});

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

  /** Stores sharing the test's schema: other pools on Postgres, the same PGlite otherwise. */
  async function withPeers(test: TestState, count: number, fn: (stores: SyncStoreV1[]) => Promise<void>) {
    const extra: PostgresState[] = [];
    const stores: SyncStoreV1[] = [test.state.sync];
    for (let index = 1; index < count; index++) {
      if (h.name === 'postgres') {
        const other = createPostgresState(
          { connectionString: DATABASE_URL as string, poolOptions: { max: 4 } },
          { schema: test.schema },
        );
        extra.push(other);
        stores.push(other.sync);
      } else {
        stores.push(test.state.sync);
      }
    }
    try {
      await fn(stores);
    } finally {
      for (const other of extra) await other.close();
    }
  }

  describe('connections', () => {
    it('adds, leaves a known tenant alone with ifAbsent, reactivates and disconnects, logging each change', () =>
      withState(async ({ state }) => {
        const { sync } = state;
        const added = await sync.connect({
          source: 'xero',
          tenant: 'org-1',
          displayName: 'Acme Pty Ltd',
          settings: { region: 'au' },
          now: at(0),
        });
        expect(added).toEqual({
          change: 'added',
          connection: {
            source: 'xero',
            tenant: 'org-1',
            displayName: 'Acme Pty Ltd',
            status: 'active',
            statusReason: null,
            connectedAt: at(0),
            disconnectedAt: null,
            updatedAt: at(0),
            settings: { region: 'au' },
          },
        });
        expect((await sync.connect({ source: 'xero', tenant: 'org-1', now: at(1_000) })).change).toBe('unchanged');

        const removed = await sync.disconnect({
          source: 'xero',
          tenant: 'org-1',
          reason: 'uninstalled',
          now: at(2_000),
        });
        expect(removed).toMatchObject({
          status: 'disconnected',
          statusReason: 'uninstalled',
          disconnectedAt: at(2_000),
        });
        // Disconnecting again changes nothing and logs nothing.
        expect(await sync.disconnect({ source: 'xero', tenant: 'org-1', now: at(2_500) })).toEqual(removed);
        expect(await sync.disconnect({ source: 'xero', tenant: 'never' })).toBeNull();

        // A tenant seen in a webhook must not re-activate one a person disconnected.
        const seen = await sync.connect({ source: 'xero', tenant: 'org-1', ifAbsent: true, now: at(3_000) });
        expect(seen).toEqual({ change: 'unchanged', connection: removed });

        const back = await sync.connect({ source: 'xero', tenant: 'org-1', displayName: null, now: at(4_000) });
        expect(back.change).toBe('reactivated');
        expect(back.connection).toMatchObject({
          status: 'active',
          statusReason: null,
          disconnectedAt: null,
          displayName: null,
          connectedAt: at(0), // kept across a reconnect
          updatedAt: at(4_000),
          settings: { region: 'au' }, // kept when not given
        });

        expect(
          (await sync.listSyncEvents()).map((event) => [event.kind, event.detail, event.createdAt.toISOString()]),
        ).toEqual([
          ['connection_added', { reactivated: true }, at(4_000).toISOString()],
          ['connection_removed', { reason: 'uninstalled' }, at(2_000).toISOString()],
          ['connection_added', {}, at(0).toISOString()],
        ]);
      }));

    it('sets a status with its reason, logs only changes, and lists connections in order', () =>
      withState(async ({ state }) => {
        const { sync } = state;
        for (const [source, tenant] of [
          ['xero', 'org-2'],
          ['ghl', 'loc-b'],
          ['xero', 'org-1'],
          ['ghl', 'loc-a'],
        ] as const) {
          await sync.connect({ source, tenant, now: at(0) });
        }
        const paused = await sync.setConnectionStatus({
          source: 'xero',
          tenant: 'org-1',
          status: 'reconnect_required',
          reason: 'invalid_grant',
          now: at(1_000),
        });
        expect(paused).toMatchObject({ status: 'reconnect_required', statusReason: 'invalid_grant' });
        await sync.setConnectionStatus({
          source: 'xero',
          tenant: 'org-1',
          status: 'reconnect_required',
          reason: 'invalid_grant',
          now: at(2_000),
        });
        expect(await sync.setConnectionStatus({ source: 'xero', tenant: 'nope', status: 'active' })).toBeNull();
        const resumed = await sync.setConnectionStatus({
          source: 'xero',
          tenant: 'org-1',
          status: 'active',
          reason: 'ignored when active',
          now: at(3_000),
        });
        expect(resumed).toMatchObject({ status: 'active', statusReason: null, updatedAt: at(3_000) });

        const statusEvents = (await sync.listSyncEvents({ source: 'xero', tenant: 'org-1' })).filter(
          (event) => event.kind === 'connection_status',
        );
        expect(statusEvents.map((event) => event.detail)).toEqual([
          { status: 'active' },
          { status: 'reconnect_required', reason: 'invalid_grant' },
        ]);

        expect((await sync.listConnections()).map((c) => `${c.source}/${c.tenant}`)).toEqual([
          'ghl/loc-a',
          'ghl/loc-b',
          'xero/org-1',
          'xero/org-2',
        ]);
        await sync.disconnect({ source: 'ghl', tenant: 'loc-a' });
        expect(
          (await sync.listConnections({ status: 'active', source: 'ghl' })).map((c) => `${c.source}/${c.tenant}`),
        ).toEqual(['ghl/loc-b']);
        expect(await sync.getConnection({ source: 'ghl', tenant: 'loc-a' })).toMatchObject({ status: 'disconnected' });
        expect(await sync.getConnection({ source: 'ghl', tenant: 'loc-z' })).toBeNull();
      }));
  });

  describe('leases', () => {
    it('gives a lease to exactly one of concurrent callers', () =>
      withState(async (test) =>
        withPeers(test, 4, async (stores) => {
          for (let round = 0; round < 10; round++) {
            const results = await Promise.all(
              stores.map((store, index) =>
                store.acquireLease({ name: `scheduler-${round}`, owner: `process-${index}`, leaseMs: 30_000 }),
              ),
            );
            const winners = results.filter((result) => result.acquired);
            expect(winners).toHaveLength(1);
            for (const result of results) expect(result.holder).toBe(winners[0]?.holder);
          }
        }),
      ));

    it('renews for its holder, refuses others until it expires, then hands over; release frees it at once', () =>
      withState(async ({ state }) => {
        const { sync } = state;
        const lease = (owner: string, ms: number) =>
          sync.acquireLease({ name: 'scheduler', owner, leaseMs: 30_000, now: at(ms) });
        expect(await lease('a', 0)).toEqual({ acquired: true, holder: 'a', expiresAt: at(30_000) });
        expect(await lease('b', 10_000)).toEqual({ acquired: false, holder: 'a', expiresAt: at(30_000) });
        expect(await lease('a', 20_000)).toEqual({ acquired: true, holder: 'a', expiresAt: at(50_000) });
        expect(await lease('b', 49_999)).toMatchObject({ acquired: false, holder: 'a' });
        expect(await lease('b', 50_000)).toEqual({ acquired: true, holder: 'b', expiresAt: at(80_000) });
        // Only the holder can release it.
        await sync.releaseLease({ name: 'scheduler', owner: 'a' });
        expect(await lease('c', 51_000)).toMatchObject({ acquired: false, holder: 'b' });
        await sync.releaseLease({ name: 'scheduler', owner: 'b' });
        expect(await lease('c', 52_000)).toEqual({ acquired: true, holder: 'c', expiresAt: at(82_000) });
      }));
  });

  describe('jobs', () => {
    it('plans jobs: removes only the listed sources’ unplanned jobs, keeps global ones and existing schedules', () =>
      withState(async ({ state }) => {
        const { sync } = state;
        await sync.planJobs({
          jobs: [
            job('poll', 'ghl', 'loc-1', 'contacts'),
            job('poll', 'ghl', 'loc-2', 'contacts'),
            job('poll', 'xero', 'org-1', 'invoices'),
            job('retention', '', ''),
          ],
          sources: ['ghl', 'xero', ''],
          now: at(0),
        });
        // An existing job keeps its schedule.
        await sync.requestJob({ key: 'poll:ghl:loc-1:contacts', at: at(-5_000) });
        // loc-2 disconnected: the plan for ghl alone drops it, and touches neither xero nor the global job.
        await sync.planJobs({
          jobs: [job('poll', 'ghl', 'loc-1', 'contacts', at(99_000)), job('reconcile', 'ghl', 'loc-1')],
          sources: ['ghl'],
        });
        const jobs = await sync.listJobs();
        expect(jobs.map((entry) => [entry.key, entry.nextRunAt.toISOString()])).toEqual([
          ['poll:ghl:loc-1:contacts', at(-5_000).toISOString()],
          ['poll:xero:org-1:invoices', T0.toISOString()],
          ['reconcile:ghl:loc-1:', T0.toISOString()],
          ['retention:::', T0.toISOString()],
        ]);
        expect(jobs[0]).toMatchObject({
          kind: 'poll',
          source: 'ghl',
          tenant: 'loc-1',
          target: 'contacts',
          lastStartedAt: null,
          lastOutcome: null,
          consecutiveFailures: 0,
          leaseOwner: null,
        });
        expect((await sync.listJobs({ source: 'ghl', kind: 'reconcile' })).map((entry) => entry.key)).toEqual([
          'reconcile:ghl:loc-1:',
        ]);
        // requestJob never delays, and knows unknown keys.
        expect(await sync.requestJob({ key: 'retention:::', at: at(60_000) })).toBe(true);
        expect((await sync.listJobs({ kind: 'retention' }))[0]?.nextRunAt).toEqual(T0);
        expect(await sync.requestJob({ key: 'poll:nope::' })).toBe(false);
      }));

    it('claims due jobs earliest first; concurrent claims never return one job twice', () =>
      withState(async (test) =>
        withPeers(test, 4, async (stores) => {
          const sync = stores[0] as SyncStoreV1;
          const planned = Array.from({ length: 60 }, (_, index) =>
            job('poll', 'ghl', `loc-${String(index).padStart(2, '0')}`, 'contacts', at(index * 1_000)),
          );
          await sync.planJobs({
            jobs: [...planned, job('poll', 'ghl', 'later', 'contacts', at(10_000_000))],
            sources: ['ghl'],
          });
          const now = at(3_600_000);

          const [first] = await sync.claimJobs({ owner: 'solo', limit: 1, leaseMs: 60_000, now });
          expect(first).toMatchObject({ key: 'poll:ghl:loc-00:contacts', leaseOwner: 'solo', lastStartedAt: now });
          expect(first?.leaseExpiresAt).toEqual(at(3_660_000));

          const claimed: ClaimedJobV1[] = [];
          await Promise.all(
            stores.map(async (store, index) => {
              for (;;) {
                const batch = await store.claimJobs({ owner: `s${index}`, limit: 3, leaseMs: 60_000, now });
                if (batch.length === 0) return;
                claimed.push(...batch);
              }
            }),
          );
          const keys = claimed.map((entry) => entry.key);
          expect(new Set(keys).size).toBe(keys.length);
          expect(keys.sort()).toEqual(planned.slice(1).map((entry) => entry.key));

          // Only the keys asked for.
          await sync.planJobs({ jobs: [job('discover', 'xero', '')], sources: ['xero'] });
          expect(
            (await sync.claimJobs({ owner: 'x', limit: 5, leaseMs: 1, keys: ['discover:xero::'], now })).map(
              (entry) => entry.key,
            ),
          ).toEqual(['discover:xero::']);
        }),
      ));

    it('finishes a run: records it, schedules the next one and releases the lease; a stale token records nothing', () =>
      withState(async ({ state }) => {
        const { sync } = state;
        await sync.planJobs({ jobs: [job('poll', 'ghl', 'loc-1', 'contacts')], sources: ['ghl'] });
        const [stale] = await sync.claimJobs({ owner: 'a', limit: 1, leaseMs: 60_000, now: at(0) });
        if (!stale) throw new Error('no job');
        expect(
          await sync.renewJobLease({ key: stale.key, claimToken: stale.claimToken, leaseMs: 60_000, now: at(30_000) }),
        ).toBe(true);
        // Still leased at 60 s (renewed to 90 s); taken over after.
        expect(await sync.claimJobs({ owner: 'b', limit: 1, leaseMs: 60_000, now: at(60_000) })).toEqual([]);
        const [current] = await sync.claimJobs({ owner: 'b', limit: 1, leaseMs: 60_000, now: at(90_000) });
        if (!current) throw new Error('no job');
        expect(current.claimToken).not.toBe(stale.claimToken);

        const finish = (claimed: ClaimedJobV1, ms: number, outcome: 'ok' | 'failed' | 'skipped', error?: string) =>
          sync.finishJob({
            key: claimed.key,
            claimToken: claimed.claimToken,
            outcome,
            nextRunAt: at(ms + 300_000),
            startedAt: at(ms - 1_000),
            ...(error ? { error, errorClass: 'transient' } : {}),
            counts: { pages: 2, created: 5 },
            now: at(ms),
          });
        expect(await finish(stale, 95_000, 'ok')).toBe(false);
        expect(await sync.renewJobLease({ key: stale.key, claimToken: stale.claimToken, leaseMs: 60_000 })).toBe(false);
        expect(await sync.listJobRuns()).toEqual([]);
        expect((await sync.listJobs())[0]).toMatchObject({ leaseOwner: 'b', lastOutcome: null });

        expect(await finish(current, 100_000, 'failed', 'HTTP 503')).toBe(true);
        expect(await finish(current, 100_001, 'ok')).toBe(false); // the lease is released
        expect((await sync.listJobs())[0]).toMatchObject({
          nextRunAt: at(400_000),
          lastFinishedAt: at(100_000),
          lastSuccessAt: null,
          lastOutcome: 'failed',
          lastError: 'HTTP 503',
          consecutiveFailures: 1,
          leaseOwner: null,
          leaseExpiresAt: null,
        });
        const [again] = await sync.claimJobs({ owner: 'b', limit: 1, leaseMs: 60_000, now: at(400_000) });
        if (!again) throw new Error('no job');
        expect(await finish(again, 401_000, 'ok')).toBe(true);
        expect((await sync.listJobs())[0]).toMatchObject({
          lastSuccessAt: at(401_000),
          lastOutcome: 'ok',
          lastError: null,
          consecutiveFailures: 0,
        });

        const runs = await sync.listJobRuns();
        expect(runs.map((run) => [run.outcome, run.owner, run.error, run.errorClass])).toEqual([
          ['ok', 'b', null, null],
          ['failed', 'b', 'HTTP 503', 'transient'],
        ]);
        expect(runs[1]).toMatchObject({
          key: 'poll:ghl:loc-1:contacts',
          kind: 'poll',
          source: 'ghl',
          tenant: 'loc-1',
          target: 'contacts',
          startedAt: at(99_000),
          finishedAt: at(100_000),
          counts: { pages: 2, created: 5 },
        });
        expect(Number(runs[0]?.id)).toBeGreaterThan(Number(runs[1]?.id));
      }));

    it('lists runs newest first, filtered and limited', () =>
      withState(async ({ state }) => {
        const { sync } = state;
        await sync.planJobs({
          jobs: [
            job('poll', 'ghl', 'loc-1', 'contacts'),
            job('reconcile', 'ghl', 'loc-1'),
            job('poll', 'xero', 'org-1', 'invoices'),
          ],
          sources: ['ghl', 'xero'],
        });
        let ms = 0;
        const order: string[] = [];
        for (let round = 0; round < 3; round++) {
          for (const claimed of await sync.claimJobs({ owner: 's', limit: 10, leaseMs: 1_000, now: at(ms) })) {
            ms += 1_000;
            await sync.finishJob({
              key: claimed.key,
              claimToken: claimed.claimToken,
              outcome: 'ok',
              nextRunAt: at(ms),
              startedAt: at(ms - 500),
              now: at(ms),
            });
            order.push(claimed.key);
          }
        }
        expect(order).toHaveLength(9);
        expect((await sync.listJobRuns()).map((run) => run.key)).toEqual([...order].reverse());
        expect((await sync.listJobRuns({ limit: 2 })).map((run) => run.key)).toEqual([...order].reverse().slice(0, 2));
        const ghlPolls = await sync.listJobRuns({ source: 'ghl', tenant: 'loc-1', kind: 'poll' });
        expect(ghlPolls).toHaveLength(3);
        expect(ghlPolls.every((run) => run.key === 'poll:ghl:loc-1:contacts')).toBe(true);
        expect(ghlPolls.map((run) => run.finishedAt.getTime())).toEqual(
          [...ghlPolls.map((run) => run.finishedAt.getTime())].sort((a, b) => b - a),
        );
      }));
  });

  describe('source modes and the sync log', () => {
    it('switches modes, logging webhooks_quiet and webhooks_resumed once per change', () =>
      withState(async ({ state }) => {
        const { sync } = state;
        // No row is webhooks: switching to webhooks changes nothing.
        expect(await sync.setSourceMode({ source: 'ghl', tenant: 'loc-1', mode: 'webhooks', now: at(0) })).toBe(false);
        expect(
          await sync.setSourceMode({
            source: 'ghl',
            tenant: 'loc-1',
            mode: 'polling',
            detail: { quietForMs: 3_600_000 },
            now: at(1_000),
          }),
        ).toBe(true);
        expect(await sync.setSourceMode({ source: 'ghl', tenant: 'loc-1', mode: 'polling', now: at(2_000) })).toBe(
          false,
        );
        expect(await sync.setSourceMode({ source: 'ghl', tenant: 'loc-2', mode: 'polling', now: at(2_500) })).toBe(
          true,
        );
        expect(await sync.setSourceMode({ source: 'ghl', tenant: 'loc-1', mode: 'webhooks', now: at(3_000) })).toBe(
          true,
        );

        expect(await sync.listSourceModes()).toEqual([
          { source: 'ghl', tenant: 'loc-1', mode: 'webhooks', since: at(3_000) },
          { source: 'ghl', tenant: 'loc-2', mode: 'polling', since: at(2_500) },
        ]);
        expect(
          (await sync.listSyncEvents({ source: 'ghl', tenant: 'loc-1' })).map((event) => [event.kind, event.detail]),
        ).toEqual([
          ['webhooks_resumed', {}],
          ['webhooks_quiet', { quietForMs: 3_600_000 }],
        ]);
      }));

    it('logs concurrent switches to one mode once', () =>
      withState(async (test) =>
        withPeers(test, 4, async (stores) => {
          const results = await Promise.all(
            stores.map((store) => store.setSourceMode({ source: 'gmail', tenant: 'ana', mode: 'polling' })),
          );
          expect(results.filter(Boolean)).toHaveLength(1);
          expect((await test.state.sync.listSyncEvents()).map((event) => event.kind)).toEqual(['webhooks_quiet']);
        }),
      ));

    it('records events and lists them newest first, after `since`, filtered and limited', () =>
      withState(async ({ state }) => {
        const { sync } = state;
        await sync.recordSyncEvent({
          source: 'gmail',
          tenant: 'ana',
          kind: 'cursor_expired',
          detail: { stream: 'history' },
          now: at(0),
        });
        await sync.recordSyncEvent({
          source: '',
          tenant: '',
          kind: 'leader_changed',
          detail: { owner: 'b' },
          now: at(1_000),
        });
        await sync.recordSyncEvent({ source: 'gmail', tenant: 'bob', kind: 'cursor_expired', now: at(2_000) });
        const all = await sync.listSyncEvents();
        expect(all.map((event) => [event.source, event.tenant, event.kind, event.detail, event.createdAt])).toEqual([
          ['gmail', 'bob', 'cursor_expired', {}, at(2_000)],
          ['', '', 'leader_changed', { owner: 'b' }, at(1_000)],
          ['gmail', 'ana', 'cursor_expired', { stream: 'history' }, at(0)],
        ]);
        expect((await sync.listSyncEvents({ since: at(1_000) })).map((event) => event.tenant)).toEqual(['bob']);
        expect((await sync.listSyncEvents({ source: 'gmail', limit: 1 })).map((event) => event.tenant)).toEqual([
          'bob',
        ]);
        expect((await sync.listSyncEvents({ tenant: 'ana' })).map((event) => event.kind)).toEqual(['cursor_expired']);
      }));
  });
}

describe('PGlite', () => suite(pgliteHarness));
describe.skipIf(!DATABASE_URL)('Postgres (DATABASE_URL)', () => suite(postgresHarness));
