/**
 * Reconciliation listings: GHL drops a webhook on any non-429 failure
 * (https://marketplace.gohighlevel.com/docs/webhook/WebhookIntegrationGuide),
 * so a periodic full listing is how the mirror gets to
 * zero loss. `@act/core`'s `runReconciliation` compares each listing with the
 * mirror, applies what is missing or stale, and soft-deletes what GHL no
 * longer has, only after a completed listing.
 *
 * ```ts
 * createGhlContactsReconciler(options: { client: GhlClient; pageSize?: number = 100 (≤ 500);
 *   sort?: unknown[] = [{ field: 'dateAdded', direction: 'asc' }] }): ReconcilerV1<GhlPolledEvent>      // ghl_contacts
 * createGhlOpportunitiesReconciler(options: { client: GhlClient; pageSize?: number = 100 (≤ 100) })
 *   : ReconcilerV1<GhlPolledEvent>                                                                        // ghl_opportunities
 * createGhlPipelinesReconciler(options: { client: GhlClient }): ReconcilerV1<GhlPolledEvent>             // ghl_pipelines
 * createGhlReconcilers(options: { client: GhlClient; contacts?: …; opportunities?: … }): ReconcilerV1<GhlPolledEvent>[]
 * ```
 *
 * Every reconciler takes its table, `keyColumns` (`['location_id', 'id']`),
 * `scope(tenant) = { location_id: tenant }` and `keyOf(event)` from the
 * mirror table definitions (ghl-transform.ts), so its keys are the
 * transform's; events are shaped like the pollers' (ghl-poller.ts).
 *
 * Stable orders (a listing sorted by update time could let a record that
 * changes mid-listing slip past the cursor and be wrongly deleted):
 * - contacts: `POST /contacts/search` sorted by `dateAdded` ascending, paged
 *   with `searchAfter` (a third-party migration note; the spec,
 *   https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/contacts.json,
 *   documents the body externally). Unverified: the sort entry's shape and whether
 *   GHL breaks `dateAdded` ties by id (Elasticsearch needs a tie-breaker for
 *   `searchAfter` to be exact). Configurable through `sort`.
 * - opportunities: `GET /opportunities/search?order=added_asc&status=all`
 *   with `startAfter`/`startAfterId`
 *   (https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/opportunities.json).
 * - pipelines: `GET /opportunities/pipelines`, the whole set in one answer (same spec).
 *   Pipelines have no webhooks at all, so this is how a deleted pipeline leaves the mirror.
 *
 * Stale detection needs versions: a contact listed without `dateUpdated` (the
 * spec's search-result schema does not promise it, apps/contacts.json) has no
 * version, so it is only ever found missing, never stale. Opportunities carry
 * `updatedAt`; pipelines have no timestamp at all (missing/deleted only).
 *
 * No appointments reconciler: GHL lists calendar events only inside a
 * start/end window per calendar (`GET /calendars/events`,
 * https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/calendars.json), so a listing
 * can never prove an appointment outside the window is gone, and
 * `ReconcilerV1.scope` cannot narrow the mirror to a time window. Appointment
 * deletes come from `AppointmentDelete` webhooks. Tasks and notes are listed
 * only per contact and have no reconciler either.
 */
import type { ReconcilerV1 } from '@act/core';
import { ActError, ConfigurationError } from '@act/core';
import type { GhlClient, GhlContactSearchBody } from './ghl-client';
import { GHL_PACKAGE_NAME } from './ghl-error';
import {
  GHL_CONTACT_SEARCH_PAGE_CAP,
  type GhlPolledEvent,
  ghlContactToEvent,
  ghlOpportunityToEvent,
  ghlPipelineToEvent,
  opportunityWalker,
} from './ghl-poller';
import { GHL_MIRROR_TABLES } from './ghl-transform';

/** A reconciler over one mirror table: table, key columns, scope and keyOf come from its definition. */
function reconciler(
  entity: 'contact' | 'opportunity' | 'pipeline',
  list: (tenant: string, signal: AbortSignal | undefined) => AsyncIterable<GhlPolledEvent[]>,
): ReconcilerV1<GhlPolledEvent> {
  // `stream`: the poller whose cursor this listing would repair (core's CursorExpiredError contract).
  return GHL_MIRROR_TABLES[entity].reconciler(({ tenant, signal }) => list(tenant, signal), {
    stream: RECONCILED_STREAMS[entity],
  });
}

