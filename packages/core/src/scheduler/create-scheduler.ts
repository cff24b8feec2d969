import { CircuitOpenError, ConfigurationError, classifyError, RateLimitError, ReconnectRequiredError } from '../errors';
import { type Logger, type Metrics, noopLogger, noopMetrics } from '../observability';
import type { OutboxForwarding } from '../outbox/forward';
import { assessSyncFreshness, type FreshnessStatus } from '../pipeline/freshness';
import { runPoller } from '../pipeline/run-poller';
import { runReconciliation } from '../pipeline/run-reconciliation';
import { type CircuitBreakerOptions, createCircuitBreakerRegistry } from '../resilience/circuit-breaker';
import { computeRetryDelay, DEFAULT_RETRY_SCHEDULE_MS } from '../resilience/retry';
import { resolveStore } from '../spec/resolve';
import type {
  ClaimedJobV1,
  ConnectionV1,
  ConnectorV1,
  JobKindV1,
  JobOutcomeV1,
  JobV1,
  SinkV1,
  SourceModeStateV1,
  SourceModeV1,
  StateStoreV1,
  SyncStoreV1,
  WebhookActivityV1,
} from '../spec/v1';
import {
  jobKey,
  modeKey,
  type PlanEntry,
  type PlanSettings,
  planJobs,
  pollerIntervalMs,
  renewBeforeMs,
  streamKey,
} from './plan';
import { ACTIVITY_WINDOW_MS, quietThresholdMs } from './silence';

const PACKAGE_NAME = '@act/core';
/** The named lease the leader holds in the sync store. */
export const SCHEDULER_LEASE = 'scheduler';
/** A job is never due again sooner than this after a run, so one round never runs it twice. */
const MIN_GAP_MS = 1_000;

export interface SchedulerOptions {
  connectors: readonly ConnectorV1[];
  store: StateStoreV1;
  sink: SinkV1;
  sync: SyncStoreV1;
  /** Forward polled and reconciled changes to outbox destinations (`createAct` sets it). */
  outbox?: OutboxForwarding | undefined;
  /**
   * The state's retention (`ActState.cleanup`), run as the global `retention`
   * job; the numbers of what it resolves are recorded as the run's counts.
   */
  retention?: (() => Promise<unknown>) | undefined;
  /** Who this process is in leases and job runs; defaults to a random id. */
  owner?: string;
  /** The leader's lease, in ms (default 30 s): a dead leader is replaced within it. */
  leaseMs?: number;
  /** A running job's lease (default 60 s), renewed every third of it while the job runs. */
  jobLeaseMs?: number;
  /** How often `start()`'s loop plans and runs due jobs, in ms (default 10 s). */
  tickIntervalMs?: number;
  /** A poller without its own `intervalMs` runs this often (default 5 min). */
  pollIntervalMs?: number;
  /** A `fallback` poller runs this often while its tenant's webhooks are quiet (default 1 min). */
  fallbackIntervalMs?: number;
  /** Reconciliation per tenant (default 24 h). */
  reconcileEveryMs?: number;
  /** Tenant discovery per connector (default 1 h). */
  discoverEveryMs?: number;
  /** Token refresh checks per tenant (default 5 min). */
  refreshEveryMs?: number;
  /** Tokens expiring within this are refreshed by the check (default 10 min). */
  refreshAheadMs?: number;
  /** The retention job (default 24 h). */
  retentionEveryMs?: number;
  /**
   * After how long without a webhook a tenant counts as quiet: one number, or
   * per source. Overrides `ConnectorV1.expectedActivityMs` and what is learned
   * from traffic (see `quietThresholdMs`).
   */
  quietAfterMs?: number | Readonly<Record<string, number>>;
  /** Jobs run at once (default 2). */
  concurrency?: number;
  /**
   * Waits after consecutive failures of a job (default 1 min, 5 min, 15 min,
   * 1 h, 6 h; the last repeats), never later than the job's next normal run.
   */
  retrySchedule?: readonly number[];
  /** One breaker per source over its jobs (failure threshold, window, half-open delay); `false` for none. */
  circuitBreaker?: Omit<CircuitBreakerOptions, 'name' | 'onStateChange' | 'isFailure'> | false;
  /**
   * How often the leader re-reads the registry and webhook traffic to re-plan
   * (default 60 s; at once after `connect`, `disconnect` or a change of leader).
   * Each plan reads a week of webhook activity, so it is not done every round.
   */
  planEveryMs?: number;
  /** `tick()`'s time budget when the call gives none (default 25 s). */
  maxDurationMs?: number;
  logger?: Logger;
  metrics?: Metrics;
  now?: () => Date;
  random?: () => number;
}

