import { ConfigurationError } from '../errors';
import type { Logger, Metrics } from '../observability';
import type { OutboxForwarding } from '../outbox/forward';
import { resolveConnector, resolveStore } from '../spec/resolve';
import type { ConnectorV1, FieldPoliciesV1, PollerV1, SinkV1, StateStoreV1, SyncStoreV1 } from '../spec/v1';
import { syncStream } from './sync-stream';

export interface RunPollerOptions {
  connector: ConnectorV1;
  /** Which of the connector's pollers; defaults to all of them in order. */
  poller?: PollerV1;
  tenant: string;
  store: StateStoreV1;
  sink: SinkV1;
  fieldPolicies?: FieldPoliciesV1;
  /** Forward polled changes to outbox destinations (see `SyncStreamOptions.outbox`). */
  outbox?: OutboxForwarding;
  /** Stop after this many pages (a backfill in slices); unlimited by default. */
  maxPages?: number;
  signal?: AbortSignal | undefined;
  logger?: Logger;
  metrics?: Metrics;
  now?: () => Date;
  /**
   * With it, each stream is synced under its stream lease (see
   * `SyncStreamOptions.sync`), so this poll never runs beside a
   * webhook-triggered sync of the same stream, and an expired cursor is
   * logged as a `cursor_expired` sync event.
   */
  sync?: SyncStoreV1;
  /** Who holds the stream leases; defaults to `sync`. */
  owner?: string;
  /**
   * How long a stream lease holds without renewal (`SyncStreamOptions.leaseMs`,
   * 60 s by default): the scheduler passes its job lease, so a dead process's
   * stream lease lapses with its job's and the job can run again.
   */
  leaseMs?: number;
  /** Called after each committed page: progress bars, tests. */
  onPage?: (progress: { stream: string; page: number; events: number; cursor: string }) => void;
}

export interface RunPollerResult {
  pages: number;
  events: number;
  created: number;
  updated: number;
  skipped: number;
  deleted: number;
}

/**
 * Walk a connector's pollers from their saved cursors, writing each page
 * before its cursor is saved (atomically with the rows where the sink can,
 * otherwise right after). A crash re-reads at most one page; idempotent
 * writes make that harmless. Pages stream: memory stays flat on a backfill.
 * Each poller runs as `syncStream`: an expired cursor resyncs the stream
 * from the start and runs its reconcilers.
 */
export async function runPoller(options: RunPollerOptions): Promise<RunPollerResult> {
  const { tenant } = options;
  const connector = resolveConnector(options.connector);
  const store = resolveStore(options.store, 'state store');
  const sink = resolveStore(options.sink, 'sink');
  // Without API credentials a connector has no pollers: say so, rather than
  // resolve with nothing polled (`setInterval(() => runPoller(run).catch(…))`
  // would report nothing, for ever).
  if (!options.poller && connector.missingApiCredentials) {
    throw missingApiCredentials(connector, 'runPoller', 'pollers');
  }
  const pollers = options.poller ? [options.poller] : (connector.pollers ?? []);
  const total: RunPollerResult = { pages: 0, events: 0, created: 0, updated: 0, skipped: 0, deleted: 0 };

  for (const poller of pollers) {
    const result = await syncStream({
      connector,
      poller,
      tenant,
      store,
      sink,
      triggeredBy: 'poll',
      ...(options.fieldPolicies ? { fieldPolicies: options.fieldPolicies } : {}),
      ...(options.maxPages !== undefined ? { maxPages: options.maxPages - total.pages } : {}),
      ...(options.sync ? { sync: options.sync } : {}),
      ...(options.outbox ? { outbox: options.outbox } : {}),
      ...(options.owner !== undefined ? { owner: options.owner } : {}),
      ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.onPage ? { onPage: options.onPage } : {}),
      signal: options.signal,
    });
    total.pages += result.pages;
    total.events += result.events;
    total.created += result.created;
    total.updated += result.updated;
    total.skipped += result.skipped;
    total.deleted += result.deleted;
    if (options.maxPages !== undefined && total.pages >= options.maxPages) return total;
  }
  return total;
}

/** The error `runPoller` and `runReconciliation` throw for a connector created without API credentials. */
export function missingApiCredentials(
  connector: Pick<ConnectorV1, 'source' | 'missingApiCredentials'>,
  caller: string,
  parts: string,
): ConfigurationError {
  return new ConfigurationError({
    packageName: '@act/core',
    message: `${caller}: the ${connector.source} connector was created without API credentials, so it has no ${parts}: set ${connector.missingApiCredentials}`,
  });
}
