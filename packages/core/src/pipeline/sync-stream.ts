import { ActError, CursorExpiredError, RateLimitError } from '../errors';
import { type Logger, type Metrics, noopLogger, noopMetrics } from '../observability';
import type { OutboxForwarding } from '../outbox/forward';
import type {
  ConnectorV1,
  FieldPoliciesV1,
  PollerV1,
  PollPageV1,
  SinkV1,
  StateStoreV1,
  SyncStoreV1,
  TriggerV1,
} from '../spec/v1';
import { applyEvents, notifyApplied } from './apply-events';
import { mergeFieldPolicies } from './field-policy';
import { type ReconciliationReport, runReconciliation } from './run-reconciliation';

const PACKAGE_NAME = '@act/core';

export interface SyncStreamOptions {
  connector: ConnectorV1;
  /** The stream's poller (one of `connector.pollers`). */
  poller: PollerV1;
  tenant: string;
  store: StateStoreV1;
  sink: SinkV1;
  /** What started it: a push that said the stream changed (`webhook`) or a scheduled poll (`poll`). */
  triggeredBy?: Extract<TriggerV1, 'webhook' | 'poll'>;
  /** Ties the sync's logs and integration events to the delivery that asked for it. */
  correlationId?: string;
  /** Field policies merged with the connector's defaults; the caller may pass them merged already. */
  fieldPolicies?: FieldPoliciesV1;
  /**
   * Asked before each page is written: `false` means the caller's lease (a
   * claimed delivery's, a scheduler job's) was lost and another process may
   * be running this work, so the sync stops at once, writing nothing more.
   */
  renew?: () => Promise<boolean>;
  /**
   * With it, the sync holds the named lease `stream:<source>:<tenant>:<stream>`
   * while it runs, so a scheduled poll and a webhook-triggered sync of one
   * stream never run at once; the second is refused with a `RateLimitError`
   * (retried when the holder's lease ends, not counted as an attempt). A
   * `cursor_expired` sync event is logged here too.
   */
  sync?: SyncStoreV1;
  /** Who holds the stream lease (a worker's or scheduler's name); a unique suffix is added per sync. */
  owner?: string;
  /** How long the stream lease holds without renewal; renewed before each page. Defaults to 60 s. */
  leaseMs?: number;
  /** Stop after this many pages (a backfill in slices); unlimited by default. */
  maxPages?: number;
  /**
   * Forward applied events to outbox destinations (`OutboxDestinationV1.forward`):
   * enqueued with each page's rows where the sink can (`supportsOutboxCommit`).
   */
  outbox?: OutboxForwarding;
  /** Wraps the sink write (a circuit breaker). */
  guardSink?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Wraps outbound calls of the transform path (hydrate). */
  guardSource?: <T>(fn: () => Promise<T>) => Promise<T>;
  signal?: AbortSignal | undefined;
  logger?: Logger;
  metrics?: Metrics;
  now?: () => Date;
  /** Called after each committed page: progress bars, tests. */
  onPage?: (progress: { stream: string; page: number; events: number; cursor: string }) => void;
}

export interface SyncStreamResult {
  pages: number;
  events: number;
  created: number;
  updated: number;
  skipped: number;
  deleted: number;
  /** The stored cursor had expired: the stream was synced again from the start. */
  cursorExpired: boolean;
  /** The stream's reconcilers run after a resync (empty otherwise). */
  reconciliations: ReconciliationReport[];
}

/** The named lease one sync of a stream holds (`SyncStoreV1.acquireLease`). */
export function streamLeaseName(source: string, tenant: string, stream: string): string {
  return `stream:${source}:${tenant}:${stream}`;
}

