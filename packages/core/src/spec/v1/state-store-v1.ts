import type { CursorCommitV1 } from './sink-v1';

/** Where a delivery is in its life. */
export type DeliveryStatusV1 = 'pending' | 'processing' | 'done' | 'dead';

/**
 * Why an attempt failed, which decides what happens next:
 * - `signature`: the request was not authentic. Never retried.
 * - `auth`: the provider answered 401. Credentials are refreshed, then retried at once.
 * - `rate_limit`: the provider answered 429. Retried after `Retry-After`.
 * - `transient`: 5xx, timeout, network, store or sink unavailable. Retried on the schedule.
 * - `validation` / `transform`: the data cannot be applied. Dead-lettered at once.
 * - `unknown`: anything else (a bug, usually). Retried on the schedule.
 */
export type ErrorClassV1 = 'signature' | 'auth' | 'rate_limit' | 'transient' | 'validation' | 'transform' | 'unknown';

/** What triggered a write: a provider push, a poll, or the reconciler. */
export type TriggerV1 = 'webhook' | 'poll' | 'reconciliation';

/** A delivery to store in the inbox, as the receive path captured it. */
export interface NewDeliveryV1 {
  /** Connector id. */
  source: string;
  /** Tenant from the parsed delivery, `unknown` when the payload names none. */
  tenant: string;
  /**
   * Unique per source: `<source>:<deliveryId>` or `<source>:sha256:<hex>`. A second
   * delivery with the same key and the same body bytes is not stored again
   * (`duplicate: true`); one with the same key and different bytes is a
   * conflict, stored on its own (see {@link DeliveryV1.conflictOf}).
   */
  dedupeKey: string;
  method: string;
  url: string;
  /** Only the processor's `persistedHeaders`, names lower case. */
  headers: Readonly<Record<string, string>>;
  /** The raw body bytes exactly as received. */
  body: Uint8Array;
  receivedAt: Date;
  /** Ties logs, attempts and integration events of this delivery together. */
  correlationId: string;
  /** Event types found at receipt, for listing and filtering dead letters. */
  eventTypes: readonly string[];
  /**
   * Set on a delivery that asks for a stream sync (`ParsedDeliveryV1.sync`):
   * `<source>:<tenant>:<stream>`. While a pending delivery with the same key
   * waits (not yet claimed), a new one is stored as `done` with
   * `coalescedInto` naming the waiting one: its bytes are kept, and its work
   * is the waiting delivery's sync, which starts later. Once the waiting one
   * is claimed, the next is stored pending again, so a push that arrives
   * during a sync causes one more sync after it.
   */
  coalesceKey?: string | undefined;
}

/** A stored delivery. */
export interface DeliveryV1 extends NewDeliveryV1 {
  /** Store-assigned id (a string even where the store uses integers). */
  id: string;
  status: DeliveryStatusV1;
  /** Failed attempts since the delivery was stored or last replayed. */
  attempts: number;
  /** Earliest time a worker may claim it. */
  nextAttemptAt: Date;
  lastError: string | null;
  lastErrorClass: ErrorClassV1 | null;
  completedAt: Date | null;
  /**
   * Set on a conflicting redelivery: a delivery that came with the dedupe key
   * of the stored delivery `conflictOf` but with different body bytes. It is
   * kept (never dropped), stored under the key `conflictDedupeKey(key, body)`
   * (`<key>~sha256:<hex of its body>`, so the same conflicting body delivered
   * again is a duplicate) and processed like any delivery: the sink's
   * version guard applies its records only where they are newer. Absent on
   * every other delivery. `conflictOf` may name a delivery retention has
   * since removed.
   */
  conflictOf?: string;
  /** Set on a sync request stored as covered by the pending delivery `coalescedInto` (see `coalesceKey`). */
  coalescedInto?: string;
}

/** What `StateStoreV1.enqueue` answers. */
export interface EnqueueResultV1 {
  /** The stored delivery: the new one, or (for a duplicate) the one already stored. */
  id: string;
  /** Nothing was stored: a delivery with this key and these body bytes already was. */
  duplicate: boolean;
  /**
   * The key was known with different body bytes: `id` is the conflicting
   * delivery (see {@link DeliveryV1.conflictOf}), this the one first stored
   * under the key. With `duplicate: true`, the same conflicting body came again.
   */
  conflictOf?: string;
  /** The stored delivery was coalesced into this pending one (see `NewDeliveryV1.coalesceKey`). */
  coalescedInto?: string;
}

