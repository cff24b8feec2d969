import type {
  SinkApplyOptionsV1,
  SinkOperationOutcomeV1,
  SinkOperationV1,
  SinkResultV1,
  SinkRowKeyV1,
  SinkRowVersionV1,
  SinkScanRequestV1,
  SinkV1,
} from '../spec/v1';

/** A mirror row as the memory sink holds it. */
export interface MemorySinkRow {
  rowId: string;
  key: SinkRowKeyV1;
  values: Record<string, unknown>;
  version: number | undefined;
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

/** Canonical JSON: object keys sorted, so equal values compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner && typeof inner === 'object' && !Array.isArray(inner) && !(inner instanceof Date)) {
      return Object.fromEntries(
        Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }
    return inner;
  });
}

/**
 * A key's identity: column names sorted, values as text, so `{ id: 7 }` and
 * `{ id: '7' }` are one row here as they are in a SQL table.
 */
export function rowKeyString(key: SinkRowKeyV1): string {
  return canonicalJson(Object.fromEntries(Object.entries(key).map(([column, value]) => [column, String(value)])));
}

/**
 * A `SinkV1` in process memory with the same rules as the Postgres sink:
 * version guard, preserved columns, unchanged detection, tombstones that
 * never resurrect. For tests, development and the demo.
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
      const row: MemorySinkRow = existing
        ? { ...existing }
        : {
            rowId: String(nextRowId++),
            key: { ...operation.key },
            values: {},
            version: undefined,
            deletedAt: null,
            purged: false,
          };
      row.deletedAt = clock();
      row.version = maxVersion(row.version, operation.version);
      if (operation.hard) {
        row.values = {};
        row.purged = true;
      }
      table.set(keyString, row);
      return { outcome: 'deleted', rowId: row.rowId };
    }

    if (existing && (existing.deletedAt || existing.purged)) {
      return { outcome: 'skipped', reason: 'deleted', rowId: existing.rowId };
    }
    if (
      existing &&
      operation.version !== undefined &&
      existing.version !== undefined &&
      operation.version < existing.version
    ) {
      return { outcome: 'skipped', reason: 'stale', rowId: existing.rowId };
    }
    if (!existing) {
      const row: MemorySinkRow = {
        rowId: String(nextRowId++),
        key: { ...operation.key },
        values: { ...operation.values },
        version: operation.version,
        deletedAt: null,
        purged: false,
      };
      table.set(keyString, row);
      return { outcome: 'created', rowId: row.rowId };
    }
    const preserved = new Set(operation.preserve ?? []);
    const nextValues: Record<string, unknown> = { ...existing.values };
    for (const [column, value] of Object.entries(operation.values)) {
      // Preserved columns are written only when the row is created (SQL cannot
      // tell "absent" from NULL, so "fill when empty" is not offered).
      if (preserved.has(column)) continue;
      nextValues[column] = value;
    }
    const version = maxVersion(existing.version, operation.version);
    if (canonicalJson(nextValues) === canonicalJson(existing.values)) {
      // Same data: nothing rewritten, but remember the newer version so an
      // older, different update arriving later is still refused.
      table.set(keyString, { ...existing, version });
      return { outcome: 'skipped', reason: 'unchanged', rowId: existing.rowId };
    }
    table.set(keyString, { ...existing, values: nextValues, version });
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
 * Collapse operations on the same table and key, as `SinkV1.apply` specifies:
 * a delete wins; otherwise the highest version, the last at equal versions.
 * Returns the indexes of the winners (in input order) and, for the losers,
 * their outcome already filled in. Exported for sinks that batch in SQL.
 */
export function collapseOperations(operations: readonly SinkOperationV1[]): {
  winners: number[];
  outcomes: (SinkOperationOutcomeV1 | undefined)[];
} {
  const best = new Map<string, number>();
  operations.forEach((operation, index) => {
    const id = `${operation.table}\u0000${rowKeyString(operation.key)}`;
    const current = best.get(id);
    if (current === undefined) {
      best.set(id, index);
      return;
    }
    const incumbent = operations[current] as SinkOperationV1;
    if (incumbent.kind === 'delete') return;
    if (
      operation.kind === 'delete' ||
      (operation.version ?? Number.NEGATIVE_INFINITY) >= (incumbent.version ?? Number.NEGATIVE_INFINITY)
    ) {
      best.set(id, index);
    }
  });
  const winners = [...best.values()].sort((a, b) => a - b);
  const winning = new Set(winners);
  const outcomes: (SinkOperationOutcomeV1 | undefined)[] = operations.map((operation, index) => {
    if (winning.has(index)) return undefined;
    const winner = operations[
      best.get(`${operation.table}\u0000${rowKeyString(operation.key)}`) as number
    ] as SinkOperationV1;
    return { outcome: 'skipped', reason: winner.kind === 'delete' ? 'deleted' : 'stale' };
  });
  return { winners, outcomes };
}

function maxVersion(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}
