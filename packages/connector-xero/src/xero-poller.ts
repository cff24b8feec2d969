/**
 * Polling Xero: the only source for payments and bank transactions (no
 * webhook category, [X3]), and the fallback for contacts, invoices
 * and credit notes when webhooks go quiet.
 *
 * ```ts
 * createXeroPoller(options: XeroPollerOptions): PollerV1<XeroPolledEvent>     // one entity, stream = XERO_STREAMS[entity]
 *   { client: XeroClient; entity: XeroMirroredEntity;
 *     pageSize?: number = 100 (1–1000); overlapMs?: number = 120_000;
 *     fullResyncEveryMs?: number | null = 7 days (null: never); summaryOnly?: boolean = false;
 *     invoiceStatuses?: readonly string[] | null = null (Xero's default listing);
 *     intervalMs?: number = 300_000 for payments and bank transactions (unset for the rest); now?: () => Date }
 * createXeroPollers(options: XeroPollersOptions): PollerV1<XeroPolledEvent>[]
 *   { client; entities?: XeroMirroredEntity[] = all five; …the options above for every entity;
 *     perEntity?: Partial<Record<XeroMirroredEntity, Partial<XeroPollerOptions>>> }
 * xeroFullResyncCursor(): string        // save it as a stream's cursor to force a full walk next time
 * xeroRecordToEvent(tenant, entity, record): XeroPolledEvent
 * ```
 *
 * Streams: `contacts`, `invoices`, `credit_notes`, `payments`,
 * `bank_transactions`. For the scheduler: the first three are `fallback`
 * pollers (webhooks carry them, so they run only while a tenant's webhooks
 * are quiet); payments and bank transactions, which no webhook carries, are
 * polled every `intervalMs` (default 5 minutes, the freshness target). Every listed record becomes an event the transformer
 * (xero-transform.ts) applies like a fetched webhook record: `type`
 * `<CATEGORY>.UPDATE` (`INVOICE.UPDATE`, `PAYMENT.UPDATE`, …), `entity`,
 * `entityId` = the record's id, `payload` = the record, `version` = epoch ms
 * of `UpdatedDateUTC`, not thin.
 *
 * How a walk goes (one walk per `poll`; pages stream, each page's cursor
 * resumes right after it):
 * - every request asks `order=UpdatedDateUTC ASC` with `If-Modified-Since`
 *   (to the second) and `page`/`pageSize` [X4][X8];
 * - keyset paging on the update time: after a full page, the next request
 *   starts again at page 1 with `If-Modified-Since` = the page's newest
 *   `UpdatedDateUTC`, floored to the second, minus one second. A record
 *   changed mid-walk moves behind the cursor and is read again, and records
 *   that leave the listing cannot shift later ones past the cursor (which
 *   plain page numbers would allow). Only when a whole page shares one
 *   second (a bulk import) does the walk step to the next page number of the
 *   same `If-Modified-Since`; and if Xero ever returned a page out of update
 *   order, the walk falls back to page numbers for it rather than trust the
 *   keyset;
 * - a walk ends on the last page of `pagination.pageCount` when Xero sends
 *   it, otherwise on a page that is not full (fewer records than the page size
 *   Xero reports in `pagination.pageSize`, else the requested one), or on an
 *   empty page;
 * - the next walk starts at the newest `UpdatedDateUTC` the walk saw minus
 *   `overlapMs` (so a change committed late is still seen; re-read records are
 *   skipped by the sink as unchanged);
 * - a FULL resync walks everything (no `If-Modified-Since`) every
 *   `fullResyncEveryMs`, or once when the cursor says `full` (see
 *   `xeroFullResyncCursor`): "Not all changes will trigger a change of the
 *   UpdatedDateUTC field" (DueDate, SentToContact, contact Balances,
 *   IsSupplier, IsCustomer) [X8], and the sink rewrites a row whose data
 *   changed at the same version. The first poll of a stream (no cursor) is a
 *   full walk: the backfill.
 *
 * Listings per entity: contacts with `includeArchived=true` (archiving is how
 * a contact is "deleted" [X4]); invoices with `Statuses` only when
 * `invoiceStatuses` is set (Xero's default listing otherwise; the reconciler
 * lists DELETED and VOIDED ones explicitly); the rest as Xero lists them.
 */

import { jsonCursor } from '@act/connector-kit';
import { ActError, ConfigurationError, type PollerV1, type SourceEventV1 } from '@act/core';
import { z } from 'zod';
import { XERO_ENTITY_CATEGORIES, type XeroClient, type XeroListPage, type XeroListParams } from './xero-client';
import {
  XERO_CATEGORY_ENTITIES,
  XERO_PACKAGE_NAME,
  XERO_SOURCE,
  type XeroEntity,
  type XeroMirroredEntity,
  type XeroRecord,
  xeroTimeMs,
} from './xero-events';
import { XERO_ID_FIELDS } from './xero-transform';

