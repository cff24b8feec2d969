import { ConfigurationError, classifyError } from '../errors';
import { type Logger, type Metrics, noopLogger, noopMetrics } from '../observability';
import type { ClaimedDeliveryV1, ConnectorV1, ErrorClassV1, FieldPoliciesV1, SinkV1, StateStoreV1 } from '../spec/v1';
import { applyEvents, notifyApplied } from './apply-events';
import {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  CircuitOpenError,
  createCircuitBreaker,
} from './circuit-breaker';
import { mergeFieldPolicies } from './field-policy';
import { computeRetryDelay, DEFAULT_RETRY_SCHEDULE_MS } from './retry';

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
  /** Pause between rounds when the queue is empty. Defaults to 1 s. */
  idleDelayMs?: number;
  /** Delays before each retry of a transient failure; one entry per retry. Defaults to 1 m, 5 m, 15 m, 1 h, 6 h. */
  retrySchedule?: readonly number[];
  /** Jitter fraction around each delay. Defaults to 0.2. */
  jitter?: number;
  /** Extra field policies per source, merged with each connector's defaults. */
  fieldPolicies?: Readonly<Record<string, FieldPoliciesV1>>;
  /** Breakers per source (outbound calls) and for the sink; `false` turns them off. */
  circuitBreaker?: Omit<CircuitBreakerOptions, 'name' | 'onStateChange'> | false;
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
 * The process path. Claims deliveries from the inbox with a lease, re-parses
 * the stored raw request with the connector's processor, hydrates thin events,
 * transforms, applies to the sink as one batch, and completes the delivery
 * together with its integration events. Failures are classified:
 *
 * - `signature`, `validation`, `transform` → dead-lettered at once with the reason;
 * - `auth` (provider 401) → the connector refreshes credentials, one immediate retry;
 * - `rate_limit` (429) → retried after `Retry-After`, not counted against the schedule;
 * - `transient` / `unknown` → retried on the schedule with jitter, dead-lettered when it runs out;
 * - an open circuit → retried when the breaker allows a trial, not counted.
 *
 * At-least-once delivery plus version-guarded, idempotent sink writes make
 * the effect exactly-once: a delivery processed twice changes nothing twice.
 */
