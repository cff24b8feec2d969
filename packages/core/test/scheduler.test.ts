// The scheduler: every job kind for every connected tenant, one leader across
// schedulers sharing a sync store, failures and their retries, discovery,
// subscriptions, silence of webhook sources and the freshness it shows. All on
// a fake clock: the only real waits are the few ms the leader loop sleeps.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConfigurationError,
  type ConnectorV1,
  createMemorySink,
  createMemoryStateStore,
  createMemorySyncStore,
  createScheduler,
  type PollerV1,
  ProviderApiError,
  type ReconcilerV1,
  ReconnectRequiredError,
  type Scheduler,
  type SchedulerOptions,
  type SourceEventV1,
  type SubscriptionV1,
} from '../src/internal';
import { createTestConnector, rateLimited, thing } from './helpers/test-connector';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = new Date('2026-12-01T00:00:00.000Z');

function event(tenant: string, id: string): SourceEventV1 {
  const payload = thing(id, `name-${id}`);
  return {
    source: 'test',
    tenant,
    type: 'ThingUpsert',
    entity: 'thing',
    entityId: id,
    occurredAt: payload.updatedAt,
    version: Date.parse(payload.updatedAt),
    payload,
  };
}

/** A test world: stores on one fake clock, a connector whose parts record their calls, and failures to inject. */
function world(
  options: {
    webhooks?: boolean;
    pollers?: readonly Pick<PollerV1, 'stream' | 'intervalMs' | 'fallback'>[];
    reconcile?: boolean;
    refresh?: boolean;
    /** What renewCredentials says about the token: expires in this many ms (`null`: unknown). */
    tokenExpiresInMs?: number | null;
    subscription?: boolean;
    discover?: () => { tenants: { tenant: string }[]; complete: boolean };
  } = {},
) {
  let clock = T0;
  const now = () => new Date(clock);
  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  const store = createMemoryStateStore({ now });
  const sink = createMemorySink();
  const sync = createMemorySyncStore({ now });
  const calls: string[] = [];
  /** Errors the next polls throw, by stream, in order. */
  const pollErrors: Record<string, unknown[]> = {};
  const subscriptionExpiry = { ms: 7 * 24 * HOUR };
  const { connector: base, controls } = createTestConnector();

  const pollers = (options.pollers ?? [{ stream: 'contacts' }]).map(
    (settings): PollerV1 => ({
      specificationVersion: 'v1',
      ...settings,
      async *poll({ tenant, cursor }) {
        calls.push(`poll:${tenant}:${settings.stream}`);
        const error = pollErrors[settings.stream]?.shift();
        if (error) throw error;
        yield { events: [event(tenant, `${settings.stream}-1`)], cursor: String(Number(cursor ?? 0) + 1) };
      },
    }),
  );
  const reconciler: ReconcilerV1 = {
    specificationVersion: 'v1',
    table: 'things',
    keyColumns: ['tenant_id', 'id'],
    scope: (tenant) => ({ tenant_id: tenant }),
    async *list({ tenant }) {
      calls.push(`reconcile:${tenant}`);
      yield [event(tenant, 'contacts-1')];
    },
    keyOf: (listed) => ({ tenant_id: listed.tenant, id: listed.entityId }),
  };
  const subscription: SubscriptionV1 = {
    name: 'watch',
    async renew({ tenant }) {
      calls.push(`renew:${tenant}`);
      return { expiresAt: new Date(clock.getTime() + subscriptionExpiry.ms) };
    },
    async stop({ tenant }) {
      calls.push(`stop:${tenant}`);
    },
  };
  const { webhooks: _webhooks, ...withoutWebhooks } = base;
  const discover = options.discover;
  const connector: ConnectorV1 = {
    ...(options.webhooks === false ? withoutWebhooks : base),
    pollers,
    ...(options.reconcile ? { reconcilers: [reconciler] } : {}),
    ...(options.subscription ? { subscriptions: [subscription] } : {}),
    ...(options.refresh
      ? {
          async renewCredentials({ tenant }: { tenant: string }) {
            calls.push(`refresh:${tenant}`);
            const expiresIn = options.tokenExpiresInMs ?? null;
            return { expiresAt: expiresIn === null ? null : new Date(clock.getTime() + expiresIn) };
          },
        }
      : {}),
    ...(discover
      ? {
          async discoverTenants() {
            calls.push('discover');
            return discover();
          },
        }
      : {}),
  };

  const schedulers: Scheduler[] = [];
  const scheduler = (extra: Partial<SchedulerOptions> = {}) => {
    const created = createScheduler({
      connectors: [connector],
      store,
      sink,
      sync,
      now,
      random: () => 0.5,
      circuitBreaker: false,
      ...extra,
    });
    schedulers.push(created);
    return created;
  };
  const job = async (key: string) => (await sync.listJobs()).find((found) => found.key === key);
  const webhook = (tenant: string) =>
    store.enqueue({
      source: 'test',
      tenant,
      dedupeKey: `d-${tenant}-${clock.getTime()}`,
      method: 'POST',
      url: 'http://localhost/test',
      headers: {},
      body: new TextEncoder().encode('{}'),
      receivedAt: now(),
      correlationId: `c-${clock.getTime()}`,
      eventTypes: ['ThingUpsert'],
    });
  return {
    now,
    advance,
    store,
    sink,
    sync,
    calls,
    pollErrors,
    controls,
    subscriptionExpiry,
    connector,
    scheduler,
    schedulers,
    job,
    webhook,
  };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of cleanup) await stop();
  cleanup = [];
});

