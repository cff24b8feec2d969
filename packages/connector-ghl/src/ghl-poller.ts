/**
 * Polling GoHighLevel: the fallback when webhooks go quiet, and the backfill.
 * Contacts, opportunities and appointments are `fallback: true` (GHL's
 * webhooks carry them [G2]: the scheduler polls them only while a location's
 * webhooks are quiet); pipelines have no webhook and are polled on the
 * scheduler's interval.
 *
 * ```ts
 * createGhlContactsPoller(options: GhlContactsPollerOptions): PollerV1<GhlPolledEvent>       // stream 'contacts'
 *   { client: GhlClient; pageSize?: number = 100; overlapMs?: number = 120_000;
 *     sort?: unknown[]; updatedSinceFilter?: (sinceMs: number) => unknown; now?: () => Date }
 * createGhlOpportunitiesPoller(options: GhlOpportunitiesPollerOptions): PollerV1<GhlPolledEvent> // 'opportunities'
 *   { client: GhlClient; pageSize?: number = 100 (1–100); order?: string = 'added_asc' }
 * createGhlPipelinesPoller(options: { client: GhlClient }): PollerV1<GhlPolledEvent>          // 'pipelines'
 * createGhlAppointmentsPoller(options: GhlAppointmentsPollerOptions): PollerV1<GhlPolledEvent> // 'appointments'
 *   { client: GhlClient; lookbackMs?: number = 30 d; lookaheadMs?: number = 365 d; now?: () => Date }
 * createGhlPollers(options: GhlPollersOptions): PollerV1<GhlPolledEvent>[]  // all four, in that order
 * ```
 *
 * Pages stream (async generators: the next page is fetched only once the
 * runtime wrote this one), and each page's cursor resumes right after it.
 * Every listed record becomes a synthetic `*Update` event shaped like the
 * webhook payload of the same entity (see the `ghl*ToEvent` mappers at the
 * end), with `version` = epoch ms of the record's `dateUpdated` (`updatedAt`
 * for opportunities), so polled rows pass the same version guard as webhooks.
 *
 * Provider facts ([G5], [G11] in REFERENCES.md):
 * - contacts via `POST /contacts/search`, never the deprecated `GET /contacts/`
 *   [G5 apps/contacts.json]. Its body/response are documented only on ClickUp;
 *   per the third-party reading [G17]: `locationId`, `page` + `pageLimit`
 *   ("standard paging capped at 10,000 records total"), `searchAfter` for
 *   deeper paging, `filters` (e.g. `{field:'dateUpdated',operator:'range',value:{…}}`),
 *   `sort`; response `{contacts, total, searchAfter}` (the spec's DTO says
 *   `{contacts, count}`). Max `pageLimit` 500 is [UNVERIFIED]; default 100.
 *   [UNVERIFIED, so configurable]: the `sort` entry shape
 *   (`{ field, direction }`), the range value's keys (`{ gte }`), and where
 *   the next `searchAfter` comes from (the response's, else the last
 *   contact's). Without any `searchAfter` the poller falls back to `page`
 *   numbers and refuses to page past 10,000 records rather than lose data.
 * - opportunities via `GET /opportunities/search` with `location_id`,
 *   `limit` ≤ 100, `order` (e.g. `added_asc`), `status` (`all` here, so won,
 *   lost and abandoned ones are listed too), and the `meta.startAfter` /
 *   `meta.startAfterId` cursor [G5 apps/opportunities.json]. No documented
 *   "updated since" filter: every poll walks the whole listing; the sink's
 *   version guard skips unchanged rows.
 * - pipelines via `GET /opportunities/pipelines` (no paging, no timestamps) [G5].
 * - appointments via `GET /calendars/` then `GET /calendars/events` per
 *   calendar with `startTime`/`endTime` in epoch ms (a calendar, user or group
 *   id is required; no paging documented) [G5 apps/calendars.json]. Only
 *   events inside the window are polled; no "updated since" filter exists.
 * - tasks and notes are listed only per contact (`GET /contacts/{id}/tasks`,
 *   `…/notes`): not polled (one request per contact); webhooks carry them.
 * - polling returns only live records, so deletes come from webhooks and
 *   reconciliation ([G11] #257).
 * - a record listed without its update time (`dateUpdated` is not in the
 *   spec's contact search-result schema [G5]) becomes an event without
 *   `version`, which the sink always applies: the listing is current when
 *   fetched, but a webhook applied between the fetch and the write could be
 *   overwritten by it until the next event for that contact.
 */