const RECONCILED_STREAMS = { contact: 'contacts', opportunity: 'opportunities', pipeline: 'pipelines' } as const;

export interface GhlContactsReconcilerOptions {
  client: GhlClient;
  /** `pageLimit`, 1–500 (500 unverified). Default 100. */
  pageSize?: number;
  /** Default `[{ field: 'dateAdded', direction: 'asc' }]` (shape unverified). */
  sort?: unknown[];
}

/** Every contact of the location, oldest first (`ghl_contacts`). */
export function createGhlContactsReconciler(options: GhlContactsReconcilerOptions): ReconcilerV1<GhlPolledEvent> {
  const pageSize = options.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) {
    throw new ConfigurationError({
      packageName: GHL_PACKAGE_NAME,
      message: `contacts pageSize must be an integer from 1 to 500, got ${String(pageSize)}`,
    });
  }
  const sort = options.sort ?? [{ field: 'dateAdded', direction: 'asc' }];
  return reconciler('contact', async function* (tenant, signal) {
    let after: unknown = null;
    let page: number | null = null;
    for (;;) {
      signal?.throwIfAborted();
      const body: Omit<GhlContactSearchBody, 'locationId'> = { pageLimit: pageSize, sort };
      if (after !== null) body.searchAfter = after;
      else if (page !== null) body.page = page;
      const response = await options.client.searchContacts(tenant, body, signal ? { signal } : {});
      const records = response.contacts;
      // Only an empty page ends the listing: a short one is not trusted to be the last.
      if (records.length === 0) return;
      yield records.map((record) => ghlContactToEvent(tenant, record));
      const token = usable(response.searchAfter) ?? usable(records[records.length - 1]?.searchAfter);
      if (token !== undefined) {
        after = token;
        page = null;
        continue;
      }
      page = (page ?? 1) + 1;
      if ((page - 1) * pageSize >= GHL_CONTACT_SEARCH_PAGE_CAP) {
        // Throwing leaves the listing incomplete, so nothing is deleted.
        throw new ActError({
          packageName: GHL_PACKAGE_NAME,
          errorClass: 'validation',
          message: `POST /contacts/search returned no searchAfter value, and page paging stops at ${GHL_CONTACT_SEARCH_PAGE_CAP} records: the contacts listing cannot be completed`,
        });
      }
    }
  });
}

function usable(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value) && value.length === 0) return undefined;
  return value;
}

/** Every opportunity of the location, any status, in `added_asc` order (`ghl_opportunities`). */
export function createGhlOpportunitiesReconciler(options: {
  client: GhlClient;
  pageSize?: number;
}): ReconcilerV1<GhlPolledEvent> {
  const walk = opportunityWalker({ ...options, order: 'added_asc' });
  return reconciler('opportunity', async function* (tenant, signal) {
    for await (const { records } of walk(tenant, { v: 1, startAfter: null, startAfterId: null }, signal)) {
      if (records.length) yield records.map((record) => ghlOpportunityToEvent(tenant, record));
    }
  });
}

/** Every pipeline of the location (`ghl_pipelines`). */
export function createGhlPipelinesReconciler(options: { client: GhlClient }): ReconcilerV1<GhlPolledEvent> {
  return reconciler('pipeline', async function* (tenant, signal) {
    signal?.throwIfAborted();
    const pipelines = await options.client.listPipelines(tenant, signal ? { signal } : {});
    yield pipelines.map((record) => ghlPipelineToEvent(tenant, record));
  });
}

/** The three reconcilers: contacts, opportunities, pipelines. */
export function createGhlReconcilers(options: {
  client: GhlClient;
  contacts?: Omit<GhlContactsReconcilerOptions, 'client'>;
  opportunities?: { pageSize?: number };
}): ReconcilerV1<GhlPolledEvent>[] {
  const { client } = options;
  return [
    createGhlContactsReconciler({ ...options.contacts, client }),
    createGhlOpportunitiesReconciler({ ...options.opportunities, client }),
    createGhlPipelinesReconciler({ client }),
  ];
}
