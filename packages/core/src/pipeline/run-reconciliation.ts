import { ConfigurationError } from '../errors';
import { type Logger, type Metrics, noopLogger, noopMetrics } from '../observability';
import type { OutboxForwarding } from '../outbox/forward';
import { rowKeyString } from '../sink/row-keys';
import { resolveConnector, resolveStore } from '../spec/resolve';
import type {
  ConnectorV1,
  FieldPoliciesV1,
  PendingIntegrationEventV1,
  ReconcilerV1,
  SinkOperationV1,
  SinkRowVersionV1,
  SinkV1,
  SourceEventV1,
  StateStoreV1,
} from '../spec/v1';
import { applyEvents, notifyApplied, settleIntegrationEvent } from './apply-events';
import { mergeFieldPolicies } from './field-policy';
import { missingApiCredentials } from './run-poller';

export interface RunReconciliationOptions {
  connector: ConnectorV1;
  /** Which listing; defaults to all of the connector's reconcilers in order. */
  reconciler?: ReconcilerV1;
  tenant: string;
  store: StateStoreV1;
  sink: SinkV1;
  fieldPolicies?: FieldPoliciesV1;
  /**
   * Refuse to delete more than this fraction of the tenant's live rows in one
   * run (default 0.5): a listing that comes back empty because of an API bug
   * or revoked scope must not empty the mirror. The refusal is logged and
   * reported; deletes can then be forced with `1`.
   */
  maxDeleteFraction?: number;
  /**
   * Forward repaired records to outbox destinations (`OutboxDestinationV1.forward`,
   * `triggeredBy: 'reconciliation'`). Deletes of records the source no
   * longer lists are not forwarded: no source event carries them.
   */
  outbox?: OutboxForwarding;
  /** Differing records applied per batch; default 200. */
  batchSize?: number;
  signal?: AbortSignal | undefined;
  logger?: Logger;
  metrics?: Metrics;
  now?: () => Date;
}

export interface ReconciliationReport {
  table: string;
  tenant: string;
  /** Records the source listed. */
  listed: number;
  /** Listed records the mirror did not have. */
  missing: number;
  /** Listed records the mirror held at an older version. */
  stale: number;
  /**
   * Listed records the mirror held at their version but with other content
   * (a copy that won a tie it should not have, a write lost in between):
   * rewritten from the listing.
   */
  drifted: number;
  /** Listed records the mirror already held at their version (or a newer one), with the same content. */
  unchanged: number;
  /** Mirror rows the source no longer has, deleted by this run. */
  deleted: number;
  /** Deletes withheld because they exceeded `maxDeleteFraction`. */
  deletesRefused: number;
}

const PACKAGE_NAME = '@act/core';

/**
 * The safety net: compare what the source has with the mirror and repair the
 * drift. Missing and stale records go through the connector's usual
 * hydrate → transform → sink path (so the version guard still decides), and
 * so do records the mirror holds at the same version: the sink compares their
 * content with the stored row, skips it as `unchanged` without writing when
 * it matches, and rewrites it when it differs (the listing is a later copy,
 * so it wins the tie: see `SinkUpsertV1.order`). Versions alone cannot see
 * that drift: a same-version copy applied out of order, for instance.
 * mirror rows the source no longer lists are soft-deleted, but only once the
 * whole listing completed — an interrupted listing deletes nothing. Each
 * repair is an integration event with `triggeredBy: 'reconciliation'`, and
 * each run ends with a `reconciliation.completed` event carrying the counts.
 */