import { jsonCursor } from '@act/connector-kit';
import { ActError, ConfigurationError, type PollerV1, type SourceEventV1 } from '@act/core';
import { z } from 'zod';
import type {
  GhlCalendarEventRecord,
  GhlClient,
  GhlContactRecord,
  GhlContactSearchBody,
  GhlOpportunityRecord,
  GhlPipelineRecord,
} from './ghl-client';
import { GHL_PACKAGE_NAME, GHL_SOURCE } from './ghl-error';
import type { GhlEntity } from './ghl-events';

/**
 * What the pollers and reconcilers emit: a listed record as a synthetic
 * webhook-shaped event (a `GhlSourceEvent` of ghl-events.ts).
 */
export type GhlPolledEvent = SourceEventV1<Record<string, unknown>> & { entity: GhlEntity };

/** Standard `page` paging stops here [G17]; `searchAfter` is needed beyond. */
export const GHL_CONTACT_SEARCH_PAGE_CAP = 10_000;

// ---------------------------------------------------------------------------
// Contacts

export interface GhlContactsPollerOptions {
  client: GhlClient;
  /** `pageLimit`, 1–500 (500 is the third-party maximum [G17], unverified). Default 100. */
  pageSize?: number;
  /**
   * Each incremental listing starts this long before the newest `dateUpdated`
   * the previous one saw (the search index's refresh lag is undocumented).
   * Re-read records are skipped by the sink as unchanged. Default 2 min.
   */
  overlapMs?: number;
  /** `sort` of every search. Default `[{ field: 'dateUpdated', direction: 'asc' }]` [UNVERIFIED shape]. */
  sort?: unknown[];
  /**
   * The filter selecting contacts updated at or after `sinceMs`. Default
   * `{ field: 'dateUpdated', operator: 'range', value: { gte: <ISO> } }`
   * ([G17] shape; the `gte` key is [UNVERIFIED]).
   */
  updatedSinceFilter?: (sinceMs: number) => unknown;
  now?: () => Date;
}

/**
 * Where a contacts poll stands.
 * - `since`: the listing asks for contacts updated at or after this (epoch ms); `null` = everything (backfill).
 * - `after`: the `searchAfter` value for the next page (`null` on the first page).
 * - `page`: the next `page` number when GHL gave no `searchAfter` (fallback).
 * - `newest`: the newest `dateUpdated` seen in this listing; `startedAt`: when it began.
 * When a listing ends, `since` becomes `newest - overlapMs` (or `startedAt - overlapMs`
 * when the results carry no `dateUpdated`; unchanged when nothing was listed), so a
 * finished backfill turns into incremental polls.
 */
const contactsCursorSchema = z.object({
  v: z.literal(1),
  since: z.number().nullable(),
  after: z.unknown().nullable(),
  page: z.number().int().positive().nullable(),
  newest: z.number().nullable(),
  /** Some listed contact had no `dateUpdated` (the search schema does not promise it [G5]). */
  undated: z.boolean(),
  startedAt: z.number().nullable(),
});
type ContactsCursor = z.infer<typeof contactsCursorSchema>;

const defaultContactSort = (): unknown[] => [{ field: 'dateUpdated', direction: 'asc' }];
const defaultUpdatedSinceFilter = (sinceMs: number): unknown => ({
  field: 'dateUpdated',
  operator: 'range',
  value: { gte: new Date(sinceMs).toISOString() },
});

/**
 * Contacts, sorted by `dateUpdated` ascending. That order is what makes the
 * walk safe while contacts change under it: a contact updated mid-listing
 * moves behind the cursor and is read again, and a listing cut short is
 * finished by the next one (it starts from the newest `dateUpdated` seen).
 * A listing ends on an empty page (a short page is not trusted to be the
 * last, since the maximum `pageLimit` is unverified).
 */