/** A listed record as an event (a `XeroSourceEvent` the transformer applies). */
export type XeroPolledEvent = SourceEventV1<XeroRecord> & { entity: XeroMirroredEntity };

/** The poller stream of each entity (the cursor key). */
export const XERO_STREAMS: Readonly<Record<XeroMirroredEntity, string>> = Object.freeze({
  contact: 'contacts',
  invoice: 'invoices',
  credit_note: 'credit_notes',
  payment: 'payments',
  bank_transaction: 'bank_transactions',
});

const ALL_ENTITIES: readonly XeroMirroredEntity[] = [
  'contact',
  'invoice',
  'credit_note',
  'payment',
  'bank_transaction',
];
const DAY_MS = 86_400_000;

/** Ascending update order: what keyset paging needs (`order` takes any element [X4]). */
export const XERO_UPDATE_ORDER = 'UpdatedDateUTC ASC';

// ---------------------------------------------------------------------------
// The walk, shared with the reconciler

/** Where a walk stands: the next request's `If-Modified-Since` (ms, whole seconds; null = none) and page. */
export interface XeroWalkPosition {
  since: number | null;
  page: number;
}

export interface XeroWalkOptions {
  client: XeroClient;
  entity: XeroMirroredEntity;
  pageSize: number;
  /** Fixed parameters of every request (includeArchived, statuses, summaryOnly). */
  params: Omit<XeroListParams, 'page' | 'pageSize' | 'ifModifiedSince' | 'order'>;
}

/** One page of a walk and the position after it (`null` when the walk is complete). */
export interface XeroWalkStep {
  records: XeroRecord[];
  page: XeroListPage;
  next: XeroWalkPosition | null;
}

/**
 * Walk a collection from `start` in update order, page by page (see the
 * module comment). @internal Shared by the pollers and the reconcilers.
 */
export async function* walkXero(
  options: XeroWalkOptions,
  tenant: string,
  start: XeroWalkPosition,
  signal?: AbortSignal,
): AsyncGenerator<XeroWalkStep> {
  const { client, entity, pageSize } = options;
  let position = start;
  for (;;) {
    signal?.throwIfAborted();
    const page = await client.list(
      tenant,
      entity,
      {
        ...options.params,
        page: position.page,
        pageSize,
        order: XERO_UPDATE_ORDER,
        ...(position.since !== null ? { ifModifiedSince: position.since } : {}),
      },
      signal ? { signal } : {},
    );
    const { records, pagination } = page;
    const effectiveSize = positive(pagination?.pageSize) ?? pageSize;
    const pageCount = pagination?.pageCount;
    // Xero's own count wins when it sent one (a short page that says more follow
    // is followed); without it, a page with fewer records than its size is the last.
    let last: boolean;
    if (records.length === 0) last = true;
    else if (typeof pageCount === 'number' && Number.isFinite(pageCount)) last = position.page >= pageCount;
    else last = records.length < effectiveSize;
    if (last) {
      yield { records, page, next: null };
      return;
    }
    const times = records.map((record) => xeroTimeMs(record.UpdatedDateUTC));
    const ordered =
      times.every((time) => time !== undefined) &&
      times.every((time, index) => index === 0 || (time as number) >= (times[index - 1] as number));
    let next: XeroWalkPosition;
    if (ordered) {
      // Minus a second: whether Xero compares `>` or `>=` to the second is not
      // documented, so the newest second is read again rather than risked.
      const keyset = Math.floor((times[times.length - 1] as number) / 1000) * 1000 - 1000;
      next =
        position.since === null || keyset > position.since
          ? { since: keyset, page: 1 }
          : { since: position.since, page: position.page + 1 };
    } else {
      next = { since: position.since, page: position.page + 1 };
    }
    yield { records, page, next };
    position = next;
  }
}

function positive(value: number | null | undefined): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

// ---------------------------------------------------------------------------
// Poller

export interface XeroPollerOptions {
  client: XeroClient;
  entity: XeroMirroredEntity;
  /** `pageSize`, 1–1,000 (100 is documented [X4]; 1,000 as the maximum is [UNVERIFIED] [X22]). Default 100. */
  pageSize?: number;
  /** Each walk starts this long before the newest `UpdatedDateUTC` the previous one saw. Default 2 min. */
  overlapMs?: number;
  /** Walk everything again this often (null: never; the first poll always does). Default 7 days. */
  fullResyncEveryMs?: number | null;
  /** `summaryOnly=true` (contacts and invoices only): lighter records without line items [X4]. Default false. */
  summaryOnly?: boolean;
  /** Invoices only: list these `Statuses` (e.g. all six of `XERO_INVOICE_STATUSES`). Default: Xero's default listing. */
  invoiceStatuses?: readonly string[] | null;
  /**
   * How often the scheduler polls each tenant, in ms. Default: 5 minutes
   * (the connector's freshness target) for payments and bank transactions,
   * which no webhook carries; unset for the webhook entities, whose pollers
   * are `fallback` ones run only while the tenant's webhooks are quiet.
   */
  intervalMs?: number;
  now?: () => Date;
}