/**
 * Sync one stream of one tenant from its stored cursor: each page's rows are
 * written with the page's cursor and its integration events (in the same
 * transaction where the sink supports it — `supportsCursorCommit`,
 * `supportsEventCommit` — otherwise each right after), so a crash re-reads at
 * most one page, never skips one, and never loses a committed page's events. What a scheduled poll and a webhook that only
 * says "this stream changed" (Gmail's history id) both run.
 *
 * When the provider refuses the stored cursor (`CursorExpiredError`), the
 * stream is synced again from `null` (the poller's backfill, which ends with
 * a fresh cursor) and the reconcilers of the stream run after it, so a
 * record deleted while the cursor was stale is deleted from the mirror too.
 */
export async function syncStream(options: SyncStreamOptions): Promise<SyncStreamResult> {
  const { connector, poller, tenant, store, sink } = options;
  const logger = options.logger ?? noopLogger;
  const metrics = options.metrics ?? noopMetrics;
  const now = options.now ?? (() => new Date());
  const direct = <T>(fn: () => Promise<T>) => fn();
  const guardSource = options.guardSource ?? direct;
  const policies = mergeFieldPolicies(connector.transformer.fieldPolicies, options.fieldPolicies);
  const key = { source: connector.source, tenant, stream: poller.stream };
  const log = {
    source: connector.source,
    tenant,
    stream: poller.stream,
    ...(options.correlationId ? { correlationId: options.correlationId } : {}),
  };
  const total: SyncStreamResult = {
    pages: 0,
    events: 0,
    created: 0,
    updated: 0,
    skipped: 0,
    deleted: 0,
    cursorExpired: false,
    reconciliations: [],
  };

  // One sync per stream at a time, across processes.
  const { sync } = options;
  const leaseName = streamLeaseName(connector.source, tenant, poller.stream);
  // Unique per sync: two syncs of one worker (one owner name) must not share the lease.
  const leaseOwner = `${options.owner ?? 'sync'}:${crypto.randomUUID().slice(0, 8)}`;
  const leaseMs = options.leaseMs ?? 60_000;
  let leaseRenewedAt = 0;
  if (sync) {
    const at = now();
    const lease = await sync.acquireLease({ name: leaseName, owner: leaseOwner, leaseMs, now: at });
    if (!lease.acquired) {
      const remaining = lease.expiresAt.getTime() - at.getTime();
      logger.info({ ...log, holder: lease.holder }, 'stream sync already running elsewhere: handed back');
      throw new RateLimitError({
        packageName: PACKAGE_NAME,
        scope: leaseName,
        limitName: `one sync at a time (held by ${lease.holder})`,
        // At least a second, so a lease ending now is not retried in a tight loop.
        retryAfterMs: Math.max(1_000, remaining),
      });
    }
    leaseRenewedAt = at.getTime();
  }

  /** Before each write: the caller's lease, then the stream's (every third of its length). */
  const stillHeld = async (pages: number) => {
    if (options.renew && !(await options.renew())) {
      throw leaseLost(
        options.triggeredBy === 'webhook' ? 'the lease of the delivery that asked for it' : "the caller's lease",
        pages,
      );
    }
    if (sync && now().getTime() - leaseRenewedAt >= leaseMs / 3) {
      const at = now();
      const lease = await sync.acquireLease({ name: leaseName, owner: leaseOwner, leaseMs, now: at });
      if (!lease.acquired) throw leaseLost(`the stream lease ${leaseName} (now held by ${lease.holder})`, pages);
      leaseRenewedAt = at.getTime();
    }
  };
  const leaseLost = (what: string, pages: number) =>
    new ActError({
      packageName: PACKAGE_NAME,
      message: `sync of ${connector.source} stream "${poller.stream}" for tenant ${tenant} stopped after ${pages} pages: ${what} was lost, so nothing more is written`,
      errorClass: 'transient',
    });

  /** Walk the poller from `cursor`, committing each page with its cursor. Resolves `false` at `maxPages`. */
  const walk = async (cursor: string | null): Promise<boolean> => {
    let page = 0;
    const pages = poller.poll({ tenant, cursor, signal: options.signal })[Symbol.asyncIterator]();
    try {
      while (true) {
        // Each page fetch is one outbound call: the source's breaker sees it.
        const step = await guardSource(() => pages.next());
        if (step.done) return true;
        if (await commitPage(step.value, page + 1)) return false;
        page += 1;
      }
    } finally {
      // Ends the poller's generator (its `finally` blocks run) when the loop stops early.
      await pages.return?.();
    }
  };

  /** Write one page with its cursor. Resolves `true` when `maxPages` is reached. */
  const commitPage = async ({ events, cursor: next }: PollPageV1, page: number): Promise<boolean> => {
    await stillHeld(total.pages);
    const receivedAt = now();
    const commit = { ...key, cursor: next };
    const { result, integrationEvents, applied, eventsCommitted } = await applyEvents({
      connector,
      events,
      sink,
      policies,
      triggeredBy: options.triggeredBy ?? 'poll',
      receivedAt,
      cursor: commit,
      // Committed with the rows and the cursor where the sink can: a crash
      // between the page's commit and a separate write of its events would
      // lose them for good (the cursor has moved past the page).
      commitEvents: true,
      forward: options.outbox,
      now,
      guardSource,
      guardSink: options.guardSink ?? direct,
      logger,
      signal: options.signal,
      ...(options.correlationId ? { correlationId: options.correlationId } : {}),
    });
    if (!sink.supportsCursorCommit) await store.setCursor(commit);
    if (!eventsCommitted && integrationEvents.length) await store.recordEvents(integrationEvents);
    await notifyApplied(connector, applied, logger);
    total.pages += 1;
    total.events += events.length;
    total.created += result.created;
    total.updated += result.updated;
    total.skipped += result.skipped;
    total.deleted += result.deleted;
    metrics.increment?.('act_poll_pages_total', { source: connector.source, stream: poller.stream });
    options.onPage?.({ stream: poller.stream, page, events: events.length, cursor: next });
    logger.debug({ ...log, page, events: events.length }, 'poll page committed');
    return options.maxPages !== undefined && total.pages >= options.maxPages;
  };

  try {
    const cursor = await store.getCursor(key);
    let finished: boolean;
    try {
      finished = await walk(cursor);
    } catch (error) {
      // Only the stored cursor can expire: a backfill from `null` that fails so is a provider fault.
      if (!CursorExpiredError.isInstance(error) || cursor === null) throw error;
      total.cursorExpired = true;
      logger.warn({ ...log, error: error.message }, 'stream cursor expired: syncing the stream again from the start');
      metrics.increment?.('act_cursor_expired_total', { source: connector.source, stream: poller.stream });
      if (sync) {
        await sync.recordSyncEvent({
          source: connector.source,
          tenant,
          kind: 'cursor_expired',
          detail: { stream: poller.stream, reason: error.message },
          now: now(),
        });
      }
      finished = await walk(null);
      // What was deleted while the cursor was stale shows in no page: only a full listing finds it.
      if (finished) {
        for (const reconciler of connector.reconcilers ?? []) {
          if (reconciler.stream !== poller.stream) continue;
          await stillHeld(total.pages);
          const reports = await runReconciliation({
            connector,
            reconciler,
            tenant,
            store,
            sink,
            ...(options.fieldPolicies ? { fieldPolicies: options.fieldPolicies } : {}),
            ...(options.outbox ? { outbox: options.outbox } : {}),
            signal: options.signal,
            logger,
            metrics,
            now,
          });
          total.reconciliations.push(...reports);
          for (const report of reports) total.deleted += report.deleted;
        }
      }
    }
    return total;
  } finally {
    if (sync) {
      await sync.releaseLease({ name: leaseName, owner: leaseOwner }).catch((error: unknown) => {
        // It expires on its own.
        logger.warn(
          { ...log, error: error instanceof Error ? error.message : String(error) },
          'stream lease not released',
        );
      });
    }
  }
}