export function createGhlContactsPoller(options: GhlContactsPollerOptions): PollerV1<GhlPolledEvent> {
  const { client } = options;
  const pageSize = checkPageSize(options.pageSize ?? 100, 500, 'contacts pageSize');
  const overlapMs = options.overlapMs ?? 120_000;
  const sort = options.sort ?? defaultContactSort();
  const updatedSinceFilter = options.updatedSinceFilter ?? defaultUpdatedSinceFilter;
  const now = options.now ?? (() => new Date());
  const stream = 'contacts';
  const positions = ghlCursor(stream, contactsCursorSchema, {
    v: 1,
    since: null,
    after: null,
    page: null,
    newest: null,
    undated: false,
    startedAt: null,
  });

  return {
    specificationVersion: 'v1',
    stream,
    // Contact webhooks (ContactCreate/Update/Delete…, [G2]) carry this stream: the scheduler
    // polls it only while the location's webhooks are quiet (plus its daily reconciliation).
    fallback: true,
    async *poll({ tenant, cursor, signal }) {
      let position = positions.read(cursor);
      for (;;) {
        signal?.throwIfAborted();
        const startedAt = position.startedAt ?? now().getTime();
        if (position.page !== null && (position.page - 1) * pageSize >= GHL_CONTACT_SEARCH_PAGE_CAP) {
          // Standard paging cannot go further [G17]; stopping here would silently skip the rest.
          throw new ActError({
            packageName: GHL_PACKAGE_NAME,
            errorClass: 'validation',
            message: `POST /contacts/search returned no searchAfter value, and page paging stops at ${GHL_CONTACT_SEARCH_PAGE_CAP} records; refusing to skip the rest (set the poller's sort/updatedSinceFilter to a shape your account supports)`,
          });
        }
        const body: Omit<GhlContactSearchBody, 'locationId'> = { pageLimit: pageSize, sort };
        if (position.since !== null) body.filters = [updatedSinceFilter(position.since)];
        if (position.after !== null) body.searchAfter = position.after;
        else if (position.page !== null) body.page = position.page;
        const response = await client.searchContacts(tenant, body, signal ? { signal } : {});
        const records = response.contacts;
        if (records.length === 0) {
          // The listing is complete: the next poll asks only for what changed since.
          const from = position.newest ?? (position.undated ? startedAt : null);
          const since =
            from === null ? position.since : Math.max(position.since ?? Number.NEGATIVE_INFINITY, from - overlapMs);
          const done: ContactsCursor = {
            v: 1,
            since,
            after: null,
            page: null,
            newest: null,
            undated: false,
            startedAt: null,
          };
          yield { events: [], cursor: positions.write(done) };
          return;
        }
        let newest = position.newest;
        let undated = position.undated;
        for (const record of records) {
          const version = ghlVersion(record.dateUpdated);
          if (version === undefined) undated = true;
          else if (newest === null || version > newest) newest = version;
        }
        const token = nextSearchAfter(response.searchAfter, records);
        let next: ContactsCursor;
        if (token !== undefined) {
          next = { ...position, after: token, page: null, newest, undated, startedAt };
        } else {
          next = { ...position, after: null, page: (position.page ?? 1) + 1, newest, undated, startedAt };
        }
        position = next;
        yield { events: records.map((record) => ghlContactToEvent(tenant, record)), cursor: positions.write(next) };
      }
    },
  };
}

/** The `searchAfter` for the next page: the response's, else the last contact's [UNVERIFIED which]. */
function nextSearchAfter(fromResponse: unknown, records: readonly GhlContactRecord[]): unknown {
  if (isUsableToken(fromResponse)) return fromResponse;
  const last = records[records.length - 1]?.searchAfter;
  return isUsableToken(last) ? last : undefined;
}

function isUsableToken(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  return !(Array.isArray(value) && value.length === 0);
}

// ---------------------------------------------------------------------------
// Opportunities

