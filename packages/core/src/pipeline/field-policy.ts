import { ConfigurationError } from '../errors';
import type { FieldPoliciesV1, FieldPolicyV1, SinkOperationV1 } from '../spec/v1';

interface MergedPolicy {
  blocked: Set<string>;
  preserved: Set<string>;
  preservedIfSet: Set<string>;
  overrides: Map<string, Set<string>>;
  forwardOnly: Map<string, readonly string[]>;
}

/**
 * Combine policies (connector defaults, then the user's): blocked, preserved
 * and preservedIfSet lists are unions, each column's override event types
 * too; a column's `forwardOnly` list is the last one given (a deployment
 * replaces the connector's order rather than mixing two orders).
 */
export function mergeFieldPolicies(...policies: readonly (FieldPoliciesV1 | undefined)[]): FieldPoliciesV1 {
  const merged: Record<string, MergedPolicy> = {};
  for (const policy of policies) {
    for (const [table, rule] of Object.entries(policy ?? {})) {
      const entry = merged[table] ?? {
        blocked: new Set<string>(),
        preserved: new Set<string>(),
        preservedIfSet: new Set<string>(),
        overrides: new Map<string, Set<string>>(),
        forwardOnly: new Map<string, readonly string[]>(),
      };
      merged[table] = entry;
      for (const column of rule.blocked ?? []) entry.blocked.add(column);
      for (const column of rule.preserved ?? []) entry.preserved.add(column);
      for (const column of rule.preservedIfSet ?? []) entry.preservedIfSet.add(column);
      for (const [column, types] of Object.entries(rule.overrides ?? {})) {
        const set = entry.overrides.get(column) ?? new Set<string>();
        for (const type of types) set.add(type);
        entry.overrides.set(column, set);
      }
      for (const [column, values] of Object.entries(rule.forwardOnly ?? {})) entry.forwardOnly.set(column, [...values]);
    }
  }
  return Object.fromEntries(
    Object.entries(merged).map(([table, entry]) => {
      const policy: FieldPolicyV1 = {
        blocked: [...entry.blocked],
        preserved: [...entry.preserved],
        ...(entry.preservedIfSet.size ? { preservedIfSet: [...entry.preservedIfSet] } : {}),
        ...(entry.overrides.size
          ? { overrides: Object.fromEntries([...entry.overrides].map(([column, types]) => [column, [...types]])) }
          : {}),
        ...(entry.forwardOnly.size ? { forwardOnly: Object.fromEntries(entry.forwardOnly) } : {}),
      };
      return [table, policy];
    }),
  );
}

/**
 * Remove a policy's blocked fields from a record. Connectors that write back
 * to a provider call this on every outgoing body, so a blocked field cannot
 * leave by that path either.
 */
export function stripBlockedFields<T extends Record<string, unknown>>(
  record: T,
  policy: FieldPolicyV1 | undefined,
): Partial<T> {
  if (!policy?.blocked?.length) return { ...record };
  const blocked = new Set(policy.blocked);
  return Object.fromEntries(Object.entries(record).filter(([column]) => !blocked.has(column))) as Partial<T>;
}

/** Policies already checked by `checkFieldPolicy` (policies are built once and reused for every event). */
const checked = new WeakSet<FieldPolicyV1>();

/**
 * A policy that cannot be enforced as written is a configuration error, found
 * at the first event rather than silently ignored: a blocked key column (the
 * row could not be identified), an empty or repeating `forwardOnly` order,
 * and an override of a blocked column (it never reaches the sink, so the
 * override could never write it).
 */
function checkFieldPolicy(table: string, policy: FieldPolicyV1, key: object, packageName: string): void {
  const fail = (message: string) =>
    new ConfigurationError({ packageName, message: `field policy for table "${table}" ${message}` });
  for (const column of policy.blocked ?? []) {
    if (column in key) throw fail(`blocks key column "${column}"`);
  }
  if (checked.has(policy)) return;
  const blocked = new Set(policy.blocked ?? []);
  for (const [column, values] of Object.entries(policy.forwardOnly ?? {})) {
    if (!Array.isArray(values) || values.length === 0) throw fail(`has an empty forwardOnly order for "${column}"`);
    const seen = new Set<string>();
    for (const value of values) {
      if (seen.has(value)) throw fail(`lists "${value}" twice in the forwardOnly order for "${column}"`);
      seen.add(value);
    }
  }
  for (const column of Object.keys(policy.overrides ?? {})) {
    if (blocked.has(column)) throw fail(`overrides blocked column "${column}"`);
  }
  checked.add(policy);
}

/**
 * Enforce field policies on sink operations: blocked columns are dropped from
 * upserts; preserved, preservedIfSet and forwardOnly columns are marked on
 * them (`preserve`, `preserveIfSet`, `forwardOnly`, for the sink to enforce);
 * and, given the event's type, the columns whose `overrides` name it are
 * marked as `overrides`. An operation's own marks are kept (its own
 * `forwardOnly` order for a column wins over the policy's). A policy that
 * cannot be enforced (see `checkFieldPolicy`) is a configuration error.
 */
export function applyFieldPolicies(
  operations: readonly SinkOperationV1[],
  policies: FieldPoliciesV1,
  packageName = '@act/core',
  eventType?: string,
): SinkOperationV1[] {
  return operations.map((operation) => {
    const policy = policies[operation.table];
    if (!policy) return operation;
    checkFieldPolicy(operation.table, policy, operation.key, packageName);
    if (operation.kind === 'delete') return operation;
    const preserve = union(operation.preserve, policy.preserved);
    const preserveIfSet = union(operation.preserveIfSet, policy.preservedIfSet);
    const overridden =
      eventType === undefined
        ? []
        : Object.entries(policy.overrides ?? {})
            .filter(([, types]) => types.includes(eventType))
            .map(([column]) => column);
    const overrides = union(operation.overrides, overridden);
    const forwardOnly = { ...policy.forwardOnly, ...operation.forwardOnly };
    return {
      ...operation,
      values: stripBlockedFields(operation.values as Record<string, unknown>, policy),
      ...(preserve.length ? { preserve } : {}),
      ...(preserveIfSet.length ? { preserveIfSet } : {}),
      ...(overrides.length ? { overrides } : {}),
      ...(Object.keys(forwardOnly).length ? { forwardOnly } : {}),
    };
  });
}

function union(a: readonly string[] | undefined, b: readonly string[] | undefined): string[] {
  return [...new Set([...(a ?? []), ...(b ?? [])])];
}
