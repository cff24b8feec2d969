import { ConfigurationError } from '../errors';
import type { FieldPoliciesV1, FieldPolicyV1, SinkOperationV1 } from '../spec/v1';

/** Combine policies (connector defaults, then the user's): blocked and preserved lists are unions. */
export function mergeFieldPolicies(...policies: readonly (FieldPoliciesV1 | undefined)[]): FieldPoliciesV1 {
  const merged: Record<string, { blocked: Set<string>; preserved: Set<string> }> = {};
  for (const policy of policies) {
    for (const [table, rule] of Object.entries(policy ?? {})) {
      const entry = merged[table] ?? { blocked: new Set<string>(), preserved: new Set<string>() };
      merged[table] = entry;
      for (const column of rule.blocked ?? []) entry.blocked.add(column);
      for (const column of rule.preserved ?? []) entry.preserved.add(column);
    }
  }
  return Object.fromEntries(
    Object.entries(merged).map(([table, entry]) => [
      table,
      { blocked: [...entry.blocked], preserved: [...entry.preserved] },
    ]),
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

/**
 * Enforce field policies on sink operations: blocked columns are dropped from
 * upserts, preserved columns are added to `preserve`. A policy that blocks a
 * key column is a configuration error, since the row could not be identified.
 */
export function applyFieldPolicies(
  operations: readonly SinkOperationV1[],
  policies: FieldPoliciesV1,
  packageName = '@act/core',
): SinkOperationV1[] {
  return operations.map((operation) => {
    const policy = policies[operation.table];
    if (!policy) return operation;
    for (const column of policy.blocked ?? []) {
      if (column in operation.key) {
        throw new ConfigurationError({
          packageName,
          message: `field policy for table "${operation.table}" blocks key column "${column}"`,
        });
      }
    }
    if (operation.kind === 'delete') return operation;
    const preserve = [...new Set([...(operation.preserve ?? []), ...(policy.preserved ?? [])])];
    return {
      ...operation,
      values: stripBlockedFields(operation.values as Record<string, unknown>, policy),
      ...(preserve.length ? { preserve } : {}),
    };
  });
}
