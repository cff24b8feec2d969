import type { ReconcilerV1 } from '@act/core';
import type { TemplateClient } from './template-client';
import type { TemplateSourceEvent } from './template-events';
import { templateRecordToEvent } from './template-poller';
import { TEMPLATE_RECORDS } from './template-transform';

/**
 * Every record of the account, for `runReconciliation` (core): the safety net
 * behind webhooks and polling. Core compares the listing with the mirror,
 * applies what is missing or stale through the transformer, and soft-deletes
 * rows the provider no longer lists, only after a completed listing. Table,
 * key columns, scope and `keyOf` come from the mirror table, so they are the
 * transform's. The listing must never skip a live record: page numbers over
 * an update-time order would (a record changed mid-listing shifts the others
 * past the page), so list by id or creation time, or, as Template's API
 * does, with a keyset cursor (a changed record moves behind the cursor and is
 * listed again).
 */
export function createTemplateReconciler(options: {
  client: TemplateClient;
  pageSize: number;
}): ReconcilerV1<TemplateSourceEvent> {
  return TEMPLATE_RECORDS.reconciler(async function* ({ tenant, signal }) {
    let cursor: string | null = null;
    do {
      signal?.throwIfAborted();
      const page = await options.client.listRecords(tenant, {
        updatedSince: null,
        cursor,
        limit: options.pageSize,
        ...(signal ? { signal } : {}),
      });
      if (page.records.length) yield page.records.map((record) => templateRecordToEvent(tenant, record));
      cursor = page.next_cursor;
    } while (cursor);
  });
}
