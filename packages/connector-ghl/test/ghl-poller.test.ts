import { readFileSync } from 'node:fs';
import { createMemorySink, createMemoryStateStore, runPoller, type SinkV1, StoreUnavailableError } from '@act/core';
import { testPoller } from '@act/core/testing';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGhlClient } from '../src/ghl-client';
import { createGhlConnector, type GhlConnector } from '../src/ghl-connector';
import {
  createGhlAppointmentsPoller,
  createGhlContactsPoller,
  createGhlOpportunitiesPoller,
  createGhlPipelinesPoller,
  type GhlPolledEvent,
} from '../src/ghl-poller';
import {
  BASE_URL,
  generateContacts,
  generateOpportunities,
  LOCATION,
  PIT,
  serveContactSearch,
  serveOpportunitySearch,
} from './helpers/ghl-fake-api';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as unknown;

const connector = (): GhlConnector => createGhlConnector({ accessToken: PIT, api: { retry: { baseDelayMs: 1 } } });
const client = () => createGhlClient({ auth: { type: 'private-integration', token: PIT }, retry: { baseDelayMs: 1 } });
const poller = (ghl: GhlConnector, stream: string) => {
  const found = ghl.pollers.find((candidate) => candidate.stream === stream);
  if (!found) throw new Error(`no ${stream} poller`);
  return found;
};

async function collect(
  source: {
    poll: (request: { tenant: string; cursor: string | null }) => AsyncIterable<{ events: unknown[]; cursor: string }>;
  },
  cursor: string | null = null,
) {
  const pages: { events: GhlPolledEvent[]; cursor: string }[] = [];
  for await (const page of source.poll({ tenant: LOCATION, cursor }))
    pages.push(page as { events: GhlPolledEvent[]; cursor: string });
  return pages;
}

describe('contacts poller: the core contract', () => {
  testPoller({
    create: () => {
      nock.cleanAll();
      serveContactSearch(generateContacts(250));
      const ghl = connector();
      return { connector: ghl, poller: poller(ghl, 'contacts') };
    },
    tenant: LOCATION,
    expectedEvents: 250,
    minPages: 3,
  });
});

describe('opportunities poller: the core contract', () => {
  testPoller({
    create: () => {
      nock.cleanAll();
      serveOpportunitySearch(generateOpportunities(230));
      const ghl = connector();
      return { connector: ghl, poller: poller(ghl, 'opportunities') };
    },
    tenant: LOCATION,
    expectedEvents: 230,
    minPages: 3,
  });
});

