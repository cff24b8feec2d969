import { storedDeliveryProcessor } from '../app/webhook-processors';
import { ConfigurationError, classifyError } from '../errors';
import { assertStorableIds } from '../input-limits';
import { type Logger, type Metrics, noopLogger, noopMetrics } from '../observability';
import {
  checkForwarding,
  enqueueAfterApply,
  forwardMessages,
  type OutboxForwarding,
  outboxApplyOption,
  redactPayload,
} from '../outbox/forward';
import {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  createCircuitBreakerRegistry,
} from '../resilience/circuit-breaker';
import { DEFAULT_RETRY_SCHEDULE_MS } from '../resilience/retry';
import { rowKeyString } from '../sink/row-keys';
import { resolveConnector, resolveStore } from '../spec/resolve';
import type {
  ClaimedDeliveryV1,
  CompleteRequestV1,
  ConnectorV1,
  FieldPoliciesV1,
  PendingOutboxMessageV1,
  SinkResultV1,
  SinkV1,
  SourceEventV1,
  StateStoreV1,
  SyncRequestV1,
  SyncStoreV1,
} from '../spec/v1';
import {
  type ApplyEventsOutput,
  describeApplied,
  notifyApplied,
  type PreparedEvents,
  prepareEvents,
} from './apply-events';
import { decideFailure, exhaustedDecision, type FailureDecision, isExhausted } from './failure-policy';
import { mergeFieldPolicies } from './field-policy';
import { syncStream } from './sync-stream';

export interface WorkerOptions {
  /** Every connector whose deliveries this worker processes, by `source`. */
  connectors: readonly ConnectorV1[];
  store: StateStoreV1;
  sink: SinkV1;
  /** Worker name in attempt history; defaults to a random id. */
  owner?: string;
  /** Deliveries claimed per round. Defaults to 10. */
  batchSize?: number;
  /** Deliveries processed at once within a round. Defaults to 4. */
  concurrency?: number;
  /** How long a claim holds; a crashed worker's deliveries are reclaimed after it. Defaults to 60 s. */
  leaseMs?: number;
  /**
   * Pause between rounds when the queue is empty. Defaults to 1 s. With a
   * wake source (`wakeOn`) this is only the fallback poll: new work wakes
   * the worker at once.
   */
  idleDelayMs?: number;
  /**
   * Where the worker hears of new work, so it claims at once instead of
   * sleeping `idleDelayMs`: called by `start()` with a `wake` function,
   * returns the function `stop()` calls to unsubscribe. Defaults to the
   * store's `onDeliveryEnqueued` (the memory store hears its own enqueues, the
   * Postgres store every process's through `LISTEN` on node-postgres and
   * PGlite); `false` turns it off (polling only).
   */
  wakeOn?: ((wake: () => void) => () => void) | false;
  /** Delays before each retry of a transient failure; one entry per retry. Defaults to 1 m, 5 m, 15 m, 1 h, 6 h. */
  retrySchedule?: readonly number[];
  /** Jitter fraction around each delay. Defaults to 0.2. */
  jitter?: number;
  /** Extra field policies per source, merged with each connector's defaults. */
  fieldPolicies?: Readonly<Record<string, FieldPoliciesV1>>;
  /** Breakers per source (outbound calls) and for the sink; `false` turns them off. */
  circuitBreaker?: Omit<CircuitBreakerOptions, 'name' | 'onStateChange'> | false;
  /**
   * The sync engine's store: deliveries that ask for a stream sync
   * (`ParsedDeliveryV1.sync`) hold its stream lease while they run, so a
   * scheduled poll of the same stream never runs beside them, and tenants a
   * webhook event connects or disconnects (`ConnectorV1.lifecycle`) are
   * recorded in its connections registry.
   */
  sync?: SyncStoreV1;
  /**
   * Forward applied events to outbox destinations (`OutboxDestinationV1.forward`):
   * each delivery's messages are enqueued in the same transaction as its rows
   * where the sink can (`supportsOutboxCommit`), otherwise through the
   * outbox store right after the write and before the delivery completes (a
   * crash between the two processes the delivery again, and the message key
   * dedupes). `createAct` sets it from the app's and connectors' destinations.
   */
  outbox?: OutboxForwarding | undefined;
  logger?: Logger;
  metrics?: Metrics;
  now?: () => Date;
  random?: () => number;
}

