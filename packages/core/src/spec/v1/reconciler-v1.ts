import type { SinkRowKeyV1 } from './sink-v1';
import type { SourceEventV1 } from './source-event-v1';

export interface ReconcileListRequestV1 {
  tenant: string;
  signal?: AbortSignal | undefined;
}

/**
 * Lists everything one entity has at the source, so the runtime can compare
 * it with the mirror: records the mirror lacks, holds at an older version,
 * or holds at the same version with other content are applied, and mirror rows the source no longer has are deleted — only
 * after the listing completed, never on a partial one.
 */
export interface ReconcilerV1<TEvent extends SourceEventV1 = SourceEventV1> {
  readonly specificationVersion: 'v1';
  /** The mirror table this listing covers (`ghl_contacts`). */
  readonly table: string;
  /** The poller stream whose expired cursor this listing repairs (see `CursorExpiredError`). */
  readonly stream?: string;
  /**
   * The table's records can come back (Notion's trash, a reinstated calendar
   * event; see `SinkUpsertV1.restore`): a record listed at the source but
   * tombstoned here at an older version is applied again (its transform
   * marks it `restore`), and rows the source no longer lists are deleted as
   * `restorable`. Without it a tombstone is final, as the sink's default.
   */
  readonly restorable?: boolean;
  /**
   * The key columns that select one tenant's rows in `table`, e.g.
   * `{ location_id: tenant }`. Rows outside it are never touched.
   */
  scope(tenant: string): SinkRowKeyV1;
  /** The table's key columns, in order (`['location_id', 'id']`). */
  readonly keyColumns: readonly string[];
  /**
   * Every current record, page by page, as events carrying their `version`
   * (full records, or `thin` ones the connector's `hydrate` can fetch). The
   * order must be stable while listing (by id or creation time, not by
   * update time), or a record that changes mid-listing could be missed and
   * wrongly deleted.
   */
  list(request: ReconcileListRequestV1): AsyncIterable<TEvent[]>;
  /** The mirror row key a listed event maps to (what its transform would write). */
  keyOf(event: TEvent): SinkRowKeyV1;
}
