import { email, type MirrorTransformer, mirrorTable, mirrorTransformer, text, timestamp } from '@act/connector-kit';
import { type FieldPoliciesV1, TransformError } from '@act/core';
import type { GmailSourceEvent } from './gmail-events';
import { GMAIL_PACKAGE_NAME } from './gmail-settings';

/**
 * The mirror table, declared once: the transformer writes it, the reconciler
 * takes its table, keys and scope from it, and the conformance test checks
 * migrations/ creates every column. Add `blocked: ['date_of_birth']` for data
 * that must never be mirrored.
 */
export const GMAIL_RECORDS = mirrorTable<GmailSourceEvent>({
  table: 'gmail_records',
  keys: ['account_id', 'id'],
  columns: { name: text('name'), email: email('email'), status: text('status'), updated_at: timestamp('updated_at') },
  tombstone: (event) => event.type === 'record.deleted',
});

/** Gmail records → rows of `gmail_records`. Pure. */
export function createGmailTransformer(
  options: { fieldPolicies?: FieldPoliciesV1 } = {},
): MirrorTransformer<GmailSourceEvent> {
  return mirrorTransformer({
    packageName: GMAIL_PACKAGE_NAME,
    tables: [GMAIL_RECORDS],
    fieldPolicies: options.fieldPolicies,
    route(event) {
      if (event.thin && event.type !== 'record.deleted') {
        throw new TransformError({
          packageName: GMAIL_PACKAGE_NAME,
          message: `record ${event.entityId} arrived without its data and was not fetched (is hydrate wired?)`,
        });
      }
      return GMAIL_RECORDS;
    },
  });
}