export type DeliveryOutcome = 'done' | 'retrying' | 'dead' | 'lease-lost';

export interface WorkerRoundResult {
  claimed: number;
  outcomes: Record<DeliveryOutcome, number>;
}

export interface Worker {
  /** Claim one batch and process it. */
  runOnce(): Promise<WorkerRoundResult>;
  /** Run rounds until nothing is due (the queue is drained or everything waits for a retry). */
  drain(options?: { maxRounds?: number }): Promise<WorkerRoundResult>;
  /** Run rounds in the background until `stop()`. */
  start(): void;
  /** Finish the current round and stop. */
  stop(): Promise<void>;
  /** The breakers, by name (`source:ghl`, `sink`), for health pages. */
  readonly breakers: ReadonlyMap<string, CircuitBreaker>;
}

const PACKAGE_NAME = '@act/core';

/**
 * The process path. Claims deliveries from the inbox with a lease and
 * processes the claimed batch together: every delivery is re-parsed from the
 * stored raw request with the connector's processor, hydrated and transformed
 * on its own (`concurrency` at a time, a failure fails only that delivery),
 * then all their operations go to the sink in one `apply` and all the
 * deliveries complete, with their integration events, in one `completeMany`:
 * a round costs three transactions, not two per delivery. Deliveries that
 * write the same row go to successive `apply` calls in claim order, so the
 * mirror and the reported outcomes are exactly those of one-by-one
 * processing. When a batched `apply` fails, its deliveries are applied and
 * failed one by one, so one poison delivery cannot hold up the rest.
 *
 * A provider 401 makes the connector refresh the tenant's credentials and the
 * delivery is prepared again at once. Any other failure is decided per
 * delivery by the failure policy (`decideFailure` in `failure-policy.ts`):
 * dead-lettered at once, retried after `Retry-After` or when the breaker
 * allows a trial, or retried on the schedule until it runs out.
 *
 * At-least-once delivery plus version-guarded, idempotent sink writes make
 * the effect exactly-once: a delivery processed twice changes nothing twice.
 */
