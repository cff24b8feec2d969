import type { PendingOutboxMessageV1 } from './outbox-v1';
import type { TriggerV1 } from './state-store-v1';

/**
 * A row's natural key: the columns that identify it in its table, usually
 * `{ tenant_id, id }` with the provider's ids. Values are compared as text
 * (`7` and `'7'` are the same key), as a SQL unique key would.
 */
export type SinkRowKeyV1 = Readonly<Record<string, string | number>>;

/** Insert the row, or update it if a row with the same key exists. */
export interface SinkUpsertV1 {
  kind: 'upsert';
  /** Destination table, e.g. `ghl_contacts`. */
  table: string;
  /** Natural key columns and values. They are also written to the row. */
  key: SinkRowKeyV1;
  /** The other columns to write. Blocked fields must already be removed (the runtime does this). */
  values: Readonly<Record<string, unknown>>;
  /**
   * The source version of this row (see `SourceEventV1.version`): an integer
   * (epoch milliseconds or a provider sequence; SQL sinks store a `bigint`).
   * The sink skips the write when the stored row is higher in the write order
   * (see `order`), and treats equal values as unchanged (only a higher
   * version or order is remembered).
   */
  version?: number | undefined;
  /**
   * Breaks a tie at equal `version`. The write order of a row is
   * `(version, order)`: versions first, then `order` compared element by
   * element as integers (a shorter list that is a prefix of a longer one comes
   * first, as SQL arrays compare), so a write lower in that order never
   * replaces one higher up, even at the same version. The runtime fills it for
   * every upsert it makes from an event with
   * `[observedAt, receivedAt, delivery sequence]`: when the provider produced
   * this copy of the record (`SourceEventV1.observedAt`, else the receipt),
   * when it reached us (epoch ms), and the inbox row's id where it is a number.
   * Without `order` on either side a tie goes to the incoming write (last
   * write wins), as before `order` existed. Integers only (SQL sinks store a
   * `bigint[]` in `_version_order`).
   */
  order?: readonly number[];
  /**
   * Columns the sync must never overwrite on an existing row (a locally managed
   * `pipeline_stage`, say). They are written when the row is created, and never
   * touched afterwards, even when the stored value is empty. (A restore of a
   * row whose values a hard delete erased, or of a tombstone that came before
   * the row, writes them as a create does: there is nothing to keep.)
   */
  preserve?: readonly string[];
  /**
   * Columns filled only while empty: written when the row is created, and on
   * an existing row only where the stored value is null (a stage the team
   * has set is kept; an empty one is filled by the sync). `preserve` wins
   * where a column is in both.
   */
  preserveIfSet?: readonly string[];
  /**
   * Columns this operation writes even though they are `preserve` or
   * `preserveIfSet`: an event that owns the column (an unsubscribe setting
   * `pipeline_stage` to `unsubscribed`). `forwardOnly` still applies.
   */
  overrides?: readonly string[];
  /**
   * Columns that only move forward through an ordered list of values
   * (`{ pipeline_stage: ['lead', 'contacted', 'replied', 'unsubscribed'] }`):
   * on an existing row the column is written only when the incoming value
   * comes later in the list than the stored one, or the stored one is null or
   * not in the list. A value not in the list (null included) is never written
   * over one that is. Values compare as text. The rest of the row is written
   * as usual; "unchanged" means no column would change under these rules.
   */
  forwardOnly?: Readonly<Record<string, readonly string[]>>;
  /**
   * The record exists again (Notion's `page.undeleted`, a cancelled event
   * reinstated): a tombstone lower in the write order `(version, order)` is
   * cleared and the row written (`updated`); a tombstone higher up still
   * refuses it (`skipped: deleted`). Without `restore` a tombstone refuses
   * every upsert. On a live row or a missing one it is an ordinary upsert.
   */
  restore?: boolean;
}

