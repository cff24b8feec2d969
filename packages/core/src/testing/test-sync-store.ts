import { describe, expect, it } from 'vitest';
import type { ClaimedJobV1, JobKindV1, PlannedJobV1, SyncStoreV1 } from '../spec/v1';

export interface TestSyncStoreOptions {
  /** Create a fresh, empty store (its own schema or database). */
  create: () => SyncStoreV1 | Promise<SyncStoreV1>;
  /** Release it after each test. */
  destroy?: (store: SyncStoreV1) => void | Promise<void>;
}

// Every call passes an explicit `now`: the Postgres store reads the database
// clock without one, so fixed times keep the suite deterministic on any store.
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms);
const MINUTE = 60_000;

function planned(kind: JobKindV1, source: string, tenant: string, target: string, firstRunAt: Date): PlannedJobV1 {
  return { key: `${kind}:${source}:${tenant}:${target}`, kind, source, tenant, target, firstRunAt };
}

const keysOf = (jobs: readonly { key: string }[]) => jobs.map((job) => job.key);
const sortedKeys = (jobs: readonly { key: string }[]) => keysOf(jobs).sort();

/**
 * The behaviour every `SyncStoreV1` must have, as a vitest suite: what
 * `SyncStoreV1`'s doc comments promise, and nothing a particular store happens
 * to do besides. Call it from the store's own test file:
 *
 * ```ts
 * describe('memory sync store', () => {
 *   testSyncStore({ create: () => createMemorySyncStore() });
 * });
 * // or, with a describe block of its own:
 * testSyncStore('memory sync store', () => createMemorySyncStore());
 * ```
 */
export function testSyncStore(options: TestSyncStoreOptions): void;
export function testSyncStore(name: string, factory: TestSyncStoreOptions | TestSyncStoreOptions['create']): void;
export function testSyncStore(
  first: string | TestSyncStoreOptions,
  second?: TestSyncStoreOptions | TestSyncStoreOptions['create'],
): void {
  if (typeof first === 'string') {
    const options = typeof second === 'function' ? { create: second } : second;
    if (!options) throw new TypeError('[@act/core] testSyncStore(name, factory) needs a factory');
    describe(first, () => contract(options));
    return;
  }
  contract(first);
}

