import {
  type FieldPoliciesV1,
  mergeFieldPolicies,
  type SinkOperationV1,
  stripBlockedFields,
  TransformError,
  type TransformerV1,
} from '@act/core';
import type { TemplateSourceEvent } from './template-events';
import { TEMPLATE_PACKAGE_NAME } from './template-settings';

/** The mirror table (see migrations/0001_template_records.sql). */
export const TEMPLATE_RECORDS_TABLE = 'template_records';

/**
 * The connector's own field policies. Template has nothing that must never
 * be mirrored, so nothing is blocked by default. A connector whose provider
 * holds such data names it here, e.g.
 * `{ [TEMPLATE_RECORDS_TABLE]: { blocked: ['date_of_birth'] } }`; users add
 * theirs through `settings.fieldPolicies`.
 */
export const TEMPLATE_DEFAULT_FIELD_POLICIES: FieldPoliciesV1 = {};

export interface TemplateTransformerOptions {
  /** The user's policies, merged with the defaults. */
  fieldPolicies?: FieldPoliciesV1;
}

/**
 * Template records → rows of `template_records`, keyed by
 * `{ account_id, id }`. Pure: thin events are fetched by the connector's
 * `hydrate` before they get here.
 */
export function createTemplateTransformer(
  options: TemplateTransformerOptions = {},
): TransformerV1<TemplateSourceEvent> {
  const fieldPolicies = mergeFieldPolicies(TEMPLATE_DEFAULT_FIELD_POLICIES, options.fieldPolicies);
  return {
    specificationVersion: 'v1',
    fieldPolicies,
    transform(event, context) {
      // The effective policies (the runtime merges in the deployment's own) decide what the raw copy may hold.
      const policies = context.fieldPolicies ?? fieldPolicies;
      const key = { account_id: event.tenant, id: event.entityId };
      const version = event.version !== undefined ? { version: event.version } : {};
      let operation: SinkOperationV1;
      if (event.type === 'record.deleted') {
        operation = { kind: 'delete', table: TEMPLATE_RECORDS_TABLE, key, ...version };
      } else if (event.thin) {
        throw new TransformError({
          packageName: TEMPLATE_PACKAGE_NAME,
          message: `record ${event.entityId} arrived without its data and was not fetched (is hydrate wired?)`,
        });
      } else {
        const record = event.payload;
        operation = {
          kind: 'upsert',
          table: TEMPLATE_RECORDS_TABLE,
          key,
          values: {
            name: record.name ?? null,
            email: normaliseEmail(record.email),
            status: record.status ?? null,
            updated_at: record.updated_at ?? null,
            // A blocked column must not reach the mirror inside the JSON copy either.
            raw: stripBlockedFields(record, policies[TEMPLATE_RECORDS_TABLE]),
          },
          ...version,
        };
      }
      // Blocked columns are removed by the runtime (applyFieldPolicies) before the sink sees them.
      return [operation];
    },
  };
}

/** `"  Ada@Example.COM "` → `"ada@example.com"`; blank → `null`. */
function normaliseEmail(email: string | null | undefined): string | null {
  const trimmed = email?.trim().toLowerCase();
  return trimmed ? trimmed : null;
}
