// The poll loop over a listing paged by an opaque cursor and filtered by an
// inclusive "updated since" time: the connector supplies one page request and
// the item → event mapping; the kit keeps the position (jsonCursor), streams
// pages one at a time and turns a finished listing into incremental polls.
import { ConfigurationError, type PollerV1, type ReconcileListRequestV1, type SourceEventV1 } from '@act/core/internal';
import { z } from 'zod';
import { jsonCursor } from '../mirror/json-cursor';

export interface PagedListRequest {
  tenant: string;
  /** Items updated at or after this ISO time; `null` lists everything. */
  updatedSince: string | null;
  /** The previous page's `next`; `null` for the first page. */
  page: string | null;
  signal?: AbortSignal;
}

export interface PagedListing<TItem> {
  items: readonly TItem[];
  /** The next page's cursor; `null` (or absent) on the last page. */
  next?: string | null;
}

export interface PagedPollerOptions<TEvent extends SourceEventV1, TItem> {
  /** The stream name (`records`): the runtime saves one cursor per stream. */
  stream: string;
  /** For the error on a saved cursor this poller did not write. */
  packageName: string;
  /** `Template`: "… is not a Template cursor". */
  kind: string;
  /** Fetch one page. */
  list(request: PagedListRequest): Promise<PagedListing<TItem>>;
  /** The item's update time (ISO 8601): the newest one listed becomes the next poll's `updatedSince`. */
  updatedAt(item: TItem): string | null | undefined;
  toEvent(tenant: string, item: TItem): TEvent;
  /**
   * How often the scheduler polls each tenant, in ms (`PollerV1.intervalMs`).
   * Set it for a stream no webhook carries (the poller is its only source)
   * to the source's freshness target; left out, the scheduler's default.
   */
  intervalMs?: number | undefined;
  /**
   * The source's webhooks carry this stream's changes (`PollerV1.fallback`):
   * the scheduler runs the poller only while the tenant's webhooks are quiet
   * (and at `intervalMs`, when set). Leave it out for a poll-only stream.
   */
  fallback?: boolean | undefined;
}

export interface PagedPoller<TEvent extends SourceEventV1> extends PollerV1<TEvent> {
  /** Every item from the first page, one batch of events per non-empty page: a reconciler's `list`. */
  listAll(request: ReconcileListRequestV1): AsyncIterable<TEvent[]>;
}

/**
 * The saved position, `{ updatedSince, page, newest }`: the listing being
 * walked (`updatedSince`), the page inside it, and the newest update time seen
 * in it, which becomes the next `updatedSince` when the listing ends. A
 * backfill stopped after page 40 resumes at page 41; a finished one turns into
 * incremental polls. The filter is inclusive, so each poll re-reads the newest
 * item(s) of the last one; the sink's version guard skips them.
 */
const positionSchema = z.object({
  updatedSince: z.string().nullable(),
  page: z.string().nullable(),
  newest: z.string().nullable(),
});

const timeOf = (value: string | null | undefined): number => {
  const ms = value ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) ? ms : -Infinity;
};

/**
 * A poller for a cursor-paged, `updated_since`-filtered listing. Pages are
 * yielded one at a time (the next is fetched only after the runtime wrote this
 * one), each with the position to save, so a backfill never accumulates in
 * memory and a failed write re-reads that page next time.
 */
export function pagedPoller<TEvent extends SourceEventV1, TItem>(
  options: PagedPollerOptions<TEvent, TItem>,
): PagedPoller<TEvent> {
  const { stream, list, updatedAt, toEvent } = options;
  const positions = jsonCursor(positionSchema, {
    start: { updatedSince: null, page: null, newest: null },
    packageName: options.packageName,
    stream,
    kind: options.kind,
  });
  if (options.intervalMs !== undefined && !(Number.isFinite(options.intervalMs) && options.intervalMs > 0)) {
    throw new ConfigurationError({
      packageName: options.packageName,
      message: `${stream} poller: intervalMs must be a number > 0, got ${String(options.intervalMs)}`,
    });
  }
  return {
    specificationVersion: 'v1',
    stream,
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
    ...(options.fallback !== undefined ? { fallback: options.fallback } : {}),
    async *poll({ tenant, cursor, signal }) {
      let position = positions.read(cursor);
      for (;;) {
        signal?.throwIfAborted();
        const listing = await list({
          tenant,
          updatedSince: position.updatedSince,
          page: position.page,
          ...(signal ? { signal } : {}),
        });
        let newest = position.newest;
        for (const item of listing.items) {
          if (timeOf(updatedAt(item)) > timeOf(newest)) newest = updatedAt(item) ?? null;
        }
        const next = listing.next || null;
        position = next
          ? { updatedSince: position.updatedSince, page: next, newest }
          : { updatedSince: newest ?? position.updatedSince, page: null, newest: null };
        yield { events: listing.items.map((item) => toEvent(tenant, item)), cursor: positions.write(position) };
        if (!next) return;
      }
    },
    async *listAll({ tenant, signal }) {
      let page: string | null = null;
      do {
        signal?.throwIfAborted();
        const listing: PagedListing<TItem> = await list({
          tenant,
          updatedSince: null,
          page,
          ...(signal ? { signal } : {}),
        });
        if (listing.items.length) yield listing.items.map((item) => toEvent(tenant, item));
        page = listing.next || null;
      } while (page);
    },
  };
}
