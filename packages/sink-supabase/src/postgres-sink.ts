import {
  ConfigurationError,
  type PendingIntegrationEventV1,
  type SinkApplyOptionsV1,
  type SinkOperationOutcomeV1,
  type SinkOperationV1,
  type SinkResultV1,
} from '@act/core';
import { collapseOperations } from '@act/core/internal';
import { PACKAGE_NAME } from './errors';
import { type PostgresScanRequest, type PostgresSink, scanRows } from './postgres-sink-scan';
import type { BackendProvider } from './postgres-state-store';

/** Columns the sink maintains in every mirror table; operations may not write them. */
export const BOOKKEEPING_COLUMNS = [
  '_version',
  '_payload_hash',
  '_deleted_at',
  '_synced_at',
  '_version_order',
] as const;
const bookkeeping = new Set<string>(BOOKKEEPING_COLUMNS);

interface UpsertRow {
  i: number;
  v: number | null;
  /** `SinkUpsertV1.order` as a Postgres `bigint[]` literal (`{1,2,3}`), cast once in SQL. */
  o?: string;
  row: Record<string, unknown>;
}

interface DeleteRow {
  i: number;
  v: number | null;
  /** `SinkDeleteV1.order`, as `UpsertRow.o`. */
  o?: string;
  key: Record<string, unknown>;
}

/**
 * One statement's worth of upserts: the same columns written under the same
 * rules (`preserve`, `preserveIfSet`, `forwardOnly`, `restore` are constants
 * of the statement in 0011_act_write_rules.sql).
 */
interface UpsertGroup {
  columns: string[];
  preserve: string[];
  preserveIfSet?: string[];
  forwardOnly?: Record<string, readonly string[]>;
  restore?: true;
  rows: UpsertRow[];
}

interface TablePlan {
  table: string;
  key: string[];
  upserts: UpsertGroup[];
  deletes: { hard: boolean; restorable?: true; rows: DeleteRow[] }[];
}

function invalid(message: string): ConfigurationError {
  return new ConfigurationError({ packageName: PACKAGE_NAME, message: `sink: ${message}` });
}

function checkOperation(operation: SinkOperationV1, index: number): string[] {
  if (typeof operation.table !== 'string' || operation.table === '') throw invalid(`operation ${index} has no table`);
  const keyColumns = Object.keys(operation.key ?? {}).sort();
  if (keyColumns.length === 0) throw invalid(`operation ${index} on ${operation.table} has an empty key`);
  for (const column of keyColumns) {
    if (bookkeeping.has(column))
      throw invalid(`operation ${index} on ${operation.table} uses bookkeeping column ${column} as a key`);
    const value = operation.key[column];
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw invalid(`operation ${index} on ${operation.table}: key column ${column} must be a string or a number`);
    }
  }
  if (operation.version !== undefined && !Number.isSafeInteger(operation.version)) {
    throw invalid(
      `operation ${index} on ${operation.table}: version must be an integer (epoch ms or a provider sequence), got ${String(operation.version)}`,
    );
  }
  if (
    operation.order !== undefined &&
    (!Array.isArray(operation.order) || !operation.order.every((element) => Number.isSafeInteger(element)))
  ) {
    throw invalid(`operation ${index} on ${operation.table}: order must be a list of integers`);
  }
  if (operation.kind === 'upsert') {
    for (const [column, order] of Object.entries(operation.forwardOnly ?? {})) {
      if (!Array.isArray(order) || order.length === 0 || !order.every((value) => typeof value === 'string')) {
        throw invalid(
          `operation ${index} on ${operation.table}: forwardOnly.${column} must be a non-empty list of strings`,
        );
      }
    }
    for (const column of Object.keys(operation.values ?? {})) {
      if (bookkeeping.has(column))
        throw invalid(`operation ${index} on ${operation.table} writes bookkeeping column ${column}`);
    }
  }
  return keyColumns;
}

/**
 * Build the `act_sink_apply` payload: operations already collapsed, grouped by
 * table (sorted, so concurrent batches lock tables in one order), upserts
 * grouped by the columns they write and the rules they write them under
 * (`overrides` already taken out of the preserve lists), deletes by `hard`
 * and `restorable`.
 */