/** Mark the row deleted (or remove it, with `hard`). */
export interface SinkDeleteV1 {
  kind: 'delete';
  table: string;
  key: SinkRowKeyV1;
  /**
   * Version of the deletion. A delete leaves a tombstone: later upserts of the
   * same key are skipped whatever their version, so a late or replayed update
   * never resurrects a deleted row; only an upsert with `restore` higher in
   * the write order clears it. A delete that arrives before the row exists
   * still leaves the tombstone. A delete on a tombstone is refused
   * (`skipped: deleted`) and changes nothing.
   */
  version?: number | undefined;
  /**
   * The delete's tie-break at equal versions, as `SinkUpsertV1.order` (the
   * runtime fills it the same way). The tombstone keeps the write order
   * `(version, order)` it reached, which a `restore` and a `restorable`
   * delete are compared with.
   */
  order?: readonly number[];
  /**
   * Erase the row's values instead of only setting `deleted_at`. The key stays
   * as a tombstone either way (SQL sinks keep a key-only row), so the record
   * comes back only through a `restore`.
   */
  hard?: boolean;
  /**
   * The record can come back (see `SinkUpsertV1.restore`): the delete takes
   * its place in the write order like an update, so a delete lower in the
   * order than the stored live row (a stale delete arriving after a restore)
   * is refused as `stale` instead of winning. Without it a delete always wins.
   */
  restorable?: boolean;
}

export type SinkOperationV1 = SinkUpsertV1 | SinkDeleteV1;

/** What happened to one operation. */
export type SinkOperationOutcomeV1 =
  | { outcome: 'created'; rowId?: string }
  | { outcome: 'updated'; rowId?: string }
  | { outcome: 'deleted'; rowId?: string }
  | {
      outcome: 'skipped';
      /**
       * `stale`: the stored row (or another operation on it in the same
       * batch) is higher in the write order `(version, order)`: a newer
       * version, or the same version with a higher `order`. `unchanged`: the
       * values are already stored, nothing rewritten. `deleted`: the row is
       * tombstoned (or a delete on it won in the same batch).
       */
      reason: 'stale' | 'unchanged' | 'deleted';
      rowId?: string;
    };

/** Counts for one `apply` call, plus one outcome per operation in input order. */
export interface SinkResultV1 {
  created: number;
  updated: number;
  skipped: number;
  deleted: number;
  outcomes: SinkOperationOutcomeV1[];
  /**
   * The time the sink stamped on this write, when it stamps one: the
   * `createdAt` of the integration events it committed with the rows
   * (`SinkApplyOptionsV1.events`), and what their latencies are measured to.
   * The runtime describes the batch with the same instant, so what it reports
   * and what the sink stored agree. Absent: the runtime uses its own clock.
   */
  committedAt?: Date;
}

/** A cursor position to save together with the page that produced it. */
export interface CursorCommitV1 {
  source: string;
  tenant: string;
  /** Which listing inside the source (`contacts`, `invoices`). */
  stream: string;
  cursor: string;
}

/** One stored row's identity and version, as `SinkV1.scan` reports it. */
export interface SinkRowVersionV1 {
  key: SinkRowKeyV1;
  version: number | undefined;
  /** Soft-deleted or a tombstone. */
  deleted: boolean;
}

export interface SinkScanRequestV1 {
  table: string;
  /** Only rows whose columns equal these values (the tenant's scope). */
  where: SinkRowKeyV1;
  /** The key columns to report, in order. */
  keyColumns: readonly string[];
  signal?: AbortSignal | undefined;
}

/**
 * An integration event (`IntegrationEventV1`) for the sink to record in the
 * same transaction as the rows (`SinkApplyOptionsV1.events`), before the write
 * has decided what only it can: the outcome, the latencies, `createdAt`.
 * The runtime builds these with the same code that describes a batch it
 * recorded itself, and the sink completes each exactly as that code does
 * (`settleIntegrationEvent` in `@act/core/internal` is the reference):
 *
 * - `outcome`: the outcome of `operations[operation]`; `ignored` without
 *   `operation` (the event produced no operation);
 * - `rowId`: the outcome's `rowId` where the sink assigns one, else the
 *   pending event's `rowId` (the row's natural key);
 * - `summary`: the pending summary, plus `skipped: <reason>` when the
 *   outcome is `skipped`;
 * - `latencyMs`: commit time − `receivedAt` (absent without `receivedAt`);
 *   `providerLatencyMs`: commit time − `occurredAt` (absent without it);
 * - `createdAt`: the commit time, reported as `SinkResultV1.committedAt`.
 *
 * With `onlyIfChanged`, the event is recorded only when the outcome is
 * `created`, `updated` or `deleted` (reconciliation's same-version
 * comparisons: a row that matched is no news).
 */
