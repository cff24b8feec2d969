import { type PagedPoller, pagedPoller } from '@act/connector-kit';
import type { GmailClient } from './gmail-client';
import { type GmailRecord, type GmailSourceEvent, gmailVersion } from './gmail-events';
import { GMAIL_PACKAGE_NAME, GMAIL_SOURCE } from './gmail-settings';

/**
 * The `records` stream over Gmail's listing (`updated_since` and a keyset
 * cursor). Its `listAll` feeds the reconciler: a keyset cursor never skips a
 * live record, where page numbers over an update-time order would.
 */
export function createGmailPoller(client: GmailClient, pageSize: number): PagedPoller<GmailSourceEvent> {
  return pagedPoller({
    stream: 'records',
    packageName: GMAIL_PACKAGE_NAME,
    kind: 'Gmail',
    list: async ({ tenant, updatedSince, page, signal }) => {
      const listing = { updatedSince, cursor: page, limit: pageSize, signal };
      const { records, next_cursor } = await client.listRecords(tenant, listing);
      return { items: records, next: next_cursor };
    },
    updatedAt: (record) => record.updated_at,
    toEvent: gmailRecordToEvent,
    // How the scheduler runs this poller. Gmail's webhooks carry every record change,
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
export function gmailRecordToEvent(tenant: string, record: GmailRecord): GmailSourceEvent {
  const version = gmailVersion(record.updated_at);
  return {
    source: GMAIL_SOURCE,
    tenant,
    type: 'record.updated',
    entity: 'record',
    entityId: record.id,
    ...(record.updated_at ? { occurredAt: record.updated_at } : {}),
    ...(version !== undefined ? { version } : {}),
    payload: record,
  };
}
