import { ConfigurationError } from '../errors';
import { type Logger, type Metrics, noopLogger, noopMetrics } from '../observability';
import { decideFailure, type FailureDecision } from '../pipeline/failure-policy';
import {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  createCircuitBreakerRegistry,
} from '../resilience/circuit-breaker';
import { resolveStore } from '../spec/resolve';
import type { ClaimedOutboxMessageV1, OutboxDestinationV1, OutboxStoreV1 } from '../spec/v1';

const PACKAGE_NAME = '@act/core';

/**
 * The outbox's retry schedule: 10 s, 1 m, 5 m, 15 m, 1 h, 3 h, 6 h (seven
 * retries, eight attempts: `OutboxDestinationV1.maxAttempts`' default). A
 * receiver down for a deploy is reached within a minute; one down for an
 * afternoon still gets everything without an operator replaying it.
 */
export const DEFAULT_OUTBOX_RETRY_SCHEDULE_MS: readonly number[] = Object.freeze([
  10_000, 60_000, 300_000, 900_000, 3_600_000, 10_800_000, 21_600_000,
]);

const DEFAULT_MAX_ATTEMPTS = 8;

export interface OutboxDispatcherOptions {
  store: OutboxStoreV1;
  /** Every destination this process delivers to, by `name` (unique). */
  destinations: readonly OutboxDestinationV1[];
  /** Name in logs and leases; defaults to a random id. */
  owner?: string;
  /** Messages claimed per round. Defaults to 20. */
  batchSize?: number;
  /** Messages delivered at once within a round. Defaults to 4. */
  concurrency?: number;
  /** How long a claim holds; a crashed dispatcher's messages are claimed again after it. Defaults to 60 s. */
  leaseMs?: number;
  /** Pause between rounds when nothing is due (or `wake()` ends it early). Defaults to 1 s. */
  idleDelayMs?: number;
  /**
   * Waits before each retry; one entry per retry. Defaults to
   * `DEFAULT_OUTBOX_RETRY_SCHEDULE_MS`. A destination's `maxAttempts` cuts it
   * short or extends it with its last entry.
   */
  retrySchedule?: readonly number[];
  /** Jitter fraction around each wait. Defaults to 0.2. */
  jitter?: number;
  /** One breaker per destination (`outbox:<name>`); `false` turns them off. */
  circuitBreaker?: Omit<CircuitBreakerOptions, 'name' | 'onStateChange'> | false;
  logger?: Logger;
  metrics?: Metrics;
  now?: () => Date;
  random?: () => number;
}

export type OutboxOutcome = 'done' | 'retrying' | 'dead' | 'lease-lost';

export interface OutboxRoundResult {
  claimed: number;
  outcomes: Record<OutboxOutcome, number>;
}

export interface OutboxDispatcher {
  /** Claim one batch of due messages and deliver it. */
  runOnce(): Promise<OutboxRoundResult>;
  /**
   * Run rounds until nothing is due (everything delivered, dead or waiting
   * for a retry), `maxRounds` or `maxDurationMs` (for a tick with a time budget).
   */
  drain(options?: { maxRounds?: number; maxDurationMs?: number }): Promise<OutboxRoundResult>;
  /** Run rounds in the background until `stop()`. */
  start(): void;
  /** Finish the current round and stop; deliveries in flight are aborted and retried later. */
  stop(): Promise<void>;
  /** New messages were enqueued: end the idle pause and claim at once. */
  wake(): void;
  /** The breakers, by destination name, for health pages. */
  readonly breakers: ReadonlyMap<string, CircuitBreaker>;
}

/**
 * Delivers the outbox: claims due messages with a lease, hands each to its
 * destination's `deliver` through the destination's circuit breaker, and
 * records the outcome. Separate from the worker on purpose: a slow or dead
 * destination holds up only this loop, never the ingest of webhooks.
 *
 * Failures are decided like the worker's (`decideFailure`): validation
 * errors (a 4xx from the receiver, a message for a destination this process
 * does not know) are dead-lettered at once; a `RateLimitError` (429) waits
 * its `Retry-After` without using up an attempt; an open breaker reschedules
 * the message for when the breaker lets a trial through, without calling the
 * destination and without counting; anything else is retried on the schedule
 * with jitter until `maxAttempts`. Delivery is at least once: a message sent
 * whose `complete` was lost (a crash, a lapsed lease) is sent again with the
 * same key, which HTTP destinations send as `webhook-id` for the receiver to
 * dedupe on.
 *
 * @throws ConfigurationError for two destinations with one name.
 */