/** Xero's freshness target (the connector's `freshnessTargetMs`): how often a poll-only stream is polled. */
export const XERO_POLL_INTERVAL_MS = 300_000;

/** Entities a webhook category carries ([X3]): their pollers are the scheduler's fallback. */
const WEBHOOK_ENTITIES: ReadonlySet<XeroEntity> = new Set(Object.values(XERO_CATEGORY_ENTITIES));

/**
 * A stream's cursor. `from`: the `If-Modified-Since` the current walk started
 * at (null: a full walk); `since`/`page`: the next request; `newest`: the
 * newest `UpdatedDateUTC` seen in this walk; `startedAt`: when the walk began
 * (null between walks); `full`: the next (or current) walk lists everything;
 * `lastFullAt`: when the last full walk began.
 */
const cursorSchema = z.object({
  v: z.literal(1),
  from: z.number().nullable().default(null),
  since: z.number().nullable().default(null),
  page: z.number().int().positive().default(1),
  newest: z.number().nullable().default(null),
  startedAt: z.number().nullable().default(null),
  full: z.boolean().default(false),
  lastFullAt: z.number().nullable().default(null),
});
type Cursor = z.infer<typeof cursorSchema>;

/** A cursor that makes the stream's next poll a full walk (save it with the state store's `setCursor`). */
export function xeroFullResyncCursor(): string {
  return JSON.stringify({ v: 1, full: true });
}

/** Default parameters of each entity's listing. */
function listParams(
  entity: XeroMirroredEntity,
  options: { summaryOnly?: boolean | undefined; invoiceStatuses?: readonly string[] | null | undefined },
): XeroWalkOptions['params'] {
  const params: XeroWalkOptions['params'] = {};
  if (entity === 'contact') params.includeArchived = true;
  if (entity === 'invoice' && options.invoiceStatuses?.length) params.statuses = options.invoiceStatuses;
  if (options.summaryOnly) {
    if (entity !== 'contact' && entity !== 'invoice') {
      throw new ConfigurationError({
        packageName: XERO_PACKAGE_NAME,
        message: `summaryOnly is documented only for Contacts and Invoices, not ${entity}`,
      });
    }
    params.summaryOnly = true;
  }
  return params;
}

/** Incremental polling of one entity (see the module comment). */
export function createXeroPoller(options: XeroPollerOptions): PollerV1<XeroPolledEvent> {
  const { client, entity } = options;
  if (!Object.hasOwn(XERO_STREAMS, entity)) {
    throw new ConfigurationError({
      packageName: XERO_PACKAGE_NAME,
      message: `no poller for ${JSON.stringify(entity)}`,
    });
  }
  const stream = XERO_STREAMS[entity];
  const positions = xeroCursor(stream);
  const pageSize = checkPageSize(options.pageSize ?? 100);
  const overlapMs = options.overlapMs ?? 120_000;
  const fullEvery = options.fullResyncEveryMs === undefined ? 7 * DAY_MS : options.fullResyncEveryMs;
  const now = options.now ?? (() => new Date());
  const walk: XeroWalkOptions = { client, entity, pageSize, params: listParams(entity, options) };
  if (!(Number.isFinite(overlapMs) && overlapMs >= 0)) {
    throw new ConfigurationError({
      packageName: XERO_PACKAGE_NAME,
      message: `overlapMs must be ≥ 0, got ${overlapMs}`,
    });
  }

  // Contacts, invoices and credit notes come by webhook: polled only while the tenant is quiet.
  // Payments and bank transactions have no webhook category [X3]: polling is their only
  // source, so it runs every freshness target whatever the webhooks do.
  const fallback = WEBHOOK_ENTITIES.has(entity);
  const intervalMs = options.intervalMs ?? (fallback ? undefined : XERO_POLL_INTERVAL_MS);
  if (intervalMs !== undefined && !(Number.isFinite(intervalMs) && intervalMs > 0)) {
    throw new ConfigurationError({
      packageName: XERO_PACKAGE_NAME,
      message: `intervalMs must be > 0, got ${intervalMs}`,
    });
  }

  return {
    specificationVersion: 'v1',
    stream,
    ...(fallback ? { fallback: true } : {}),
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    async *poll({ tenant, cursor, signal }) {
      let position = positions.read(cursor);
      if (position.startedAt === null) {
        // A new walk: full when asked for, when none was ever done, or when one is due.
        const at = now().getTime();
        const full =
          position.full ||
          position.from === null ||
          (fullEvery !== null && (position.lastFullAt === null || at - position.lastFullAt >= fullEvery));
        position = full
          ? { ...position, from: null, since: null, page: 1, newest: null, startedAt: at, full: true }
          : { ...position, since: position.from, page: 1, newest: null, startedAt: at, full: false };
      }
      const start: XeroWalkPosition = { since: position.since, page: position.page };
      for await (const step of walkXero(walk, tenant, start, signal)) {
        let newest = position.newest;
        for (const record of step.records) {
          const time = xeroTimeMs(record.UpdatedDateUTC);
          if (time !== undefined && (newest === null || time > newest)) newest = time;
        }
        const events = step.records.map((record) => xeroRecordToEvent(tenant, entity, record));
        if (step.next) {
          position = { ...position, since: step.next.since, page: step.next.page, newest };
          yield { events, cursor: positions.write(position) };
          continue;
        }
        // The walk is complete: the next one asks only for what changed since.
        // Nothing seen in a full walk: start the next one at the walk's start, by
        // Xero's clock (`DateTimeUTC`) where it sent one, ours otherwise.
        const walkStart = Math.min(position.startedAt as number, step.page.serverTimeMs ?? Number.POSITIVE_INFINITY);
        const from =
          newest !== null
            ? floorSecond(newest - overlapMs)
            : (position.from ?? (position.full ? floorSecond(walkStart - overlapMs) : null));
        const done: Cursor = {
          v: 1,
          from,
          since: from,
          page: 1,
          newest: null,
          startedAt: null,
          full: false,
          lastFullAt: position.full ? position.startedAt : position.lastFullAt,
        };
        yield { events, cursor: positions.write(done) };
        return;
      }
    },
  };
}

