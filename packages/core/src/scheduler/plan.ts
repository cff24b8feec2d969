import type {
  ConnectionV1,
  ConnectorV1,
  JobKindV1,
  PlannedJobV1,
  PollerV1,
  SourceModeV1,
  SubscriptionV1,
} from '../spec/v1';

/** The intervals the plan is built from (the scheduler's options with their defaults applied). */
export interface PlanSettings {
  pollIntervalMs: number;
  fallbackIntervalMs: number;
  reconcileEveryMs: number;
  discoverEveryMs: number;
  refreshEveryMs: number;
  retentionEveryMs: number;
  retention: boolean;
}

/** A planned job and how often it recurs (`null`: set by each run, as for a subscription's renewal). */
export interface PlanEntry extends PlannedJobV1 {
  intervalMs: number;
}

/** `<kind>:<source>:<tenant>:<target>`: the key `JobIdentityV1` documents. */
export function jobKey(kind: JobKindV1, source: string, tenant: string, target: string): string {
  return `${kind}:${source}:${tenant}:${target}`;
}

/** The subscription's renewal lead, 1 hour unless it says otherwise. */
export function renewBeforeMs(subscription: SubscriptionV1): number {
  return subscription.renewBeforeMs ?? 3_600_000;
}

/**
 * How often a poller runs for a tenant in `mode`, or `null` when it does not
 * run at all: a `fallback` poller without its own `intervalMs` only runs
 * while the tenant's webhooks are quiet (`polling`), and then every
 * `fallbackIntervalMs` (or its own interval when that is sooner).
 */
export function pollerIntervalMs(poller: PollerV1, mode: SourceModeV1, settings: PlanSettings): number | null {
  if (poller.fallback) {
    if (mode === 'polling') return Math.min(poller.intervalMs ?? Number.POSITIVE_INFINITY, settings.fallbackIntervalMs);
    return poller.intervalMs ?? null;
  }
  return poller.intervalMs ?? settings.pollIntervalMs;
}

/**
 * Every job that should exist for these connectors and active connections:
 * pollers, reconciliation, token refresh and subscription renewals per
 * tenant, discovery per connector and the global retention job. A connector
 * created without API credentials gets no poll or reconcile jobs (they would
 * only fail with its `missingApiCredentials` message).
 */
export function planJobs(input: {
  connectors: readonly ConnectorV1[];
  /** Active connections only. */
  connections: readonly ConnectionV1[];
  /** `source\u0000tenant` → mode; absent means `webhooks`. */
  modes: ReadonlyMap<string, SourceModeV1>;
  /**
   * `streamKey`s of fallback streams never synced (no cursor): they get a
   * poll job at `pollIntervalMs` until their first poll, the backfill.
   */
  unsynced?: ReadonlySet<string>;
  settings: PlanSettings;
  now: Date;
}): PlanEntry[] {
  const { settings, now } = input;
  const entries: PlanEntry[] = [];
  const add = (kind: JobKindV1, source: string, tenant: string, target: string, intervalMs: number, firstRunAt = now) =>
    entries.push({ key: jobKey(kind, source, tenant, target), kind, source, tenant, target, firstRunAt, intervalMs });

  for (const connector of input.connectors) {
    const { source } = connector;
    if (connector.discoverTenants) add('discover', source, '', '', settings.discoverEveryMs);
    for (const connection of input.connections) {
      if (connection.source !== source || connection.status !== 'active') continue;
      const { tenant } = connection;
      const mode = input.modes.get(modeKey(source, tenant)) ?? 'webhooks';
      if (!connector.missingApiCredentials) {
        for (const poller of connector.pollers ?? []) {
          const intervalMs =
            pollerIntervalMs(poller, mode, settings) ??
            (input.unsynced?.has(streamKey(source, tenant, poller.stream)) ? settings.pollIntervalMs : null);
          if (intervalMs !== null) add('poll', source, tenant, poller.stream, intervalMs);
        }
        // A new tenant's first reconciliation waits one interval: its first
        // poll (a backfill) already brings everything in.
        if (connector.reconcilers?.length) {
          add(
            'reconcile',
            source,
            tenant,
            '',
            settings.reconcileEveryMs,
            new Date(now.getTime() + settings.reconcileEveryMs),
          );
        }
      }
      if (connector.renewCredentials) add('refresh', source, tenant, '', settings.refreshEveryMs);
      for (const subscription of connector.subscriptions ?? []) {
        // On failure a renewal is retried a few times before the lead runs out.
        add('renew', source, tenant, subscription.name, renewBeforeMs(subscription) / 4);
      }
    }
  }
  if (settings.retention) add('retention', '', '', '', settings.retentionEveryMs);
  return entries;
}

export function modeKey(source: string, tenant: string): string {
  return `${source}\u0000${tenant}`;
}

export function streamKey(source: string, tenant: string, stream: string): string {
  return `${source}\u0000${tenant}\u0000${stream}`;
}
