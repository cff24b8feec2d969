// A simulated GHL API for the client, poller, reconciliation, backfill and
// write-back tests (nock: no request leaves the process). Response shapes are
// the documented ones ([G5] in REFERENCES.md, official
// specs apps/*.json); the VALUE of `searchAfter` is this simulator's own
// choice (`[sortValueMs, id]`): GHL documents it only as an opaque cursor
// [G17], and the poller treats it as one.
import nock from 'nock';

export const BASE_URL = 'https://services.leadconnectorhq.com';
export const LOCATION = 've9EPM428h8vShlRW1KT';
export const PIT = 'pit-7f3c9a1e-test';
export const json = { 'content-type': 'application/json' };

export interface FakeContact {
  id: string;
  locationId: string;
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  tags: string[];
  dateAdded: string;
  dateUpdated: string;
  [key: string]: unknown;
}

const T0 = Date.UTC(2026, 0, 1);

/** `count` contacts, ids `c00001…`, added and updated one second apart (oldest first). */
export function generateContacts(count: number, options: { location?: string; start?: number } = {}): FakeContact[] {
  const start = options.start ?? T0;
  return Array.from({ length: count }, (_, index) => {
    const n = index + 1;
    const id = `c${String(n).padStart(5, '0')}`;
    return {
      id,
      locationId: options.location ?? LOCATION,
      firstName: `First${n}`,
      lastName: `Last${n}`,
      email: `person${n}@example.com`,
      phone: `+1415555${String(n % 10_000).padStart(4, '0')}`,
      tags: n % 2 ? ['lead'] : ['customer', 'vip'],
      dateAdded: new Date(start + n * 1000).toISOString(),
      dateUpdated: new Date(start + n * 1000 + 500).toISOString(),
    };
  });
}

export interface SearchCall {
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

export interface ContactSearchServer {
  /** Every request body and headers, in order. */
  calls: SearchCall[];
  scope: nock.Scope;
  /** Replace the data set (simulates changes at GHL). */
  contacts: FakeContact[];
}

/** nock 15 hands reply functions the fetch `Request`. */
async function bodyOf(request: Request): Promise<Record<string, unknown>> {
  const text = await request.text();
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function headersOf(request: Request): Record<string, string> {
  return Object.fromEntries(request.headers.entries());
}

/**
 * `POST /contacts/search` over `contacts`: honours `sort` (dateUpdated or
 * dateAdded, ascending), a `dateUpdated` `range` filter with `gte`,
 * `pageLimit` and `searchAfter`; answers `{ contacts, total, searchAfter }`.
 * `fail(callIndex)` may return a status to answer instead (an outage).
 */
export function serveContactSearch(
  contacts: FakeContact[],
  options: { fail?: (call: number) => number | undefined; perRecordSearchAfter?: boolean } = {},
): ContactSearchServer {
  const server: ContactSearchServer = { calls: [], scope: nock(BASE_URL), contacts };
  server.scope = nock(BASE_URL)
    .persist()
    .post('/contacts/search')
    .reply(async (request: Request) => {
      const body = await bodyOf(request);
      const call = server.calls.length;
      server.calls.push({ body, headers: headersOf(request) });
      const failure = options.fail?.(call);
      if (failure) return [failure, { statusCode: failure, message: 'simulated failure' }, json];
      const sortField =
        ((body.sort as { field?: string }[] | undefined)?.[0]?.field as 'dateUpdated' | 'dateAdded') ?? 'dateUpdated';
      const keyOf = (contact: FakeContact): [number, string] => [Date.parse(contact[sortField]), contact.id];
      let rows = [...server.contacts].filter((contact) => contact.locationId === body.locationId);
      for (const filter of (body.filters as { field: string; value: { gte?: string } }[] | undefined) ?? []) {
        const gte = filter.value?.gte;
        if (filter.field === 'dateUpdated' && gte)
          rows = rows.filter((c) => Date.parse(c.dateUpdated) >= Date.parse(gte));
      }
      rows.sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
      const after = body.searchAfter as [number, string] | undefined;
      if (after) rows = rows.filter((contact) => compareKeys(keyOf(contact), after) > 0);
      else if (typeof body.page === 'number') rows = rows.slice((body.page - 1) * Number(body.pageLimit));
      const page = rows.slice(0, Number(body.pageLimit));
      const last = page[page.length - 1];
      const hits = options.perRecordSearchAfter
        ? page.map((contact) => ({ ...contact, searchAfter: keyOf(contact) }))
        : page;
      return [
        200,
        {
          contacts: hits,
          total: rows.length,
          ...(options.perRecordSearchAfter || !last ? {} : { searchAfter: keyOf(last) }),
        },
        json,
      ];
    });
  return server;
}

function compareKeys(a: readonly [number, string], b: readonly [number, string]): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

export interface FakeOpportunity {
  id: string;
  name: string;
  status: string;
  locationId: string;
  createdAt: string;
  updatedAt: string;
  [key: string]: unknown;
}

export function generateOpportunities(count: number): FakeOpportunity[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `o${String(index + 1).padStart(4, '0')}`,
    name: `Deal ${index + 1}`,
    status: ['open', 'won', 'lost', 'abandoned'][index % 4] as string,
    monetaryValue: 100 * (index + 1),
    pipelineId: 'VDm7RPYC2GLUvdpKmBfC',
    locationId: LOCATION,
    createdAt: new Date(T0 + index * 1000).toISOString(),
    updatedAt: new Date(T0 + index * 1000 + 250).toISOString(),
  }));
}