export interface GhlOpportunitiesPollerOptions {
  client: GhlClient;
  /** `limit`, 1–100 ("maximum up to 100 and default will be 20" [G5]). Default 100. */
  pageSize?: number;
  /** `order`; default `added_asc` (stable while opportunities change). */
  order?: string;
}

const idCursorSchema = z.object({
  v: z.literal(1),
  startAfter: z.union([z.number(), z.string()]).nullable(),
  startAfterId: z.string().nullable(),
});
type IdCursor = z.infer<typeof idCursorSchema>;
const ID_CURSOR_START: IdCursor = { v: 1, startAfter: null, startAfterId: null };

/**
 * Opportunities in `added_asc` order through `meta.startAfter`/`startAfterId`.
 * A listing ends on an empty page, when `meta` gives no next position (or the
 * same one again), or when it says there is no next page. Then the cursor
 * goes back to the start: GHL documents no "updated since" filter for this
 * listing, so each poll walks it all and the sink skips what did not change.
 */
export function createGhlOpportunitiesPoller(options: GhlOpportunitiesPollerOptions): PollerV1<GhlPolledEvent> {
  const stream = 'opportunities';
  const positions = ghlCursor(stream, idCursorSchema, ID_CURSOR_START);
  const walk = opportunityWalker(options);
  return {
    specificationVersion: 'v1',
    stream,
    // Opportunity webhooks ([G2]) carry this stream: polled only while the location is quiet.
    fallback: true,
    async *poll({ tenant, cursor, signal }) {
      const start = positions.read(cursor);
      for await (const { records, next } of walk(tenant, start, signal)) {
        yield {
          events: records.map((record) => ghlOpportunityToEvent(tenant, record)),
          cursor: positions.write(next ?? ID_CURSOR_START),
        };
      }
    },
  };
}