/** A delivery held by one worker until `leaseExpiresAt`. */
export interface ClaimedDeliveryV1 extends DeliveryV1 {
  /**
   * Proves the lease. `complete` and `fail` with a stale token (the lease
   * expired and another worker claimed the row) change nothing.
   */
  claimToken: string;
  leaseExpiresAt: Date;
}

export interface ClaimRequestV1 {
  /** Identifies the worker in attempts history and logs. */
  owner: string;
  /** Most deliveries to claim. */
  limit: number;
  /** How long the claim holds. A worker that dies loses it after this long. */
  leaseMs: number;
  /** Claim only these sources (all when absent). */
  sources?: readonly string[];
  /** Current time; stores use their own clock when absent. */
  now?: Date;
}

/** A row of the integration-event log: one applied (or skipped) change. */
export interface IntegrationEventV1 {
  source: string;
  tenant: string;
  /** Provider event type. */
  type: string;
  entity: string;
  entityId: string;
  /** Mirror table written, when one was. */
  table?: string;
  /** The sink's row id, or (for sinks keyed only by natural key, such as the Postgres one) the row's key as canonical JSON. */
  rowId?: string;
  /** What the sink did with it. */
  outcome: 'created' | 'updated' | 'deleted' | 'skipped' | 'ignored';
  triggeredBy: TriggerV1;
  /** Milliseconds from receipt (or poll) to the committed write. */
  latencyMs?: number;
  /** Milliseconds from the provider's `occurredAt` to the committed write. */
  providerLatencyMs?: number;
  correlationId?: string;
  deliveryId?: string;
  /** Small, safe summary for feeds and dashboards; never the whole payload. */
  summary?: Readonly<Record<string, unknown>>;
  createdAt: Date;
}

/** One finished attempt at a delivery, kept for dead-letter provenance. */
export interface DeliveryAttemptV1 {
  deliveryId: string;
  /** 1-based over the delivery's whole life (replays continue the count). */
  attempt: number;
  owner: string;
  startedAt: Date;
  finishedAt: Date;
  outcome: 'done' | 'retry' | 'dead';
  error?: string;
  errorClass?: ErrorClassV1;
}

export interface CompleteRequestV1 {
  id: string;
  claimToken: string;
  /** Written in the same transaction as the status change where the store can. */
  events: readonly IntegrationEventV1[];
  startedAt: Date;
  now?: Date;
}

export interface FailRequestV1 {
  id: string;
  claimToken: string;
  error: string;
  errorClass: ErrorClassV1;
  /** When to try again; `null` dead-letters the delivery. */
  retryAt: Date | null;
  /**
   * Count this failure towards the retry schedule. `false` for rate limits and
   * for the immediate retry after a token refresh.
   */
  countsTowardsSchedule: boolean;
  startedAt: Date;
  now?: Date;
}

/** Which deliveries to put back in the queue. At least one filter is required. */
export interface ReplaySelectorV1 {
  ids?: readonly string[];
  source?: string;
  tenant?: string;
  /** Received at or after. */
  from?: Date;
  /** Received before. */
  to?: Date;
  /** Statuses eligible for replay; defaults to `['dead']`. */
  statuses?: readonly ('dead' | 'done')[];
}

export interface ListDeliveriesRequestV1 {
  status?: DeliveryStatusV1;
  source?: string;
  tenant?: string;
  /** Only conflicting redeliveries (those with `conflictOf`). */
  conflicts?: boolean;
  limit?: number;
}

export interface ListEventsRequestV1 {
  source?: string;
  tenant?: string;
  /** Only events created after this time. */
  since?: Date;
  /** Newest first; defaults to 100. */
  limit?: number;
}

export interface CursorKeyV1 {
  source: string;
  tenant: string;
  stream: string;
}

/** Freshness and backlog for one source and tenant. */
export interface HealthFigureV1 {
  source: string;
  tenant: string;
  /** Deliveries waiting (pending), including ones waiting for a retry. */
  pending: number;
  /** Deliveries currently leased by a worker. */
  processing: number;
  dead: number;
  /** Age of the oldest pending delivery, `null` when none waits. */
  oldestPendingAgeMs: number | null;
  lastDeliveryAt: Date | null;
  /** Newest integration event: the age of the freshest applied change. */
  lastEventAt: Date | null;
  /** Receipt-to-commit latency over the last hour (`null` without events). */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  eventsLastHour: number;
  /**
   * Conflicting redeliveries kept in the inbox (same dedupe key as a stored
   * delivery, different body: see `DeliveryV1.conflictOf`), over the
   * deliveries retention has kept. Optional for stores written before it;
   * the stores of `@act/core` and `@act/sink-supabase` always report it.
   */
  conflicts?: number;
}

