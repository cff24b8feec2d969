import type { SinkOperationV1 } from './sink-v1';
import type { SourceEventV1 } from './source-event-v1';

/**
 * Rules for the columns of one table.
 *
 * - `blocked`: never reach a destination. The runtime removes them from every
 *   operation before the sink sees it (and connectors that write back to a
 *   provider must apply the same list). Use it for data that must not leave
 *   where it is, such as culturally restricted fields that must never be
 *   written to a CRM.
 * - `preserved`: written when the row is created, never overwritten by a sync
 *   afterwards (a locally managed `pipeline_stage`).
 * - `preservedIfSet`: filled by the sync only while empty (null).
 * - `overrides`: column → the event types that still write it when it is
 *   preserved (`{ pipeline_stage: ['lead.unsubscribed', 'email.bounced'] }`):
 *   the runtime marks the column in `SinkUpsertV1.overrides` only on upserts
 *   made from an event of one of those types.
 * - `forwardOnly`: column → its values in order; a write only moves it
 *   forward (see `SinkUpsertV1.forwardOnly`), overrides included.
 *
 * Merged across the connector's defaults and the deployment's: lists and each
 * column's override types are unions; a later `forwardOnly` order for a column
 * replaces an earlier one. An empty or repeating order, or an override of a
 * blocked column, is a configuration error.
 *
 * The sink enforces all of these in the write itself (in SQL for SQL sinks),
 * so they hold for every writer: webhooks, polls, reconciliation, replays.
 */
export interface FieldPolicyV1 {
  blocked?: readonly string[];
  preserved?: readonly string[];
  preservedIfSet?: readonly string[];
  overrides?: Readonly<Record<string, readonly string[]>>;
  forwardOnly?: Readonly<Record<string, readonly string[]>>;
}

/** Field policies keyed by table name. */
export type FieldPoliciesV1 = Readonly<Record<string, FieldPolicyV1>>;

export interface TransformContextV1 {
  signal?: AbortSignal | undefined;
  /**
   * The effective policies (the connector's defaults merged with the user's).
   * The runtime already removes blocked columns from every operation; a
   * transformer that also writes a raw JSON column uses these to strip
   * blocked fields inside it.
   */
  fieldPolicies?: FieldPoliciesV1;
}

/**
 * Turns one event into the rows it changes. Pure: no I/O (fetching a thin
 * event's record is the connector's `hydrate`). Throw a `TransformError` for
 * data that cannot be mapped; the delivery is dead-lettered at once with the
 * reason, since retrying the same input cannot help.
 */
export interface TransformerV1<TEvent extends SourceEventV1 = SourceEventV1> {
  readonly specificationVersion: 'v1';
  /**
   * The connector's default field policies (including any the user passed in
   * the connector's settings). Deployments add to them with the worker's and
   * `runPoller`'s `fieldPolicies`; the runtime merges all of them, removes
   * blocked columns from every operation and marks preserved ones.
   */
  readonly fieldPolicies?: FieldPoliciesV1;
  /** Return `[]` for events that change nothing in the mirror. */
  transform(event: TEvent, context: TransformContextV1): SinkOperationV1[] | Promise<SinkOperationV1[]>;
  /**
   * The event's payload without what `context.fieldPolicies` block (each
   * blocked column's source fields, and blocked record paths), as a copy:
   * what leaves the mirror (an outbox forward) sends this, never the payload
   * itself, so a blocked field cannot leave by that path either. Without
   * it the runtime removes top-level keys named in any blocked list.
   */
  redact?(event: TEvent, context: TransformContextV1): unknown;
}