/** One job run, as `tick()` and `runJob()` report it. */
export interface JobRunSummary {
  key: string;
  kind: JobKindV1;
  source: string;
  tenant: string;
  target: string;
  outcome: JobOutcomeV1;
  nextRunAt: Date;
  counts: Record<string, number>;
  error?: string;
  errorClass?: string;
}

export interface SchedulerTickResult {
  /** `false`: another process leads, nothing was run. */
  leader: boolean;
  ran: JobRunSummary[];
}

/** How fresh one stream of one tenant is kept (a row of `Scheduler.status()`). */
export interface SyncFreshness {
  source: string;
  tenant: string;
  /** The poller's stream; `''` for a webhook source without pollers. */
  stream: string;
  /** `webhooks` or `polling` (quiet) for a webhook source; `null` for a poll-only one. */
  mode: SourceModeV1 | null;
  lastWebhookAt: Date | null;
  /** When the stream's poll job last succeeded. */
  lastPollAt: Date | null;
  lastReconcileAt: Date | null;
  /** The silence threshold in force; `null` for a poll-only source. */
  quietAfterMs: number | null;
  status: FreshnessStatus;
  reason?: string;
}

export interface Scheduler {
  /**
   * One round, for a tick route or a serverless cron: take the leader lease
   * (unless another process holds it), check for silence, plan, run due jobs
   * within `maxDurationMs`, and give the lease back unless `start()`'s loop
   * holds it.
   */
  tick(options?: { maxDurationMs?: number; signal?: AbortSignal }): Promise<SchedulerTickResult>;
  /** Run the leader loop in this process: a round every `tickIntervalMs` while it holds the lease. */
  start(): void;
  /** Stop the loop after its round and release the lease, so another process takes over at once. */
  stop(): Promise<void>;
  /** Run one job now, leader or not (`act sync now`); `null` for an unknown key or a job running elsewhere. */
  runJob(key: string): Promise<JobRunSummary | null>;
  /** Freshness per source × tenant × stream, including silence (see `assessSyncFreshness`). */
  status(): Promise<SyncFreshness[]>;
  /** Add or reactivate a tenant; its jobs are planned at the next round. */
  connect(request: {
    source: string;
    tenant: string;
    displayName?: string | null;
    settings?: Readonly<Record<string, unknown>>;
  }): Promise<ConnectionV1>;
  /** Stop syncing a tenant (its data is kept) and stop its subscriptions. `null` for a tenant never connected. */
  disconnect(request: { source: string; tenant: string; reason?: string }): Promise<ConnectionV1 | null>;
  /** Whether this process held the leader lease at its last attempt. */
  readonly isLeader: boolean;
  readonly owner: string;
}

interface Performed {
  counts: Record<string, number>;
  nextRunAt?: Date;
  skipped?: string;
}

