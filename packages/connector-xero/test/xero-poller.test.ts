import {
  type ConnectorV1,
  createMemorySink,
  createMemoryStateStore,
  type PollerV1,
  type PollPageV1,
  runPoller,
} from '@act/core';
import { testPoller } from '@act/core/testing';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createXeroClient } from '../src/xero-client';
import { createXeroConnector } from '../src/xero-connector';
import { XERO_PACKAGE_NAME, XERO_SOURCE } from '../src/xero-events';
import {
  createXeroPoller,
  createXeroPollers,
  type XeroPolledEvent,
  type XeroPollerOptions,
  xeroFullResyncCursor,
} from '../src/xero-poller';
import { createXeroTransformer } from '../src/xero-transform';
import { API, API_PATH, fixtureRecords, msJson, TENANT } from './helpers/xero-client-kit';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const NOW = new Date('2026-03-02T09:00:00Z');
const client = () => createXeroClient({ auth: { type: 'access-token', token: 'token' }, retry: { baseDelayMs: 1 } });
const poller = (options: Partial<XeroPollerOptions> & Pick<XeroPollerOptions, 'entity'>) =>
  createXeroPoller({ client: client(), now: () => NOW, ...options });

interface Seen {
  query: Record<string, string>;
  ifModifiedSince: string | null;
}

/** Serve a collection: each request gets the next answer; what was asked is recorded. */
function serve(collection: string, answers: Record<string, unknown>[]) {
  const seen: Seen[] = [];
  let call = 0;
  nock(API)
    .get(`${API_PATH}/${collection}`)
    .query(true)
    .times(answers.length)
    .reply(200, async (request: Request) => {
      const url = new URL(request.url);
      seen.push({
        query: Object.fromEntries(url.searchParams),
        ifModifiedSince: request.headers.get('if-modified-since'),
      });
      return answers[call++] as Record<string, unknown>;
    });
  return seen;
}

async function pages(poll: PollerV1<XeroPolledEvent>, cursor: string | null, limit = Number.POSITIVE_INFINITY) {
  const out: PollPageV1<XeroPolledEvent>[] = [];
  for await (const page of poll.poll({ tenant: TENANT, cursor })) {
    out.push(page);
    if (out.length >= limit) break;
  }
  return out;
}

const payments = fixtureRecords('api-payments.1.json', 'Payments');
const withTime = (record: Record<string, unknown>, ms: number, id?: string) => ({
  ...record,
  ...(id ? { PaymentID: id } : {}),
  UpdatedDateUTC: msJson(ms),
});
const T1 = Date.UTC(2026, 0, 10, 12, 0, 0, 250);
const T2 = Date.UTC(2026, 0, 10, 12, 5, 30, 500);
const T3 = Date.UTC(2026, 0, 11, 8, 0, 0, 0);

/**
 * A Payments listing that behaves as documented [X4][X8]: `If-Modified-Since`
 * (records updated at or after it), `order=UpdatedDateUTC ASC`,
 * `page`/`pageSize`, and `pagination` in the answer. Records are 10 s apart.
 */
function servePaymentListing(count: number) {
  const start = Date.UTC(2026, 0, 1);
  const template = payments[0] as Record<string, unknown>;
  const records = Array.from({ length: count }, (_, index) => ({
    ...template,
    PaymentID: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    UpdatedDateUTC: msJson(start + index * 10_000),
  }));
  nock(API)
    .get(`${API_PATH}/Payments`)
    .query(true)
    .reply(200, async (request: Request) => {
      const url = new URL(request.url);
      expect(url.searchParams.get('order')).toBe('UpdatedDateUTC ASC');
      const since = request.headers.get('if-modified-since');
      const from = since ? Date.parse(since) : Number.NEGATIVE_INFINITY;
      const matching = records.filter((_, index) => start + index * 10_000 >= from);
      const page = Number(url.searchParams.get('page') ?? '1');
      const size = Number(url.searchParams.get('pageSize') ?? '100');
      return {
        Payments: matching.slice((page - 1) * size, page * size),
        pagination: { page, pageSize: size, pageCount: Math.ceil(matching.length / size), itemCount: matching.length },
      };
    })
    .persist();
}

describe('payments poller: the core contract', () => {
  testPoller({
    create: () => {
      nock.cleanAll();
      servePaymentListing(250);
      const xero = createXeroConnector({ accessToken: 'token', api: { retry: { baseDelayMs: 1 } } });
      const payments = xero.pollers.find((candidate) => candidate.stream === 'payments');
      if (!payments) throw new Error('no payments poller');
      return { connector: xero, poller: payments };
    },
    tenant: TENANT,
    // 250 records in pages of 100: each keyset restart re-reads the record at the
    // previous page's newest second (see xero-poller.ts), so 100 + 100 + 52 events.
    expectedEvents: 252,
    minPages: 3,
  });
});