/** Webhook traffic of one source and tenant, for telling a quiet source from a stopped one. */
export interface WebhookActivityV1 {
  source: string;
  tenant: string;
  /** Newest delivery received, over everything retention kept. */
  lastDeliveryAt: Date | null;
  /** Deliveries received since `since`. */
  deliveries: number;
  /**
   * Median gap between consecutive receipt times since `since` (equal times
   * count once, so a split delivery's parts are one arrival); `null` with
   * fewer than two distinct arrivals.
   */
  medianGapMs: number | null;
}

/**
 * Everything the pipeline must not lose: the inbox queue, the attempts
 * history, cursors and the integration-event log. `@act/core` ships an
 * in-memory store; `@act/sink-supabase` the Postgres one. Both pass
 * `testStateStore` from `@act/core/testing`.
 */
export interface StateStoreV1 {
  readonly specificationVersion: 'v1';
  /**
   * Store a delivery unless its `dedupeKey` is known with the same body bytes
   * (then `duplicate: true`). A known key with different bytes is stored as a
   * conflict (`conflictOf`), never dropped. Must be durable when it resolves.
   */
  enqueue(delivery: NewDeliveryV1): Promise<EnqueueResultV1>;
  /**
   * Lease up to `limit` deliveries that are due: pending with `nextAttemptAt`
   * reached, or processing with an expired lease. Oldest first. Concurrent
   * claims never return the same delivery.
   */
  claim(request: ClaimRequestV1): Promise<ClaimedDeliveryV1[]>;
  /** Mark done and log its events. Resolves `false` when the lease was lost. */
  complete(request: CompleteRequestV1): Promise<boolean>;
  /**
   * `complete` for many deliveries at once: one result per request, in order,
   * each `false` when that delivery's lease was lost (the others still
   * complete). Stores that can do it in one transaction should (the Postgres
   * store does, with one statement). The worker completes every round with it.
   */
  completeMany(requests: readonly CompleteRequestV1[]): Promise<boolean[]>;
  /**
   * Extend a claimed delivery's lease (a long stream sync). Resolves `false`
   * when the lease was lost: the caller must stop and not complete.
   */
  renewLease(request: { id: string; claimToken: string; leaseMs: number; now?: Date }): Promise<boolean>;
  /** Record a failed attempt and schedule the retry or dead-letter it. */
  fail(request: FailRequestV1): Promise<'retrying' | 'dead' | 'lease-lost'>;
  /** Put matching deliveries back to pending, due now, attempts reset. Resolves how many. */
  replay(selector: ReplaySelectorV1): Promise<number>;
  getDelivery(id: string): Promise<DeliveryV1 | null>;
  /** Newest first. */
  listDeliveries(request: ListDeliveriesRequestV1): Promise<DeliveryV1[]>;
  listAttempts(deliveryId: string): Promise<DeliveryAttemptV1[]>;
  getCursor(key: CursorKeyV1): Promise<string | null>;
  setCursor(commit: CursorCommitV1): Promise<void>;
  /** Append integration events not tied to a delivery (polls, reconciliation). */
  recordEvents(events: readonly IntegrationEventV1[]): Promise<void>;
  listEvents(request: ListEventsRequestV1): Promise<IntegrationEventV1[]>;
  health(request?: { now?: Date }): Promise<HealthFigureV1[]>;
  /** Webhook traffic per source and tenant (see `WebhookActivityV1`), for the scheduler's silence check. */
  webhookActivity(request: { since: Date; now?: Date }): Promise<WebhookActivityV1[]>;
  /**
   * Call `listener` when a delivery may have become due: after an `enqueue`
   * in this process stored a new delivery and, where the store can hear it
   * (Postgres `LISTEN`), after any process did. A hint to claim now rather
   * than at the next poll, never a promise: listeners must keep polling.
   * Returns the function that stops the calls. The worker uses it to wake up
   * (see `WorkerOptions.wakeOn`); a store that cannot hear of new work
   * returns a no-op unsubscribe and never calls the listener.
   */
  onDeliveryEnqueued(listener: () => void): () => void;
}
