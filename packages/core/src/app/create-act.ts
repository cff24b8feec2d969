import { ConfigurationError } from '../errors';
import { createWebhookHandler } from '../http/create-webhook-handler';
import { createMemoryOutboxStore } from '../memory/memory-outbox-store';
import { createMemorySyncStore } from '../memory/memory-sync-store';
import { type Logger, type Metrics, noopLogger } from '../observability';
import {
  createOutboxDispatcher,
  indexDestinations,
  type OutboxDispatcher,
  type OutboxDispatcherOptions,
} from '../outbox/dispatcher';
import type { OutboxForwarding } from '../outbox/forward';
import { createWorker, type Worker, type WorkerOptions } from '../pipeline/worker';
import { createScheduler, type Scheduler, type SchedulerOptions } from '../scheduler/create-scheduler';
import { createTickHandler } from '../scheduler/tick-handler';
import { assertSupported } from '../spec/resolve';
import type {
  ConnectorV1,
  CredentialStoreV1,
  EnqueueOutboxResultV1,
  NewOutboxMessageV1,
  OutboxDestinationV1,
  OutboxStoreV1,
  RateLimitStoreV1,
  SinkV1,
  StateStoreV1,
  SyncStoreV1,
} from '../spec/v1';
import { createWebhookRouter, normalisePrefix, type WebhookRoute, type WebhookRouter } from './router';
import { defaultProcessorName } from './webhook-processors';

const PACKAGE_NAME = '@act/core';

/**
 * Where an app keeps its state: the inbox and the mirror, and optionally the
 * shared stores connectors use. `@act/sink-supabase`'s `createPostgresState`
 * returns one; in tests, `{ store: createMemoryStateStore(), sink: createMemorySink() }`.
 */
export interface ActState {
  readonly store: StateStoreV1;
  readonly sink: SinkV1;
  /** OAuth tokens per connection, handed to each connector (`oauth.credentials`). */
  readonly credentials?: CredentialStoreV1;
  /** Rate budgets shared by every process, handed to each connector (`rateLimitStore`). */
  readonly rateLimits?: RateLimitStoreV1;
  /** Connections, jobs and their runs, leases and source modes: what the scheduler keeps. */
  readonly sync?: SyncStoreV1;
  /** The outbox: forwards, write-backs and destination writes, leased and retried (`act.outbox`). */
  readonly outbox?: OutboxStoreV1;
  /**
   * Delete what retention allows (old done deliveries, attempts, events),
   * resolving what it deleted per kind: the scheduler's daily `retention`
   * job. Absent for in-memory state.
   */
  cleanup?(): Promise<unknown>;
  /** Apply the state's own migrations, then the connectors'. Absent for in-memory state. */
  migrate?(options: { connectors: readonly ConnectorV1[] }): Promise<unknown>;
}

/**
 * What `createAct` hands each connector factory. Shaped as the overrides
 * every connector's settings loader takes, so a factory is one line:
 * `(context) => createGhlConnector(loadGhlSettings(process.env, context))`.
 * Only what is known is set.
 */
export interface ActConnectorContext {
  /** The state's credential store, where OAuth tokens live and are refreshed under one lease. */
  oauth?: { credentials: CredentialStoreV1 };
  /** The state's rate-limit store, so every process shares the provider's budgets. */
  rateLimitStore?: RateLimitStoreV1;
  logger?: Logger;
  fetch?: typeof globalThis.fetch;
}

/** A connector, or a function that builds it from what `createAct` injects. */
// biome-ignore lint/suspicious/noExplicitAny: any connector's event type; the worker treats them alike.
export type ActConnector = ConnectorV1<any> | ((context: ActConnectorContext) => ConnectorV1<any>);

export interface ActOptions {
  state: ActState;
  connectors: readonly ActConnector[];
  logger?: Logger;
  metrics?: Metrics;
  /** `fetch` for the connectors' API calls (tests, proxies); defaults to each connector's own (the global one). */
  fetch?: typeof globalThis.fetch;
  /** Path the webhook routes sit under (`/webhooks` → `/webhooks/ghl`). Defaults to none (`/ghl`). */
  prefix?: string;
  /** Worker options besides the connectors, stores, logger and metrics (`idleDelayMs`, `batchSize`, …). */
  worker?: Omit<WorkerOptions, 'connectors' | 'store' | 'sink' | 'logger' | 'metrics'>;
  /** Scheduler options besides the connectors, stores, retention, logger and metrics (`pollIntervalMs`, `quietAfterMs`, …). */
  scheduler?: Omit<SchedulerOptions, 'connectors' | 'store' | 'sink' | 'sync' | 'retention' | 'logger' | 'metrics'>;
  /**
   * Mount `POST <prefix>/_act/tick` on `handler`, running one scheduler round
   * per call for a cron, behind `Authorization: Bearer <secret>` (several
   * secrets while rotating). No source can take that path: sources start
   * with a letter or digit.
   */
  tick?: { secret: string | readonly string[] };
  /**
   * What leaves the mirror: `destinations` (an `httpDestination` forward,
   * your own) besides the connectors' own (`ConnectorV1.destinations`), and
   * the dispatcher's options (`concurrency`, `retrySchedule`, …). Messages
   * live in `state.outbox`; state without one gets an in-memory outbox, which
   * forgets its messages on restart.
   */
  outbox?: {
    destinations?: readonly OutboxDestinationV1[];
    dispatcher?: Omit<OutboxDispatcherOptions, 'store' | 'destinations' | 'logger' | 'metrics'>;
  };
}