export interface PendingIntegrationEventV1 {
  /** Index into the batch's operations whose outcome this event records; absent → `ignored`. */
  operation?: number;
  source: string;
  tenant: string;
  type: string;
  entity: string;
  entityId: string;
  table?: string;
  /** The row's natural key (`rowKeyString`); a `rowId` the sink assigns replaces it. */
  rowId?: string;
  triggeredBy: TriggerV1;
  /** When the change reached us (delivery receipt, poll page fetched): the start of `latencyMs`. */
  receivedAt?: Date;
  /** The provider's `occurredAt`: the start of `providerLatencyMs`. */
  occurredAt?: Date;
  correlationId?: string;
  deliveryId?: string;
  summary: Readonly<Record<string, unknown>>;
  onlyIfChanged?: boolean;
}

export interface SinkApplyOptionsV1 {
  signal?: AbortSignal | undefined;
  /**
   * Save this cursor in the same transaction as the rows, so a crash can never
   * leave the cursor ahead of the data. Only sinks with
   * `supportsCursorCommit` accept it; the runtime saves the cursor through the
   * state store after `apply` otherwise.
   */
  cursor?: CursorCommitV1;
  /**
   * Record these integration events in the same transaction as the rows (and
   * the cursor), completed as `PendingIntegrationEventV1` says, so a crash
   * can never commit a poll page without its events (the feed, freshness,
   * live listeners) or the events without the page. Only sinks with
   * `supportsEventCommit` accept it; the runtime records the events through
   * the state store after `apply` otherwise.
   */
  events?: readonly PendingIntegrationEventV1[];
  /**
   * Enqueue these outbox messages in the same transaction as the rows, each
   * subject to its operation's outcome (`PendingOutboxMessageV1`), so a
   * forward or write-back exists exactly when its change was committed. Only
   * sinks with `supportsOutboxCommit` accept it; the runtime enqueues through
   * the outbox store after `apply` otherwise.
   */
  outbox?: readonly PendingOutboxMessageV1[];
}

/**
 * Writes mirror rows. Applying the same operations twice must leave the same
 * rows (idempotent), and a write lower in the write order `(version, order)`
 * must never overwrite one higher up: an older version never replaces a newer
 * one, and at the same version an older copy of the record never replaces a
 * newer one.
 */
export interface SinkV1 {
  readonly specificationVersion: 'v1';
  /** `true` when `apply` can commit `options.cursor` atomically with the rows. */
  readonly supportsCursorCommit: boolean;
  /**
   * `true` when `apply` can record `options.events` atomically with the rows,
   * in the state store's integration events (a sink and a state store over
   * the same database). Absent means `false`.
   */
  readonly supportsEventCommit?: boolean;
  /**
   * `true` when `apply` can enqueue `options.outbox` atomically with the rows
   * (a sink and an outbox store over the same database). Absent means `false`.
   */
  readonly supportsOutboxCommit?: boolean;
  /**
   * Apply the operations as one batch. All or nothing: on error, nothing is
   * applied. Operations on the same table and key within one batch collapse
   * before they are written (SQL cannot update one row twice in one
   * statement, and a batch is one statement per table): a delete wins over
   * every upsert, except that a `restorable` delete and a `restore` upsert
   * are ranked by the write order like two upserts; of several deletes the
   * first wins, unless both are `restorable` (then the higher in the write
   * order); otherwise the upsert highest in the write order
   * `(version, order)` wins, the last one where that order cannot tell them
   * apart (equal, or `order` absent on one side). The losers are reported as
   * `skipped` (`stale`, or `deleted` when a delete won).
   */
  apply(operations: readonly SinkOperationV1[], options?: SinkApplyOptionsV1): Promise<SinkResultV1>;
  /**
   * Walk a table's rows (keys and versions only) in pages, for
   * reconciliation. Sinks that cannot list their rows leave it out, and
   * reconciliation is then unavailable with them.
   */
  scan?(request: SinkScanRequestV1): AsyncIterable<SinkRowVersionV1[]>;
}
