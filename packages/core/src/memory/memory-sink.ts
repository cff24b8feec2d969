import {
  canonicalJson,
  collapseOperations,
  compareOrder,
  isLowerInWriteOrder,
  type Ordered,
  rowKeyString,
} from '../sink/row-keys';
import type {
  SinkApplyOptionsV1,
  SinkOperationOutcomeV1,
  SinkOperationV1,
  SinkResultV1,
  SinkRowKeyV1,
  SinkRowVersionV1,
  SinkScanRequestV1,
  SinkUpsertV1,
  SinkV1,
} from '../spec/v1';

/** A mirror row as the memory sink holds it. */
export interface MemorySinkRow {
  rowId: string;
  key: SinkRowKeyV1;
  values: Record<string, unknown>;
  version: number | undefined;
  /** The tie-break at equal versions (`SinkUpsertV1.order`) of the write that holds the row. */
  order: readonly number[] | undefined;
  /** Set by a soft delete; the row stays readable. */
  deletedAt: Date | null;
  /** `true` after a hard delete: the values are gone, the tombstone stays. */
  purged: boolean;
}

export interface MemorySink extends SinkV1 {
  /** Live rows of a table (not deleted), in insertion order. */
  rows(table: string): MemorySinkRow[];
  /** One row by key, including soft-deleted and purged tombstones. */
  row(table: string, key: SinkRowKeyV1): MemorySinkRow | undefined;
}

/** The `(version, order)` a row holds after `incoming` was applied to (or found equal to) `stored`. */
function nextWriteOrder(
  stored: Ordered,
  incoming: Ordered,
): { version: number | undefined; order: readonly number[] | undefined } {
  const version = maxVersion(stored.version, incoming.version);
  if (incoming.version !== undefined && (stored.version === undefined || incoming.version > stored.version)) {
    return { version, order: incoming.order };
  }
  if (stored.version !== undefined && (incoming.version === undefined || stored.version > incoming.version)) {
    return { version, order: stored.order };
  }
  if (stored.order === undefined) return { version, order: incoming.order };
  if (incoming.order === undefined) return { version, order: stored.order };
  return { version, order: compareOrder(incoming.order, stored.order) > 0 ? incoming.order : stored.order };
}

/**
 * A `SinkV1` in process memory with the same rules as the Postgres sink:
 * the write order `(version, order)`, the column write rules (preserve,
 * preserveIfSet, overrides, forwardOnly), unchanged detection, tombstones
 * that only a restore higher in the write order clears. For tests,
 * development and the demo.
 */