describe('Xero pollers', () => {
  it('backfills in update order: keyset pages by If-Modified-Since (to the second), then resumes incrementally', async () => {
    const first = withTime(payments[0] as Record<string, unknown>, T1);
    const second = withTime(payments[1] as Record<string, unknown>, T2);
    const third = withTime(payments[0] as Record<string, unknown>, T3, '11111111-2222-3333-4444-555555555555');
    const seen = serve('Payments', [
      { Payments: [first, second], pagination: { page: 1, pageSize: 2, pageCount: 2, itemCount: 3 } },
      // Keyset restart from T2's second minus one: T2 is read again, with the new record.
      {
        Payments: [second, third],
        pagination: { page: 1, pageSize: 2, pageCount: 1, itemCount: 2 },
        DateTimeUTC: msJson(T3 + 60_000),
      },
    ]);
    const stream = poller({ entity: 'payment', pageSize: 2 });
    expect(stream.stream).toBe('payments');
    const walk = await pages(stream, null);
    expect(seen).toEqual([
      { query: { page: '1', pageSize: '2', order: 'UpdatedDateUTC ASC' }, ifModifiedSince: null },
      { query: { page: '1', pageSize: '2', order: 'UpdatedDateUTC ASC' }, ifModifiedSince: '2026-01-10T12:05:29.000Z' },
    ]);
    expect(walk.map((page) => page.events.map((event) => event.entityId))).toEqual([
      ['99ea7f6b-c513-4066-bc27-b7c65dcd76c2', '6b037c9b-2e5d-4905-84d3-eabfb3438242'],
      ['6b037c9b-2e5d-4905-84d3-eabfb3438242', '11111111-2222-3333-4444-555555555555'],
    ]);
    expect(walk[0]?.events[0]).toEqual({
      source: XERO_SOURCE,
      tenant: TENANT,
      type: 'PAYMENT.UPDATE',
      entity: 'payment',
      entityId: '99ea7f6b-c513-4066-bc27-b7c65dcd76c2',
      version: T1,
      occurredAt: new Date(T1).toISOString(),
      payload: first,
    });
    // The next walk starts 2 minutes (overlapMs) before the newest change seen.
    const done = JSON.parse(walk[1]?.cursor ?? 'null');
    expect(done).toMatchObject({
      from: Math.floor((T3 - 120_000) / 1000) * 1000,
      startedAt: null,
      lastFullAt: NOW.getTime(),
    });

    const next = serve('Payments', [
      { Payments: [], pagination: { page: 1, pageSize: 2, pageCount: 0, itemCount: 0 } },
    ]);
    const incremental = await pages(stream, walk[1]?.cursor ?? null);
    expect(next).toEqual([
      { query: { page: '1', pageSize: '2', order: 'UpdatedDateUTC ASC' }, ifModifiedSince: '2026-01-11T07:58:00.000Z' },
    ]);
    expect(incremental).toHaveLength(1);
    // Nothing changed: the same place next time.
    expect(JSON.parse(incremental[0]?.cursor ?? 'null')).toMatchObject({ from: done.from });
  });

  it('resumes a walk cut short from the page after the last one written', async () => {
    const a = withTime(payments[0] as Record<string, unknown>, T1);
    const b = withTime(payments[1] as Record<string, unknown>, T2);
    serve('Payments', [{ Payments: [a, b], pagination: { page: 1, pageSize: 2, pageCount: 3, itemCount: 5 } }]);
    const stream = poller({ entity: 'payment', pageSize: 2 });
    const [firstPage] = await pages(stream, null, 1);
    expect(JSON.parse(firstPage?.cursor ?? 'null')).toMatchObject({
      since: Math.floor(T2 / 1000) * 1000 - 1000,
      page: 1,
    });
    const seen = serve('Payments', [
      { Payments: [b], pagination: { page: 1, pageSize: 2, pageCount: 1, itemCount: 1 } },
    ]);
    const rest = await pages(stream, firstPage?.cursor ?? null);
    expect(seen[0]?.ifModifiedSince).toBe('2026-01-10T12:05:29.000Z');
    expect(rest).toHaveLength(1);
    expect(JSON.parse(rest[0]?.cursor ?? 'null')).toMatchObject({ startedAt: null, lastFullAt: NOW.getTime() });
  });

  it('steps to the next page number when a whole page shares one second (a bulk import)', async () => {
    const same = [0, 1].map((index) => withTime(payments[index] as Record<string, unknown>, T1));
    const seen = serve('Payments', [
      { Payments: same, pagination: { page: 1, pageSize: 2, pageCount: 2, itemCount: 3 } },
      { Payments: same, pagination: { page: 1, pageSize: 2, pageCount: 2, itemCount: 3 } },
      {
        Payments: [withTime(payments[0] as Record<string, unknown>, T2)],
        pagination: { page: 2, pageSize: 2, pageCount: 2, itemCount: 3 },
      },
    ]);
    await pages(poller({ entity: 'payment', pageSize: 2 }), null);
    expect(seen.map((request) => [request.query.page, request.ifModifiedSince])).toEqual([
      ['1', null],
      ['1', '2026-01-10T11:59:59.000Z'],
      ['2', '2026-01-10T11:59:59.000Z'],
    ]);
  });

  it('ends a walk on the last of pagination.pageCount even when the page is full', async () => {
    const seen = serve('Payments', [
      {
        Payments: payments.map((record, index) => withTime(record, T1 + index * 5_000)),
        pagination: { page: 1, pageSize: 2, pageCount: 1, itemCount: 2 },
      },
    ]);
    const walk = await pages(poller({ entity: 'payment', pageSize: 2 }), null);
    expect(seen).toHaveLength(1);
    expect(walk).toHaveLength(1);
  });

  it('resyncs fully every fullResyncEveryMs, and when the cursor asks for it', async () => {
    const stream = poller({ entity: 'payment', fullResyncEveryMs: 86_400_000 });
    const recent = JSON.stringify({
      v: 1,
      from: T1 - (T1 % 1000),
      since: T1 - (T1 % 1000),
      page: 1,
      lastFullAt: NOW.getTime() - 3_600_000,
    });
    const overdue = JSON.stringify({
      v: 1,
      from: T1 - (T1 % 1000),
      since: T1 - (T1 % 1000),
      page: 1,
      lastFullAt: NOW.getTime() - 86_400_000,
    });
    const seen = serve('Payments', [{ Payments: [] }, { Payments: [] }, { Payments: [] }]);
    await pages(stream, recent);
    await pages(stream, overdue);
    await pages(stream, xeroFullResyncCursor());
    expect(seen.map((request) => request.ifModifiedSince)).toEqual(['2026-01-10T12:00:00.000Z', null, null]);
  });

  it('polls contacts with includeArchived=true, invoices with the configured Statuses; refuses a foreign cursor', async () => {
    const contacts = serve('Contacts', [{ Contacts: [] }]);
    await pages(poller({ entity: 'contact', summaryOnly: true }), null);
    expect(contacts[0]?.query).toEqual({
      page: '1',
      pageSize: '100',
      order: 'UpdatedDateUTC ASC',
      includeArchived: 'true',
      summaryOnly: 'true',
    });
    const invoices = serve('Invoices', [{ Invoices: [] }]);
    await pages(poller({ entity: 'invoice', invoiceStatuses: ['AUTHORISED', 'PAID'] }), null);
    expect(invoices[0]?.query).toMatchObject({ Statuses: 'AUTHORISED,PAID' });
    expect(() => poller({ entity: 'payment', summaryOnly: true })).toThrow(
      /summaryOnly is documented only for Contacts and Invoices/,
    );
    await expect(pages(poller({ entity: 'payment' }), '{"startAfter":1}')).rejects.toThrow(/is not a Xero cursor/);
    expect(createXeroPollers({ client: client(), summaryOnly: true }).map((stream) => stream.stream)).toEqual([
      'contacts',
      'invoices',
      'credit_notes',
      'payments',
      'bank_transactions',
    ]);
  });

  it('runs under core’s runPoller: pages written, the cursor saved after each, rows versioned by UpdatedDateUTC', async () => {
    serve('BankTransactions', [
      {
        BankTransactions: fixtureRecords('api-bank-transactions.1.json', 'BankTransactions'),
        pagination: { page: 1, pageSize: 100, pageCount: 1, itemCount: 3 },
      },
    ]);
    const bankTransactions = poller({ entity: 'bank_transaction' });
    const connector: ConnectorV1 = {
      specificationVersion: 'v1',
      source: XERO_SOURCE,
      packageName: XERO_PACKAGE_NAME,
      transformer: createXeroTransformer() as ConnectorV1['transformer'],
      pollers: [bankTransactions as PollerV1],
    };
    const sink = createMemorySink();
    const store = createMemoryStateStore();
    const result = await runPoller({ connector, tenant: TENANT, store, sink });
    expect(result).toMatchObject({ pages: 1, events: 3, created: 3 });
    const row = sink.row('xero_bank_transactions', { tenant_id: TENANT, id: 'db54aab0-ad40-4ced-bcff-0940ba20db2c' });
    expect(row?.version).toBe(1476389616437);
    const cursor = await store.getCursor({ source: XERO_SOURCE, tenant: TENANT, stream: 'bank_transactions' });
    expect(JSON.parse(cursor ?? 'null')).toMatchObject({ from: Math.floor((1476392487037 - 120_000) / 1000) * 1000 });
  });
});