export function planBatch(operations: readonly SinkOperationV1[], winners: readonly number[]): TablePlan[] {
  const tables = new Map<string, TablePlan>();
  // Upsert groups by table, columns and rules.
  const groups = new Map<string, UpsertGroup>();
  for (const index of winners) {
    const operation = operations[index] as SinkOperationV1;
    const key = checkOperation(operation, index);
    let plan = tables.get(operation.table);
    if (!plan) {
      plan = { table: operation.table, key, upserts: [], deletes: [] };
      tables.set(operation.table, plan);
    } else if (plan.key.join('\u0000') !== key.join('\u0000')) {
      throw invalid(
        `operations on ${operation.table} use different key columns: ${plan.key.join(', ')} and ${key.join(', ')}`,
      );
    }
    const version = operation.version ?? null;
    if (operation.kind === 'delete') {
      const hard = operation.hard === true;
      const restorable = operation.restorable === true;
      let group = plan.deletes.find((entry) => entry.hard === hard && (entry.restorable === true) === restorable);
      if (!group) {
        group = { hard, ...(restorable ? { restorable: true as const } : {}), rows: [] };
        plan.deletes.push(group);
      }
      group.rows.push({
        i: index,
        v: version,
        ...(operation.order ? { o: `{${operation.order.join(',')}}` } : {}),
        key: { ...operation.key },
      });
      continue;
    }
    const columns = Object.keys(operation.values)
      .filter((column) => !(column in operation.key) && operation.values[column] !== undefined)
      .sort();
    // Only the rules of columns this operation writes; an override lifts preserve and preserveIfSet.
    const overrides = new Set(operation.overrides ?? []);
    const ruled = (list: readonly string[] | undefined, except: readonly string[] = []) =>
      [...new Set(list ?? [])]
        .filter((column) => columns.includes(column) && !overrides.has(column) && !except.includes(column))
        .sort();
    const preserve = ruled(operation.preserve);
    const preserveIfSet = ruled(operation.preserveIfSet, preserve);
    const forward = Object.entries(operation.forwardOnly ?? {})
      .filter(([column]) => columns.includes(column) && !preserve.includes(column) && !preserveIfSet.includes(column))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const restore = operation.restore === true;
    const signature = `${operation.table}\u0002${columns.join('\u0000')}\u0001${preserve.join('\u0000')}\u0001${preserveIfSet.join('\u0000')}\u0001${forward.length ? JSON.stringify(forward) : ''}\u0001${restore ? 'r' : ''}`;
    let group = groups.get(signature);
    if (!group) {
      group = {
        columns,
        preserve,
        ...(preserveIfSet.length ? { preserveIfSet } : {}),
        ...(forward.length ? { forwardOnly: Object.fromEntries(forward) } : {}),
        ...(restore ? { restore: true as const } : {}),
        rows: [],
      };
      plan.upserts.push(group);
      groups.set(signature, group);
    }
    group.rows.push({
      i: index,
      v: version,
      ...(operation.order ? { o: `{${operation.order.join(',')}}` } : {}),
      row: { ...operation.values, ...operation.key },
    });
  }
  return [...tables.values()].sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
}

interface SqlOutcome {
  i: number;
  o: 'created' | 'updated' | 'deleted' | 'skipped';
  r?: 'stale' | 'unchanged' | 'deleted';
}

/** Operation identity for collapsing: key values compared as text, like Postgres compares them once cast. */
function normalizedForCollapse(operations: readonly SinkOperationV1[]): SinkOperationV1[] {
  return operations.map((operation) => {
    const key: Record<string, string> = {};
    for (const [column, value] of Object.entries(operation.key ?? {})) key[column] = String(value);
    return { ...operation, key };
  });
}

/**
 * `collapseOperations` over the normalized keys, skipped when no two
 * operations share a table and key (the usual batch), where it would keep
 * every operation anyway. The quick identity below depends only on what
 * collapsing compares (table, key columns, key values as text), so distinct
 * identities mean nothing to collapse; any repeat, or an odd key, takes the
 * full path.
 */
function collapse(operations: readonly SinkOperationV1[]): ReturnType<typeof collapseOperations> {
  const seen = new Set<string>();
  for (const operation of operations) {
    const key = operation.key;
    if (typeof key !== 'object' || key === null) return collapseOperations(normalizedForCollapse(operations));
    let id = JSON.stringify(operation.table);
    for (const column of Object.keys(key).sort())
      id += `\u0000${JSON.stringify(column)}:${JSON.stringify(String(key[column]))}`;
    if (seen.has(id)) return collapseOperations(normalizedForCollapse(operations));
    seen.add(id);
  }
  return { winners: operations.map((_, index) => index), outcomes: operations.map(() => undefined) };
}

/** Delivery ids the integration events' bigint column takes (as the state store's `toEventRow`). */
const DELIVERY_ID = /^[1-9]\d{0,18}$/;

