import type { ConnectorV1, PollerV1, SourceEventV1 } from '@act/core';
import type { Migration } from '../../src';

/**
 * A made-up feed whose pushes only say "the feed changed" (the shape of a
 * Gmail watch notification, not a provider's payload): the worker syncs the
 * `items` stream from its stored cursor. The stream is PAGES pages of
 * PER_PAGE items; the cursor after a page is its number. Not a provider: for
 * the kill test of stream syncs only.
 */
export const PAGES = 40;
export const PER_PAGE = 25;
export const SOURCE = 'feed';
export const STREAM = 'items';

export interface FeedItem {
  id: string;
  name: string;
  version: number;
}

/** The items of page `page` (1-based): ids unique across pages, versions deterministic. */
export function pageItems(page: number): FeedItem[] {
  return Array.from({ length: PER_PAGE }, (_, index) => ({
    id: `item-${String((page - 1) * PER_PAGE + index).padStart(4, '0')}`,
    name: `page ${page} #${index}`,
    version: page * 1_000 + index,
  }));
}

export const FEED_MIGRATION: Migration = {
  name: 'test/0001_feed_items',
  sql: `create table feed_items (
  tenant_id text not null,
  id text not null,
  name text,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz,
  primary key (tenant_id, id)
);
`,
};

/** A push for the tenant's feed (`messageId` is the delivery id). */
export function feedPush(tenant: string, messageId: string): Request {
  return new Request(`http://localhost/webhooks/${SOURCE}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant, messageId }),
  });
}

export interface FeedOptions {
  /** How long fetching one page takes. */
  pageDelayMs: number;
  /** Told of each poll (with the cursor it starts from) and each page fetched. */
  report?: (line: { event: 'poll'; cursor: string | null } | { event: 'fetch'; page: number }) => void;
}

export function createFeedConnector(options: FeedOptions): ConnectorV1 {
  const items: PollerV1 = {
    specificationVersion: 'v1',
    stream: STREAM,
    async *poll({ tenant, cursor }) {
      options.report?.({ event: 'poll', cursor });
      // The generator is only resumed after the previous page (rows and cursor) committed.
      for (let page = cursor === null ? 1 : Number(cursor) + 1; page <= PAGES; page++) {
        options.report?.({ event: 'fetch', page });
        await new Promise((resolve) => setTimeout(resolve, options.pageDelayMs));
        yield {
          events: pageItems(page).map(
            (item): SourceEventV1<FeedItem> => ({
              source: SOURCE,
              tenant,
              type: 'ItemUpdate',
              entity: 'item',
              entityId: item.id,
              version: item.version,
              payload: item,
            }),
          ),
          cursor: String(page),
        };
      }
    },
  };
  return {
    specificationVersion: 'v1',
    source: SOURCE,
    packageName: '@act/test-feed',
    webhooks: {
      default: {
        specificationVersion: 'v1',
        source: SOURCE,
        packageName: '@act/test-feed',
        persistedHeaders: [],
        // Authenticity is not what this test is about.
        async verify() {
          return { valid: true };
        },
        parse(request) {
          const body = JSON.parse(new TextDecoder().decode(request.body)) as { tenant: string; messageId: string };
          return { deliveryId: body.messageId, tenant: body.tenant, events: [], sync: { stream: STREAM } };
        },
      },
    },
    pollers: [items],
    transformer: {
      specificationVersion: 'v1',
      transform(event) {
        const item = event.payload as FeedItem;
        return [
          {
            kind: 'upsert',
            table: 'feed_items',
            key: { tenant_id: event.tenant, id: item.id },
            values: { name: item.name },
            version: item.version,
          },
        ];
      },
    },
  };
}