export function createOutboxDispatcher(options: OutboxDispatcherOptions): OutboxDispatcher {
  const store = resolveStore(options.store, 'outbox store');
  const logger = options.logger ?? noopLogger;
  const metrics = options.metrics ?? noopMetrics;
  const now = options.now ?? (() => new Date());
  const owner = options.owner ?? `outbox-${crypto.randomUUID().slice(0, 8)}`;
  const batchSize = Math.max(1, options.batchSize ?? 20);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const leaseMs = options.leaseMs ?? 60_000;
  const idleDelayMs = options.idleDelayMs ?? 1_000;
  const baseSchedule = options.retrySchedule ?? DEFAULT_OUTBOX_RETRY_SCHEDULE_MS;
  const destinations = indexDestinations(options.destinations);

  const breakers = createCircuitBreakerRegistry({
    options: options.circuitBreaker,
    nameOf: (name) => `outbox:${name}`,
    onStateChange: (name, state) => {
      metrics.increment?.('act_circuit_state', { name: `outbox:${name}`, state });
      logger.warn({ breaker: `outbox:${name}`, state }, `circuit outbox:${name} is ${state}`);
    },
  });

  /** The destination's retry schedule: `maxAttempts - 1` retries. */
  const scheduleOf = (destination: OutboxDestinationV1 | undefined): readonly number[] => {
    const maxAttempts = Math.max(1, Math.floor(destination?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS));
    const retries = maxAttempts - 1;
    if (baseSchedule.length >= retries) return baseSchedule.slice(0, retries);
    const last = baseSchedule[baseSchedule.length - 1] ?? 60_000;
    return [...baseSchedule, ...Array.from({ length: retries - baseSchedule.length }, () => last)];
  };

  let controller = new AbortController();

  async function fail(
    message: ClaimedOutboxMessageV1,
    decision: FailureDecision,
    log: Record<string, unknown>,
  ): Promise<OutboxOutcome> {
    const outcome = await store.fail({
      id: message.id,
      claimToken: message.claimToken,
      error: decision.reason,
      errorClass: decision.errorClass,
      retryAt: decision.retryAt,
      countsTowardsSchedule: decision.countsTowardsSchedule,
      now: now(),
    });
    const level = outcome === 'dead' ? 'error' : 'warn';
    logger[level](
      {
        ...log,
        errorClass: decision.errorClass,
        retryAt: decision.retryAt?.toISOString() ?? null,
        error: decision.reason,
      },
      outcome === 'dead'
        ? 'outbox message dead-lettered'
        : outcome === 'lease-lost'
          ? 'outbox message failed after its lease was lost'
          : 'outbox message will be retried',
    );
    return outcome;
  }

  async function deliverOne(message: ClaimedOutboxMessageV1): Promise<OutboxOutcome> {
    const log = {
      outboxId: message.id,
      destination: message.destination,
      key: message.key,
      attempt: message.attempts + 1,
      ...(message.deliveryId ? { deliveryId: message.deliveryId } : {}),
      ...(message.correlationId ? { correlationId: message.correlationId } : {}),
    };
    const destination = destinations.get(message.destination);
    if (!destination) {
      // Retrying cannot make a destination appear: dead-letter with the reason, replay once it is configured.
      return fail(
        message,
        {
          errorClass: 'validation',
          retryAt: null,
          countsTowardsSchedule: true,
          reason: `[${PACKAGE_NAME}] no outbox destination "${message.destination}" is configured in this process (configured: ${
            [...destinations.keys()].map((name) => `"${name}"`).join(', ') || 'none'
          })`,
        },
        log,
      );
    }
    const schedule = scheduleOf(destination);
    if (message.attempts > schedule.length) {
      // Its leases kept lapsing (it hangs or kills the dispatcher): stop here.
      return fail(
        message,
        {
          errorClass: message.lastErrorClass ?? 'transient',
          retryAt: null,
          countsTowardsSchedule: false,
          reason: `retries exhausted after ${message.attempts} attempts: ${message.lastError ?? 'lease expired'}`,
        },
        log,
      );
    }
    let result: Readonly<Record<string, unknown>> | undefined;
    try {
      const breaker = breakers.get(destination.name);
      const send = () => destination.deliver(message, { signal: controller.signal, attempt: message.attempts + 1 });
      result = breaker ? await breaker.execute(send) : await send();
    } catch (error) {
      if (controller.signal.aborted) {
        // Cut short by `stop()`, not failed by the destination: due again at once, not counted.
        return fail(
          message,
          {
            errorClass: 'transient',
            retryAt: now(),
            countsTowardsSchedule: false,
            reason: 'the dispatcher stopped while sending',
          },
          log,
        );
      }
      return fail(
        message,
        decideFailure(error, message.attempts, now(), { schedule, jitter: options.jitter, random: options.random }),
        log,
      );
    }
    const completed = await store.complete({
      id: message.id,
      claimToken: message.claimToken,
      ...(result && typeof result === 'object' ? { result } : {}),
      now: now(),
    });
    if (!completed) {
      logger.warn(log, 'outbox message delivered after its lease was lost: it may be sent again (same key)');
      return 'lease-lost';
    }
    logger.debug(log, 'outbox message delivered');
    return 'done';
  }

  async function runOnce(): Promise<OutboxRoundResult> {
    const claimed = await store.claim({ owner, limit: batchSize, leaseMs, now: now() });
    const outcomes: Record<OutboxOutcome, number> = { done: 0, retrying: 0, dead: 0, 'lease-lost': 0 };
    await forEachLimited(claimed, concurrency, async (message) => {
      const started = now().getTime();
      let outcome: OutboxOutcome;
      try {
        outcome = await deliverOne(message);
      } catch (error) {
        // The store failed while recording: the lease lapses and the message is claimed again.
        logger.error(
          { outboxId: message.id, destination: message.destination, error: errorMessage(error) },
          'outbox message outcome not recorded: it is retried when its lease lapses',
        );
        outcome = 'lease-lost';
      }
      outcomes[outcome] += 1;
      metrics.increment?.('act_outbox_messages_total', {
        destination: message.destination,
        outcome: outcome.replace('-', '_'),
      });
      metrics.observe?.('act_outbox_delivery_ms', now().getTime() - started, { destination: message.destination });
    });
    return { claimed: claimed.length, outcomes };
  }

  let running: Promise<void> | undefined;
  let stopping = false;
  let woken = false;
  let interrupt: (() => void) | undefined;

  return {
    runOnce,
    breakers: breakers.all,
    wake() {
      woken = true;
      interrupt?.();
    },
    async drain({ maxRounds = 1_000, maxDurationMs } = {}) {
      const started = Date.now();
      const total: OutboxRoundResult = { claimed: 0, outcomes: { done: 0, retrying: 0, dead: 0, 'lease-lost': 0 } };
      for (let round = 0; round < maxRounds; round++) {
        if (maxDurationMs !== undefined && Date.now() - started >= maxDurationMs) break;
        const result = await runOnce();
        if (result.claimed === 0) break;
        total.claimed += result.claimed;
        for (const key of Object.keys(total.outcomes) as OutboxOutcome[]) total.outcomes[key] += result.outcomes[key];
      }
      return total;
    },
    start() {
      if (running) return;
      stopping = false;
      controller = new AbortController();
      running = (async () => {
        while (!stopping) {
          woken = false;
          let result: OutboxRoundResult | undefined;
          try {
            result = await runOnce();
          } catch (error) {
            logger.error({ owner, error: errorMessage(error) }, 'outbox round failed');
          }
          if (stopping) break;
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
      // Deliveries in flight end now; their messages are retried (or reclaimed when the lease lapses).
      controller.abort();
      await running;
      running = undefined;
    },
  };
}

/** Destinations by name; two with one name is a configuration error (messages are stored by name). */
export function indexDestinations(list: readonly OutboxDestinationV1[]): Map<string, OutboxDestinationV1> {
  const byName = new Map<string, OutboxDestinationV1>();
  for (const [index, destination] of list.entries()) {
    if (!destination || typeof destination.name !== 'string' || destination.name === '') {
      throw new ConfigurationError({
        packageName: PACKAGE_NAME,
        message: `outbox destinations[${index}] has no name: every destination needs a unique name`,
      });
    }
    resolveStore(destination, `outbox destination "${destination.name}"`);
    if (byName.has(destination.name)) {
      throw new ConfigurationError({
        packageName: PACKAGE_NAME,
        message: `two outbox destinations are named "${destination.name}": give each destination a unique name`,
      });
    }
    byName.set(destination.name, destination);
  }
  return byName;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Run `fn` over `items`, at most `limit` at a time. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