describe('contacts poller', () => {
  it('searches with POST /contacts/search, sorted by dateUpdated, paging with searchAfter, until an empty page', async () => {
    const server = serveContactSearch(generateContacts(250));
    const pages = await collect(createGhlContactsPoller({ client: client() }));
    expect(pages.map((page) => page.events.length)).toEqual([100, 100, 50, 0]);
    expect(server.calls.map((call) => call.body)).toEqual([
      { pageLimit: 100, sort: [{ field: 'dateUpdated', direction: 'asc' }], locationId: LOCATION },
      {
        pageLimit: 100,
        sort: [{ field: 'dateUpdated', direction: 'asc' }],
        searchAfter: [Date.parse('2026-01-01T00:01:40.500Z'), 'c00100'],
        locationId: LOCATION,
      },
      expect.objectContaining({ searchAfter: [Date.parse('2026-01-01T00:03:20.500Z'), 'c00200'] }),
      expect.objectContaining({ searchAfter: [Date.parse('2026-01-01T00:04:10.500Z'), 'c00250'] }),
    ]);
    expect(server.calls.every((call) => call.headers.version === '2021-07-28')).toBe(true);
  });

  it('emits ContactUpdate events shaped like the webhook payload, versioned by dateUpdated', async () => {
    serveContactSearch(generateContacts(1), { perRecordSearchAfter: true });
    const [page] = await collect(createGhlContactsPoller({ client: client() }));
    expect(page?.events).toEqual([
      {
        source: 'ghl',
        tenant: LOCATION,
        type: 'ContactUpdate',
        entity: 'contact',
        entityId: 'c00001',
        version: Date.parse('2026-01-01T00:00:01.500Z'),
        occurredAt: '2026-01-01T00:00:01.500Z',
        payload: {
          type: 'ContactUpdate',
          id: 'c00001',
          locationId: LOCATION,
          firstName: 'First1',
          lastName: 'Last1',
          email: 'person1@example.com',
          phone: '+14155550001',
          tags: ['lead'],
          dateAdded: '2026-01-01T00:00:01.000Z',
          dateUpdated: '2026-01-01T00:00:01.500Z',
        },
      },
    ]);
  });

  it('streams: the next page is fetched only when the runtime asks for it', async () => {
    const server = serveContactSearch(generateContacts(150));
    const pages = createGhlContactsPoller({ client: client() }).poll({ tenant: LOCATION, cursor: null });
    const iterator = pages[Symbol.asyncIterator]();
    await iterator.next();
    expect(server.calls).toHaveLength(1);
    await iterator.next();
    expect(server.calls).toHaveLength(2);
  });

  it('turns a finished backfill into incremental polls: only contacts updated since the newest seen (minus the overlap)', async () => {
    const contacts = generateContacts(120);
    const server = serveContactSearch(contacts);
    const first = await collect(createGhlContactsPoller({ client: client(), overlapMs: 2_000 }));
    const done = JSON.parse(first[first.length - 1]?.cursor ?? 'null') as { since: number };
    const newest = Date.parse('2026-01-01T00:02:00.500Z'); // c00120
    expect(done).toEqual({
      v: 1,
      since: newest - 2_000,
      after: null,
      page: null,
      newest: null,
      undated: false,
      startedAt: null,
    });

    // Two contacts change at GHL.
    const changedAt = Date.parse('2026-02-01T00:00:00.000Z');
    for (const index of [4, 59]) {
      const contact = contacts[index];
      if (contact)
        Object.assign(contact, { firstName: 'Changed', dateUpdated: new Date(changedAt + index).toISOString() });
    }
    server.calls.length = 0;
    const next = await collect(
      createGhlContactsPoller({ client: client(), overlapMs: 2_000 }),
      first[first.length - 1]?.cursor ?? null,
    );
    expect(server.calls[0]?.body.filters).toEqual([
      { field: 'dateUpdated', operator: 'range', value: { gte: new Date(newest - 2_000).toISOString() } },
    ]);
    // The overlap re-reads c00118–c00120 (skipped by the sink as unchanged), then the two changes.
    expect(next.flatMap((page) => page.events.map((event) => event.entityId))).toEqual([
      'c00118',
      'c00119',
      'c00120',
      'c00005',
      'c00060',
    ]);
    expect(JSON.parse(next[next.length - 1]?.cursor ?? 'null')).toMatchObject({ since: changedAt + 59 - 2_000 });
  });

  it('takes searchAfter from the last contact when the response carries none at top level', async () => {
    const server = serveContactSearch(generateContacts(150), { perRecordSearchAfter: true });
    const pages = await collect(createGhlContactsPoller({ client: client() }));
    expect(pages.flatMap((page) => page.events)).toHaveLength(150);
    expect(server.calls[1]?.body.searchAfter).toEqual([Date.parse('2026-01-01T00:01:40.500Z'), 'c00100']);
  });

  it('falls back to page numbers without any searchAfter, and refuses to page past 10,000 records', async () => {
    // A server that never returns searchAfter and always has a full page.
    const records = Array.from({ length: 500 }, (_, index) => ({ id: `x${index}` }));
    const bodies: unknown[] = [];
    nock(BASE_URL)
      .persist()
      .post('/contacts/search')
      .reply(200, async (request: Request) => {
        bodies.push(await request.json());
        return { contacts: records, count: 500 };
      });
    const pages = createGhlContactsPoller({ client: client(), pageSize: 500 }).poll({ tenant: LOCATION, cursor: null });
    let seen = 0;
    const error = await (async () => {
      try {
        for await (const page of pages) seen += page.events.length;
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(seen).toBe(10_000);
    expect((bodies[1] as { page?: number }).page).toBe(2);
    expect(error?.message).toContain('[@act/connector-ghl] POST /contacts/search returned no searchAfter value');
  });

  it('advances its cursor only after a page is written: a failed write re-reads that page next time', async () => {
    const ghl = connector();
    const store = createMemoryStateStore();
    const memory = createMemorySink();
    let writes = 0;
    const failsOnSecondPage: SinkV1 = {
      ...memory,
      apply: async (operations, options) => {
        writes += 1;
        if (writes === 2)
          throw new StoreUnavailableError({ packageName: '@act/test-sink', message: 'connection reset' });
        return memory.apply(operations, options);
      },
    };
    const server = serveContactSearch(generateContacts(250));
    const contacts = poller(ghl, 'contacts');
    await expect(
      runPoller({ connector: ghl, poller: contacts, tenant: LOCATION, store, sink: failsOnSecondPage }),
    ).rejects.toThrow('connection reset');
    expect(memory.rows('ghl_contacts')).toHaveLength(100);
    server.calls.length = 0;
    const resumed = await runPoller({ connector: ghl, poller: contacts, tenant: LOCATION, store, sink: memory });
    expect(server.calls[0]?.body.searchAfter).toEqual([Date.parse('2026-01-01T00:01:40.500Z'), 'c00100']);
    expect(resumed).toMatchObject({ created: 150 });
    const row = memory.row('ghl_contacts', { location_id: LOCATION, id: 'c00250' });
    expect(row).toMatchObject({
      version: Date.parse('2026-01-01T00:04:10.500Z'),
      values: { email: 'person250@example.com', first_name: 'First250', tags: ['customer', 'vip'] },
    });
  });

  it('refuses a cursor it did not write, saying how to recover', async () => {
    const pages = createGhlContactsPoller({ client: client() }).poll({ tenant: LOCATION, cursor: 'page=2' });
    await expect(pages[Symbol.asyncIterator]().next()).rejects.toThrow(
      '[@act/connector-ghl] saved cursor for stream "contacts" is not a GHL contacts cursor: page=2 (delete it to backfill again)',
    );
  });
});

describe('opportunities poller', () => {
  it('walks GET /opportunities/search with status=all, added_asc and the meta cursor, then starts over', async () => {
    const { calls } = serveOpportunitySearch(generateOpportunities(150));
    const pages = await collect(createGhlOpportunitiesPoller({ client: client() }));
    expect(pages.map((page) => page.events.length)).toEqual([100, 50]);
    expect(calls.map((query) => Object.fromEntries(query))).toEqual([
      { location_id: LOCATION, limit: '100', order: 'added_asc', status: 'all' },
      {
        location_id: LOCATION,
        limit: '100',
        order: 'added_asc',
        status: 'all',
        startAfter: String(Date.parse('2026-01-01T00:01:39.000Z')),
        startAfterId: 'o0100',
      },
    ]);
    expect(JSON.parse(pages[1]?.cursor ?? 'null')).toEqual({ v: 1, startAfter: null, startAfterId: null });
  });

  it('maps the API record to the webhook shape: createdAt → dateAdded, version = updatedAt', async () => {
    nock(BASE_URL)
      .get('/opportunities/search')
      .query(true)
      .reply(200, fixture('api-opportunities-search.1.json') as object);
    nock(BASE_URL)
      .get('/opportunities/search')
      .query((query) => query.startAfterId === 'yWQobCRIhRguQtD2llvk')
      .reply(200, { opportunities: [], meta: { total: 1, nextPageUrl: null, nextPage: null } });
    const pages = await collect(createGhlOpportunitiesPoller({ client: client() }));
    const [event] = pages[0]?.events ?? [];
    expect(event).toMatchObject({
      type: 'OpportunityUpdate',
      entity: 'opportunity',
      entityId: 'yWQobCRIhRguQtD2llvk',
      version: Date.parse('2021-08-03T04:55:17.355Z'),
      payload: { type: 'OpportunityUpdate', dateAdded: '2021-08-03T04:55:17.355Z', status: 'open', monetaryValue: 500 },
    });
    expect(pages).toHaveLength(2);
  });
});

describe('pipelines and appointments pollers', () => {
  it('lists pipelines in one page (version 0: GHL publishes no timestamp)', async () => {
    nock(BASE_URL)
      .get('/opportunities/pipelines')
      .query({ locationId: LOCATION })
      .reply(200, fixture('api-pipelines.1.json') as object);
    const pages = await collect(createGhlPipelinesPoller({ client: client() }));
    expect(pages).toEqual([
      {
        cursor: '{"v":1}',
        events: [
          expect.objectContaining({ type: 'PipelineUpdate', entity: 'pipeline', entityId: 'aWdODOBVOlH1RUFKWQke' }),
        ],
      },
    ]);
    // No published timestamp: version 0, so a listed pipeline only fills a missing row, never overwrites.
    expect(pages[0]?.events[0]?.version).toBe(0);
  });

  it('lists each calendar’s events in a fixed window, one page per calendar, resumable after a calendar', async () => {
    const now = Date.UTC(2026, 5, 1);
    const window = { startTime: String(now - 86_400_000), endTime: String(now + 2 * 86_400_000) };
    const calendars = { calendars: [{ id: 'cal-b' }, { id: 'cal-a' }] };
    const events = fixture('api-calendar-events.1.json') as { events: Record<string, unknown>[] };
    const scope = nock(BASE_URL, { reqheaders: { version: '2021-04-15' } })
      .get('/calendars/')
      .query({ locationId: LOCATION })
      .times(2)
      .reply(200, calendars)
      .get('/calendars/events')
      .query({ locationId: LOCATION, calendarId: 'cal-a', ...window })
      .reply(200, events)
      .get('/calendars/events')
      .query({ locationId: LOCATION, calendarId: 'cal-b', ...window })
      .times(2)
      .reply(200, { events: [] });
    const appointments = createGhlAppointmentsPoller({
      client: client(),
      now: () => new Date(now),
      lookbackMs: 86_400_000,
      lookaheadMs: 2 * 86_400_000,
    });
    const pages = await collect(appointments);
    expect(pages.map((page) => page.events.length)).toEqual([1, 0]);
    expect(pages[0]?.events[0]).toMatchObject({
      type: 'AppointmentUpdate',
      entity: 'appointment',
      entityId: 'ocQHyuzHvysMo5N5VsXc',
      version: Date.parse('2023-09-25T16:00:00+05:30'),
      payload: {
        type: 'AppointmentUpdate',
        locationId: '0007BWpSzSwfiuSl0tR2',
        appointment: { calendarId: 'BqTwX8QFwXzpegMve9EQ' },
      },
    });
    expect(JSON.parse(pages[0]?.cursor ?? 'null')).toEqual({
      v: 1,
      window: { start: now - 86_400_000, end: now + 2 * 86_400_000 },
      after: 'cal-a',
    });
    // Resumed after cal-a: only cal-b is listed, in the saved window, even if the clock moved.
    const later = createGhlAppointmentsPoller({ client: client(), now: () => new Date(now + 3_600_000) });
    const rest = await collect(later, pages[0]?.cursor ?? null);
    expect(rest).toEqual([{ events: [], cursor: '{"v":1,"window":null,"after":null}' }]);
    expect(scope.isDone()).toBe(true);
  });

  it('the connector’s transformer writes polled appointments, pipelines and opportunities to their tables', async () => {
    const ghl = connector();
    const sink = createMemorySink();
    const store = createMemoryStateStore();
    nock(BASE_URL)
      .get('/opportunities/pipelines')
      .query(true)
      .reply(200, fixture('api-pipelines.1.json') as object)
      .get('/calendars/')
      .query(true)
      .reply(200, fixture('api-calendars.1.json') as object)
      .get('/calendars/events')
      .query(true)
      .reply(200, fixture('api-calendar-events.1.json') as object);
    serveOpportunitySearch(generateOpportunities(3));
    for (const stream of ['opportunities', 'pipelines', 'appointments']) {
      await runPoller({ connector: ghl, poller: poller(ghl, stream), tenant: LOCATION, store, sink });
    }
    expect(sink.rows('ghl_opportunities').map((row) => row.values.status)).toEqual(['open', 'won', 'lost']);
    expect(sink.rows('ghl_pipelines')[0]?.values).toMatchObject({ name: 'new pipeline' });
    expect(sink.rows('ghl_appointments')[0]).toMatchObject({
      key: { location_id: LOCATION, id: 'ocQHyuzHvysMo5N5VsXc' },
      values: { calendar_id: 'BqTwX8QFwXzpegMve9EQ', status: 'confirmed', start_time: '2023-09-25T10:30:00.000Z' },
    });
  });
});