export async function runReconciliation(options: RunReconciliationOptions): Promise<ReconciliationReport[]> {
  const { tenant } = options;
  const connector = resolveConnector(options.connector);
  const store = resolveStore(options.store, 'state store');
  const sink = resolveStore(options.sink, 'sink');
  const logger = options.logger ?? noopLogger;
  const metrics = options.metrics ?? noopMetrics;
  const now = options.now ?? (() => new Date());
  const batchSize = options.batchSize ?? 200;
  const maxDeleteFraction = options.maxDeleteFraction ?? 0.5;
  const policies = mergeFieldPolicies(connector.transformer.fieldPolicies, options.fieldPolicies);
  if (!options.reconciler && connector.missingApiCredentials) {
    throw missingApiCredentials(connector, 'runReconciliation', 'reconcilers');
  }
  const reconcilers = options.reconciler ? [options.reconciler] : (connector.reconcilers ?? []);
  if (!sink.scan) {
    throw new ConfigurationError({
      packageName: PACKAGE_NAME,
      message: 'reconciliation needs a sink that can scan its rows (SinkV1.scan)',
    });
  }
  const direct = <T>(fn: () => Promise<T>) => fn();
  const reports: ReconciliationReport[] = [];

  for (const reconciler of reconcilers) {
    const started = now();
    const report: ReconciliationReport = {
      table: reconciler.table,
      tenant,
      listed: 0,
      missing: 0,
      stale: 0,
      drifted: 0,
      unchanged: 0,
      deleted: 0,
      deletesRefused: 0,
    };

    // 1. What the mirror holds now (keys and versions only).
    const mirror = new Map<string, SinkRowVersionV1>();
    for await (const rows of sink.scan({
      table: reconciler.table,
      where: reconciler.scope(tenant),
      keyColumns: reconciler.keyColumns,
      signal: options.signal,
    })) {
      for (const row of rows) mirror.set(rowKeyString(row.key), row);
    }

    // 2. Stream the source listing, applying what differs as it goes.
    const seen = new Set<string>();
    let pending: SourceEventV1[] = [];
    // Events listed at the mirror's own version: drift or not is the sink's answer.
    let compared = new Set<SourceEventV1>();
    const flush = async () => {
      if (pending.length === 0) return;
      const batch = pending;
      const { integrationEvents, applied, eventsCommitted, recordable } = await applyEvents({
        connector,
        events: batch,
        sink,
        policies,
        triggeredBy: 'reconciliation',
        receivedAt: now(),
        // Committed with the repairs where the sink can, so a crash cannot keep the one without the other.
        commitEvents: true,
        // Only what changed is worth an integration event (and the post-commit hook).
        onlyIfChanged: (index) => compared.has(batch[index] as SourceEventV1),
        forward: options.outbox,
        now,
        guardSource: direct,
        guardSink: direct,
        logger,
        signal: options.signal,
      });
      for (const [index, event] of batch.entries()) {
        if (!compared.has(event)) continue;
        if (integrationEvents[index]?.outcome === 'updated') report.drifted += 1;
        else report.unchanged += 1;
      }
      const changed = applied.filter((_, index) => recordable[index]);
      const recorded = integrationEvents.filter((_, index) => recordable[index]);
      if (!eventsCommitted && recorded.length) await store.recordEvents(recorded);
      await notifyApplied(connector, changed, logger);
      pending = [];
      compared = new Set();
    };
    for await (const page of reconciler.list({ tenant, signal: options.signal })) {
      for (const event of page) {
        report.listed += 1;
        const key = rowKeyString(reconciler.keyOf(event));
        seen.add(key);
        const stored = mirror.get(key);
        if (!stored) {
          report.missing += 1;
          pending.push(event);
        } else if (stored.deleted) {
          if (
            reconciler.restorable &&
            event.version !== undefined &&
            (stored.version === undefined || stored.version < event.version)
          ) {
            // Deleted here, back there at a newer version: the transform restores it.
            report.stale += 1;
            pending.push(event);
          } else {
            // Tombstoned here but listed there: a tombstone is final (or newer), so nothing to do.
            report.unchanged += 1;
          }
        } else if (event.version !== undefined && (stored.version === undefined || stored.version < event.version)) {
          report.stale += 1;
          pending.push(event);
        } else if (event.version !== undefined && stored.version === event.version) {
          compared.add(event);
          pending.push(event);
        } else {
          report.unchanged += 1;
        }
      }
      if (pending.length >= batchSize) await flush();
    }
    await flush();

    // 3. The listing completed: rows the source no longer has are deletes.
    const live = [...mirror.entries()].filter(([, row]) => !row.deleted);
    const gone = live.filter(([key]) => !seen.has(key));
    let deletions = gone;
    if (live.length > 0 && gone.length > maxDeleteFraction * live.length) {
      report.deletesRefused = gone.length;
      deletions = [];
      logger.error(
        {
          source: connector.source,
          tenant,
          table: reconciler.table,
          gone: gone.length,
          live: live.length,
          maxDeleteFraction,
        },
        `[${PACKAGE_NAME}] reconciliation would delete ${gone.length} of ${live.length} rows; refused (raise maxDeleteFraction to allow)`,
      );
    }
    for (let start = 0; start < deletions.length; start += batchSize) {
      const slice = deletions.slice(start, start + batchSize);
      const operations: SinkOperationV1[] = slice.map(([, row]) => ({
        kind: 'delete',
        table: reconciler.table,
        key: row.key,
        ...(reconciler.restorable ? { restorable: true } : {}),
      }));
      const events = slice.map(
        ([, row], index): PendingIntegrationEventV1 => ({
          operation: index,
          source: connector.source,
          tenant,
          type: 'reconciliation.deleted',
          entity: reconciler.table,
          entityId: String(row.key.id ?? rowKeyString(row.key)),
          table: reconciler.table,
          triggeredBy: 'reconciliation',
          summary: { key: row.key },
        }),
      );
      // The deletes' events commit with them where the sink can (a rerun would not delete, nor report, them again).
      const commitEvents = sink.supportsEventCommit === true;
      const result = await sink.apply(operations, { signal: options.signal, ...(commitEvents ? { events } : {}) });
      if (!commitEvents) {
        const createdAt = result.committedAt ?? now();
        await store.recordEvents(
          events.map((event, index) => settleIntegrationEvent(event, result.outcomes[index], createdAt)),
        );
      }
      report.deleted += result.deleted;
    }

    const finished = now();
    await store.recordEvents([
      {
        source: connector.source,
        tenant,
        type: 'reconciliation.completed',
        entity: reconciler.table,
        entityId: tenant,
        table: reconciler.table,
        outcome: 'ignored',
        triggeredBy: 'reconciliation',
        latencyMs: finished.getTime() - started.getTime(),
        summary: {
          listed: report.listed,
          missing: report.missing,
          stale: report.stale,
          drifted: report.drifted,
          unchanged: report.unchanged,
          deleted: report.deleted,
          deletesRefused: report.deletesRefused,
        },
        createdAt: finished,
      },
    ]);
    metrics.increment?.(
      'act_reconciliation_drift_total',
      { source: connector.source, kind: 'missing' },
      report.missing,
    );
    metrics.increment?.('act_reconciliation_drift_total', { source: connector.source, kind: 'stale' }, report.stale);
    metrics.increment?.(
      'act_reconciliation_drift_total',
      { source: connector.source, kind: 'drifted' },
      report.drifted,
    );
    metrics.increment?.(
      'act_reconciliation_drift_total',
      { source: connector.source, kind: 'deleted' },
      report.deleted,
    );
    logger.info({ source: connector.source, ...report }, 'reconciliation completed');
    reports.push(report);
  }
  return reports;
}