export function createWorker(options: WorkerOptions): Worker {
  const { store, sink } = options;
  const logger = options.logger ?? noopLogger;
  const metrics = options.metrics ?? noopMetrics;
  const now = options.now ?? (() => new Date());
  const owner = options.owner ?? `worker-${crypto.randomUUID().slice(0, 8)}`;
  const batchSize = options.batchSize ?? 10;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const leaseMs = options.leaseMs ?? 60_000;
  const idleDelayMs = options.idleDelayMs ?? 1_000;
  const schedule = options.retrySchedule ?? DEFAULT_RETRY_SCHEDULE_MS;
  const connectors = new Map(options.connectors.map((connector) => [connector.source, connector]));
  const policies = new Map(
    options.connectors.map((connector) => [
      connector.source,
      mergeFieldPolicies(connector.transformer.fieldPolicies, options.fieldPolicies?.[connector.source]),
    ]),
  );

  const breakers = new Map<string, CircuitBreaker>();
  const breaker = (name: string): CircuitBreaker | undefined => {
    if (options.circuitBreaker === false) return undefined;
    let existing = breakers.get(name);
    if (!existing) {
      existing = createCircuitBreaker({
        ...options.circuitBreaker,
        name,
        onStateChange: (state) => {
          metrics.increment?.('act_circuit_state', { name, state });
          logger.warn({ breaker: name, state }, `circuit ${name} is ${state}`);
        },
      });
      breakers.set(name, existing);
    }
    return existing;
  };
  const guard =
    (name: string) =>
    <T>(fn: () => Promise<T>): Promise<T> => {
      const instance = breaker(name);
      return instance ? instance.execute(fn) : fn();
    };

  async function processDelivery(delivery: ClaimedDeliveryV1): Promise<DeliveryOutcome> {
    const startedAt = now();
    const log = {
      deliveryId: delivery.id,
      source: delivery.source,
      tenant: delivery.tenant,
      correlationId: delivery.correlationId,
    };
    const connector = connectors.get(delivery.source);

    // Attempts past the schedule without a failure of ours to classify: the
    // delivery's leases kept expiring (it crashes or hangs its worker). Stop here.
    if (delivery.attempts > schedule.length) {
      const outcome = await store.fail({
        id: delivery.id,
        claimToken: delivery.claimToken,
        error: `retries exhausted after ${delivery.attempts} attempts: ${delivery.lastError ?? 'lease expired'}`,
        errorClass: delivery.lastErrorClass ?? 'transient',
        retryAt: null,
        countsTowardsSchedule: false,
        startedAt,
      });
      logger.error({ ...log, attempts: delivery.attempts }, 'delivery dead-lettered: its leases kept expiring');
      return outcome;
    }

    const run = async () => {
      if (!connector?.webhook) {
        throw new ConfigurationError({
          packageName: PACKAGE_NAME,
          message: `no connector with a webhook processor is registered for source "${delivery.source}"`,
        });
      }
      const parsed = await connector.webhook.parse({
        method: delivery.method,
        url: delivery.url,
        headers: delivery.headers,
        body: delivery.body,
        receivedAt: delivery.receivedAt,
      });
      return applyEvents({
        connector,
        events: parsed.events,
        sink,
        policies: policies.get(delivery.source) ?? {},
        triggeredBy: 'webhook',
        receivedAt: delivery.receivedAt,
        correlationId: delivery.correlationId,
        deliveryId: delivery.id,
        now,
        guardSource: guard(`source:${delivery.source}`),
        guardSink: guard('sink'),
        logger,
      });
    };

    try {
      let output: Awaited<ReturnType<typeof run>>;
      try {
        output = await run();
      } catch (error) {
        // A 401 from the provider: refresh once and retry at once, because the
        // usual cause is an access token that expired in flight.
        if (classifyError(error).errorClass !== 'auth' || !connector?.refreshCredentials) throw error;
        logger.info(log, 'provider answered 401: refreshing credentials and retrying');
        await connector.refreshCredentials(delivery.tenant);
        output = await run();
      }
      const completed = await store.complete({
        id: delivery.id,
        claimToken: delivery.claimToken,
        events: output.integrationEvents,
        startedAt,
      });
      for (const event of output.integrationEvents) {
        metrics.increment?.('act_events_applied_total', { source: delivery.source, outcome: event.outcome });
        if (event.latencyMs !== undefined)
          metrics.observe?.('act_event_latency_ms', event.latencyMs, { source: delivery.source });
      }
      if (!completed) {
        logger.warn(log, 'lease lost before completion: another worker owns the delivery now');
        return 'lease-lost';
      }
      if (connector) await notifyApplied(connector, output.applied, logger);
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
      return 'done';
    } catch (error) {
      return failDelivery(delivery, error, startedAt, log);
    }
  }

  async function failDelivery(
    delivery: ClaimedDeliveryV1,
    error: unknown,
    startedAt: Date,
    log: Record<string, unknown>,
  ): Promise<DeliveryOutcome> {
    const classified = classifyError(error);
    const at = now();
    let errorClass: ErrorClassV1 = classified.errorClass;
    let retryAt: Date | null;
    let countsTowardsSchedule = true;
    let reason = classified.message;

    if (error instanceof CircuitOpenError || (error as { name?: string })?.name === 'CircuitOpenError') {
      // We did not call the dependency at all: wait for the breaker, don't spend a retry.
      errorClass = 'transient';
      countsTowardsSchedule = false;
      retryAt = new Date(at.getTime() + Math.max(1_000, (error as CircuitOpenError).retryAfterMs));
    } else if (errorClass === 'signature' || errorClass === 'validation' || errorClass === 'transform') {
      retryAt = null;
    } else if (errorClass === 'rate_limit') {
      countsTowardsSchedule = false;
      retryAt = new Date(at.getTime() + (classified.retryAfterMs ?? schedule[0] ?? 60_000));
    } else {
      const delay = computeRetryDelay({
        attempt: delivery.attempts + 1,
        schedule,
        ...(options.jitter !== undefined ? { jitter: options.jitter } : {}),
        ...(options.random ? { random: options.random } : {}),
        ...(classified.retryAfterMs !== undefined ? { retryAfterMs: classified.retryAfterMs } : {}),
      });
      retryAt = delay === null ? null : new Date(at.getTime() + delay);
      if (delay === null) reason = `retries exhausted after ${delivery.attempts + 1} attempts: ${reason}`;
    }

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

  async function runOnce(): Promise<WorkerRoundResult> {
    const claimed = await store.claim({ owner, limit: batchSize, leaseMs, sources: [...connectors.keys()] });
    const outcomes: Record<DeliveryOutcome, number> = { done: 0, retrying: 0, dead: 0, 'lease-lost': 0 };
    let next = 0;
    const lane = async () => {
      while (next < claimed.length) {
        const delivery = claimed[next++] as ClaimedDeliveryV1;
        const started = now().getTime();
        const outcome = await processDelivery(delivery);
        outcomes[outcome] += 1;
        metrics.increment?.('act_deliveries_processed_total', {
          source: delivery.source,
          outcome: outcome.replace('-', '_'),
        });
        metrics.observe?.('act_process_duration_ms', now().getTime() - started, { source: delivery.source });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, claimed.length) }, lane));
    return { claimed: claimed.length, outcomes };
  }

  let running: Promise<void> | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;

  return {
    runOnce,
    breakers,
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
      running = (async () => {
        while (!stopping) {
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
          if (!result || result.claimed < batchSize) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, idleDelayMs);
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            wake = undefined;
          }
        }
      })();
    },
    async stop() {
      stopping = true;
      wake?.();
      await running;
      running = undefined;
    },
  };
}