/**
 * A pending integration event as `act_sink_apply`'s `p_events` takes it (see
 * 0010_act_sync.sql): the columns of act_integration_events, the operation
 * index, the outcome where collapsing already decided it, the start of each
 * latency in epoch ms.
 */
function toPendingRow(
  event: PendingIntegrationEventV1,
  collapsed: readonly (SinkOperationOutcomeV1 | undefined)[],
): Record<string, unknown> {
  const known = event.operation !== undefined ? collapsed[event.operation] : undefined;
  return {
    ...(event.operation !== undefined ? { operation: event.operation } : {}),
    ...(known ? { outcome: known.outcome, ...(known.outcome === 'skipped' ? { reason: known.reason } : {}) } : {}),
    source: event.source,
    tenant: event.tenant,
    event_type: event.type,
    entity_type: event.entity,
    entity_id: event.entityId,
    table_name: event.table ?? null,
    row_id: event.rowId ?? null,
    summary: event.summary,
    triggered_by: event.triggeredBy,
    ...(event.receivedAt ? { received_at_ms: event.receivedAt.getTime() } : {}),
    ...(event.occurredAt ? { occurred_at_ms: event.occurredAt.getTime() } : {}),
    correlation_id: event.correlationId ?? null,
    delivery_id: event.deliveryId !== undefined && DELIVERY_ID.test(event.deliveryId) ? event.deliveryId : null,
    ...(event.onlyIfChanged ? { only_if_changed: true } : {}),
  };
}

/**
 * `SinkV1` over `act_sink_apply`: one function call per batch, so one
 * transaction (rows, the optional cursor and the optional integration events
 * commit together), whatever the driver. Collapsing per key happens here, with `collapseOperations` from
 * `@act/core`, because one SQL statement cannot touch a row twice.
 */
export function createPostgresSink(backend: BackendProvider, options: { now?: () => Date } = {}): PostgresSink {
  return {
    specificationVersion: 'v1',
    supportsCursorCommit: true,
    // act_sink_apply writes act_integration_events of the same schema: the state store's feed.
    supportsEventCommit: true,

    // Reconciliation's listing of the mirror (act_sink_scan, 0003_act_sink).
    scan: (request: PostgresScanRequest) => scanRows(backend, request),

    async apply(operations: readonly SinkOperationV1[], applyOptions?: SinkApplyOptionsV1): Promise<SinkResultV1> {
      applyOptions?.signal?.throwIfAborted();
      const result: SinkResultV1 = { created: 0, updated: 0, skipped: 0, deleted: 0, outcomes: [] };
      const cursor = applyOptions?.cursor;
      const events = applyOptions?.events ?? [];
      if (operations.length === 0 && !cursor && events.length === 0) return result;

      const { winners, outcomes } = collapse(operations);
      const plan = planBatch(operations, winners);
      for (const event of events) {
        if (event.operation !== undefined && !(Number.isInteger(event.operation) && operations[event.operation])) {
          throw invalid(`integration event for operation ${event.operation}, but the batch has ${operations.length}`);
        }
      }
      // With events, the commit time is stamped here: their createdAt and
      // latencies, reported back as committedAt so the runtime describes the
      // batch with the same instant (the receipt times are this clock's too).
      const committedAt = events.length > 0 ? (options.now?.() ?? new Date()) : options.now?.();
      const [row] = await (await backend()).call('act_sink_apply', {
        p_operations: plan,
        p_cursor: cursor
          ? { source: cursor.source, tenant: cursor.tenant, stream: cursor.stream, cursor: cursor.cursor }
          : null,
        p_now: committedAt ?? null,
        ...(events.length > 0 ? { p_events: events.map((event) => toPendingRow(event, outcomes)) } : {}),
      });
      if (committedAt && events.length > 0) result.committedAt = committedAt;
      for (const outcome of (row?.result as SqlOutcome[] | null) ?? []) {
        outcomes[outcome.i] =
          outcome.o === 'skipped'
            ? { outcome: 'skipped', reason: outcome.r ?? 'unchanged' }
            : ({ outcome: outcome.o } as SinkOperationOutcomeV1);
      }
      for (const [index, outcome] of outcomes.entries()) {
        if (!outcome) {
          throw new ConfigurationError({
            packageName: PACKAGE_NAME,
            message: `sink: act_sink_apply reported no outcome for operation ${index}; the batch was applied, but its result is unknown`,
          });
        }
        result.outcomes.push(outcome);
        result[outcome.outcome] += 1;
      }
      return result;
    },
  };
}