export function createMemorySink(options: { now?: () => Date } = {}): MemorySink {
  const clock = options.now ?? (() => new Date());
  const tables = new Map<string, Map<string, MemorySinkRow>>();
  let nextRowId = 1;

  const tableOf = (name: string) => {
    let table = tables.get(name);
    if (!table) {
      table = new Map();
      tables.set(name, table);
    }
    return table;
  };

  const applyOne = (
    working: Map<string, Map<string, MemorySinkRow>>,
    operation: SinkOperationV1,
  ): SinkOperationOutcomeV1 => {
    let table = working.get(operation.table);
    if (!table) {
      table = new Map(tableOf(operation.table));
      working.set(operation.table, table);
    }
    const keyString = rowKeyString(operation.key);
    const existing = table.get(keyString);

    if (operation.kind === 'delete') {
      if (existing && (existing.deletedAt || existing.purged)) {
        return { outcome: 'skipped', reason: 'deleted', rowId: existing.rowId };
      }
      // A restorable delete takes its place in the write order like an update.
      if (existing && operation.restorable && isLowerInWriteOrder(operation, existing)) {
        return { outcome: 'skipped', reason: 'stale', rowId: existing.rowId };
      }
      const row: MemorySinkRow = existing
        ? { ...existing }
        : {
            rowId: String(nextRowId++),
            key: { ...operation.key },
            values: {},
            version: undefined,
            order: undefined,
            deletedAt: null,
            purged: false,
          };
      row.deletedAt = clock();
      const { version, order } = nextWriteOrder(row, operation);
      row.version = version;
      row.order = order;
      if (operation.hard) {
        row.values = {};
        row.purged = true;
      }
      table.set(keyString, row);
      return { outcome: 'deleted', rowId: row.rowId };
    }

    const tombstoned = existing !== undefined && (existing.deletedAt !== null || existing.purged);
    if (existing && tombstoned && !(operation.restore && !isLowerInWriteOrder(operation, existing))) {
      return { outcome: 'skipped', reason: 'deleted', rowId: existing.rowId };
    }
    if (existing && isLowerInWriteOrder(operation, existing)) {
      return { outcome: 'skipped', reason: 'stale', rowId: existing.rowId };
    }
    if (!existing) {
      const row: MemorySinkRow = {
        rowId: String(nextRowId++),
        key: { ...operation.key },
        values: { ...operation.values },
        version: operation.version,
        order: operation.order ? [...operation.order] : undefined,
        deletedAt: null,
        purged: false,
      };
      table.set(keyString, row);
      return { outcome: 'created', rowId: row.rowId };
    }
    const nextValues = mergeValues(existing, operation, tombstoned);
    const { version, order } = nextWriteOrder(existing, operation);
    if (tombstoned) {
      // A restore higher in the write order than the tombstone: the row is live again.
      table.set(keyString, { ...existing, values: nextValues, version, order, deletedAt: null, purged: false });
      return { outcome: 'updated', rowId: existing.rowId };
    }
    if (canonicalJson(nextValues) === canonicalJson(existing.values)) {
      // Same data: nothing rewritten, but remember the newer version (or the
      // later copy at the same version) so an older, different update
      // arriving later is still refused.
      table.set(keyString, { ...existing, version, order });
      return { outcome: 'skipped', reason: 'unchanged', rowId: existing.rowId };
    }
    table.set(keyString, { ...existing, values: nextValues, version, order });
    return { outcome: 'updated', rowId: existing.rowId };
  };

  return {
    specificationVersion: 'v1',
    supportsCursorCommit: false,

    async apply(operations: readonly SinkOperationV1[], options?: SinkApplyOptionsV1): Promise<SinkResultV1> {
      options?.signal?.throwIfAborted();
      // Work on copies and swap them in at the end: all or nothing.
      const working = new Map<string, Map<string, MemorySinkRow>>();
      const { winners, outcomes } = collapseOperations(operations);
      for (const index of winners) outcomes[index] = applyOne(working, operations[index] as SinkOperationV1);
      for (const [name, table] of working) tables.set(name, table);
      const result: SinkResultV1 = {
        created: 0,
        updated: 0,
        skipped: 0,
        deleted: 0,
        outcomes: outcomes as SinkOperationOutcomeV1[],
      };
      for (const outcome of result.outcomes) result[outcome.outcome] += 1;
      return result;
    },

    async *scan(request: SinkScanRequestV1): AsyncIterable<SinkRowVersionV1[]> {
      const matches = [...tableOf(request.table).values()].filter((row) =>
        Object.entries(request.where).every(([column, value]) => String(row.key[column]) === String(value)),
      );
      for (let start = 0; start < matches.length; start += 500) {
        request.signal?.throwIfAborted();
        yield matches.slice(start, start + 500).map((row) => ({
          key: Object.fromEntries(request.keyColumns.map((column) => [column, row.key[column] as string | number])),
          version: row.version,
          deleted: row.deletedAt !== null || row.purged,
        }));
      }
    },

    rows(table: string) {
      return [...tableOf(table).values()]
        .filter((row) => !row.deletedAt && !row.purged)
        .map((row) => ({ ...row, values: { ...row.values } }));
    },

    row(table: string, key: SinkRowKeyV1) {
      const row = tableOf(table).get(rowKeyString(key));
      return row ? { ...row, values: { ...row.values } } : undefined;
    },
  };
}

/**
 * The values a row holds after `operation` is written over `existing`, column
 * by column under the write rules (`SinkUpsertV1`): `preserve` keeps the
 * stored value, `preserveIfSet` keeps it unless null, both lifted by
 * `overrides`; `forwardOnly` writes only a move forward through its list. A
 * row without values (hard-deleted, or a tombstone that came before the row)
 * has nothing to preserve: it is written as a create.
 */
function mergeValues(existing: MemorySinkRow, operation: SinkUpsertV1, tombstoned: boolean): Record<string, unknown> {
  const hollow = tombstoned && (existing.purged || Object.keys(existing.values).length === 0);
  const overrides = new Set(operation.overrides ?? []);
  const preserved = new Set((operation.preserve ?? []).filter((column) => !overrides.has(column)));
  const ifSet = new Set((operation.preserveIfSet ?? []).filter((column) => !overrides.has(column)));
  const next: Record<string, unknown> = { ...existing.values };
  for (const [column, value] of Object.entries(operation.values)) {
    if (value === undefined) continue;
    const stored = existing.values[column] ?? null;
    if (!hollow) {
      if (preserved.has(column)) continue;
      if (ifSet.has(column) && stored !== null) continue;
      const order = operation.forwardOnly?.[column];
      if (order && !movesForward(order, stored, value)) continue;
    }
    next[column] = value;
  }
  return next;
}

/** `forwardOnly`: `incoming` may replace `stored` (compared as text, as SQL sinks compare them). */
function movesForward(order: readonly string[], stored: unknown, incoming: unknown): boolean {
  if (stored === null) return true;
  const from = order.indexOf(String(stored));
  if (from === -1) return true;
  const to = incoming === null ? -1 : order.indexOf(String(incoming));
  return to > from;
}

function maxVersion(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}