export function createWorker(options: WorkerOptions): Worker {
  const store = resolveStore(options.store, 'state store');
  const sink = resolveStore(options.sink, 'sink');
  const resolved = options.connectors.map(resolveConnector);
  const logger = options.logger ?? noopLogger;
  const metrics = options.metrics ?? noopMetrics;
  const now = options.now ?? (() => new Date());
  const owner = options.owner ?? `worker-${crypto.randomUUID().slice(0, 8)}`;
  const batchSize = options.batchSize ?? 10;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const leaseMs = options.leaseMs ?? 60_000;
  const idleDelayMs = options.idleDelayMs ?? 1_000;
  const schedule = options.retrySchedule ?? DEFAULT_RETRY_SCHEDULE_MS;
  const forwarding = checkForwarding(options.outbox);
  const connectors = new Map(resolved.map((connector) => [connector.source, connector]));
  const policies = new Map(
    resolved.map((connector) => [
      connector.source,
      mergeFieldPolicies(connector.transformer.fieldPolicies, options.fieldPolicies?.[connector.source]),
    ]),
  );

  const breakers = createCircuitBreakerRegistry({
    options: options.circuitBreaker,
    onStateChange: (name, state) => {
      metrics.increment?.('act_circuit_state', { name, state });
      logger.warn({ breaker: name, state }, `circuit ${name} is ${state}`);
    },
  });
  const guard =
    (name: string) =>
    <T>(fn: () => Promise<T>): Promise<T> => {
      const instance = breakers.get(name);
      return instance ? instance.execute(fn) : fn();
    };

  const logOf = (delivery: ClaimedDeliveryV1) => ({
    deliveryId: delivery.id,
    source: delivery.source,
    tenant: delivery.tenant,
    correlationId: delivery.correlationId,
  });

  /** Record `decision` for `delivery` in the store and log it. */
  async function recordFailure(
    delivery: ClaimedDeliveryV1,
    decision: FailureDecision,
    startedAt: Date,
    log: Record<string, unknown>,
  ): Promise<DeliveryOutcome> {
    const { errorClass, retryAt, countsTowardsSchedule, reason } = decision;
    const outcome = await store.fail({
      id: delivery.id,
      claimToken: delivery.claimToken,
      error: reason,
      errorClass,
      retryAt,
      countsTowardsSchedule,
      startedAt,
    });
    const level = outcome === 'dead' ? 'error' : 'warn';
    logger[level](
      { ...log, errorClass, retryAt: retryAt?.toISOString() ?? null, error: reason },
      outcome === 'dead' ? 'delivery dead-lettered' : 'delivery will be retried',
    );
    return outcome;
  }

  /** Fail `delivery` after `error`, as the failure policy decides. */
  const failDelivery = (delivery: ClaimedDeliveryV1, error: unknown, startedAt: Date, log: Record<string, unknown>) =>
    recordFailure(
      delivery,
      decideFailure(error, delivery.attempts, now(), { schedule, jitter: options.jitter, random: options.random }),
      startedAt,
      log,
    );

  const connectorFor = (delivery: ClaimedDeliveryV1): ConnectorV1 => {
    const connector = connectors.get(delivery.source);
    if (!connector?.webhooks) {
      throw new ConfigurationError({
        packageName: PACKAGE_NAME,
        message: `no connector with a webhook processor is registered for source "${delivery.source}"`,
      });
    }
    return connector;
  };

  const parseDelivery = async (connector: ConnectorV1, delivery: ClaimedDeliveryV1) => {
    // The processor that accepted it (recorded on the row by the receive path).
    const processor = storedDeliveryProcessor(connector, delivery.headers);
    const parsed = await processor.parse({
      method: delivery.method,
      url: delivery.url,
      headers: delivery.headers,
      body: delivery.body,
      receivedAt: delivery.receivedAt,
    });
    // The receive path's check again: a delivery kept as unparseable for its ids is
    // dead-lettered at once with the reason instead of failing in the store on every try.
    assertStorableIds(parsed, processor.packageName);
    return parsed;
  };

  /** Run `run`; after a provider 401, refresh the tenant's credentials once and run it again at once. */
  async function withRefresh<T>(delivery: ClaimedDeliveryV1, log: Record<string, unknown>, run: () => Promise<T>) {
    try {
      return await run();
    } catch (error) {
      // A 401 from the provider: refresh once and retry at once, because the
      // usual cause is an access token that expired in flight.
      const connector = connectors.get(delivery.source);
      if (classifyError(error).errorClass !== 'auth' || !connector?.refreshCredentials) throw error;
      logger.info(log, 'provider answered 401: refreshing credentials and retrying');
      await connector.refreshCredentials(delivery.tenant);
      return run();
    }
  }

  const recordApplied = (delivery: ClaimedDeliveryV1, output: ApplyEventsOutput) => {
    for (const event of output.integrationEvents) {
      metrics.increment?.('act_events_applied_total', { source: delivery.source, outcome: event.outcome });
      if (event.latencyMs !== undefined)
        metrics.observe?.('act_event_latency_ms', event.latencyMs, { source: delivery.source });
    }
  };

  const logProcessed = (log: Record<string, unknown>, output: ApplyEventsOutput) =>
    logger.debug(
      {
        ...log,
        created: output.result.created,
        updated: output.result.updated,
        skipped: output.result.skipped,
        deleted: output.result.deleted,
      },
      'delivery processed',
    );

  interface Prepared {
    delivery: ClaimedDeliveryV1;
    connector: ConnectorV1;
    startedAt: Date;
    /** Clock at the start, for the duration metric. */
    started: number;
    log: Record<string, unknown>;
    prepared: PreparedEvents;
    /** The rows its operations write (table and key), each once. */
    rows: Set<string>;
    /** Its outbox messages, operation indices within its own operations. */
    outbox: PendingOutboxMessageV1[];
  }

  interface Applied extends Prepared {
    output: ApplyEventsOutput;
  }

  const EMPTY_RESULT: SinkResultV1 = { created: 0, updated: 0, skipped: 0, deleted: 0, outcomes: [] };

  /**
   * Parse, hydrate and transform one delivery; nothing is written. A delivery
   * asking for a stream sync is only parsed: its work is `runSync`.
   */
  const prepareDelivery = (
    delivery: ClaimedDeliveryV1,
    log: Record<string, unknown>,
  ): Promise<{ connector: ConnectorV1; prepared: PreparedEvents } | { connector: ConnectorV1; sync: SyncRequestV1 }> =>
    withRefresh(delivery, log, async () => {
      const connector = connectorFor(delivery);
      const parsed = await parseDelivery(connector, delivery);
      if (parsed.sync) return { connector, sync: parsed.sync };
      const prepared = await prepareEvents({
        connector,
        events: parsed.events,
        policies: policies.get(delivery.source) ?? {},
        receivedAt: delivery.receivedAt,
        deliveryId: delivery.id,
        guardSource: guard(`source:${delivery.source}`),
      });
      return { connector, prepared };
    });

  /**
   * One `sink.apply` for every operation of `group`, each delivery's outcomes
   * read back from its slice. The sink collapses operations on one row, so
   * callers never put two deliveries writing the same row in one group.
   */
  async function applyGroup(group: readonly Prepared[]): Promise<ApplyEventsOutput[]> {
    const operations =
      group.length === 1
        ? (group[0] as Prepared).prepared.operations
        : group.flatMap((item) => item.prepared.operations);
    let offset = 0;
    const outbox = group.flatMap((item) => {
      const shifted = item.outbox.map((message) =>
        message.operation !== undefined ? { ...message, operation: message.operation + offset } : message,
      );
      offset += item.prepared.operations.length;
      return shifted;
    });
    const outboxOption = operations.length === 0 ? {} : outboxApplyOption(sink, outbox);
    const result =
      operations.length === 0
        ? EMPTY_RESULT
        : await guard('sink')(() =>
            'outbox' in outboxOption ? sink.apply(operations, outboxOption) : sink.apply(operations),
          );
    // Before the deliveries complete: a crash in between processes them again, and the keys dedupe.
    await enqueueAfterApply(forwarding, outbox, result, 'outbox' in outboxOption);
    const committedAt = now();
    offset = 0;
    return group.map((item) => {
      const count = item.prepared.operations.length;
      const outcomes = result.outcomes.slice(offset, offset + count);
      offset += count;
      const own: SinkResultV1 = { created: 0, updated: 0, skipped: 0, deleted: 0, outcomes };
      for (const outcome of outcomes) own[outcome.outcome] += 1;
      return describeApplied(
        item.prepared,
        own,
        {
          triggeredBy: 'webhook',
          receivedAt: item.delivery.receivedAt,
          correlationId: item.delivery.correlationId,
          deliveryId: item.delivery.id,
        },
        committedAt,
      );
    });
  }

  /**
   * Split the batch into groups that can share one `apply`: a delivery goes
   * after every earlier delivery that writes one of its rows. Within a group
   * no row is written by two deliveries, so the sink's collapse of same-row
   * operations never decides between deliveries: the result is what applying
   * them one by one in claim order gives (usually the whole batch is one group).
   */
  function planGroups(items: readonly Prepared[]): Prepared[][] {
    const groups: Prepared[][] = [];
    const lastGroup = new Map<string, number>();
    for (const item of items) {
      let index = 0;
      for (const row of item.rows) {
        const previous = lastGroup.get(row);
        if (previous !== undefined && previous + 1 > index) index = previous + 1;
      }
      for (const row of item.rows) lastGroup.set(row, index);
      let group = groups[index];
      if (!group) {
        group = [];
        groups[index] = group;
      }
      group.push(item);
    }
    return groups;
  }

  async function completeAll(requests: CompleteRequestV1[]): Promise<boolean[]> {
    const results = await store.completeMany(requests);
    if (results.length !== requests.length) {
      throw new Error(
        `[${PACKAGE_NAME}] completeMany answered ${results.length} results for ${requests.length} deliveries`,
      );
    }
    return results;
  }

  /** Apply and complete one prepared delivery at once, on its own. */
  async function finishAlone(item: Prepared, settle: (d: ClaimedDeliveryV1, o: DeliveryOutcome, s: number) => void) {
    let output: ApplyEventsOutput;
    try {
      [output] = (await applyGroup([item])) as [ApplyEventsOutput];
    } catch (error) {
      settle(item.delivery, await failDelivery(item.delivery, error, item.startedAt, item.log), item.started);
      return;
    }
    let completed: boolean;
    try {
      [completed] = (await completeAll([
        {
          id: item.delivery.id,
          claimToken: item.delivery.claimToken,
          events: output.integrationEvents,
          startedAt: item.startedAt,
        },
      ])) as [boolean];
    } catch (error) {
      settle(item.delivery, await failDelivery(item.delivery, error, item.startedAt, item.log), item.started);
      return;
    }
    recordApplied(item.delivery, output);
    if (!completed) {
      logger.warn(item.log, 'lease lost before completion: another worker owns the delivery now');
      settle(item.delivery, 'lease-lost', item.started);
      return;
    }
    await notifyApplied(item.connector, output.applied, logger);
    await applyLifecycle(item.connector, output.applied, item.log);
    logProcessed(item.log, output);
    settle(item.delivery, 'done', item.started);
  }

  /**
   * Run the stream sync a delivery asks for (a push that only says "this
   * stream changed"), from the stream's stored cursor, under the delivery's
   * lease (renewed every third of it between pages; a lost lease stops the
   * sync before its next write) and the stream lease of `options.sync`.
   * Pages are committed with their cursor and integration events as they go,
   * so the delivery completes with none of its own.
   */
  async function runSync(
    delivery: ClaimedDeliveryV1,
    connector: ConnectorV1,
    request: SyncRequestV1,
    startedAt: Date,
    log: Record<string, unknown>,
  ): Promise<DeliveryOutcome> {
    const syncLog = { ...log, stream: request.stream, ...(request.hint !== undefined ? { hint: request.hint } : {}) };
    try {
      const poller = connector.pollers?.find((candidate) => candidate.stream === request.stream);
      if (!poller) {
        const streams = (connector.pollers ?? []).map((candidate) => `"${candidate.stream}"`);
        throw new ConfigurationError({
          packageName: PACKAGE_NAME,
          message: `a ${delivery.source} delivery asks to sync stream "${request.stream}" of tenant ${delivery.tenant}, but the ${delivery.source} connector has no poller for it (${
            connector.missingApiCredentials
              ? `it was created without API credentials: set ${connector.missingApiCredentials}`
              : streams.length
                ? `its streams: ${streams.join(', ')}`
                : 'it has no pollers'
          })`,
        });
      }
      // Taken (or last extended) when the claim was: the lease runs from then, not from now.
      let renewedAt = Math.min(now().getTime(), delivery.leaseExpiresAt.getTime() - leaseMs);
      const renew = async () => {
        if (now().getTime() - renewedAt < leaseMs / 3) return true;
        const held = await store.renewLease({ id: delivery.id, claimToken: delivery.claimToken, leaseMs });
        if (held) renewedAt = now().getTime();
        return held;
      };
      const result = await withRefresh(delivery, syncLog, () =>
        syncStream({
          connector,
          poller,
          tenant: delivery.tenant,
          store,
          sink,
          triggeredBy: 'webhook',
          correlationId: delivery.correlationId,
          fieldPolicies: policies.get(delivery.source) ?? {},
          renew,
          ...(options.sync ? { sync: options.sync } : {}),
          ...(forwarding ? { outbox: forwarding } : {}),
          owner,
          leaseMs,
          guardSource: guard(`source:${delivery.source}`),
          guardSink: guard('sink'),
          logger,
          metrics,
          now,
        }),
      );
      const [completed] = await completeAll([
        { id: delivery.id, claimToken: delivery.claimToken, events: [], startedAt },
      ]);
      if (!completed) {
        logger.warn(syncLog, 'lease lost before completion: another worker owns the delivery now');
        return 'lease-lost';
      }
      await register(delivery.source, delivery.tenant, syncLog);
      logger.debug(
        {
          ...syncLog,
          pages: result.pages,
          events: result.events,
          created: result.created,
          updated: result.updated,
          deleted: result.deleted,
          cursorExpired: result.cursorExpired,
        },
        'stream synced',
      );
      return 'done';
    } catch (error) {
      return failDelivery(delivery, error, startedAt, syncLog);
    }
  }

  /** Tenants this worker has already put in the registry (one `connect` per tenant and process). */
  const registered = new Set<string>();

  /** Add a tenant whose data the worker wrote to the registry, unless a person disconnected it. */
  async function register(source: string, tenant: string, log: Record<string, unknown>): Promise<void> {
    const key = `${source}\u0000${tenant}`;
    if (!options.sync || tenant === '' || tenant === 'unknown' || registered.has(key)) return;
    try {
      // ifAbsent: a tenant disconnected on purpose stays disconnected however much it sends.
      await options.sync.connect({ source, tenant, ifAbsent: true, now: now() });
      registered.add(key);
    } catch (error) {
      logger.warn(
        { ...log, tenant, error: error instanceof Error ? error.message : String(error) },
        'tenant not registered: the connections registry failed (tried again with its next delivery)',
      );
    }
  }

  /**
   * Keep the connections registry up to date after a delivery's writes
   * commit: first the tenants its events connect or disconnect
   * (`ConnectorV1.lifecycle`: GoHighLevel's INSTALL and UNINSTALL), then
   * every tenant whose mirror rows it wrote, so the scheduler polls and
   * reconciles the tenants webhooks arrive for without anyone listing them.
   * Only tenants with mirror rows: an agency-level GoHighLevel event carries
   * a company id, which is no location to sync. After the commit, like
   * `onApplied`: errors are logged, never retried (the write they follow is done).
   */
  async function applyLifecycle(
    connector: ConnectorV1,
    applied: readonly { event: SourceEventV1; result: { table?: string } }[],
    log: Record<string, unknown>,
  ): Promise<void> {
    if (connector.lifecycle) {
      for (const { event } of applied) {
        try {
          for (const change of connector.lifecycle(event) ?? []) {
            if (!options.sync) {
              logger.warn(
                { ...log, tenant: change.tenant, action: change.action },
                'tenant lifecycle event not recorded: the worker has no sync store (WorkerOptions.sync)',
              );
              continue;
            }
            if (change.action === 'connect') {
              await options.sync.connect({
                source: connector.source,
                tenant: change.tenant,
                ...(change.displayName !== undefined ? { displayName: change.displayName } : {}),
                now: now(),
              });
              registered.add(`${connector.source}\u0000${change.tenant}`);
            } else {
              await options.sync.disconnect({
                source: connector.source,
                tenant: change.tenant,
                ...(change.reason !== undefined ? { reason: change.reason } : {}),
                now: now(),
              });
              registered.delete(`${connector.source}\u0000${change.tenant}`);
            }
            logger.info({ ...log, tenant: change.tenant, action: change.action }, `tenant ${change.action}ed`);
          }
        } catch (error) {
          logger.error(
            { ...log, type: event.type, error: error instanceof Error ? error.message : String(error) },
            `[${connector.packageName}] tenant lifecycle update failed`,
          );
        }
      }
    }
    for (const { event, result } of applied) {
      if (result.table !== undefined) await register(connector.source, event.tenant, log);
    }
  }

  /**
   * `processBatch`, with the batch's stream syncs (which it starts and does
   * not wait for) awaited at the end: a long sync must not hold the other
   * deliveries' writes while their leases run out.
   */
  async function runBatch(
    claimed: readonly ClaimedDeliveryV1[],
    settle: (delivery: ClaimedDeliveryV1, outcome: DeliveryOutcome, started: number) => void,
    claimedAt: number,
  ) {
    const syncs: Promise<void>[] = [];
    let syncError: { error: unknown } | undefined;
    const startSync = (run: () => Promise<void>) => {
      // Handled at once: a rejection waiting for the batch would be an unhandled one.
      syncs.push(
        run().catch((error: unknown) => {
          syncError ??= { error };
        }),
      );
    };
    try {
      await processBatch(claimed, settle, claimedAt, startSync);
    } finally {
      await Promise.all(syncs);
    }
    if (syncError) throw syncError.error;
  }

  async function processBatch(
    claimed: readonly ClaimedDeliveryV1[],
    settle: (delivery: ClaimedDeliveryV1, outcome: DeliveryOutcome, started: number) => void,
    claimedAt: number,
    startSync: (run: () => Promise<void>) => void,
  ) {
    // 1. Parse, hydrate, transform: each on its own, a failure fails only its delivery.
    const ready: (Prepared | undefined)[] = new Array(claimed.length);
    await forEachLimited(claimed, concurrency, async (delivery, index) => {
      const started = now().getTime();
      const startedAt = now();
      const log = logOf(delivery);
      if (isExhausted(delivery, schedule)) {
        // Its leases kept expiring (it crashes or hangs its worker): stop here.
        settle(delivery, await recordFailure(delivery, exhaustedDecision(delivery), startedAt, log), started);
        return;
      }
      try {
        const parsed = await prepareDelivery(delivery, log);
        if ('sync' in parsed) {
          // Not batched: the sync writes page by page, each page with its cursor, while the batch goes on.
          startSync(async () =>
            settle(delivery, await runSync(delivery, parsed.connector, parsed.sync, startedAt, log), started),
          );
          return;
        }
        const { connector, prepared } = parsed;
        const rows = new Set(
          prepared.operations.map((operation) => `${operation.table}\u0000${rowKeyString(operation.key)}`),
        );
        const outbox = forwardMessages(forwarding, prepared, {
          source: delivery.source,
          triggeredBy: 'webhook',
          deliveryId: delivery.id,
          correlationId: delivery.correlationId,
          redact: (event) => redactPayload(connector.transformer, event, policies.get(delivery.source) ?? {}),
        });
        const item: Prepared = { delivery, connector, startedAt, started, log, prepared, rows, outbox };
        // Slow preparation (a rate limiter's wait, a slow provider) must not let the
        // batch's leases lapse while it waits for the rest: past half the lease,
        // a delivery is written and completed on its own, at once.
        if (now().getTime() - claimedAt > leaseMs / 2) {
          await finishAlone(item, settle);
          return;
        }
        ready[index] = item;
      } catch (error) {
        settle(delivery, await failDelivery(delivery, error, startedAt, log), started);
      }
    });

    // 2. Apply: one `apply` per group (usually one for the whole batch).
    const applied: Applied[] = [];
    for (const group of planGroups(ready.filter((item): item is Prepared => item !== undefined))) {
      try {
        const outputs = await applyGroup(group);
        group.forEach((item, index) => {
          applied.push({ ...item, output: outputs[index] as ApplyEventsOutput });
        });
      } catch (error) {
        if (group.length === 1) {
          const item = group[0] as Prepared;
          settle(item.delivery, await failDelivery(item.delivery, error, item.startedAt, item.log), item.started);
          continue;
        }
        // Find the delivery that cannot be written: the others must not wait for it.
        logger.warn(
          { deliveries: group.length, error: error instanceof Error ? error.message : String(error) },
          'batched sink write failed: applying its deliveries one by one',
        );
        for (const item of group) {
          try {
            const [output] = await applyGroup([item]);
            applied.push({ ...item, output: output as ApplyEventsOutput });
          } catch (alone) {
            settle(item.delivery, await failDelivery(item.delivery, alone, item.startedAt, item.log), item.started);
          }
        }
      }
    }
    if (applied.length === 0) return;

    // 3. Complete every applied delivery with its integration events, in one call.
    let completed: boolean[];
    try {
      completed = await completeAll(
        applied.map((item) => ({
          id: item.delivery.id,
          claimToken: item.delivery.claimToken,
          events: item.output.integrationEvents,
          startedAt: item.startedAt,
        })),
      );
    } catch (error) {
      for (const item of applied) {
        settle(item.delivery, await failDelivery(item.delivery, error, item.startedAt, item.log), item.started);
      }
      return;
    }

    // 4. After the commit: metrics, post-commit hooks.
    await forEachLimited(applied, concurrency, async (item, index) => {
      recordApplied(item.delivery, item.output);
      if (!completed[index]) {
        logger.warn(item.log, 'lease lost before completion: another worker owns the delivery now');
        settle(item.delivery, 'lease-lost', item.started);
        return;
      }
      await notifyApplied(item.connector, item.output.applied, logger);
      await applyLifecycle(item.connector, item.output.applied, item.log);
      logProcessed(item.log, item.output);
      settle(item.delivery, 'done', item.started);
    });
  }

  async function runOnce(): Promise<WorkerRoundResult> {
    const claimedAt = now().getTime();
    const claimed = await store.claim({ owner, limit: batchSize, leaseMs, sources: [...connectors.keys()] });
    const outcomes: Record<DeliveryOutcome, number> = { done: 0, retrying: 0, dead: 0, 'lease-lost': 0 };
    const settle = (delivery: ClaimedDeliveryV1, outcome: DeliveryOutcome, started: number) => {
      outcomes[outcome] += 1;
      metrics.increment?.('act_deliveries_processed_total', {
        source: delivery.source,
        outcome: outcome.replace('-', '_'),
      });
      metrics.observe?.('act_process_duration_ms', now().getTime() - started, { source: delivery.source });
    };
    await runBatch(claimed, settle, claimedAt);
    return { claimed: claimed.length, outcomes };
  }

  let running: Promise<void> | undefined;
  let stopping = false;
  /** Ends the current idle pause early. */
  let interrupt: (() => void) | undefined;
  /** New work was announced since the round began: claim again at once. */
  let woken = false;
  let unsubscribeWake: (() => void) | undefined;
  const wake = () => {
    woken = true;
    interrupt?.();
  };

  return {
    runOnce,
    breakers: breakers.all,
    async drain({ maxRounds = 1_000 } = {}) {
      const total: WorkerRoundResult = { claimed: 0, outcomes: { done: 0, retrying: 0, dead: 0, 'lease-lost': 0 } };
      for (let round = 0; round < maxRounds; round++) {
        const result = await runOnce();
        if (result.claimed === 0) break;
        total.claimed += result.claimed;
        for (const key of Object.keys(total.outcomes) as DeliveryOutcome[]) total.outcomes[key] += result.outcomes[key];
      }
      return total;
    },
    start() {
      if (running) return;
      stopping = false;
      const wakeSource =
        options.wakeOn === undefined
          ? (listener: () => void) => store.onDeliveryEnqueued(listener)
          : options.wakeOn || undefined;
      try {
        unsubscribeWake = wakeSource?.(wake);
      } catch (error) {
        logger.warn(
          { owner, error: error instanceof Error ? error.message : String(error) },
          'worker wake-up source failed: polling only',
        );
      }
      running = (async () => {
        while (!stopping) {
          woken = false;
          let result: WorkerRoundResult | undefined;
          try {
            result = await runOnce();
          } catch (error) {
            logger.error(
              { owner, error: error instanceof Error ? error.message : String(error) },
              'worker round failed',
            );
          }
          if (stopping) break;
          // A full batch, or work announced during the round: claim again at once.
          if (result && (result.claimed >= batchSize || woken)) continue;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, idleDelayMs);
            interrupt = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          interrupt = undefined;
        }
      })();
    },
    async stop() {
      stopping = true;
      interrupt?.();
      try {
        unsubscribeWake?.();
      } catch {
        // Stopping anyway.
      }
      unsubscribeWake = undefined;
      await running;
      running = undefined;
    },
  };
}

/** Run `fn` over `items`, at most `limit` at a time. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, lane));
}