function floorSecond(ms: number): number {
  return Math.max(0, Math.floor(ms / 1000) * 1000);
}

export interface XeroPollersOptions extends Omit<XeroPollerOptions, 'entity'> {
  /** Which entities to poll; default all five. */
  entities?: readonly XeroMirroredEntity[];
  /** Options for one entity only (e.g. `{ invoice: { invoiceStatuses: [...] } }`). */
  perEntity?: Partial<Record<XeroMirroredEntity, Partial<Omit<XeroPollerOptions, 'client' | 'entity'>>>>;
}

/** One poller per entity, in the order contacts, invoices, credit notes, payments, bank transactions. */
export function createXeroPollers(options: XeroPollersOptions): PollerV1<XeroPolledEvent>[] {
  const { entities = ALL_ENTITIES, perEntity, ...shared } = options;
  return entities.map((entity) => {
    const own = perEntity?.[entity] ?? {};
    const summaryOnly =
      entity === 'contact' || entity === 'invoice' ? (own.summaryOnly ?? shared.summaryOnly) : own.summaryOnly;
    // A shared summaryOnly applies where Xero documents it (contacts, invoices) only.
    return createXeroPoller({ ...shared, ...own, summaryOnly: summaryOnly ?? false, client: options.client, entity });
  });
}

/** A listed record as an event: `<CATEGORY>.UPDATE`, versioned by `UpdatedDateUTC`. */
export function xeroRecordToEvent(tenant: string, entity: XeroMirroredEntity, record: XeroRecord): XeroPolledEvent {
  const id = record[XERO_ID_FIELDS[entity]];
  if (typeof id !== 'string' || id === '') {
    // The list schema requires the id, so this is a programming error.
    throw new ActError({
      packageName: XERO_PACKAGE_NAME,
      errorClass: 'validation',
      message: `a listed ${entity} has no ${XERO_ID_FIELDS[entity]}`,
    });
  }
  const version = xeroTimeMs(record.UpdatedDateUTC);
  return {
    source: XERO_SOURCE,
    tenant,
    type: `${XERO_ENTITY_CATEGORIES[entity]}.UPDATE`,
    entity,
    entityId: id,
    ...(version !== undefined ? { version, occurredAt: new Date(version).toISOString() } : {}),
    payload: record,
  };
}

// ---------------------------------------------------------------------------
// Helpers

/** @internal */
export function checkPageSize(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 1_000) {
    throw new ConfigurationError({
      packageName: XERO_PACKAGE_NAME,
      message: `pageSize must be an integer from 1 to 1000, got ${String(value)}`,
    });
  }
  return value;
}

/** A stream's saved position; one that does not parse stops the poll. */
function xeroCursor(stream: string) {
  return jsonCursor(cursorSchema, {
    start: cursorSchema.parse({ v: 1 }),
    packageName: XERO_PACKAGE_NAME,
    stream,
    kind: 'Xero',
    recover: 'delete it, or save xeroFullResyncCursor(), to walk everything again',
  });
}