describe('createScheduler', () => {
  it('runs every kind of job for every connected tenant and records each run', async () => {
    const retention = vi.fn(async () => ({ deliveries: 3, attempts: 4, events: 0 }));
    const w = world({
      pollers: [{ stream: 'contacts' }, { stream: 'messages', fallback: true }],
      reconcile: true,
      refresh: true,
      subscription: true,
      discover: () => ({ tenants: [{ tenant: 't1' }, { tenant: 't2' }], complete: false }),
    });
    const scheduler = w.scheduler({ retention, concurrency: 3 });
    await scheduler.connect({ source: 'test', tenant: 't1' });
    await scheduler.connect({ source: 'test', tenant: 't2' });

    const first = await scheduler.tick();
    expect(first.leader).toBe(true);
    expect(first.ran.every((run) => run.outcome === 'ok')).toBe(true);
    // The fallback stream `messages` is polled once (its backfill: no cursor yet) though webhooks flow.
    expect([...w.calls].sort()).toEqual([
      'discover',
      'poll:t1:contacts',
      'poll:t1:messages',
      'poll:t2:contacts',
      'poll:t2:messages',
      'refresh:t1',
      'refresh:t2',
      'renew:t1',
      'renew:t2',
    ]);
    expect(retention).toHaveBeenCalledTimes(1);
    expect(first.ran.find((run) => run.kind === 'retention')?.counts).toEqual({
      deliveries: 3,
      attempts: 4,
      events: 0,
    });
    expect(first.ran.find((run) => run.key === 'poll:test:t1:contacts')?.counts).toMatchObject({
      pages: 1,
      created: 1,
    });
    // The poll wrote to the mirror through the connector's transformer.
    expect(w.sink.rows('things').map((row) => row.key)).toContainEqual({ tenant_id: 't1', id: 'contacts-1' });

    // Backfilled, the fallback stream has no job while webhooks flow.
    w.advance(2 * MINUTE);
    await scheduler.tick();
    expect((await w.sync.listJobs({ kind: 'poll' })).map((job) => job.target)).toEqual(['contacts', 'contacts']);

    // Reconciliation waits its first interval (the first poll was the backfill).
    w.calls.length = 0;
    w.advance(24 * HOUR + MINUTE);
    await scheduler.tick();
    expect(w.calls).toEqual(expect.arrayContaining(['reconcile:t1', 'reconcile:t2']));
    const runs = await w.sync.listJobRuns({ tenant: 't2' });
    expect(new Set(runs.map((run) => run.kind))).toEqual(new Set(['poll', 'reconcile', 'refresh', 'renew']));
  });

  it('gives no poll or reconcile jobs to a connector created without API credentials', async () => {
    const w = world({ reconcile: true, refresh: true });
    const scheduler = createScheduler({
      connectors: [{ ...w.connector, missingApiCredentials: 'TEST_TOKEN' }],
      store: w.store,
      sink: w.sink,
      sync: w.sync,
      now: w.now,
    });
    await scheduler.connect({ source: 'test', tenant: 't1' });
    await scheduler.tick();
    expect((await w.sync.listJobs()).map((job) => job.kind)).toEqual(['refresh']);
  });

  describe('leadership', () => {
    it('lets one scheduler lead; another takes over once the leader stops renewing its lease', async () => {
      const w = world();
      const a = w.scheduler({ owner: 'a', tickIntervalMs: HOUR });
      const b = w.scheduler({ owner: 'b' });
      a.start();
      cleanup.push(() => a.stop());
      await vi.waitFor(() => expect(a.isLeader).toBe(true));

      expect(await b.tick()).toEqual({ leader: false, ran: [] });
      w.advance(29_000);
      expect((await b.tick()).leader).toBe(false);
      // a is wedged (its next round is an hour away): its 30 s lease lapses.
      w.advance(2_000);
      expect((await b.tick()).leader).toBe(true);
      const changes = (await w.sync.listSyncEvents()).filter((event) => event.kind === 'leader_changed');
      expect(changes.map((event) => event.detail)).toEqual([
        { owner: 'b', previous: 'a' },
        { owner: 'a', previous: null },
      ]);
    });

    it('hands over at once when the leader stops', async () => {
      const w = world();
      const a = w.scheduler({ owner: 'a', tickIntervalMs: 5 });
      const b = w.scheduler({ owner: 'b', tickIntervalMs: 5 });
      a.start();
      cleanup.push(() => a.stop());
      await vi.waitFor(() => expect(a.isLeader).toBe(true));
      b.start();
      cleanup.push(() => b.stop());
      // b keeps trying while a renews: it never leads.
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(b.isLeader).toBe(false);
      await a.stop();
      expect(a.isLeader).toBe(false);
      await vi.waitFor(() => expect(b.isLeader).toBe(true));
    });
  });

  it('runs due jobs from the leader loop, and finishes them before stop() hands the lease over', async () => {
    const w = world();
    const scheduler = w.scheduler({ owner: 'a', tickIntervalMs: 5 });
    await scheduler.connect({ source: 'test', tenant: 't1' });
    scheduler.start();
    cleanup.push(() => scheduler.stop());
    await vi.waitFor(() => expect(w.calls).toEqual(['poll:t1:contacts']));
    await scheduler.stop();
    expect((await w.sync.listJobRuns()).map((run) => [run.key, run.owner, run.outcome])).toEqual([
      ['poll:test:t1:contacts', 'a', 'ok'],
    ]);
    expect(await w.sync.acquireLease({ name: 'scheduler', owner: 'b', leaseMs: 30_000 })).toMatchObject({
      acquired: true,
    });
  });

  it('re-plans in the loop every planEveryMs: a tenant connected elsewhere is synced at the next planning', async () => {
    const w = world();
    const scheduler = w.scheduler({ tickIntervalMs: 5, planEveryMs: MINUTE });
    await scheduler.connect({ source: 'test', tenant: 't1' });
    scheduler.start();
    cleanup.push(() => scheduler.stop());
    await vi.waitFor(() => expect(w.calls).toEqual(['poll:t1:contacts']));
    // Connected straight in the store (the worker applying an install, another process).
    await w.sync.connect({ source: 'test', tenant: 't9' });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(w.calls).toEqual(['poll:t1:contacts']);
    w.advance(MINUTE);
    await vi.waitFor(() => expect(w.calls).toEqual(['poll:t1:contacts', 'poll:t9:contacts']));
  });

  it('aborts a job still running when the tick runs out of time, and has it due at the next tick', async () => {
    const w = world();
    const hanging: PollerV1 = {
      specificationVersion: 'v1',
      stream: 'slow',
      async *poll({ signal }) {
        await new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
      },
    };
    const scheduler = createScheduler({
      connectors: [{ ...w.connector, pollers: [hanging] }],
      store: w.store,
      sink: w.sink,
      sync: w.sync,
      now: w.now,
      circuitBreaker: false,
    });
    await scheduler.connect({ source: 'test', tenant: 't1' });
    const { ran } = await scheduler.tick({ maxDurationMs: 5 });
    expect(ran).toEqual([
      expect.objectContaining({
        key: 'poll:test:t1:slow',
        outcome: 'skipped',
        error: expect.stringContaining('end of the tick'),
      }),
    ]);
    expect(ran[0]?.nextRunAt.getTime()).toBeLessThanOrEqual(T0.getTime() + 1_000);
    expect((await w.job('poll:test:t1:slow'))?.consecutiveFailures).toBe(0);
  });

  describe('failures', () => {
    it('retries a failing poll on the retry schedule, never later than its next normal run', async () => {
      const w = world();
      const scheduler = w.scheduler({ retrySchedule: [MINUTE, 2 * HOUR], pollIntervalMs: 10 * MINUTE });
      await scheduler.connect({ source: 'test', tenant: 't1' });
      const unavailable = () =>
        new ProviderApiError({
          packageName: '@act/test',
          status: 503,
          method: 'GET',
          url: 'https://api.example.test/x',
        });
      w.pollErrors.contacts = [unavailable(), unavailable()];

      const [first] = (await scheduler.tick()).ran;
      expect(first).toMatchObject({ outcome: 'failed', errorClass: 'transient' });
      expect(first?.nextRunAt).toEqual(new Date(T0.getTime() + MINUTE));
      w.advance(MINUTE);
      const [second] = (await scheduler.tick()).ran;
      // The schedule says 2 h; the job's own interval (10 min) comes first.
      expect(second?.nextRunAt).toEqual(new Date(w.now().getTime() + 10 * MINUTE));
      expect((await w.job('poll:test:t1:contacts'))?.consecutiveFailures).toBe(2);
      w.advance(10 * MINUTE);
      const [third] = (await scheduler.tick()).ran;
      expect(third?.outcome).toBe('ok');
      expect((await w.job('poll:test:t1:contacts'))?.consecutiveFailures).toBe(0);
    });

    it('honours Retry-After on a 429', async () => {
      const w = world();
      const scheduler = w.scheduler();
      await scheduler.connect({ source: 'test', tenant: 't1' });
      w.pollErrors.contacts = [rateLimited(7 * MINUTE)];
      const [run] = (await scheduler.tick()).ran;
      expect(run).toMatchObject({ outcome: 'failed', errorClass: 'rate_limit' });
      expect(run?.nextRunAt).toEqual(new Date(T0.getTime() + 7 * MINUTE));
    });

    it('refreshes the token after a 401 and tries again at once', async () => {
      const w = world();
      const scheduler = w.scheduler();
      await scheduler.connect({ source: 'test', tenant: 't1' });
      w.pollErrors.contacts = [
        new ProviderApiError({
          packageName: '@act/test',
          status: 401,
          method: 'GET',
          url: 'https://api.example.test/x',
        }),
      ];
      const [run] = (await scheduler.tick()).ran;
      expect(run?.outcome).toBe('ok');
      expect(w.controls.refreshCalls).toBe(1);
      expect(w.calls).toEqual(['poll:t1:contacts', 'poll:t1:contacts']);
    });

    it('leaves a run that cannot succeed by retrying (a configuration error) to its next normal run', async () => {
      const w = world();
      const scheduler = w.scheduler({ pollIntervalMs: 20 * MINUTE });
      await scheduler.connect({ source: 'test', tenant: 't1' });
      w.pollErrors.contacts = [new ConfigurationError({ packageName: '@act/test', message: 'TEST_TOKEN is not set' })];
      const [run] = (await scheduler.tick()).ran;
      expect(run).toMatchObject({
        outcome: 'failed',
        errorClass: 'validation',
        error: expect.stringContaining('TEST_TOKEN'),
      });
      expect(run?.nextRunAt).toEqual(new Date(T0.getTime() + 20 * MINUTE));
    });

    it('pauses a tenant whose connection must be reconnected', async () => {
      const w = world({ pollers: [{ stream: 'contacts' }, { stream: 'deals' }] });
      const scheduler = w.scheduler({ concurrency: 1 });
      await scheduler.connect({ source: 'test', tenant: 't1' });
      await scheduler.connect({ source: 'test', tenant: 't2' });
      w.pollErrors.contacts = [
        new ReconnectRequiredError({ packageName: '@act/test', key: 'test:t1', reason: 'invalid_grant' }),
      ];
      await scheduler.tick();
      expect(await w.sync.getConnection({ source: 'test', tenant: 't1' })).toMatchObject({
        status: 'reconnect_required',
        statusReason: expect.stringContaining('invalid_grant'),
      });
      // t1's deals poll, claimed after the failure, was skipped rather than run.
      expect(w.calls).not.toContain('poll:t1:deals');

      w.calls.length = 0;
      w.advance(HOUR);
      await scheduler.tick();
      expect(w.calls.sort()).toEqual(['poll:t2:contacts', 'poll:t2:deals']);
      expect(await w.sync.listJobs({ tenant: 't1' })).toEqual([]);
      const rows = await scheduler.status();
      expect(rows.find((row) => row.tenant === 't1')).toMatchObject({ status: 'red' });
    });

    it('skips the jobs of a source whose circuit is open, until the breaker allows a trial', async () => {
      const w = world({ pollers: [{ stream: 'a' }, { stream: 'b' }] });
      const scheduler = w.scheduler({
        concurrency: 1,
        circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 10 * MINUTE },
      });
      await scheduler.connect({ source: 'test', tenant: 't1' });
      w.pollErrors.a = [
        new ProviderApiError({
          packageName: '@act/test',
          status: 502,
          method: 'GET',
          url: 'https://api.example.test/x',
        }),
      ];
      const { ran } = await scheduler.tick();
      expect(ran.map((run) => [run.key, run.outcome])).toEqual([
        ['poll:test:t1:a', 'failed'],
        ['poll:test:t1:b', 'skipped'],
      ]);
      expect(w.calls).toEqual(['poll:t1:a']);
      // Due again when the breaker lets a trial through (its clock is the real one: allow a little).
      const skipped = ran[1]?.nextRunAt.getTime() ?? 0;
      expect(skipped - T0.getTime()).toBeGreaterThan(9 * MINUTE);
      expect(skipped - T0.getTime()).toBeLessThanOrEqual(10 * MINUTE);
    });
  });

  it('adds discovered tenants, and disconnects the ones a complete listing lacks (stopping their subscriptions)', async () => {
    let listing = { tenants: [{ tenant: 't1' }, { tenant: 't2' }], complete: false };
    const w = world({ subscription: true, discover: () => listing });
    const scheduler = w.scheduler({ concurrency: 4 });
    await scheduler.tick();
    expect((await w.sync.listConnections()).map((c) => [c.tenant, c.status])).toEqual([
      ['t1', 'active'],
      ['t2', 'active'],
    ]);
    await scheduler.connect({ source: 'test', tenant: 't3' });
    // A disconnected tenant is not brought back by a listing that names it.
    await scheduler.disconnect({ source: 'test', tenant: 't1' });
    listing = { tenants: [{ tenant: 't1' }], complete: true };
    w.calls.length = 0;
    w.advance(HOUR);
    await scheduler.tick();
    expect((await w.sync.listConnections()).map((c) => [c.tenant, c.status])).toEqual([
      ['t1', 'disconnected'],
      ['t2', 'disconnected'],
      ['t3', 'disconnected'],
    ]);
    expect(w.calls.filter((call) => call.startsWith('stop:')).sort()).toEqual(['stop:t2', 'stop:t3']);
  });

  it('checks a token again before it enters the refresh window, when that comes before the next check', async () => {
    const w = world({ pollers: [], refresh: true, tokenExpiresInMs: 12 * MINUTE });
    const scheduler = w.scheduler({ refreshEveryMs: 5 * MINUTE, refreshAheadMs: 10 * MINUTE });
    await scheduler.connect({ source: 'test', tenant: 't1' });
    const [run] = (await scheduler.tick()).ran;
    expect(run?.nextRunAt).toEqual(new Date(T0.getTime() + 2 * MINUTE));
  });

  it('renews subscriptions ahead of their expiry and stops them on disconnect', async () => {
    const w = world({ subscription: true });
    const scheduler = w.scheduler();
    await scheduler.connect({ source: 'test', tenant: 't1' });
    await scheduler.tick();
    expect(w.calls.filter((call) => call.startsWith('renew'))).toEqual(['renew:t1']);
    const renewAt = new Date(T0.getTime() + 7 * 24 * HOUR - HOUR);
    expect((await w.job('renew:test:t1:watch'))?.nextRunAt).toEqual(renewAt);

    w.advance(7 * 24 * HOUR - HOUR - MINUTE);
    w.calls.length = 0;
    await scheduler.tick();
    expect(w.calls.filter((call) => call.startsWith('renew'))).toEqual([]);
    w.advance(MINUTE);
    await scheduler.tick();
    expect(w.calls.filter((call) => call.startsWith('renew'))).toEqual(['renew:t1']);

    await scheduler.disconnect({ source: 'test', tenant: 't1' });
    expect(w.calls).toContain('stop:t1');
    expect((await w.sync.getConnection({ source: 'test', tenant: 't1' }))?.status).toBe('disconnected');
    // The mirror keeps the tenant's rows; only syncing stops.
    expect(w.sink.rows('things').filter((row) => row.key.tenant_id === 't1')).toHaveLength(1);
    w.advance(HOUR);
    w.calls.length = 0;
    await scheduler.tick();
    expect(w.calls).toEqual([]);
  });

  it('switches a quiet webhook source to its fallback pollers and back when a delivery arrives', async () => {
    const w = world({ pollers: [{ stream: 'messages', fallback: true }] });
    const scheduler = w.scheduler({ quietAfterMs: 30 * MINUTE, fallbackIntervalMs: 2 * MINUTE });
    // The worker registers the tenant when it writes its first rows.
    await scheduler.connect({ source: 'test', tenant: 't1' });
    await w.webhook('t1');
    await scheduler.tick();
    // The first tick backfills the fallback stream (no cursor yet); then it waits for silence.
    expect(w.calls).toEqual(['poll:t1:messages']);
    w.calls.length = 0;
    expect(await scheduler.status()).toEqual([
      expect.objectContaining({
        tenant: 't1',
        stream: 'messages',
        mode: 'webhooks',
        status: 'green',
        quietAfterMs: 30 * MINUTE,
      }),
    ]);

    w.advance(31 * MINUTE);
    await scheduler.tick();
    expect(w.calls).toEqual(['poll:t1:messages']);
    const [quiet] = await w.sync.listSyncEvents({ tenant: 't1', limit: 1 });
    expect(quiet).toMatchObject({
      kind: 'webhooks_quiet',
      detail: { lastWebhookAt: T0.toISOString(), thresholdMs: 30 * MINUTE },
    });
    expect(await scheduler.status()).toEqual([
      expect.objectContaining({ mode: 'polling', status: 'amber', lastPollAt: w.now(), lastWebhookAt: T0 }),
    ]);
    w.advance(2 * MINUTE);
    await scheduler.tick();
    expect(w.calls).toEqual(['poll:t1:messages', 'poll:t1:messages']);

    w.advance(MINUTE);
    await w.webhook('t1');
    // Status sees the webhook at once, before the leader's next plan records the switch back.
    expect((await scheduler.status())[0]).toMatchObject({ mode: 'webhooks', status: 'green' });
    await scheduler.tick();
    const [resumed] = await w.sync.listSyncEvents({ tenant: 't1', limit: 1 });
    expect(resumed?.kind).toBe('webhooks_resumed');
    expect(await w.sync.listJobs({ kind: 'poll' })).toEqual([]);
    expect((await scheduler.status())[0]).toMatchObject({ mode: 'webhooks', status: 'green' });
  });

  it('grades a poll-only stream by its last successful poll, and a stopped poller red', async () => {
    const w = world({ webhooks: false, pollers: [{ stream: 'contacts', intervalMs: 5 * MINUTE }] });
    const scheduler = w.scheduler();
    await scheduler.connect({ source: 'test', tenant: 't1' });
    await scheduler.tick();
    const polledAt = w.now();
    expect(await scheduler.status()).toEqual([
      {
        source: 'test',
        tenant: 't1',
        stream: 'contacts',
        mode: null,
        lastWebhookAt: null,
        lastPollAt: polledAt,
        lastReconcileAt: null,
        quietAfterMs: null,
        status: 'green',
      },
    ]);
    // Interval 5 min plus the 2 min allowance: late after 7, red after 14, stopped after 15.
    w.advance(7 * MINUTE);
    expect((await scheduler.status())[0]?.status).toBe('green');
    w.advance(MINUTE);
    expect((await scheduler.status())[0]).toMatchObject({ status: 'amber', reason: expect.stringContaining('8 min') });
    w.advance(8 * MINUTE);
    expect((await scheduler.status())[0]).toMatchObject({
      status: 'red',
      reason: expect.stringContaining('poller stopped'),
    });
  });

  it('shows red when the process running a poller died holding its lease', async () => {
    const w = world({ webhooks: false, pollers: [{ stream: 'contacts', intervalMs: 5 * MINUTE }] });
    const scheduler = w.scheduler();
    await scheduler.connect({ source: 'test', tenant: 't1' });
    await scheduler.tick();
    w.advance(5 * MINUTE);
    // Another process claims the job and is never heard from again.
    await w.sync.claimJobs({ owner: 'ghost', limit: 1, leaseMs: MINUTE });
    w.advance(MINUTE);
    expect((await scheduler.status())[0]?.status).toBe('green');
    w.advance(3 * MINUTE);
    expect((await scheduler.status())[0]).toMatchObject({
      status: 'red',
      reason: expect.stringMatching(/poller stopped: ghost/),
    });
  });

  it('runs one job on request, leader or not', async () => {
    const w = world();
    const scheduler = w.scheduler();
    await scheduler.connect({ source: 'test', tenant: 't1' });
    expect(await scheduler.runJob('poll:test:t1:nothing')).toBeNull();
    const run = await scheduler.runJob('poll:test:t1:contacts');
    expect(run).toMatchObject({ outcome: 'ok', counts: { pages: 1 } });
    expect(scheduler.isLeader).toBe(false);
  });
});
