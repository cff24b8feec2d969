/**
 * @module
 * Row identity and write order, as the `SinkV1` contract defines them: shared
 * by every sink (memory, Postgres) and by the pipeline, which keys its
 * outcomes and reconciliation by row.
 */
import type { SinkOperationOutcomeV1, SinkOperationV1, SinkRowKeyV1 } from '../spec/v1';

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
 * Compare two `SinkUpsertV1.order` lists as SQL compares `bigint[]`: element
 * by element, and a list that is a prefix of the other comes first.
 * Negative when `a` comes first, positive when `b` does, 0 when equal.
 */
export function compareOrder(a: readonly number[], b: readonly number[]): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index += 1) {
    const left = a[index] as number;
    const right = b[index] as number;
    if (left !== right) return left < right ? -1 : 1;
  }
  return a.length - b.length;
}

/** `a` comes before `b`; a missing order never does (nor is anything before it). */
export function isLowerOrder(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  return a !== undefined && b !== undefined && compareOrder(a, b) < 0;
}

export interface Ordered {
  version?: number | undefined;
  order?: readonly number[] | undefined;
}

/**
 * `true` when `incoming` is lower than `stored` in the write order
 * `(version, order)`. Only known values count: a missing version, or a
 * missing order at equal versions, never makes a write lower (it wins, as an
 * unversioned write always did).
 */
export function isLowerInWriteOrder(incoming: Ordered, stored: Ordered): boolean {
  if (incoming.version === undefined || stored.version === undefined) return false;
  if (incoming.version !== stored.version) return incoming.version < stored.version;
  return isLowerOrder(incoming.order, stored.order);
}

/**
 * `true` when `challenger` replaces `incumbent` in a batch, both upserts (or
 * a `restorable` delete and a `restore` upsert, ranked the same way): the
 * higher version (an absent one lowest), at equal versions the later in the
 * batch unless its `order` is lower.
 */
function ranksAbove(challenger: Ordered, incumbent: Ordered): boolean {
  const version = challenger.version ?? Number.NEGATIVE_INFINITY;
  const incumbentVersion = incumbent.version ?? Number.NEGATIVE_INFINITY;
  if (version !== incumbentVersion) return version > incumbentVersion;
  return !isLowerOrder(challenger.order, incumbent.order);
}

/** A delete that a restore may outrank, or a restore that may outrank a delete. */
function restoring(operation: SinkOperationV1): boolean {
  return operation.kind === 'delete' ? operation.restorable === true : operation.restore === true;
}

/**
 * Collapse operations on the same table and key, as `SinkV1.apply` specifies:
 * a delete wins (but a `restorable` delete and a `restore` upsert are ranked
 * by the write order); of deletes the first, unless both are `restorable`;
 * otherwise the highest in the write order `(version, order)` (an absent
 * version lowest), the last where that order cannot tell them apart.
 * Returns the indexes of the winners (in input order) and, for the losers,
 * their outcome already filled in. Used by the memory sink and by sinks that batch in SQL.
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
    const ranked = incumbent.kind === operation.kind || (restoring(incumbent) && restoring(operation));
    if (incumbent.kind === 'delete' && operation.kind === 'delete') {
      if (incumbent.restorable && operation.restorable && ranksAbove(operation, incumbent)) best.set(id, index);
      return;
    }
    if (ranked) {
      if (ranksAbove(operation, incumbent)) best.set(id, index);
      return;
    }
    if (operation.kind === 'delete') best.set(id, index);
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