/** `act.outbox`: the dispatcher (not started), the store, and `enqueue` for what the app sends itself. */
export interface ActOutbox extends OutboxDispatcher {
  readonly store: OutboxStoreV1;
  /** Every destination: the app's, then each connector's. */
  readonly destinations: readonly OutboxDestinationV1[];
  /**
   * Enqueue messages the app starts (a write-back), outside any mirror write;
   * a `(destination, key)` already stored is not added again.
   *
   * @throws ConfigurationError for a destination that is not configured.
   */
  enqueue(messages: readonly NewOutboxMessageV1[]): Promise<EnqueueOutboxResultV1[]>;
}

export interface Act {
  /**
   * Every connector's webhook processors behind one web-standard handler:
   * `POST <prefix>/<source>` reaches the source's `default` (or only)
   * processor, `POST <prefix>/<source>/<processor>` any of them by name. For
   * Node (Express, `http`), wrap it in `toNodeHandler` from `@act/core/node`.
   */
  readonly handler: WebhookRouter;
  /** The worker over every connector (not started: `worker.start()`, or `drain()` in a job). */
  readonly worker: Worker;
  /** Apply the state's migrations, then every connector's. Idempotent; run it on every start. */
  migrate(): Promise<void>;
  /** The connectors, built, in the order given. */
  readonly connectors: readonly ConnectorV1[];
  /**
   * Pollers, reconciliation, retention, token refresh, subscription renewals
   * and tenant discovery for every connected tenant, with one leader across
   * processes (not started: `scheduler.start()`, or the tick route). It keeps
   * its jobs in `state.sync`; state without one gets an in-memory sync store,
   * which only coordinates this process and forgets its jobs on restart.
   */
  readonly scheduler: Scheduler;
  /** The webhook endpoints, for logs and docs (`{ source: 'ghl', processor: 'workflow', paths: ['/ghl/workflow'] }`). */
  readonly routes: readonly Omit<WebhookRoute, 'handler'>[];
  /**
   * The outbox: forwards of applied events, write-backs and destination
   * writes, delivered by a dispatcher of its own (not started:
   * `outbox.start()` beside `worker.start()`, or `outbox.drain()` in a job;
   * the tick route drains it too), so a dead destination never slows ingest.
   */
  readonly outbox: ActOutbox;
}

/**
 * One entry for an app: builds each connector with the state's credential
 * and rate-limit stores, the logger and `fetch`; checks that every part
 * implements this version of the contracts; and returns the webhook
 * `handler`, the `worker` and `migrate`.
 *
 * ```ts
 * const state = createPostgresState({ connectionString: process.env.DATABASE_URL });
 * const act = createAct({
 *   state,
 *   connectors: [(context) => createGhlConnector(loadGhlSettings(process.env, context))],
 *   prefix: '/webhooks',
 * });
 * await act.migrate();
 * act.worker.start();
 * // POST /webhooks/ghl, POST /webhooks/ghl/workflow
 * ```
 *
 * @throws ConfigurationError for a part of another contract version, two
 *   connectors with one source, or a processor name that cannot be a path segment.
 */
