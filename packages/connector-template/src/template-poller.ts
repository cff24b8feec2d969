import { type PagedPoller, pagedPoller } from '@act/connector-kit';
import type { TemplateClient } from './template-client';
import { type TemplateRecord, type TemplateSourceEvent, templateVersion } from './template-events';
import { TEMPLATE_PACKAGE_NAME, TEMPLATE_SOURCE } from './template-settings';

/**
 * The `records` stream over Template's listing (`updated_since` and a keyset
 * cursor). Its `listAll` feeds the reconciler: a keyset cursor never skips a
 * live record, where page numbers over an update-time order would.
 */
export function createTemplatePoller(client: TemplateClient, pageSize: number): PagedPoller<TemplateSourceEvent> {
  return pagedPoller({
    stream: 'records',
    packageName: TEMPLATE_PACKAGE_NAME,
    kind: 'Template',
    list: async ({ tenant, updatedSince, page, signal }) => {
      const listing = { updatedSince, cursor: page, limit: pageSize, signal };
      const { records, next_cursor } = await client.listRecords(tenant, listing);
      return { items: records, next: next_cursor };
    },
    updatedAt: (record) => record.updated_at,
    toEvent: templateRecordToEvent,
    // How the scheduler runs this poller. Template's webhooks carry every record change,
    // so polling is only the fallback: `fallback: true` runs it while an account's webhooks
    // are quiet (past the connector's `expectedActivityMs`, or the gap the scheduler learns),
    // and the daily reconciliation catches what both missed.
    // A stream NO webhook carries (Xero's payments) leaves `fallback` out and sets
    // `intervalMs` to the source's freshness target instead: polling is its only source.
    // A stream webhooks carry but that must also be polled on a timetable sets both.
    fallback: true,
  });
}

/** A listed record is applied as an update: a listing cannot tell a creation from a change. */
export function templateRecordToEvent(tenant: string, record: TemplateRecord): TemplateSourceEvent {
  const version = templateVersion(record.updated_at);
  return {
    source: TEMPLATE_SOURCE,
    tenant,
    type: 'record.updated',
    entity: 'record',
    entityId: record.id,
    ...(record.updated_at ? { occurredAt: record.updated_at } : {}),
    ...(version !== undefined ? { version } : {}),
    payload: record,
  };
}