/**
 * The one place recurring sync work runs, for every connected tenant of every
 * connector: pollers, reconciliation, retention, token refresh, subscription
 * renewals and tenant discovery. Work is planned as jobs in the sync store;
 * one process at a time leads (a named lease), and each job is leased while it
 * runs, so several processes (or a tick route) can share one store.
 *
 * Each round the leader also watches webhook sources for silence: a tenant
 * quiet past its threshold switches to `polling` (its `fallback` pollers run
 * every `fallbackIntervalMs`) and back to `webhooks` when a delivery arrives.
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const sync = resolveStore(options.sync, 'sync store');
  const store = resolveStore(options.store, 'state store');
  const sink = resolveStore(options.sink, 'sink');
  const connectors = options.connectors;
  const byId = new Map(connectors.map((connector) => [connector.source, connector]));
  /** The sources whose jobs this scheduler plans and claims (`''`: the global retention job). */
  const jobSources = [...connectors.map((connector) => connector.source), ...(options.retention ? [''] : [])];
  const logger = options.logger ?? noopLogger;
  const metrics = options.metrics ?? noopMetrics;
  const now = options.now ?? (() => new Date());
  const owner = options.owner ?? `scheduler-${crypto.randomUUID()}`;
  const leaseMs = positive(options.leaseMs ?? 30_000, 'leaseMs');
  const jobLeaseMs = positive(options.jobLeaseMs ?? 60_000, 'jobLeaseMs');
  const tickIntervalMs = positive(options.tickIntervalMs ?? 10_000, 'tickIntervalMs');
  const concurrency = positive(options.concurrency ?? 2, 'concurrency');
  const refreshAheadMs = options.refreshAheadMs ?? 600_000;
  const maxDurationMs = options.maxDurationMs ?? 25_000;
  const planEveryMs = positive(options.planEveryMs ?? 60_000, 'planEveryMs');
  const retrySchedule = options.retrySchedule?.length ? options.retrySchedule : DEFAULT_RETRY_SCHEDULE_MS;
  const settings: PlanSettings = {
    pollIntervalMs: positive(options.pollIntervalMs ?? 300_000, 'pollIntervalMs'),
    fallbackIntervalMs: positive(options.fallbackIntervalMs ?? 60_000, 'fallbackIntervalMs'),
    reconcileEveryMs: positive(options.reconcileEveryMs ?? 86_400_000, 'reconcileEveryMs'),
    discoverEveryMs: positive(options.discoverEveryMs ?? 3_600_000, 'discoverEveryMs'),
    refreshEveryMs: positive(options.refreshEveryMs ?? 300_000, 'refreshEveryMs'),
    retentionEveryMs: positive(options.retentionEveryMs ?? 86_400_000, 'retentionEveryMs'),
    retention: options.retention !== undefined,
  };
  let plan = new Map<string, PlanEntry>();
  /** When this process last planned; `null` forces the next round to (startup, a new leader, a connection change). */
  let plannedAt: number | null = null;
  let leader = false;
  let loop: Promise<void> | null = null;
  let stopping: AbortController | null = null;
  /** The loop's running job slots. */
  const slots = new Set<Promise<void>>();

  const hasWebhooks = (connector: ConnectorV1) => Object.keys(connector.webhooks ?? {}).length > 0;

  const breakers = createCircuitBreakerRegistry({
    options: options.circuitBreaker,
    nameOf: (source) => `${source}-jobs`,
    onStateChange: (source, state) => logger.warn({ source, state }, 'scheduler circuit breaker changed state'),
  });

  /** Take or renew the leader lease; log `leader_changed` when it passed to this process from another. */
  async function lead(): Promise<boolean> {
    const result = await sync.acquireLease({ name: SCHEDULER_LEASE, owner, leaseMs, now: now() });
    if (result.acquired && !leader) {
      plannedAt = null;
      const recent = await sync.listSyncEvents({ source: '', tenant: '', limit: 50 });
      const previous = recent.find((event) => event.kind === 'leader_changed')?.detail.owner;
      if (previous !== owner) {
        await sync.recordSyncEvent({
          source: '',
          tenant: '',
          kind: 'leader_changed',
          detail: { owner, previous: typeof previous === 'string' ? previous : null },
          now: now(),
        });
        logger.info({ owner, previous }, 'scheduler leadership taken');
      }
    }
    leader = result.acquired;
    return leader;
  }

  let warnedNoActivity = false;
  /** The last week's webhook traffic, when any connector has webhooks; `null` when the store cannot tell. */
  async function readActivity(at: Date): Promise<WebhookActivityV1[] | null> {
    if (!connectors.some(hasWebhooks)) return [];
    // A state store built for an earlier v1 has no webhookActivity: sync on, without silence checks.
    if (typeof store.webhookActivity !== 'function') {
      if (!warnedNoActivity) {
        warnedNoActivity = true;
        logger.warn({}, 'the state store has no webhookActivity: quiet webhook sources are not detected');
      }
      return null;
    }
    return store.webhookActivity({ since: new Date(at.getTime() - ACTIVITY_WINDOW_MS), now: at });
  }

  /** `source\u0000tenant\u0000stream` of streams known to have a cursor: it never goes back to none. */
  const synced = new Set<string>();

  /**
   * The fallback streams (no interval of their own) of tenants whose webhooks
   * flow that were never synced: no cursor yet. Each gets a poll job until its
   * first poll (the backfill) stores one, so a newly connected tenant's
   * existing records arrive at once rather than with the first reconciliation.
   */
  async function unsyncedFallbackStreams(
    active: readonly ConnectionV1[],
    modes: ReadonlyMap<string, SourceModeV1>,
  ): Promise<Set<string>> {
    const unsynced = new Set<string>();
    for (const connection of active) {
      const connector = byId.get(connection.source);
      if (!connector || connector.missingApiCredentials) continue;
      if ((modes.get(modeKey(connection.source, connection.tenant)) ?? 'webhooks') === 'polling') continue;
      for (const poller of connector.pollers ?? []) {
        if (!poller.fallback || poller.intervalMs !== undefined) continue;
        const key = streamKey(connection.source, connection.tenant, poller.stream);
        if (synced.has(key)) continue;
        const cursor = await store.getCursor({
          source: connection.source,
          tenant: connection.tenant,
          stream: poller.stream,
        });
        if (cursor === null) unsynced.add(key);
        else synced.add(key);
      }
    }
    return unsynced;
  }

  /** Switch quiet tenants to polling and back, and plan the jobs (the worker registers tenants it writes for). */
  async function prepare(force = false): Promise<void> {
    const at = now();
    if (!force && plannedAt !== null && at.getTime() - plannedAt < planEveryMs) return;
    plannedAt = at.getTime();
    const read = await readActivity(at);
    const activity = read ?? [];
    const activityByKey = new Map(activity.map((entry) => [modeKey(entry.source, entry.tenant), entry]));
    const connections = await sync.listConnections();
    const active = connections.filter((connection) => connection.status === 'active');
    const modeStates = new Map(
      (await sync.listSourceModes()).map((state) => [modeKey(state.source, state.tenant), state]),
    );
    const modes = new Map<string, SourceModeV1>();
    for (const [key, state] of modeStates) modes.set(key, state.mode);
    const quiet: ConnectionV1[] = [];
    for (const connection of active) {
      const connector = byId.get(connection.source);
      if (read === null || !connector || !hasWebhooks(connector)) continue;
      const key = modeKey(connection.source, connection.tenant);
      const found = activityByKey.get(key);
      const thresholdMs = quietThresholdMs(connector, found, options.quietAfterMs);
      const last = found?.lastDeliveryAt ?? null;
      const state = modeStates.get(key);
      if ((state?.mode ?? 'webhooks') === 'webhooks') {
        const silentSince = last ?? connection.connectedAt;
        if (at.getTime() - silentSince.getTime() <= thresholdMs) continue;
        const switched = await sync.setSourceMode({
          source: connection.source,
          tenant: connection.tenant,
          mode: 'polling',
          detail: { lastWebhookAt: last?.toISOString() ?? null, thresholdMs },
          now: at,
        });
        modes.set(key, 'polling');
        if (switched) {
          quiet.push(connection);
          logger.warn(
            { source: connection.source, tenant: connection.tenant, lastWebhookAt: last, thresholdMs },
            'webhooks quiet: polling until they resume',
          );
        }
      } else if (last && state && last > state.since) {
        await sync.setSourceMode({
          source: connection.source,
          tenant: connection.tenant,
          mode: 'webhooks',
          detail: { lastWebhookAt: last.toISOString() },
          now: at,
        });
        modes.set(key, 'webhooks');
        logger.info({ source: connection.source, tenant: connection.tenant }, 'webhooks resumed');
      }
    }
    const unsynced = await unsyncedFallbackStreams(active, modes);
    const entries = planJobs({ connectors, connections: active, modes, unsynced, settings, now: at });
    await sync.planJobs({
      jobs: entries.map(({ intervalMs: _interval, ...job }) => job),
      sources: jobSources,
      now: at,
    });
    plan = new Map(entries.map((entry) => [entry.key, entry]));
    // A fallback poller that already had a job (it has its own interval) runs now, not at its next turn.
    for (const connection of quiet) {
      for (const poller of byId.get(connection.source)?.pollers ?? []) {
        if (!poller.fallback) continue;
        await sync.requestJob({ key: jobKey('poll', connection.source, connection.tenant, poller.stream), at });
      }
    }
  }

  const intervalOf = (job: JobV1): number => {
    const planned = plan.get(job.key)?.intervalMs;
    if (planned !== undefined) return planned;
    switch (job.kind) {
      case 'reconcile':
        return settings.reconcileEveryMs;
      case 'refresh':
        return settings.refreshEveryMs;
      case 'discover':
        return settings.discoverEveryMs;
      case 'retention':
        return settings.retentionEveryMs;
      case 'renew':
        return 900_000;
      default:
        return settings.pollIntervalMs;
    }
  };

  async function stopSubscriptions(connector: ConnectorV1, tenant: string): Promise<void> {
    for (const subscription of connector.subscriptions ?? []) {
      try {
        await subscription.stop?.({ tenant });
      } catch (error) {
        // The provider lets an unrenewed subscription lapse on its own.
        logger.warn(
          { source: connector.source, tenant, subscription: subscription.name, error: classifyError(error).message },
          'subscription stop failed; it lapses at its expiry',
        );
      }
    }
  }

  async function disconnectTenant(source: string, tenant: string, reason?: string): Promise<ConnectionV1 | null> {
    const disconnected = await sync.disconnect({ source, tenant, ...(reason ? { reason } : {}), now: now() });
    plannedAt = null;
    const connector = byId.get(source);
    if (disconnected && connector) await stopSubscriptions(connector, tenant);
    return disconnected;
  }

  async function perform(
    job: ClaimedJobV1,
    connector: ConnectorV1 | undefined,
    signal: AbortSignal,
  ): Promise<Performed> {
    const at = now();
    if (job.kind === 'retention') {
      if (!options.retention) return { counts: {}, skipped: 'no retention function' };
      return { counts: numbers(await options.retention()) };
    }
    if (!connector) return { counts: {}, skipped: `no connector for source "${job.source}" in this process` };
    const { tenant } = job;
    switch (job.kind) {
      case 'poll': {
        const poller = connector.pollers?.find((candidate) => candidate.stream === job.target);
        if (!poller) return { counts: {}, skipped: `no poller for stream "${job.target}"` };
        // Under the stream's lease: never beside a webhook-triggered sync of the same stream.
        const result = await runPoller({
          connector,
          poller,
          tenant,
          store,
          sink,
          sync,
          ...(options.outbox ? { outbox: options.outbox } : {}),
          owner,
          // The stream lease lapses with the job's: a dead leader's job runs again once its job lease runs out.
          leaseMs: jobLeaseMs,
          signal,
          logger,
          metrics,
          now,
        });
        return { counts: { ...result } };
      }
      case 'reconcile': {
        const reports = await runReconciliation({
          connector,
          tenant,
          store,
          sink,
          ...(options.outbox ? { outbox: options.outbox } : {}),
          signal,
          logger,
          metrics,
          now,
        });
        const counts: Record<string, number> = {};
        for (const report of reports) {
          for (const name of [
            'listed',
            'missing',
            'stale',
            'drifted',
            'unchanged',
            'deleted',
            'deletesRefused',
          ] as const)
            counts[name] = (counts[name] ?? 0) + report[name];
        }
        return { counts };
      }
      case 'refresh': {
        if (!connector.renewCredentials) return { counts: {}, skipped: 'the connector has no renewCredentials' };
        const { expiresAt } = await connector.renewCredentials({ tenant, aheadMs: refreshAheadMs, signal });
        // Check again before the token enters the refresh window, if that is sooner than the next check.
        const next = at.getTime() + intervalOf(job);
        const due = expiresAt ? Math.max(at.getTime() + 60_000, expiresAt.getTime() - refreshAheadMs) : next;
        return { counts: {}, nextRunAt: new Date(Math.min(next, due)) };
      }
      case 'renew': {
        const subscription = connector.subscriptions?.find((candidate) => candidate.name === job.target);
        if (!subscription) return { counts: {}, skipped: `no subscription "${job.target}"` };
        const { expiresAt } = await subscription.renew({ tenant, signal });
        return {
          counts: {},
          nextRunAt: new Date(Math.max(at.getTime() + 60_000, expiresAt.getTime() - renewBeforeMs(subscription))),
        };
      }
      case 'discover': {
        if (!connector.discoverTenants) return { counts: {}, skipped: 'the connector has no discoverTenants' };
        const found = await connector.discoverTenants({ signal });
        const listed = new Set<string>();
        let added = 0;
        let removed = 0;
        for (const entry of found.tenants) {
          listed.add(entry.tenant);
          const result = await sync.connect({
            source: connector.source,
            tenant: entry.tenant,
            ...(entry.displayName !== undefined ? { displayName: entry.displayName } : {}),
            ifAbsent: true,
            now: at,
          });
          if (result.change === 'added') added += 1;
        }
        if (found.complete) {
          for (const connection of await sync.listConnections({ source: connector.source })) {
            if (connection.status === 'disconnected' || listed.has(connection.tenant)) continue;
            await disconnectTenant(connector.source, connection.tenant, 'not_discovered');
            removed += 1;
          }
        }
        return { counts: { tenants: found.tenants.length, added, removed } };
      }
      default:
        return { counts: {}, skipped: `unknown job kind "${job.kind}"` };
    }
  }

  async function execute(job: ClaimedJobV1, outer?: AbortSignal): Promise<JobRunSummary> {
    const startedAt = now();
    const at = startedAt.getTime();
    const normal = at + intervalOf(job);
    const controller = new AbortController();
    const onAbort = () => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onAbort, { once: true });
    const keepAlive = setInterval(() => {
      sync
        .renewJobLease({ key: job.key, claimToken: job.claimToken, leaseMs: jobLeaseMs, now: now() })
        .then((held) => {
          if (!held) controller.abort(new Error('the job lease was lost'));
        })
        .catch((error: unknown) =>
          logger.warn({ key: job.key, error: classifyError(error).message }, 'job lease renewal failed'),
        );
    }, jobLeaseMs / 3);
    unref(keepAlive);

    let outcome: JobOutcomeV1 = 'ok';
    let nextRunAt = normal;
    let counts: Record<string, number> = {};
    let error: string | undefined;
    let errorClass: string | undefined;
    const connector = job.source ? byId.get(job.source) : undefined;
    try {
      const connection = job.tenant ? await sync.getConnection({ source: job.source, tenant: job.tenant }) : null;
      const breaker = connector ? breakers.get(connector.source) : undefined;
      if (job.tenant && connection?.status !== 'active') {
        outcome = 'skipped';
        error = `the connection is ${connection?.status ?? 'unknown'}`;
      } else if (breaker && breaker.state === 'open' && breaker.retryAfterMs() > 0) {
        // Due when the breaker lets a trial call through.
        outcome = 'skipped';
        error = `circuit open for ${job.source}`;
        nextRunAt = at + Math.max(MIN_GAP_MS, breaker.retryAfterMs());
      } else {
        const attempt = () =>
          breaker
            ? breaker.execute(() => perform(job, connector, controller.signal))
            : perform(job, connector, controller.signal);
        let performed: Performed;
        try {
          performed = await attempt();
        } catch (failure) {
          // A 401: refresh the tenant's token and try once more at once, as the worker does.
          if (
            classifyError(failure).errorClass !== 'auth' ||
            ReconnectRequiredError.isInstance(failure) ||
            !connector?.refreshCredentials ||
            !job.tenant
          )
            throw failure;
          await connector.refreshCredentials(job.tenant);
          performed = await attempt();
        }
        counts = performed.counts;
        if (performed.skipped) {
          outcome = 'skipped';
          error = performed.skipped;
        }
        if (performed.nextRunAt) nextRunAt = performed.nextRunAt.getTime();
      }
    } catch (failure) {
      const decided = await decide(job, failure, at, normal, outer);
      ({ outcome, nextRunAt, error, errorClass } = decided);
    } finally {
      clearInterval(keepAlive);
      outer?.removeEventListener('abort', onAbort);
    }
    nextRunAt = Math.max(nextRunAt, at + MIN_GAP_MS);
    const finished = await sync.finishJob({
      key: job.key,
      claimToken: job.claimToken,
      outcome,
      nextRunAt: new Date(nextRunAt),
      startedAt,
      ...(error !== undefined ? { error } : {}),
      ...(errorClass !== undefined ? { errorClass } : {}),
      counts,
      now: now(),
    });
    if (!finished) logger.warn({ key: job.key }, 'job lease lost before the run was recorded');
    metrics.increment?.('act_scheduler_jobs_total', { kind: job.kind, source: job.source, outcome });
    const log = outcome === 'failed' ? logger.warn : logger.debug;
    log.call(logger, { key: job.key, outcome, error, counts }, 'scheduler job finished');
    return {
      key: job.key,
      kind: job.kind,
      source: job.source,
      tenant: job.tenant,
      target: job.target,
      outcome,
      nextRunAt: new Date(nextRunAt),
      counts,
      ...(error !== undefined ? { error } : {}),
      ...(errorClass !== undefined ? { errorClass } : {}),
    };
  }

  /** What a failed run means for the job (see the README's failure table). */
  async function decide(
    job: ClaimedJobV1,
    failure: unknown,
    at: number,
    normal: number,
    outer: AbortSignal | undefined,
  ): Promise<{ outcome: JobOutcomeV1; nextRunAt: number; error: string; errorClass?: string }> {
    const classified = classifyError(failure);
    const error = classified.message;
    if (outer?.aborted) {
      // The tick's time ran out: pages already written stay written; carry on next round.
      return { outcome: 'skipped', nextRunAt: at, error: `stopped at the end of the tick: ${error}` };
    }
    if (CircuitOpenError.isInstance(failure) || (failure instanceof Error && failure.name === 'CircuitOpenError')) {
      return {
        outcome: 'skipped',
        nextRunAt: at + Math.max(MIN_GAP_MS, (failure as CircuitOpenError).retryAfterMs || 0),
        error,
      };
    }
    if (ReconnectRequiredError.isInstance(failure) && job.tenant) {
      // Nothing syncs until a person reconnects: the plan drops the tenant's jobs meanwhile.
      await sync.setConnectionStatus({
        source: job.source,
        tenant: job.tenant,
        status: 'reconnect_required',
        reason: error,
        now: now(),
      });
      return { outcome: 'failed', nextRunAt: normal, error, errorClass: 'auth' };
    }
    const { errorClass } = classified;
    if (RateLimitError.isInstance(failure) && failure.scope.startsWith('stream:')) {
      // A webhook-triggered sync of this stream is running: it does this job's work.
      return { outcome: 'skipped', nextRunAt: at + Math.max(MIN_GAP_MS, failure.retryAfterMs), error };
    }
    if (errorClass === 'rate_limit') {
      return {
        outcome: 'failed',
        nextRunAt: at + (classified.retryAfterMs ?? retrySchedule[0] ?? 60_000),
        error,
        errorClass,
      };
    }
    if (errorClass === 'validation' || errorClass === 'signature' || errorClass === 'transform') {
      // Retrying at once fails the same way: the next normal run, after someone fixed the cause.
      return { outcome: 'failed', nextRunAt: normal, error, errorClass };
    }
    const delay =
      computeRetryDelay({
        attempt: Math.min(job.consecutiveFailures + 1, retrySchedule.length),
        schedule: retrySchedule,
        ...(options.random ? { random: options.random } : {}),
        retryAfterMs: classified.retryAfterMs,
      }) ?? 0;
    return { outcome: 'failed', nextRunAt: Math.min(at + delay, normal), error, errorClass };
  }

  /** Claim and run due jobs, `concurrency` at a time, while `keepGoing` says so. */
  async function runDue(keepGoing: () => boolean, signal?: AbortSignal): Promise<JobRunSummary[]> {
    const ran: JobRunSummary[] = [];
    const slot = async () => {
      try {
        while (keepGoing() && !signal?.aborted) {
          const [job] = await sync.claimJobs({ owner, limit: 1, leaseMs: jobLeaseMs, sources: jobSources, now: now() });
          if (!job) return;
          ran.push(await execute(job, signal));
        }
      } catch (error) {
        // The sync store failed: this slot stops; the job's lease lapses and it runs again later.
        logger.error({ error: classifyError(error).message }, 'scheduler job slot failed');
      }
    };
    // The leader lease is renewed while long jobs run; losing it stops the claims.
    const keepAlive = setInterval(() => {
      lead().catch((error: unknown) =>
        logger.warn({ error: classifyError(error).message }, 'scheduler lease renewal failed'),
      );
    }, leaseMs / 3);
    unref(keepAlive);
    try {
      await Promise.all(Array.from({ length: concurrency }, slot));
    } finally {
      clearInterval(keepAlive);
    }
    return ran;
  }

  /**
   * One round of the leader loop: renew the lease, plan, and top the running
   * jobs up to `concurrency` without waiting for them, so a long backfill
   * does not hold up the lease, the silence checks or the other slots.
   */
  async function round(): Promise<void> {
    if (!(await lead())) return;
    await prepare();
    while (slots.size < concurrency) {
      const slot: Promise<void> = (async () => {
        try {
          while (leader && !stopping?.signal.aborted) {
            const [job] = await sync.claimJobs({
              owner,
              limit: 1,
              leaseMs: jobLeaseMs,
              sources: jobSources,
              now: now(),
            });
            if (!job) return;
            await execute(job);
          }
        } catch (error) {
          logger.error({ error: classifyError(error).message }, 'scheduler job slot failed');
        }
      })().finally(() => slots.delete(slot));
      slots.add(slot);
    }
  }

  const scheduler: Scheduler = {
    owner,
    get isLeader() {
      return leader;
    },

    async tick(tickOptions = {}) {
      const budget = tickOptions.maxDurationMs ?? maxDurationMs;
      const deadline = now().getTime() + budget;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new Error('the tick ran out of time')), budget);
      unref(timer);
      const onAbort = () => controller.abort(tickOptions.signal?.reason);
      tickOptions.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        if (!(await lead())) return { leader: false, ran: [] };
        await prepare();
        const ran = await runDue(() => leader && now().getTime() < deadline, controller.signal);
        return { leader: true, ran };
      } finally {
        clearTimeout(timer);
        tickOptions.signal?.removeEventListener('abort', onAbort);
        // Held for this tick only: the next tick (any process) takes it at once.
        if (loop === null && leader) {
          await sync.releaseLease({ name: SCHEDULER_LEASE, owner });
          leader = false;
        }
      }
    },

    start() {
      if (loop) return;
      const controller = new AbortController();
      stopping = controller;
      loop = (async () => {
        while (!controller.signal.aborted) {
          try {
            await round();
          } catch (error) {
            logger.error({ error: classifyError(error).message }, 'scheduler round failed');
          }
          await sleep(tickIntervalMs, controller.signal);
        }
      })();
    },

    async stop() {
      if (!loop) return;
      stopping?.abort();
      await loop;
      // Running jobs finish and record their runs; no new ones are claimed.
      await Promise.all([...slots]);
      loop = null;
      stopping = null;
      if (leader) await sync.releaseLease({ name: SCHEDULER_LEASE, owner });
      leader = false;
    },

    async runJob(key) {
      const at = now();
      if (!(await sync.requestJob({ key, at }))) {
        await prepare(true);
        if (!(await sync.requestJob({ key, at }))) return null;
      } else if (plan.size === 0) {
        await prepare(true);
      }
      const [job] = await sync.claimJobs({ owner, limit: 1, leaseMs: jobLeaseMs, keys: [key], now: at });
      return job ? execute(job) : null;
    },

    async status() {
      const at = now();
      const [connections, jobs, modeStates, activity] = await Promise.all([
        sync.listConnections(),
        sync.listJobs(),
        sync.listSourceModes(),
        readActivity(at).then((read) => read ?? []),
      ]);
      const jobsByKey = new Map(jobs.map((job) => [job.key, job]));
      const modes = new Map<string, SourceModeStateV1>(
        modeStates.map((state) => [modeKey(state.source, state.tenant), state]),
      );
      const activityByKey = new Map(activity.map((entry) => [modeKey(entry.source, entry.tenant), entry]));
      const rows: SyncFreshness[] = [];
      for (const connection of connections) {
        const connector = byId.get(connection.source);
        if (!connector || connection.status === 'disconnected') continue;
        const key = modeKey(connection.source, connection.tenant);
        const webhooks = hasWebhooks(connector);
        const modeState = modes.get(key);
        const found = activityByKey.get(key);
        const quietAfterMs = webhooks ? quietThresholdMs(connector, found, options.quietAfterMs) : null;
        const lastWebhookAt = found?.lastDeliveryAt ?? null;
        // A webhook since the switch to polling: resumed, though the leader records it only at its next plan.
        const resumed = modeState?.mode === 'polling' && lastWebhookAt !== null && lastWebhookAt > modeState.since;
        const mode: SourceModeV1 | null = webhooks ? (resumed ? 'webhooks' : (modeState?.mode ?? 'webhooks')) : null;
        const lastReconcileAt =
          jobsByKey.get(jobKey('reconcile', connection.source, connection.tenant, ''))?.lastSuccessAt ?? null;
        const pollers = connector.missingApiCredentials ? [] : (connector.pollers ?? []);
        const streams = pollers.length ? pollers : webhooks ? [null] : [];
        for (const poller of streams) {
          const job = poller
            ? jobsByKey.get(jobKey('poll', connection.source, connection.tenant, poller.stream))
            : undefined;
          const intervalMs = poller ? pollerIntervalMs(poller, mode ?? 'webhooks', settings) : null;
          // A fallback poller is graded from when polling started, any other from the connection.
          const since =
            poller?.fallback && modeState?.mode === 'polling' && modeState.since > connection.connectedAt
              ? modeState.since
              : connection.connectedAt;
          const assessed = assessSyncFreshness(
            {
              connectionStatus: connection.status,
              webhooks,
              mode,
              lastWebhookAt,
              quietAfterMs,
              poll:
                intervalMs !== null
                  ? {
                      intervalMs,
                      lastSuccessAt: job?.lastSuccessAt ?? null,
                      since,
                      leaseOwner: job?.leaseOwner ?? null,
                      leaseExpiresAt: job?.leaseExpiresAt ?? null,
                    }
                  : null,
            },
            at,
          );
          rows.push({
            source: connection.source,
            tenant: connection.tenant,
            stream: poller?.stream ?? '',
            mode,
            lastWebhookAt,
            lastPollAt: job?.lastSuccessAt ?? null,
            lastReconcileAt,
            quietAfterMs,
            status: assessed.status,
            ...(assessed.reason ? { reason: assessed.reason } : {}),
          });
        }
      }
      return rows;
    },

    async connect(request) {
      const { connection } = await sync.connect({
        source: request.source,
        tenant: request.tenant,
        ...(request.displayName !== undefined ? { displayName: request.displayName } : {}),
        ...(request.settings !== undefined ? { settings: request.settings } : {}),
        now: now(),
      });
      plannedAt = null;
      return connection;
    },

    disconnect(request) {
      return disconnectTenant(request.source, request.tenant, request.reason);
    },
  };
  return scheduler;
}

/** The numeric fields of what retention resolved (`{ deliveries: 3, attempts: 5, events: 0 }`), as run counts. */
function numbers(value: unknown): Record<string, number> {
  const counts: Record<string, number> = {};
  if (value && typeof value === 'object') {
    for (const [name, entry] of Object.entries(value)) if (typeof entry === 'number') counts[name] = entry;
  }
  return counts;
}

function positive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new ConfigurationError({
      packageName: PACKAGE_NAME,
      message: `createScheduler: ${name} must be a positive number, got ${String(value)}`,
    });
  }
  return value;
}

/** Timers must not keep a process alive that is otherwise done (Node, Bun); elsewhere there is nothing to do. */
function unref(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