export function createAct(options: ActOptions): Act {
  const { state } = options;
  checkVersion(state?.store, 'state.store');
  checkVersion(state.sink, 'state.sink');
  if (state.credentials) checkVersion(state.credentials, 'state.credentials');
  if (state.rateLimits) checkVersion(state.rateLimits, 'state.rateLimits');
  if (state.sync) checkVersion(state.sync, 'state.sync');
  if (state.outbox) checkVersion(state.outbox, 'state.outbox');

  const context: ActConnectorContext = {
    ...(state.credentials ? { oauth: { credentials: state.credentials } } : {}),
    ...(state.rateLimits ? { rateLimitStore: state.rateLimits } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  const connectors = options.connectors.map((entry, index) => {
    const connector = typeof entry === 'function' ? entry(context) : entry;
    checkConnector(connector, `connectors[${index}]`);
    return connector as ConnectorV1;
  });
  const seen = new Set<string>();
  for (const connector of connectors) {
    if (seen.has(connector.source)) {
      throw configuration(`two connectors have the source "${connector.source}": give each source once`);
    }
    seen.add(connector.source);
  }

  const prefix = normalisePrefix(options.prefix);
  const logger = options.logger ?? noopLogger;

  const destinations = [
    ...(options.outbox?.destinations ?? []),
    ...connectors.flatMap((connector) => connector.destinations ?? []),
  ];
  // Unique names (messages are stored by name), each of this contract version.
  const byName = indexDestinations(destinations);
  const outboxStore = state.outbox ?? createMemoryOutboxStore();
  const dispatcher = createOutboxDispatcher({
    ...options.outbox?.dispatcher,
    store: outboxStore,
    destinations,
    logger,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  const forwarding: OutboxForwarding | undefined = destinations.some((destination) => destination.forward)
    ? { destinations, store: outboxStore, onEnqueued: () => dispatcher.wake() }
    : undefined;
  const routes: WebhookRoute[] = [];
  for (const connector of connectors) {
    const fallback = defaultProcessorName(connector);
    for (const [name, processor] of Object.entries(connector.webhooks ?? {})) {
      const handler = createWebhookHandler({
        processor,
        processorName: name,
        store: state.store,
        logger,
        ...(options.metrics ? { metrics: options.metrics } : {}),
      });
      const paths = [`${prefix}/${connector.source}/${name}`];
      if (name === fallback) paths.unshift(`${prefix}/${connector.source}`);
      routes.push({ source: connector.source, processor: name, paths, handler });
    }
  }

  const worker = createWorker({
    // The state's sync store: stream leases for webhook-triggered syncs, tenants from lifecycle events.
    ...(state.sync ? { sync: state.sync } : {}),
    ...(forwarding ? { outbox: forwarding } : {}),
    ...options.worker,
    connectors,
    store: state.store,
    sink: state.sink,
    logger,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });

  const scheduler = createScheduler({
    ...(forwarding ? { outbox: forwarding } : {}),
    ...options.scheduler,
    connectors,
    store: state.store,
    sink: state.sink,
    sync: state.sync ?? createMemorySyncStore(options.scheduler?.now ? { now: options.scheduler.now } : {}),
    ...(state.cleanup ? { retention: () => (state.cleanup as () => Promise<unknown>).call(state) } : {}),
    logger,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  if (options.tick) {
    const handler = createTickHandler({
      scheduler,
      // Drained after the round when there is anywhere to deliver to.
      ...(destinations.length > 0 ? { outbox: dispatcher } : {}),
      secret: options.tick.secret,
    });
    routes.push({ source: '', processor: 'tick', paths: [`${prefix}/_act/tick`], handler });
  }

  return {
    handler: createWebhookRouter(routes),
    worker,
    scheduler,
    connectors,
    outbox: {
      ...dispatcher,
      breakers: dispatcher.breakers,
      store: outboxStore,
      destinations,
      async enqueue(messages) {
        for (const message of messages) {
          if (!byName.has(message.destination)) {
            throw configuration(
              `no outbox destination "${message.destination}" (configured: ${
                [...byName.keys()].map((name) => `"${name}"`).join(', ') || 'none'
              })`,
            );
          }
        }
        const results = await outboxStore.enqueue(messages);
        if (results.some((result) => !result.duplicate)) dispatcher.wake();
        return results;
      },
    },
    routes: routes.filter((route) => route.source !== '').map(({ handler: _handler, ...route }) => route),
    async migrate() {
      await state.migrate?.({ connectors });
    },
  };
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._~-]*$/;

function checkConnector(connector: ConnectorV1 | undefined, where: string): void {
  checkVersion(connector, where);
  const { source } = connector as ConnectorV1;
  if (typeof source !== 'string' || !SEGMENT.test(source)) {
    throw configuration(
      `${where}.source must be a URL path segment (letters, digits, . _ ~ -), got ${JSON.stringify(source)}`,
    );
  }
  checkVersion((connector as ConnectorV1).transformer, `${source}.transformer`);
  for (const [name, processor] of Object.entries((connector as ConnectorV1).webhooks ?? {})) {
    if (!SEGMENT.test(name)) {
      throw configuration(
        `${source}.webhooks: the name ${JSON.stringify(name)} is not a URL path segment (letters, digits, . _ ~ -)`,
      );
    }
    checkVersion(processor, `${source}.webhooks.${name}`);
    if (processor.source !== source) {
      // Rows are stored under the processor's source and claimed by the connector's.
      throw configuration(`${source}.webhooks.${name} is a processor of source "${processor.source}", not "${source}"`);
    }
  }
}

/** Every part `createAct` wires must implement the contract version this core runs. */
function checkVersion(part: unknown, where: string): void {
  assertSupported(part, where);
}

function configuration(message: string): ConfigurationError {
  return new ConfigurationError({ packageName: PACKAGE_NAME, message });
}