/** @internal Shared with the reconciler: the opportunity listing, page by page. */
export function opportunityWalker(options: GhlOpportunitiesPollerOptions) {
  const pageSize = checkPageSize(options.pageSize ?? 100, 100, 'opportunities pageSize');
  const order = options.order ?? 'added_asc';
  return async function* walk(
    tenant: string,
    start: IdCursor,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<{ records: GhlOpportunityRecord[]; next: IdCursor | null }> {
    let position = start;
    for (;;) {
      signal?.throwIfAborted();
      const response = await options.client.searchOpportunities(
        tenant,
        {
          limit: pageSize,
          order,
          status: 'all',
          startAfter: position.startAfter,
          startAfterId: position.startAfterId,
        },
        signal ? { signal } : {},
      );
      const records = response.opportunities;
      const meta = response.meta;
      const nextId = meta?.startAfterId ?? null;
      const exhausted =
        records.length === 0 ||
        !nextId ||
        nextId === position.startAfterId ||
        (meta?.nextPageUrl === null && meta?.nextPage === null);
      const next: IdCursor | null = exhausted
        ? null
        : { v: 1, startAfter: meta?.startAfter ?? null, startAfterId: nextId };
      yield { records, next };
      if (!next) return;
      position = next;
    }
  };
}

// ---------------------------------------------------------------------------
// Pipelines

/** All pipelines of the location, one page per poll (the endpoint has no paging or timestamps). */
export function createGhlPipelinesPoller(options: { client: GhlClient }): PollerV1<GhlPolledEvent> {
  const stream = 'pipelines';
  const positions = ghlCursor(stream, z.object({ v: z.literal(1) }), { v: 1 });
  return {
    specificationVersion: 'v1',
    stream,
    // Poll-only: GHL sends no pipeline webhooks ([G2]), so this runs on the scheduler's
    // poll interval (default 5 min; pipelines change rarely) whatever the webhooks do.
    async *poll({ tenant, cursor, signal }) {
      positions.read(cursor);
      signal?.throwIfAborted();
      const pipelines = await options.client.listPipelines(tenant, signal ? { signal } : {});
      yield {
        events: pipelines.map((record) => ghlPipelineToEvent(tenant, record)),
        cursor: positions.write({ v: 1 }),
      };
    },
  };
}

// ---------------------------------------------------------------------------
// Appointments

export interface GhlAppointmentsPollerOptions {
  client: GhlClient;
  /** Poll events starting this long before now. Default 30 days. */
  lookbackMs?: number;
  /** …and up to this long after now. Default 365 days. */
  lookaheadMs?: number;
  now?: () => Date;
}

const appointmentsCursorSchema = z.object({
  v: z.literal(1),
  /** The window of the listing in progress (`null` between listings). */
  window: z.object({ start: z.number(), end: z.number() }).nullable(),
  /** The last calendar id done in this listing (calendars are walked in id order). */
  after: z.string().nullable(),
});
type AppointmentsCursor = z.infer<typeof appointmentsCursorSchema>;
const APPOINTMENTS_START: AppointmentsCursor = { v: 1, window: null, after: null };

/**
 * Appointments of every calendar, one page per calendar (in id order, so a
 * resumed listing skips the calendars already done), inside a window fixed
 * when the listing starts. Each poll lists the window again; unchanged rows
 * are skipped by the sink.
 */
export function createGhlAppointmentsPoller(options: GhlAppointmentsPollerOptions): PollerV1<GhlPolledEvent> {
  const stream = 'appointments';
  const positions = ghlCursor(stream, appointmentsCursorSchema, APPOINTMENTS_START);
  const lookbackMs = options.lookbackMs ?? 30 * 86_400_000;
  const lookaheadMs = options.lookaheadMs ?? 365 * 86_400_000;
  const now = options.now ?? (() => new Date());
  return {
    specificationVersion: 'v1',
    stream,
    // Appointment webhooks ([G2]) carry this stream: polled only while the location is quiet.
    fallback: true,
    async *poll({ tenant, cursor, signal }) {
      const position = positions.read(cursor);
      const at = now().getTime();
      const window = position.window ?? { start: at - lookbackMs, end: at + lookaheadMs };
      signal?.throwIfAborted();
      const calendars = (await options.client.listCalendars(tenant, signal ? { signal } : {}))
        .map((calendar) => calendar.id)
        .sort()
        .filter((id) => position.after === null || id > position.after);
      if (calendars.length === 0) {
        yield { events: [], cursor: positions.write(APPOINTMENTS_START) };
        return;
      }
      for (const [index, calendarId] of calendars.entries()) {
        signal?.throwIfAborted();
        const records = await options.client.listCalendarEvents(
          tenant,
          { calendarId, startTime: window.start, endTime: window.end },
          signal ? { signal } : {},
        );
        const last = index === calendars.length - 1;
        const next: AppointmentsCursor = last ? APPOINTMENTS_START : { v: 1, window, after: calendarId };
        yield { events: records.map((record) => ghlAppointmentToEvent(tenant, record)), cursor: positions.write(next) };
      }
    },
  };
}

// ---------------------------------------------------------------------------
// All of them

export interface GhlPollersOptions {
  client: GhlClient;
  contacts?: Omit<GhlContactsPollerOptions, 'client'>;
  opportunities?: Omit<GhlOpportunitiesPollerOptions, 'client'>;
  appointments?: Omit<GhlAppointmentsPollerOptions, 'client'>;
}

/** The four pollers: contacts, opportunities, pipelines, appointments. */
export function createGhlPollers(options: GhlPollersOptions): PollerV1<GhlPolledEvent>[] {
  const { client } = options;
  return [
    createGhlContactsPoller({ ...options.contacts, client }),
    createGhlOpportunitiesPoller({ ...options.opportunities, client }),
    createGhlPipelinesPoller({ client }),
    createGhlAppointmentsPoller({ ...options.appointments, client }),
  ];
}

// ---------------------------------------------------------------------------
// API record → event. The webhook payloads and the API records differ a
// little ([G2], the [G5] specs); these mappers make a polled record look
// like the webhook payload of the same entity, so one transformer handles both:
// - contact: both flat with the same field names; the API adds `dateUpdated`
//   (webhooks have none) and search hits may carry `searchAfter` (dropped).
// - opportunity: both flat; the API says `createdAt`/`updatedAt` where the
//   webhook says `dateAdded` (copied over when missing) and has no update time.
// - appointment: webhooks nest the record under `appointment`; the API's
//   CalendarEventDTO is flat: it is nested here.
// - pipeline: GHL sends no pipeline webhooks; the event type `PipelineUpdate`
//   is this connector's own.
// `locationId` is set from the tenant when the record lacks it.

/** A record's version: epoch ms of an ISO time (or an epoch-ms number), `undefined` when absent or unparsable. */
export function ghlVersion(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function event(
  tenant: string,
  type: string,
  entity: GhlEntity,
  entityId: string,
  updated: unknown,
  payload: Record<string, unknown>,
): GhlPolledEvent {
  const version = ghlVersion(updated);
  return {
    source: GHL_SOURCE,
    tenant,
    type,
    entity,
    entityId,
    // A listed record without an update time (the contact search result schema
    // documents none [G5]; pipelines have none) gets version 0, the oldest
    // possible: it fills a row the mirror lacks but never overwrites one a
    // webhook wrote, since an unversioned write would always win the guard.
    ...(version !== undefined ? { version, occurredAt: new Date(version).toISOString() } : { version: 0 }),
    payload,
  };
}

/** A contact from `POST /contacts/search` or `GET /contacts/{id}` as a `ContactUpdate` event. */
export function ghlContactToEvent(tenant: string, record: GhlContactRecord): GhlPolledEvent {
  const { searchAfter: _searchAfter, ...fields } = record;
  const payload = { ...fields, type: 'ContactUpdate', locationId: record.locationId ?? tenant };
  return event(tenant, 'ContactUpdate', 'contact', record.id, record.dateUpdated, payload);
}

/** An opportunity from `GET /opportunities/search` as an `OpportunityUpdate` event. */
export function ghlOpportunityToEvent(tenant: string, record: GhlOpportunityRecord): GhlPolledEvent {
  const payload: Record<string, unknown> = {
    ...record,
    type: 'OpportunityUpdate',
    locationId: record.locationId ?? tenant,
  };
  if (payload.dateAdded == null && record.createdAt) payload.dateAdded = record.createdAt;
  return event(tenant, 'OpportunityUpdate', 'opportunity', record.id, record.updatedAt, payload);
}

/**
 * A pipeline from `GET /opportunities/pipelines` as a `PipelineUpdate` event.
 * The documented record has no update time [G5 PipelinesResponseSchema]; an
 * `updatedAt`/`dateUpdated` is read when GHL sends one, else the version is 0
 * and two listings are ordered by when they were fetched (the runtime's
 * receipt time, `SinkUpsertV1.order`): a later listing replaces an earlier
 * one, an earlier one arriving late never does, and reconciliation rewrites
 * a pipeline whose content differs at the same version.
 */
export function ghlPipelineToEvent(tenant: string, record: GhlPipelineRecord): GhlPolledEvent {
  const payload = { ...record, type: 'PipelineUpdate', locationId: record.locationId ?? tenant };
  return event(tenant, 'PipelineUpdate', 'pipeline', record.id, record.updatedAt ?? record.dateUpdated, payload);
}

/** A calendar event from `GET /calendars/events` as an `AppointmentUpdate` event, nested like the webhook. */
export function ghlAppointmentToEvent(tenant: string, record: GhlCalendarEventRecord): GhlPolledEvent {
  const payload = {
    type: 'AppointmentUpdate',
    locationId: record.locationId ?? tenant,
    appointment: { ...record },
  };
  return event(tenant, 'AppointmentUpdate', 'appointment', record.id, record.dateUpdated, payload);
}

// ---------------------------------------------------------------------------
// Helpers

function checkPageSize(value: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new ConfigurationError({
      packageName: GHL_PACKAGE_NAME,
      message: `${name} must be an integer from 1 to ${max}, got ${String(value)}`,
    });
  }
  return value;
}

/** A stream's saved position; one that does not parse stops the poll (deleting it backfills again). */
function ghlCursor<S extends z.ZodType>(stream: string, schema: S, start: z.output<S>) {
  return jsonCursor(schema, { start, packageName: GHL_PACKAGE_NAME, stream, kind: `GHL ${stream}` });
}