/**
 * `GET /opportunities/search` over `opportunities` in `added_asc` order:
 * `limit`, `startAfter` (createdAt ms) + `startAfterId`; `meta` as the spec's
 * example shows it (the next page's `startAfter`/`startAfterId`, `nextPageUrl`,
 * `nextPage`; both null on the last page).
 */
export function serveOpportunitySearch(opportunities: FakeOpportunity[]): {
  calls: URLSearchParams[];
  scope: nock.Scope;
} {
  const calls: URLSearchParams[] = [];
  const scope = nock(BASE_URL)
    .persist()
    .get('/opportunities/search')
    .query(true)
    .reply(async (request: Request) => {
      const query = new URL(request.url).searchParams;
      calls.push(query);
      const limit = Number(query.get('limit') ?? 20);
      const afterId = query.get('startAfterId');
      const start = afterId ? opportunities.findIndex((o) => o.id === afterId) + 1 : 0;
      const page = opportunities.slice(start, start + limit);
      const last = page[page.length - 1];
      const more = start + limit < opportunities.length;
      return [
        200,
        {
          opportunities: page,
          meta: {
            total: opportunities.length,
            nextPageUrl: more ? `${BASE_URL}/opportunities/search?startAfterId=${last?.id}` : null,
            startAfterId: more ? (last?.id ?? null) : null,
            startAfter: more && last ? Date.parse(last.createdAt) : null,
            currentPage: Math.floor(start / limit) + 1,
            nextPage: more ? Math.floor(start / limit) + 2 : null,
            prevPage: start > 0 ? Math.floor(start / limit) : null,
          },
          aggregations: {},
        },
        json,
      ];
    });
  return { calls, scope };
}

// A stand-in for the mirror table and transformer the receive-path engineer
// is building (ghl_contacts keyed by (location_id, id), `_version` = epoch ms
// of `dateUpdated`). Replace with the connector's own once they land.
export const CONTACTS_TABLE_SQL = `create table if not exists ghl_contacts (
  location_id text not null,
  id text not null,
  first_name text,
  last_name text,
  email text,
  phone text,
  tags text[],
  date_added timestamptz,
  date_updated timestamptz,
  raw jsonb,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (location_id, id)
);
create table if not exists ghl_opportunities (
  location_id text not null,
  id text not null,
  name text,
  status text,
  raw jsonb,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (location_id, id)
);
create table if not exists ghl_pipelines (
  location_id text not null,
  id text not null,
  name text,
  raw jsonb,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (location_id, id)
);
`;