function contract(options: TestSyncStoreOptions): void {
  const withStore = (fn: (store: SyncStoreV1) => Promise<void>) => async () => {
    const store = await options.create();
    try {
      await fn(store);
    } finally {
      await options.destroy?.(store);
    }
  };

  describe('SyncStoreV1 contract', () => {
    it(
      'declares specificationVersion v1 and starts empty',
      withStore(async (store) => {
        expect(store.specificationVersion).toBe('v1');
        expect(await store.listConnections()).toEqual([]);
        expect(await store.listJobs()).toEqual([]);
        expect(await store.listJobRuns()).toEqual([]);
        expect(await store.listSourceModes()).toEqual([]);
        expect(await store.listSyncEvents()).toEqual([]);
      }),
    );

    describe('connections', () => {
      it(
        'adds a tenant as active, with its name and settings, and logs connection_added',
        withStore(async (store) => {
          const result = await store.connect({
            source: 'xero',
            tenant: 'org-1',
            displayName: 'Acme Pty Ltd',
            settings: { region: 'au', streams: ['invoices'] },
            now: at(0),
          });
          const expected = {
            source: 'xero',
            tenant: 'org-1',
            displayName: 'Acme Pty Ltd',
            status: 'active',
            statusReason: null,
            connectedAt: at(0),
            disconnectedAt: null,
            updatedAt: at(0),
            settings: { region: 'au', streams: ['invoices'] },
          };
          expect(result).toEqual({ change: 'added', connection: expected });
          expect(await store.getConnection({ source: 'xero', tenant: 'org-1' })).toEqual(expected);
          expect(await store.getConnection({ source: 'xero', tenant: 'org-2' })).toBeNull();
          expect(await store.getConnection({ source: 'ghl', tenant: 'org-1' })).toBeNull();

          const events = await store.listSyncEvents();
          expect(events).toHaveLength(1);
          expect(events[0]).toMatchObject({
            source: 'xero',
            tenant: 'org-1',
            kind: 'connection_added',
            createdAt: at(0),
          });
          expect(typeof events[0]?.id).toBe('string');
        }),
      );

      it(
        'adds a tenant without a name or settings as displayName null and settings {}',
        withStore(async (store) => {
          const { connection } = await store.connect({ source: 'ghl', tenant: 'loc-1', now: at(0) });
          expect(connection.displayName).toBeNull();
          expect(connection.settings).toEqual({});
        }),
      );

      it(
        'leaves an active tenant active (unchanged, nothing logged); keeps settings and name unless given',
        withStore(async (store) => {
          await store.connect({
            source: 'ghl',
            tenant: 'loc-1',
            displayName: 'Clinic',
            settings: { a: 1 },
            now: at(0),
          });
          const again = await store.connect({ source: 'ghl', tenant: 'loc-1', now: at(MINUTE) });
          expect(again.change).toBe('unchanged');
          expect(again.connection).toMatchObject({
            status: 'active',
            displayName: 'Clinic',
            settings: { a: 1 },
            connectedAt: at(0),
          });

          const renamed = await store.connect({
            source: 'ghl',
            tenant: 'loc-1',
            displayName: 'Clinic North',
            settings: { b: 2 },
            now: at(2 * MINUTE),
          });
          expect(renamed.change).toBe('unchanged');
          // Settings are replaced, not merged.
          expect(renamed.connection).toMatchObject({ displayName: 'Clinic North', settings: { b: 2 } });
          expect(await store.getConnection({ source: 'ghl', tenant: 'loc-1' })).toMatchObject({
            displayName: 'Clinic North',
            settings: { b: 2 },
            connectedAt: at(0),
          });
          expect((await store.listSyncEvents()).map((event) => event.kind)).toEqual(['connection_added']);
        }),
      );

      it(
        'reactivates a disconnected tenant, keeping connectedAt and its settings, and logs connection_added',
        withStore(async (store) => {
          await store.connect({ source: 'xero', tenant: 'org-1', settings: { keep: true }, now: at(0) });
          await store.disconnect({ source: 'xero', tenant: 'org-1', reason: 'uninstalled', now: at(MINUTE) });
          const result = await store.connect({ source: 'xero', tenant: 'org-1', now: at(2 * MINUTE) });
          expect(result.change).toBe('reactivated');
          expect(result.connection).toEqual({
            source: 'xero',
            tenant: 'org-1',
            displayName: null,
            status: 'active',
            statusReason: null,
            connectedAt: at(0),
            disconnectedAt: null,
            updatedAt: at(2 * MINUTE),
            settings: { keep: true },
          });
          const events = await store.listSyncEvents({ source: 'xero' });
          expect(events.map((event) => [event.kind, event.createdAt])).toEqual([
            ['connection_added', at(2 * MINUTE)],
            ['connection_removed', at(MINUTE)],
            ['connection_added', at(0)],
          ]);
        }),
      );

      it(
        'reactivates a tenant that needed reconnecting',
        withStore(async (store) => {
          await store.connect({ source: 'xero', tenant: 'org-1', now: at(0) });
          await store.setConnectionStatus({
            source: 'xero',
            tenant: 'org-1',
            status: 'reconnect_required',
            reason: 'invalid_grant',
            now: at(MINUTE),
          });
          const result = await store.connect({ source: 'xero', tenant: 'org-1', now: at(2 * MINUTE) });
          expect(result.change).toBe('reactivated');
          expect(result.connection).toMatchObject({ status: 'active', statusReason: null, connectedAt: at(0) });
        }),
      );

      it(
        'with ifAbsent adds an unknown tenant but never reactivates a known one',
        withStore(async (store) => {
          const added = await store.connect({ source: 'ghl', tenant: 'loc-1', ifAbsent: true, now: at(0) });
          expect(added.change).toBe('added');
          expect(added.connection.status).toBe('active');

          await store.disconnect({ source: 'ghl', tenant: 'loc-1', now: at(MINUTE) });
          const found = await store.connect({
            source: 'ghl',
            tenant: 'loc-1',
            ifAbsent: true,
            displayName: 'From a webhook',
            now: at(2 * MINUTE),
          });
          expect(found.change).toBe('unchanged');
          expect(found.connection).toMatchObject({ status: 'disconnected', disconnectedAt: at(MINUTE) });
          expect(await store.getConnection({ source: 'ghl', tenant: 'loc-1' })).toMatchObject({
            status: 'disconnected',
            disconnectedAt: at(MINUTE),
          });

          await store.connect({ source: 'ghl', tenant: 'loc-2', now: at(0) });
          await store.setConnectionStatus({
            source: 'ghl',
            tenant: 'loc-2',
            status: 'reconnect_required',
            reason: 'invalid_grant',
            now: at(MINUTE),
          });
          const paused = await store.connect({ source: 'ghl', tenant: 'loc-2', ifAbsent: true, now: at(2 * MINUTE) });
          expect(paused.change).toBe('unchanged');
          expect(paused.connection).toMatchObject({ status: 'reconnect_required', statusReason: 'invalid_grant' });

          // Nothing was logged for the two ifAbsent calls on known tenants.
          expect((await store.listSyncEvents({ since: at(MINUTE + 1) })).map((event) => event.kind)).toEqual([]);
        }),
      );

      it(
        'disconnects keeping connectedAt, setting disconnectedAt and the reason, and logs connection_removed',
        withStore(async (store) => {
          await store.connect({ source: 'xero', tenant: 'org-1', displayName: 'Acme', now: at(0) });
          const disconnected = await store.disconnect({
            source: 'xero',
            tenant: 'org-1',
            reason: 'uninstalled',
            now: at(MINUTE),
          });
          expect(disconnected).toEqual({
            source: 'xero',
            tenant: 'org-1',
            displayName: 'Acme',
            status: 'disconnected',
            statusReason: 'uninstalled',
            connectedAt: at(0),
            disconnectedAt: at(MINUTE),
            updatedAt: at(MINUTE),
            settings: {},
          });
          expect(await store.getConnection({ source: 'xero', tenant: 'org-1' })).toEqual(disconnected);
          const [removed] = await store.listSyncEvents();
          expect(removed).toMatchObject({
            source: 'xero',
            tenant: 'org-1',
            kind: 'connection_removed',
            createdAt: at(MINUTE),
          });
        }),
      );

      it(
        'resolves null when disconnecting or setting the status of a tenant never connected, logging nothing',
        withStore(async (store) => {
          expect(await store.disconnect({ source: 'xero', tenant: 'nobody', now: at(0) })).toBeNull();
          expect(
            await store.setConnectionStatus({
              source: 'xero',
              tenant: 'nobody',
              status: 'reconnect_required',
              now: at(0),
            }),
          ).toBeNull();
          expect(await store.listConnections()).toEqual([]);
          expect(await store.listSyncEvents()).toEqual([]);
        }),
      );

      it(
        'sets a status with its reason, clears the reason when active again, and logs connection_status',
        withStore(async (store) => {
          await store.connect({ source: 'xero', tenant: 'org-1', now: at(0) });
          const paused = await store.setConnectionStatus({
            source: 'xero',
            tenant: 'org-1',
            status: 'reconnect_required',
            reason: 'invalid_grant',
            now: at(MINUTE),
          });
          expect(paused).toMatchObject({
            status: 'reconnect_required',
            statusReason: 'invalid_grant',
            connectedAt: at(0),
            updatedAt: at(MINUTE),
          });
          expect(await store.getConnection({ source: 'xero', tenant: 'org-1' })).toEqual(paused);

          const active = await store.setConnectionStatus({
            source: 'xero',
            tenant: 'org-1',
            status: 'active',
            now: at(2 * MINUTE),
          });
          expect(active).toMatchObject({ status: 'active', statusReason: null, connectedAt: at(0) });

          const events = await store.listSyncEvents({ since: at(1) });
          expect(events.map((event) => [event.kind, event.source, event.tenant, event.createdAt])).toEqual([
            ['connection_status', 'xero', 'org-1', at(2 * MINUTE)],
            ['connection_status', 'xero', 'org-1', at(MINUTE)],
          ]);
        }),
      );

      it(
        'lists connections ordered by source, then tenant, filtered by source and status',
        withStore(async (store) => {
          await store.connect({ source: 'xero', tenant: 'org-b', now: at(0) });
          await store.connect({ source: 'ghl', tenant: 'loc-2', now: at(1) });
          await store.connect({ source: 'xero', tenant: 'org-a', now: at(2) });
          await store.connect({ source: 'ghl', tenant: 'loc-1', now: at(3) });
          await store.disconnect({ source: 'xero', tenant: 'org-b', now: at(4) });
          await store.setConnectionStatus({
            source: 'ghl',
            tenant: 'loc-2',
            status: 'reconnect_required',
            reason: 'invalid_grant',
            now: at(5),
          });
          const pairs = (list: readonly { source: string; tenant: string }[]) =>
            list.map((connection) => `${connection.source}/${connection.tenant}`);
          expect(pairs(await store.listConnections())).toEqual(['ghl/loc-1', 'ghl/loc-2', 'xero/org-a', 'xero/org-b']);
          expect(pairs(await store.listConnections({ source: 'xero' }))).toEqual(['xero/org-a', 'xero/org-b']);
          expect(pairs(await store.listConnections({ status: 'active' }))).toEqual(['ghl/loc-1', 'xero/org-a']);
          expect(pairs(await store.listConnections({ status: 'disconnected' }))).toEqual(['xero/org-b']);
          expect(pairs(await store.listConnections({ source: 'ghl', status: 'reconnect_required' }))).toEqual([
            'ghl/loc-2',
          ]);
          expect(await store.listConnections({ source: 'gmail' })).toEqual([]);
        }),
      );

      it(
        'hands out copies: changing a returned connection changes nothing stored',
        withStore(async (store) => {
          const { connection } = await store.connect({
            source: 'ghl',
            tenant: 'loc-1',
            settings: { nested: { a: 1 } },
            now: at(0),
          });
          (connection.settings as { nested: { a: number } }).nested.a = 2;
          (connection as { status: string }).status = 'disconnected';
          expect(await store.getConnection({ source: 'ghl', tenant: 'loc-1' })).toMatchObject({
            status: 'active',
            settings: { nested: { a: 1 } },
          });
        }),
      );
    });

    describe('sync log', () => {
      it(
        'records events with their detail and lists them newest first, filtered by source, tenant and since',
        withStore(async (store) => {
          // Recorded out of order: the list is by time, not by insertion.
          await store.recordSyncEvent({
            source: 'gmail',
            tenant: 'ana@example.com',
            kind: 'cursor_expired',
            detail: { stream: 'history', historyId: '1234' },
            now: at(2 * MINUTE),
          });
          await store.recordSyncEvent({
            source: 'gmail',
            tenant: 'bob@example.com',
            kind: 'cursor_expired',
            now: at(0),
          });
          await store.recordSyncEvent({
            source: '',
            tenant: '',
            kind: 'leader_changed',
            detail: { owner: 'worker-2' },
            now: at(MINUTE),
          });
          await store.recordSyncEvent({ source: 'xero', tenant: 'org-1', kind: 'cursor_expired', now: at(3 * MINUTE) });

          const all = await store.listSyncEvents();
          expect(all.map((event) => [event.kind, event.source, event.tenant, event.createdAt])).toEqual([
            ['cursor_expired', 'xero', 'org-1', at(3 * MINUTE)],
            ['cursor_expired', 'gmail', 'ana@example.com', at(2 * MINUTE)],
            ['leader_changed', '', '', at(MINUTE)],
            ['cursor_expired', 'gmail', 'bob@example.com', at(0)],
          ]);
          expect(all[1]?.detail).toEqual({ stream: 'history', historyId: '1234' });
          expect(all[2]?.detail).toEqual({ owner: 'worker-2' });
          expect(all[3]?.detail).toEqual({});
          expect(new Set(all.map((event) => event.id)).size).toBe(4);

          const tenants = (list: readonly { tenant: string }[]) => list.map((event) => event.tenant);
          expect(tenants(await store.listSyncEvents({ source: 'gmail' }))).toEqual([
            'ana@example.com',
            'bob@example.com',
          ]);
          expect(tenants(await store.listSyncEvents({ tenant: 'bob@example.com' }))).toEqual(['bob@example.com']);
          expect(tenants(await store.listSyncEvents({ source: 'xero', tenant: 'bob@example.com' }))).toEqual([]);
          expect(tenants(await store.listSyncEvents({ since: at(MINUTE + 30_000) }))).toEqual([
            'org-1',
            'ana@example.com',
          ]);
          expect(tenants(await store.listSyncEvents({ source: 'gmail', since: at(-1) }))).toEqual([
            'ana@example.com',
            'bob@example.com',
          ]);
          expect(tenants(await store.listSyncEvents({ since: at(4 * MINUTE) }))).toEqual([]);
        }),
      );

      it(
        'lists at most limit events (the newest), 100 by default',
        withStore(async (store) => {
          for (let index = 0; index < 105; index++) {
            await store.recordSyncEvent({ source: 'ghl', tenant: 'loc-1', kind: 'cursor_expired', now: at(index) });
          }
          const limited = await store.listSyncEvents({ limit: 3 });
          expect(limited.map((event) => event.createdAt)).toEqual([at(104), at(103), at(102)]);
          const byDefault = await store.listSyncEvents();
          expect(byDefault).toHaveLength(100);
          expect(byDefault[0]?.createdAt).toEqual(at(104));
          expect(byDefault[99]?.createdAt).toEqual(at(5));
        }),
      );
    });

    describe('leases', () => {
      it(
        'takes a free lease, renews it for the same owner and refuses it to another before it expires',
        withStore(async (store) => {
          const taken = await store.acquireLease({ name: 'scheduler', owner: 'a', leaseMs: 30_000, now: at(0) });
          expect(taken).toEqual({ acquired: true, holder: 'a', expiresAt: at(30_000) });

          const renewed = await store.acquireLease({ name: 'scheduler', owner: 'a', leaseMs: 30_000, now: at(10_000) });
          expect(renewed).toEqual({ acquired: true, holder: 'a', expiresAt: at(40_000) });

          const refused = await store.acquireLease({ name: 'scheduler', owner: 'b', leaseMs: 30_000, now: at(39_000) });
          expect(refused).toEqual({ acquired: false, holder: 'a', expiresAt: at(40_000) });

          // Another name is another lease.
          const other = await store.acquireLease({
            name: 'stream:gmail:ana@example.com:history',
            owner: 'b',
            leaseMs: 5_000,
            now: at(39_000),
          });
          expect(other).toEqual({ acquired: true, holder: 'b', expiresAt: at(44_000) });
        }),
      );

      it(
        'hands an expired lease to another owner, after which the first owner is refused',
        withStore(async (store) => {
          await store.acquireLease({ name: 'scheduler', owner: 'a', leaseMs: 30_000, now: at(0) });
          const taken = await store.acquireLease({ name: 'scheduler', owner: 'b', leaseMs: 30_000, now: at(30_001) });
          expect(taken).toEqual({ acquired: true, holder: 'b', expiresAt: at(60_001) });
          const refused = await store.acquireLease({ name: 'scheduler', owner: 'a', leaseMs: 30_000, now: at(30_002) });
          expect(refused).toEqual({ acquired: false, holder: 'b', expiresAt: at(60_001) });
        }),
      );

      it(
        'releases only for the holder, handing the lease over at once',
        withStore(async (store) => {
          await store.acquireLease({ name: 'scheduler', owner: 'a', leaseMs: 30_000, now: at(0) });
          await store.releaseLease({ name: 'scheduler', owner: 'b' });
          expect(
            (await store.acquireLease({ name: 'scheduler', owner: 'b', leaseMs: 30_000, now: at(1_000) })).acquired,
          ).toBe(false);
          await store.releaseLease({ name: 'scheduler', owner: 'a' });
          expect(await store.acquireLease({ name: 'scheduler', owner: 'b', leaseMs: 30_000, now: at(1_000) })).toEqual({
            acquired: true,
            holder: 'b',
            expiresAt: at(31_000),
          });
          // Releasing a lease nobody holds is harmless.
          await store.releaseLease({ name: 'never-taken', owner: 'a' });
        }),
      );

      it(
        'lets exactly one of several concurrent callers acquire a lease',
        withStore(async (store) => {
          const owners = ['a', 'b', 'c', 'd', 'e'];
          const results = await Promise.all(
            owners.map((owner) => store.acquireLease({ name: 'scheduler', owner, leaseMs: 30_000, now: at(0) })),
          );
          const winners = results.filter((result) => result.acquired);
          expect(winners).toHaveLength(1);
          const holder = winners[0]?.holder;
          expect(owners).toContain(holder);
          for (const result of results) expect(result).toMatchObject({ holder, expiresAt: at(30_000) });
        }),
      );
    });

    describe('jobs', () => {
      it(
        'plans new jobs due at firstRunAt, idle and without history',
        withStore(async (store) => {
          const poll = planned('poll', 'xero', 'org-1', 'invoices', at(MINUTE));
          await store.planJobs({ jobs: [poll], sources: ['xero'], now: at(0) });
          expect(await store.listJobs()).toEqual([
            {
              key: 'poll:xero:org-1:invoices',
              kind: 'poll',
              source: 'xero',
              tenant: 'org-1',
              target: 'invoices',
              nextRunAt: at(MINUTE),
              lastStartedAt: null,
              lastFinishedAt: null,
              lastSuccessAt: null,
              lastOutcome: null,
              lastError: null,
              consecutiveFailures: 0,
              leaseOwner: null,
              leaseExpiresAt: null,
            },
          ]);
        }),
      );

      it(
        "keeps an existing job's schedule and history when planned again",
        withStore(async (store) => {
          const poll = planned('poll', 'xero', 'org-1', 'invoices', at(0));
          await store.planJobs({ jobs: [poll], sources: ['xero'], now: at(0) });
          const [claimed] = await store.claimJobs({ owner: 'w', limit: 1, leaseMs: MINUTE, now: at(0) });
          await store.finishJob({
            key: poll.key,
            claimToken: claimed?.claimToken ?? '',
            outcome: 'ok',
            startedAt: at(0),
            nextRunAt: at(5 * MINUTE),
            now: at(1_000),
          });
          await store.planJobs({
            jobs: [{ ...poll, firstRunAt: at(MINUTE) }],
            sources: ['xero'],
            now: at(2_000),
          });
          const [job] = await store.listJobs();
          expect(job).toMatchObject({ nextRunAt: at(5 * MINUTE), lastOutcome: 'ok', lastSuccessAt: at(1_000) });
        }),
      );

      it(
        "removes the listed sources' unplanned jobs and leaves other sources' and global jobs alone",
        withStore(async (store) => {
          const xero1 = planned('poll', 'xero', 'org-1', 'invoices', at(0));
          const xero2 = planned('poll', 'xero', 'org-2', 'invoices', at(0));
          const ghl = planned('reconcile', 'ghl', 'loc-1', '', at(0));
          const retention = planned('retention', '', '', '', at(0));
          await store.planJobs({ jobs: [xero1, xero2], sources: ['xero'], now: at(0) });
          await store.planJobs({ jobs: [ghl], sources: ['ghl'], now: at(0) });
          await store.planJobs({ jobs: [retention], sources: [''], now: at(0) });
          expect(sortedKeys(await store.listJobs())).toEqual(sortedKeys([xero1, xero2, ghl, retention]));

          // org-2 disconnected: the plan for xero no longer has it. ghl and the global job are not this plan's.
          await store.planJobs({ jobs: [xero1], sources: ['xero'], now: at(1) });
          expect(sortedKeys(await store.listJobs())).toEqual(sortedKeys([xero1, ghl, retention]));

          // A plan that lists a source with no jobs removes all of that source's jobs.
          await store.planJobs({ jobs: [], sources: ['ghl'], now: at(2) });
          expect(sortedKeys(await store.listJobs())).toEqual(sortedKeys([xero1, retention]));

          // Global jobs go only when '' is listed.
          await store.planJobs({ jobs: [xero1], sources: ['xero'], now: at(3) });
          expect(sortedKeys(await store.listJobs())).toEqual(sortedKeys([xero1, retention]));
          await store.planJobs({ jobs: [xero1], sources: ['xero', ''], now: at(4) });
          expect(sortedKeys(await store.listJobs())).toEqual([xero1.key]);
        }),
      );

      it(
        'claims only due jobs, earliest due first, up to the limit, leased to the owner',
        withStore(async (store) => {
          const late = planned('poll', 'xero', 'org-1', 'invoices', at(3 * MINUTE));
          const early = planned('poll', 'xero', 'org-1', 'contacts', at(MINUTE));
          const middle = planned('reconcile', 'xero', 'org-1', '', at(2 * MINUTE));
          const future = planned('discover', 'xero', '', '', at(60 * MINUTE));
          await store.planJobs({ jobs: [late, early, middle, future], sources: ['xero'], now: at(0) });

          expect(await store.claimJobs({ owner: 'w1', limit: 10, leaseMs: MINUTE, now: at(0) })).toEqual([]);

          const first = await store.claimJobs({ owner: 'w1', limit: 2, leaseMs: 30_000, now: at(3 * MINUTE) });
          expect(keysOf(first)).toEqual([early.key, middle.key]);
          for (const job of first) {
            expect(job).toMatchObject({ leaseOwner: 'w1', leaseExpiresAt: at(3 * MINUTE + 30_000) });
            expect(typeof job.claimToken).toBe('string');
            expect(job.claimToken.length).toBeGreaterThan(0);
          }
          expect(first[0]?.claimToken).not.toBe(first[1]?.claimToken);

          // Due exactly now ("nextRunAt reached") counts; leased jobs are not claimed again.
          const second = await store.claimJobs({ owner: 'w2', limit: 10, leaseMs: 30_000, now: at(3 * MINUTE) });
          expect(keysOf(second)).toEqual([late.key]);
          expect(await store.claimJobs({ owner: 'w2', limit: 10, leaseMs: 30_000, now: at(3 * MINUTE + 1) })).toEqual(
            [],
          );

          const listed = await store.listJobs({ kind: 'poll' });
          expect(listed.find((job) => job.key === early.key)).toMatchObject({
            leaseOwner: 'w1',
            leaseExpiresAt: at(3 * MINUTE + 30_000),
          });
          expect(listed.find((job) => job.key === late.key)).toMatchObject({ leaseOwner: 'w2' });
          expect(await store.claimJobs({ owner: 'w1', limit: 0, leaseMs: 30_000, now: at(90 * MINUTE) })).toEqual([]);
        }),
      );

      it(
        'claims only the given keys',
        withStore(async (store) => {
          const a = planned('poll', 'ghl', 'loc-1', 'contacts', at(0));
          const b = planned('poll', 'ghl', 'loc-1', 'opportunities', at(0));
          const c = planned('poll', 'ghl', 'loc-2', 'contacts', at(0));
          await store.planJobs({ jobs: [a, b, c], sources: ['ghl'], now: at(0) });
          const claimed = await store.claimJobs({
            owner: 'cli',
            limit: 10,
            leaseMs: MINUTE,
            keys: [c.key, 'poll:ghl:unknown:contacts'],
            now: at(1_000),
          });
          expect(keysOf(claimed)).toEqual([c.key]);
          expect(sortedKeys(await store.claimJobs({ owner: 'w', limit: 10, leaseMs: MINUTE, now: at(1_000) }))).toEqual(
            sortedKeys([a, b]),
          );
        }),
      );

      it(
        'claims only jobs of the given sources ("" for the global ones)',
        withStore(async (store) => {
          const ghl = planned('poll', 'ghl', 'loc-1', 'contacts', at(0));
          const xero = planned('poll', 'xero', 'org-1', 'invoices', at(0));
          const retention = planned('retention', '', '', '', at(0));
          await store.planJobs({ jobs: [ghl, xero, retention], sources: ['ghl', 'xero', ''], now: at(0) });
          const mine = await store.claimJobs({
            owner: 'a',
            limit: 10,
            leaseMs: MINUTE,
            sources: ['ghl'],
            now: at(1_000),
          });
          expect(keysOf(mine)).toEqual([ghl.key]);
          const global = await store.claimJobs({
            owner: 'a',
            limit: 10,
            leaseMs: MINUTE,
            sources: [''],
            now: at(1_000),
          });
          expect(keysOf(global)).toEqual([retention.key]);
          expect(keysOf(await store.claimJobs({ owner: 'b', limit: 10, leaseMs: MINUTE, now: at(1_000) }))).toEqual([
            xero.key,
          ]);
        }),
      );

      it(
        'reclaims a job whose lease expired; the old claim can then neither renew nor finish it',
        withStore(async (store) => {
          const job = planned('poll', 'xero', 'org-1', 'invoices', at(0));
          await store.planJobs({ jobs: [job], sources: ['xero'], now: at(0) });
          const [first] = await store.claimJobs({ owner: 'w1', limit: 1, leaseMs: 10_000, now: at(0) });
          expect(await store.claimJobs({ owner: 'w2', limit: 1, leaseMs: 10_000, now: at(9_999) })).toEqual([]);
          const [second] = await store.claimJobs({ owner: 'w2', limit: 1, leaseMs: 10_000, now: at(10_001) });
          expect(second?.key).toBe(job.key);
          expect(second?.leaseOwner).toBe('w2');
          expect(second?.claimToken).not.toBe(first?.claimToken);

          expect(
            await store.renewJobLease({
              key: job.key,
              claimToken: first?.claimToken ?? '',
              leaseMs: 10_000,
              now: at(10_002),
            }),
          ).toBe(false);
          expect(
            await store.finishJob({
              key: job.key,
              claimToken: first?.claimToken ?? '',
              outcome: 'ok',
              startedAt: at(0),
              nextRunAt: at(MINUTE),
              now: at(10_003),
            }),
          ).toBe(false);
          expect(await store.listJobRuns()).toEqual([]);
          expect((await store.listJobs())[0]).toMatchObject({ leaseOwner: 'w2', lastOutcome: null, nextRunAt: at(0) });
        }),
      );

      it(
        'never hands the same job to two concurrent claims',
        withStore(async (store) => {
          const jobs = ['a', 'b', 'c', 'd', 'e'].map((tenant, index) =>
            planned('poll', 'ghl', tenant, 'contacts', at(index)),
          );
          await store.planJobs({ jobs, sources: ['ghl'], now: at(0) });
          const batches = await Promise.all(
            ['w1', 'w2', 'w3', 'w4'].map((owner) =>
              store.claimJobs({ owner, limit: 2, leaseMs: MINUTE, now: at(10_000) }),
            ),
          );
          const claimed = batches.flat();
          for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(2);
          expect(new Set(keysOf(claimed)).size).toBe(claimed.length);
          // What the concurrent claims left, a later claim gets: every job exactly once.
          const rest = await store.claimJobs({ owner: 'w5', limit: 10, leaseMs: MINUTE, now: at(10_000) });
          expect([...keysOf(claimed), ...keysOf(rest)].sort()).toEqual(sortedKeys(jobs));
          // Each job is leased to the claim that returned it.
          const listed = await store.listJobs();
          for (const [index, batch] of [...batches, rest].entries()) {
            const owner = `w${index + 1}`;
            for (const job of batch) expect(listed.find((entry) => entry.key === job.key)?.leaseOwner).toBe(owner);
          }
        }),
      );

      it(
        "extends a running job's lease, so it is not claimed again until the new expiry",
        withStore(async (store) => {
          const job = planned('reconcile', 'xero', 'org-1', '', at(0));
          await store.planJobs({ jobs: [job], sources: ['xero'], now: at(0) });
          const [claimed] = await store.claimJobs({ owner: 'w1', limit: 1, leaseMs: 10_000, now: at(0) });
          const token = claimed?.claimToken ?? '';
          expect(await store.renewJobLease({ key: job.key, claimToken: token, leaseMs: 10_000, now: at(8_000) })).toBe(
            true,
          );
          expect((await store.listJobs())[0]).toMatchObject({ leaseOwner: 'w1', leaseExpiresAt: at(18_000) });
          expect(await store.claimJobs({ owner: 'w2', limit: 1, leaseMs: 10_000, now: at(15_000) })).toEqual([]);
          expect(
            await store.renewJobLease({ key: job.key, claimToken: 'not-the-token', leaseMs: 10_000, now: at(9_000) }),
          ).toBe(false);
          expect(
            await store.renewJobLease({ key: 'poll:x:y:z', claimToken: token, leaseMs: 10_000, now: at(9_000) }),
          ).toBe(false);
          // The renewed lease still finishes the job.
          expect(
            await store.finishJob({
              key: job.key,
              claimToken: token,
              outcome: 'ok',
              startedAt: at(0),
              nextRunAt: at(MINUTE),
              now: at(16_000),
            }),
          ).toBe(true);
        }),
      );

      it(
        'finishes a run: records it with the owner, counts and error, schedules the next and releases the lease',
        withStore(async (store) => {
          const job = planned('poll', 'xero', 'org-1', 'invoices', at(0));
          await store.planJobs({ jobs: [job], sources: ['xero'], now: at(0) });
          const claim = async (now: Date) => {
            const [claimed] = await store.claimJobs({ owner: 'worker-1', limit: 1, leaseMs: MINUTE, now });
            expect(claimed?.key).toBe(job.key);
            return claimed as ClaimedJobV1;
          };

          const first = await claim(at(0));
          expect(
            await store.finishJob({
              key: job.key,
              claimToken: first.claimToken,
              outcome: 'ok',
              startedAt: at(0),
              nextRunAt: at(5 * MINUTE),
              counts: { pages: 3, created: 120 },
              now: at(2_000),
            }),
          ).toBe(true);
          expect((await store.listJobs())[0]).toMatchObject({
            nextRunAt: at(5 * MINUTE),
            lastFinishedAt: at(2_000),
            lastSuccessAt: at(2_000),
            lastOutcome: 'ok',
            lastError: null,
            consecutiveFailures: 0,
            leaseOwner: null,
            leaseExpiresAt: null,
          });
          const [run] = await store.listJobRuns();
          expect(run).toEqual({
            id: expect.any(String),
            key: job.key,
            kind: 'poll',
            source: 'xero',
            tenant: 'org-1',
            target: 'invoices',
            owner: 'worker-1',
            startedAt: at(0),
            finishedAt: at(2_000),
            outcome: 'ok',
            error: null,
            errorClass: null,
            counts: { pages: 3, created: 120 },
          });
          // Not due before nextRunAt; the same token cannot finish twice.
          expect(await store.claimJobs({ owner: 'worker-1', limit: 1, leaseMs: MINUTE, now: at(MINUTE) })).toEqual([]);
          expect(
            await store.finishJob({
              key: job.key,
              claimToken: first.claimToken,
              outcome: 'ok',
              startedAt: at(0),
              nextRunAt: at(MINUTE),
              now: at(3_000),
            }),
          ).toBe(false);
          expect(await store.listJobRuns()).toHaveLength(1);

          // Two failures in a row count up and keep the last success.
          for (const [index, minute] of [5, 6].entries()) {
            const claimed = await claim(at(minute * MINUTE));
            expect(
              await store.finishJob({
                key: job.key,
                claimToken: claimed.claimToken,
                outcome: 'failed',
                startedAt: at(minute * MINUTE),
                nextRunAt: at((minute + 1) * MINUTE),
                error: `HTTP 503 (${index + 1})`,
                errorClass: 'transient',
                now: at(minute * MINUTE + 500),
              }),
            ).toBe(true);
          }
          expect((await store.listJobs())[0]).toMatchObject({
            lastOutcome: 'failed',
            lastError: 'HTTP 503 (2)',
            lastSuccessAt: at(2_000),
            lastFinishedAt: at(6 * MINUTE + 500),
            consecutiveFailures: 2,
            nextRunAt: at(7 * MINUTE),
          });
          const [failed] = await store.listJobRuns({ limit: 1 });
          expect(failed).toMatchObject({
            outcome: 'failed',
            error: 'HTTP 503 (2)',
            errorClass: 'transient',
            counts: {},
            finishedAt: at(6 * MINUTE + 500),
          });

          // A skipped run is no success.
          const skipped = await claim(at(7 * MINUTE));
          await store.finishJob({
            key: job.key,
            claimToken: skipped.claimToken,
            outcome: 'skipped',
            startedAt: at(7 * MINUTE),
            nextRunAt: at(8 * MINUTE),
            now: at(7 * MINUTE + 1),
          });
          expect((await store.listJobs())[0]).toMatchObject({ lastOutcome: 'skipped', lastSuccessAt: at(2_000) });

          // A success resets the failures.
          const ok = await claim(at(8 * MINUTE));
          await store.finishJob({
            key: job.key,
            claimToken: ok.claimToken,
            outcome: 'ok',
            startedAt: at(8 * MINUTE),
            nextRunAt: at(13 * MINUTE),
            now: at(8 * MINUTE + 100),
          });
          expect((await store.listJobs())[0]).toMatchObject({
            lastOutcome: 'ok',
            lastError: null,
            consecutiveFailures: 0,
            lastSuccessAt: at(8 * MINUTE + 100),
          });
          expect((await store.listJobRuns()).map((entry) => entry.outcome)).toEqual([
            'ok',
            'skipped',
            'failed',
            'failed',
            'ok',
          ]);
        }),
      );

      it(
        'refuses to finish with a token that never held the lease, recording nothing',
        withStore(async (store) => {
          const job = planned('refresh', 'xero', 'org-1', '', at(0));
          await store.planJobs({ jobs: [job], sources: ['xero'], now: at(0) });
          await store.claimJobs({ owner: 'w1', limit: 1, leaseMs: MINUTE, now: at(0) });
          const finish = (key: string) =>
            store.finishJob({
              key,
              claimToken: 'forged',
              outcome: 'ok',
              startedAt: at(0),
              nextRunAt: at(10 * MINUTE),
              now: at(1_000),
            });
          expect(await finish(job.key)).toBe(false);
          expect(await finish('refresh:xero:nobody:')).toBe(false);
          expect(await store.listJobRuns()).toEqual([]);
          expect((await store.listJobs())[0]).toMatchObject({ nextRunAt: at(0), leaseOwner: 'w1', lastOutcome: null });
        }),
      );

      it(
        'brings a job forward but never pushes it back',
        withStore(async (store) => {
          const job = planned('poll', 'ghl', 'loc-1', 'contacts', at(10 * MINUTE));
          await store.planJobs({ jobs: [job], sources: ['ghl'], now: at(0) });
          expect(await store.requestJob({ key: job.key, at: at(20 * MINUTE) })).toBe(true);
          expect((await store.listJobs())[0]?.nextRunAt).toEqual(at(10 * MINUTE));
          expect(await store.requestJob({ key: job.key, at: at(MINUTE) })).toBe(true);
          expect((await store.listJobs())[0]?.nextRunAt).toEqual(at(MINUTE));
          expect(keysOf(await store.claimJobs({ owner: 'w', limit: 1, leaseMs: MINUTE, now: at(MINUTE) }))).toEqual([
            job.key,
          ]);
          expect(await store.requestJob({ key: 'poll:ghl:nobody:contacts', at: at(0) })).toBe(false);
        }),
      );

      it(
        "brings a job forward to the store's now without at",
        withStore(async (store) => {
          const farAway = new Date('2100-01-01T00:00:00.000Z');
          const job = planned('discover', 'ghl', '', '', farAway);
          await store.planJobs({ jobs: [job], sources: ['ghl'], now: at(0) });
          expect(await store.requestJob({ key: job.key })).toBe(true);
          // The store's clock (the database's, on Postgres) is roughly this process's.
          const nextRunAt = (await store.listJobs())[0]?.nextRunAt.getTime() ?? Number.NaN;
          expect(nextRunAt).toBeLessThan(Date.now() + 10 * MINUTE);
          expect(nextRunAt).toBeGreaterThan(Date.now() - 10 * MINUTE);
        }),
      );

      it(
        'lists jobs filtered by source, tenant and kind',
        withStore(async (store) => {
          const jobs = [
            planned('poll', 'xero', 'org-1', 'invoices', at(0)),
            planned('reconcile', 'xero', 'org-1', '', at(0)),
            planned('poll', 'xero', 'org-2', 'invoices', at(0)),
            planned('discover', 'xero', '', '', at(0)),
            planned('poll', 'ghl', 'org-1', 'contacts', at(0)),
            planned('retention', '', '', '', at(0)),
          ];
          await store.planJobs({ jobs, sources: ['xero', 'ghl', ''], now: at(0) });
          const [poll1, reconcile1, poll2, discover, ghl, retention] = jobs as [
            PlannedJobV1,
            PlannedJobV1,
            PlannedJobV1,
            PlannedJobV1,
            PlannedJobV1,
            PlannedJobV1,
          ];
          expect(sortedKeys(await store.listJobs())).toEqual(sortedKeys(jobs));
          expect(sortedKeys(await store.listJobs({ source: 'xero' }))).toEqual(
            sortedKeys([poll1, reconcile1, poll2, discover]),
          );
          expect(sortedKeys(await store.listJobs({ tenant: 'org-1' }))).toEqual(sortedKeys([poll1, reconcile1, ghl]));
          expect(sortedKeys(await store.listJobs({ kind: 'poll' }))).toEqual(sortedKeys([poll1, poll2, ghl]));
          expect(sortedKeys(await store.listJobs({ source: 'xero', tenant: 'org-1', kind: 'poll' }))).toEqual([
            poll1.key,
          ]);
          expect(sortedKeys(await store.listJobs({ source: '' }))).toEqual([retention.key]);
          expect(await store.listJobs({ source: 'gmail' })).toEqual([]);
        }),
      );

      it(
        'lists job runs newest first, filtered by source, tenant and kind, 100 by default',
        withStore(async (store) => {
          const jobs = [
            planned('poll', 'xero', 'org-1', 'invoices', at(0)),
            planned('reconcile', 'xero', 'org-1', '', at(0)),
            planned('poll', 'ghl', 'loc-1', 'contacts', at(0)),
          ];
          await store.planJobs({ jobs, sources: ['xero', 'ghl'], now: at(0) });
          // 35 rounds of 3 runs, one second apart: 105 runs.
          let clock = 0;
          for (let round = 0; round < 35; round++) {
            for (const job of jobs) {
              clock += 1_000;
              const [claimed] = await store.claimJobs({
                owner: 'w',
                limit: 1,
                leaseMs: MINUTE,
                keys: [job.key],
                now: at(clock),
              });
              expect(claimed?.key).toBe(job.key);
              await store.finishJob({
                key: job.key,
                claimToken: claimed?.claimToken ?? '',
                outcome: 'ok',
                startedAt: at(clock),
                nextRunAt: at(clock),
                counts: { round },
                now: at(clock + 500),
              });
            }
          }
          const all = await store.listJobRuns();
          expect(all).toHaveLength(100);
          expect(all[0]).toMatchObject({ key: jobs[2]?.key, finishedAt: at(clock + 500), counts: { round: 34 } });
          const finished = all.map((run) => run.finishedAt.getTime());
          expect(finished).toEqual([...finished].sort((a, b) => b - a));
          expect(new Set(all.map((run) => run.id)).size).toBe(100);

          const xero = await store.listJobRuns({ source: 'xero', limit: 4 });
          expect(xero.map((run) => [run.kind, run.counts.round])).toEqual([
            ['reconcile', 34],
            ['poll', 34],
            ['reconcile', 33],
            ['poll', 33],
          ]);
          expect((await store.listJobRuns({ tenant: 'loc-1', limit: 200 })).every((run) => run.source === 'ghl')).toBe(
            true,
          );
          expect(await store.listJobRuns({ tenant: 'loc-1', limit: 200 })).toHaveLength(35);
          const polls = await store.listJobRuns({ kind: 'poll', limit: 200 });
          expect(polls).toHaveLength(70);
          expect(polls.every((run) => run.kind === 'poll')).toBe(true);
          expect(
            await store.listJobRuns({ source: 'xero', tenant: 'org-1', kind: 'reconcile', limit: 2 }),
          ).toHaveLength(2);
          expect(await store.listJobRuns({ source: 'gmail' })).toEqual([]);
        }),
      );
    });

    describe('source modes', () => {
      it(
        'is in webhooks mode by default: switching to webhooks changes nothing and logs nothing',
        withStore(async (store) => {
          expect(await store.setSourceMode({ source: 'ghl', tenant: 'loc-1', mode: 'webhooks', now: at(0) })).toBe(
            false,
          );
          expect((await store.listSourceModes()).filter((mode) => mode.mode !== 'webhooks')).toEqual([]);
          expect(await store.listSyncEvents()).toEqual([]);
        }),
      );

      it(
        'switches to polling and back, logging webhooks_quiet and webhooks_resumed with the detail',
        withStore(async (store) => {
          expect(
            await store.setSourceMode({
              source: 'ghl',
              tenant: 'loc-1',
              mode: 'polling',
              detail: { quietForMs: 1_800_000 },
              now: at(MINUTE),
            }),
          ).toBe(true);
          expect(await store.listSourceModes()).toEqual([
            { source: 'ghl', tenant: 'loc-1', mode: 'polling', since: at(MINUTE) },
          ]);
          // Already polling: unchanged, since kept, nothing logged.
          expect(
            await store.setSourceMode({ source: 'ghl', tenant: 'loc-1', mode: 'polling', now: at(2 * MINUTE) }),
          ).toBe(false);
          expect(await store.listSourceModes()).toEqual([
            { source: 'ghl', tenant: 'loc-1', mode: 'polling', since: at(MINUTE) },
          ]);

          // Another tenant of the same source is its own.
          await store.setSourceMode({ source: 'ghl', tenant: 'loc-2', mode: 'polling', now: at(3 * MINUTE) });
          expect(
            await store.setSourceMode({
              source: 'ghl',
              tenant: 'loc-1',
              mode: 'webhooks',
              detail: { deliveryId: 'd-1' },
              now: at(4 * MINUTE),
            }),
          ).toBe(true);
          const modes = await store.listSourceModes();
          expect(modes.find((mode) => mode.tenant === 'loc-1')).toEqual({
            source: 'ghl',
            tenant: 'loc-1',
            mode: 'webhooks',
            since: at(4 * MINUTE),
          });
          expect(modes.find((mode) => mode.tenant === 'loc-2')).toEqual({
            source: 'ghl',
            tenant: 'loc-2',
            mode: 'polling',
            since: at(3 * MINUTE),
          });

          const events = await store.listSyncEvents({ tenant: 'loc-1' });
          expect(events.map((event) => [event.kind, event.createdAt])).toEqual([
            ['webhooks_resumed', at(4 * MINUTE)],
            ['webhooks_quiet', at(MINUTE)],
          ]);
          expect(events[0]?.detail).toMatchObject({ deliveryId: 'd-1' });
          expect(events[1]?.detail).toMatchObject({ quietForMs: 1_800_000 });
          expect(events.every((event) => event.source === 'ghl')).toBe(true);
        }),
      );
    });
  });
}
