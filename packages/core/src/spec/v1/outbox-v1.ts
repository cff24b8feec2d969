import type { SinkOperationV1 } from './sink-v1';
import type { SourceEventV1 } from './source-event-v1';
import type { ErrorClassV1, TriggerV1 } from './state-store-v1';

/**
 * The outbox: what leaves the mirror (a forward to another service, a
 * write-back to the provider, records for a destination such as Notion),
 * queued durably and delivered at least once, like the inbox in reverse.
 *
 * A message is enqueued in the same transaction as the mirror write that
 * caused it (`SinkApplyOptionsV1.outbox`), so nothing is sent that was not
 * committed and nothing committed is lost; or on its own (`enqueue`) for
 * changes the application starts (a write-back).
 */
export type OutboxStatusV1 = 'pending' | 'processing' | 'done' | 'dead';

export interface NewOutboxMessageV1 {
  /** The destination's name, as declared (`verity`, `ghl:contacts`, `notion`). */
  destination: string;
  /**
   * The message's identity at its destination: enqueueing a message whose
   * `(destination, key)` is already stored adds nothing and returns the
   * stored one (`duplicate: true`), so a replayed delivery forwards once.
   * HTTP destinations send it as `webhook-id`, so a receiver that dedupes on
   * it sees each message once in effect.
   */
  key: string;
  source?: string;
  tenant?: string;
  /** The inbox delivery whose processing caused the message, for provenance. */
  deliveryId?: string;
  correlationId?: string;
  /** The destination's input (JSON): the forwarded event, the change to write back. */
  payload: unknown;
  /** Not before this time (default: now). */
  availableAt?: Date;
}

/**
 * A message for the sink to enqueue in the same transaction as the rows
 * (`SinkApplyOptionsV1.outbox`). With `operation` and `onlyIfChanged`, only
 * when that operation's outcome is `created`, `updated` or `deleted` (a
 * change that did not change the mirror is not forwarded).
 */
export interface PendingOutboxMessageV1 extends NewOutboxMessageV1 {
  /** Index into the batch's operations this message depends on. */
  operation?: number;
  onlyIfChanged?: boolean;
}

export interface OutboxMessageV1 extends NewOutboxMessageV1 {
  id: string;
  status: OutboxStatusV1;
  /** Attempts so far (replays continue the count). */
  attempts: number;
  createdAt: Date;
  availableAt: Date;
  /** When it was delivered (status `done`). */
  doneAt?: Date;
  lastError?: string;
  lastErrorClass?: ErrorClassV1;
  /** What the destination reported for a delivered message (`{ skipped: 'stale' }`, a remote id). */
  result?: Readonly<Record<string, unknown>>;
}

export interface ClaimedOutboxMessageV1 extends OutboxMessageV1 {
  /** Proves the lease: `complete` and `fail` with a stale token change nothing. */
  claimToken: string;
  leaseExpiresAt: Date;
}

export interface EnqueueOutboxResultV1 {
  id: string;
  /** The `(destination, key)` was already stored; nothing was added. */
  duplicate: boolean;
}

export interface OutboxClaimRequestV1 {
  owner: string;
  limit: number;
  leaseMs: number;
  /** Only these destinations (all when absent). */
  destinations?: readonly string[];
  now?: Date;
}

export interface OutboxFailRequestV1 {
  id: string;
  claimToken: string;
  error: string;
  errorClass: ErrorClassV1;
  /** When to try again; `null` dead-letters the message. */
  retryAt: Date | null;
  /** Count towards the retry schedule (`false` for a rate limit or an open breaker). */
  countsTowardsSchedule: boolean;
  now?: Date;
}

/** Which messages to send again. At least one filter is required. */
export interface OutboxReplaySelectorV1 {
  ids?: readonly string[];
  destination?: string;
  tenant?: string;
  /** Created at or after. */
  from?: Date;
  /** Created before. */
  to?: Date;
  /** Statuses eligible; defaults to `['dead']`. */
  statuses?: readonly ('dead' | 'done')[];
}

export interface ListOutboxRequestV1 {
  destination?: string;
  status?: OutboxStatusV1;
  tenant?: string;
  /** Newest first; default 100. */
  limit?: number;
}

