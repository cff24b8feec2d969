import { ConfigurationError } from '../errors';
import { type Logger, type Metrics, noopLogger, noopMetrics } from '../observability';
import { resolveConnector, resolveStore } from '../spec/resolve';
import type { ConnectorV1, FieldPoliciesV1, PollerV1, SinkV1, StateStoreV1 } from '../spec/v1';
import { applyEvents, notifyApplied } from './apply-events';
import { mergeFieldPolicies } from './field-policy';

export interface RunPollerOptions {
  connector: ConnectorV1;
  /** Which of the connector's pollers; defaults to all of them in order. */
  poller?: PollerV1;
  tenant: string;
  store: StateStoreV1;
  sink: SinkV1;
  fieldPolicies?: FieldPoliciesV1;
  /** Stop after this many pages (a backfill in slices); unlimited by default. */
  maxPages?: number;
  signal?: AbortSignal | undefined;
  logger?: Logger;
  metrics?: Metrics;
  now?: () => Date;
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
  const logger = options.logger ?? noopLogger;
  const metrics = options.metrics ?? noopMetrics;
  const now = options.now ?? (() => new Date());
  const policies = mergeFieldPolicies(connector.transformer.fieldPolicies, options.fieldPolicies);
  const pollers = options.poller ? [options.poller] : (connector.pollers ?? []);
  const total: RunPollerResult = { pages: 0, events: 0, created: 0, updated: 0, skipped: 0, deleted: 0 };
  const direct = <T>(fn: () => Promise<T>) => fn();

  for (const poller of pollers) {
    const key = { source: connector.source, tenant, stream: poller.stream };
    const cursor = await store.getCursor(key);
    let page = 0;
    for await (const { events, cursor: next } of poller.poll({
      tenant,
      cursor,
      signal: options.signal,
    })) {
      const receivedAt = now();
      const commit = { ...key, cursor: next };
      const { result, integrationEvents, applied } = await applyEvents({
        connector,
        events,
        sink,
        policies,
        triggeredBy: 'poll',
        receivedAt,
        cursor: commit,
        now,
        guardSource: direct,
        guardSink: direct,
        logger,
        signal: options.signal,
      });
      if (!sink.supportsCursorCommit) await store.setCursor(commit);
      if (integrationEvents.length) await store.recordEvents(integrationEvents);
      await notifyApplied(connector, applied, logger);
      page += 1;
      total.pages += 1;
      total.events += events.length;
      total.created += result.created;
      total.updated += result.updated;
      total.skipped += result.skipped;
      total.deleted += result.deleted;
      metrics.increment?.('act_poll_pages_total', { source: connector.source, stream: poller.stream });
      options.onPage?.({ stream: poller.stream, page, events: events.length, cursor: next });
      logger.debug(
        { source: connector.source, tenant, stream: poller.stream, page, events: events.length },
        'poll page committed',
      );
      if (options.maxPages !== undefined && total.pages >= options.maxPages) return total;
    }
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
