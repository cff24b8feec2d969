import { email, type MirrorTransformer, mirrorTable, mirrorTransformer, text, timestamp } from '@act/connector-kit';
import { type FieldPoliciesV1, TransformError } from '@act/core';
import type { TemplateSourceEvent } from './template-events';
import { TEMPLATE_PACKAGE_NAME } from './template-settings';

/**
 * The mirror table, declared once: the transformer writes it, the reconciler
 * takes its table, keys and scope from it, and the conformance test checks
 * migrations/ creates every column. Add `blocked: ['date_of_birth']` for data
 * that must never be mirrored.
 */
export const TEMPLATE_RECORDS = mirrorTable<TemplateSourceEvent>({
  table: 'template_records',
  keys: ['account_id', 'id'],
  columns: { name: text('name'), email: email('email'), status: text('status'), updated_at: timestamp('updated_at') },
  tombstone: (event) => event.type === 'record.deleted',
});

/** Template records → rows of `template_records`. Pure. */
export function createTemplateTransformer(
  options: { fieldPolicies?: FieldPoliciesV1 } = {},
): MirrorTransformer<TemplateSourceEvent> {
  return mirrorTransformer({
    packageName: TEMPLATE_PACKAGE_NAME,
    tables: [TEMPLATE_RECORDS],
    fieldPolicies: options.fieldPolicies,
    route(event) {
      if (event.thin && event.type !== 'record.deleted') {
        throw new TransformError({
          packageName: TEMPLATE_PACKAGE_NAME,
          message: `record ${event.entityId} arrived without its data and was not fetched (is hydrate wired?)`,
        });
      }
      return TEMPLATE_RECORDS;
    },
  });
}