/** Depth and failures per destination, for `act outbox`, health and the dashboard. */
export interface OutboxStatsV1 {
  destination: string;
  pending: number;
  processing: number;
  dead: number;
  /** `availableAt` of the oldest message waiting (pending or processing). */
  oldestWaitingAt?: Date;
  lastError?: string;
  lastErrorAt?: Date;
  lastDoneAt?: Date;
}

export interface OutboxStoreV1 {
  readonly specificationVersion: 'v1';
  /** Enqueue messages outside a sink write; one result per message, in order. */
  enqueue(messages: readonly NewOutboxMessageV1[]): Promise<EnqueueOutboxResultV1[]>;
  /** Lease due messages (pending and available, or processing with a lapsed lease), oldest first. */
  claim(request: OutboxClaimRequestV1): Promise<ClaimedOutboxMessageV1[]>;
  /** Mark delivered; `false` when the lease was lost. */
  complete(request: {
    id: string;
    claimToken: string;
    result?: Readonly<Record<string, unknown>>;
    now?: Date;
  }): Promise<boolean>;
  fail(request: OutboxFailRequestV1): Promise<'retrying' | 'dead' | 'lease-lost'>;
  replay(selector: OutboxReplaySelectorV1): Promise<number>;
  get(id: string): Promise<OutboxMessageV1 | null>;
  list(request?: ListOutboxRequestV1): Promise<OutboxMessageV1[]>;
  stats(request?: { now?: Date }): Promise<OutboxStatsV1[]>;
}

/** One applied change a destination may forward (see `OutboxDestinationV1.forward`). */
export interface OutboxForwardInputV1<TEvent extends SourceEventV1 = SourceEventV1> {
  source: string;
  event: TEvent;
  /**
   * The event's payload without the fields the field policies block
   * (`TransformerV1.redact`): send this, not `event.payload`, so a blocked
   * field never leaves through a forward.
   */
  payload: unknown;
  /** The operations the event produced, and (after the write) nothing else: the outcome is decided in the sink. */
  operations: readonly SinkOperationV1[];
  triggeredBy: TriggerV1;
  deliveryId?: string;
  correlationId?: string;
}

/** What a forward enqueues for one event. */
export interface OutboxForwardV1 {
  /** The message identity (default: the delivery id and the event's place in it). */
  key?: string;
  payload: unknown;
  /**
   * Only when the event changed the mirror (created, updated or deleted a
   * row). Default `false`: a delivery is forwarded once it is accepted,
   * whatever it did to the mirror.
   */
  onlyIfChanged?: boolean;
}

export interface OutboxDeliverContextV1 {
  signal?: AbortSignal | undefined;
  /** 1-based attempt number over the message's life. */
  attempt: number;
}

/**
 * Where outbox messages go: an HTTP endpoint (a forward), the provider (a
 * write-back), a destination such as Notion (records written to it). Declared
 * by a connector (`ConnectorV1.destinations`) or by the application
 * (`createAct({ outbox: { destinations } })`).
 */
export interface OutboxDestinationV1<TEvent extends SourceEventV1 = SourceEventV1> {
  readonly specificationVersion: 'v1';
  /** Unique per deployment; stored with every message. */
  readonly name: string;
  /**
   * Forwarding: the message for one applied event, or `undefined` to forward
   * nothing. Called by the worker before the write, and the message is
   * enqueued in the same transaction as the event's rows.
   */
  forward?(input: OutboxForwardInputV1<TEvent>): OutboxForwardV1 | undefined;
  /**
   * Deliver one message. Resolve when the destination has it (optionally
   * with a small result to keep, such as `{ skipped: 'stale' }` for a
   * write-back refused because the mirror is newer); throw to retry
   * (classified like any error: `RateLimitError` waits without counting,
   * validation errors dead-letter at once).
   */
  deliver(
    message: OutboxMessageV1,
    context: OutboxDeliverContextV1,
  ): Promise<Readonly<Record<string, unknown>> | undefined>;
  /** Attempts before a message is dead-lettered (default 8). */
  readonly maxAttempts?: number;
}
