// act backfill and act reconcile against documented list endpoints,
// simulated with nock (GHL POST /contacts/search, Xero GET /Invoices with
// page/pageSize/If-Modified-Since): interrupted after N pages and rerun, the
// backfill resumes from the saved cursor and ends with exactly the expected rows.
import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { act, TARGETS, type Target } from './helpers';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const json = { 'content-type': 'application/json' };
const T0 = Date.UTC(2026, 0, 1);

// -- GoHighLevel: POST /contacts/search ([G5]): pageLimit, sort, searchAfter; { contacts, total, searchAfter }.
// The value of searchAfter ([sortValueMs, id]) is this simulator's choice: GHL documents it only as opaque.

const GHL_API = 'https://services.leadconnectorhq.com';
const LOCATION = 've9EPM428h8vShlRW1KT';

function contacts(count: number) {
  return Array.from({ length: count }, (_, index) => {
    const n = index + 1;
    return {
      id: `c${String(n).padStart(5, '0')}`,
      locationId: LOCATION,
      firstName: `First${n}`,
      lastName: `Last${n}`,
      email: `person${n}@example.com`,
      tags: ['lead'],
      dateAdded: new Date(T0 + n * 1000).toISOString(),
      dateUpdated: new Date(T0 + n * 1000 + 500).toISOString(),
    };
  });
}
type Contact = ReturnType<typeof contacts>[number];

function serveContactSearch(data: { rows: Contact[] }, options: { rateLimitFirst?: boolean } = {}) {
  const calls: Record<string, unknown>[] = [];
  nock(GHL_API)
    .persist()
    .post('/contacts/search')
    .reply(async (request: Request) => {
      const body = JSON.parse(await request.text()) as Record<string, unknown>;
      calls.push(body);
      if (options.rateLimitFirst && calls.length === 1) {
        return [429, { statusCode: 429, message: 'Too many requests' }, { ...json, 'retry-after': '1' }];
      }
      const field = ((body.sort as { field?: string }[] | undefined)?.[0]?.field ?? 'dateUpdated') as
        | 'dateUpdated'
        | 'dateAdded';
      const key = (contact: Contact): [number, string] => [Date.parse(contact[field]), contact.id];
      const compare = (a: [number, string], b: [number, string]) =>
        a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
      let rows = [...data.rows].sort((a, b) => compare(key(a), key(b)));
      const after = body.searchAfter as [number, string] | undefined;
      if (after) rows = rows.filter((contact) => compare(key(contact), after) > 0);
      const page = rows.slice(0, Number(body.pageLimit));
      const last = page[page.length - 1];
      return [200, { contacts: page, total: rows.length, ...(last ? { searchAfter: key(last) } : {}) }, json];
    });
  return calls;
}

// -- Xero: GET /Invoices ([X4][X8]): page, pageSize, order, If-Modified-Since; pagination.
const XERO_API = 'https://api.xero.com/api.xro/2.0';
const XERO_TENANT = 'e629a03c-7ffe-4913-bd94-ff2fdb36a702';
const invoiceTemplate = (
  JSON.parse(
    readFileSync(new URL('../../connector-xero/test/fixtures/api-invoices.1.json', import.meta.url), 'utf8'),
  ) as { Invoices: Record<string, unknown>[] }
).Invoices[0] as Record<string, unknown>;

function invoices(count: number) {
  return Array.from({ length: count }, (_, index) => {
    const n = index + 1;
    const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    return {
      ...invoiceTemplate,
      InvoiceID: id,
      InvoiceNumber: `INV-${n}`,
      UpdatedDateUTC: `/Date(${T0 + n * 2000}+0000)/`,
    };
  });
}

function serveInvoices(rows: Record<string, unknown>[]) {
  const calls: { page: number; since: string | null }[] = [];
  const time = (record: Record<string, unknown>) => Number(/\d+/.exec(String(record.UpdatedDateUTC))?.[0]);
  nock(XERO_API)
    .persist()
    .get('/Invoices')
    .query(true)
    .reply(async (request: Request) => {
      const query = new URL(request.url).searchParams;
      const since = request.headers.get('if-modified-since');
      const page = Number(query.get('page') ?? 1);
      const pageSize = Number(query.get('pageSize') ?? 100);
      calls.push({ page, since });
      const matching = rows.filter((record) => since === null || time(record) >= Date.parse(since));
      matching.sort((a, b) => time(a) - time(b));
      return [
        200,
        {
          Id: 'f1e7a7b0-0000-4000-8000-000000000000',
          Status: 'OK',
          DateTimeUTC: `/Date(${Date.now()})/`,
          pagination: { page, pageSize, pageCount: Math.ceil(matching.length / pageSize), itemCount: matching.length },
          Invoices: matching.slice((page - 1) * pageSize, page * pageSize),
        },
        json,
      ];
    });
  return calls;
}

for (const { name, create } of TARGETS) {
  describe(`on ${name}`, () => {
    let target: Target | undefined;
    afterEach(async () => {
      await target?.destroy();
      target = undefined;
    });
    const count = async (table: string) =>
      Number((await (target as Target).query<{ n: string | number }>(`select count(*) as n from ${table}`))[0]?.n);

    it('act backfill ghl: interrupted after 2 pages, rerun resumes from the cursor; exactly 250 rows; rate-limit waits shown', async () => {
      target = await create();
      const env = { ...target.env, GHL_ACCESS_TOKEN: 'pit-cli-test' };
      expect((await act(['migrate', ...target.args], { env })).code).toBe(0);
      const data = { rows: contacts(250) };
      const calls = serveContactSearch(data, { rateLimitFirst: true });
      const args = ['backfill', 'ghl', '--tenant', LOCATION, '--stream', 'contacts', ...target.args];

      const first = await act([...args, '--max-pages', '2'], { env });
      expect(first.code).toBe(0);
      expect(first.stderr).toContain('[act] contacts: no saved cursor: walking from the start');
      // The first search was answered 429 (Retry-After: 1): the client waited, and the bar says so.
      expect(first.stderr).toMatch(
        /\[act\] contacts: 100 of ~250 records \| 1 page\(s\) \| 1 rate-limit wait\(s\) \(1\.\d s\), 1 × 429 \| ETA/,
      );
      expect(first.stderr).toMatch(/\[act\] contacts: 200 of ~250 records \| 2 page\(s\)/);
      expect(first.stderr).toContain('stopped after 2 page(s) (--max-pages): run again to continue from the cursor');
      expect(first.stdout).toMatch(/contacts\s+start\s+2\s+200\s+200\s+0\s+0\s+0/);
      expect(await count('ghl_contacts')).toBe(200);

      const resumedAt = calls.length;
      const second = await act(args, { env });
      expect(second.code).toBe(0);
      expect(second.stderr).toContain('[act] contacts: resuming from the saved cursor');
      expect(calls[resumedAt]?.searchAfter).toEqual([Date.parse(data.rows[199]?.dateUpdated ?? ''), 'c00200']);
      // 50 records, then the empty page that completes the walk.
      expect(second.stdout).toMatch(/contacts\s+cursor\s+2\s+50\s+50\s+0\s+0\s+0/);
      expect(await count('ghl_contacts')).toBe(250);
      const [row] = await target.query<{ email: string }>("select email from ghl_contacts where id = 'c00250'");
      expect(row?.email).toBe('person250@example.com');

      // act reconcile: GHL gained a contact the webhooks never announced; the mirror gets it.
      data.rows = contacts(251);
      const reconciled = await act(
        ['reconcile', 'ghl', '--tenant', LOCATION, '--table', 'ghl_contacts', ...target.args],
        {
          env,
        },
      );
      expect(reconciled.stderr).toContain('[act] reconciling ghl_contacts');
      expect(reconciled.code).toBe(0);
      expect(reconciled.stdout).toMatch(/ghl_contacts\s+ve9EPM428h8vShlRW1KT\s+251\s+1\s+0\s+0\s+250\s+0\s+0/);
      expect(await count('ghl_contacts')).toBe(251);
    });

    it('act backfill xero: invoices by If-Modified-Since keyset pages, resumed after an interruption; exactly 250 rows', async () => {
      target = await create();
      const env = { ...target.env, XERO_CLIENT_ID: 'client-id', XERO_CLIENT_SECRET: 'client-secret' };
      expect((await act(['migrate', ...target.args], { env })).code).toBe(0);
      // The app saved the tenant's tokens at connect (act_credentials, key xero:<tenantId>).
      await target.withState((state) =>
        state.credentials.put(`xero:${XERO_TENANT}`, {
          accessToken: 'xero-access-token',
          refreshToken: 'xero-refresh-token',
          expiresAt: Date.now() + 3_600_000,
        }),
      );
      const calls = serveInvoices(invoices(250));
      const args = ['backfill', 'xero', '--tenant', XERO_TENANT, '--stream', 'invoices', ...target.args];

      const controller = new AbortController();
      const first = await act([...args, '--max-pages', '2'], { env, signal: controller.signal });
      expect(first.code).toBe(0);
      expect(first.stderr).toMatch(/\[act\] invoices: 100 of ~250 records \| 1 page\(s\) \| 0 rate-limit wait\(s\)/);
      expect(await count('xero_invoices')).toBe(199); // page 2 starts again at page 1's newest second (one re-read)

      const resumedAt = calls.length;
      const second = await act(args, { env });
      expect(second.code).toBe(0);
      expect(second.stderr).toContain('[act] invoices: resuming from the saved cursor');
      expect(calls[resumedAt]).toEqual({ page: 1, since: new Date(T0 + 199 * 2000 - 1000).toISOString() });
      expect(await count('xero_invoices')).toBe(250);
    });

    it('act backfill stops at Ctrl-C after the page in flight, exit code 130, and resumes', async () => {
      target = await create();
      const env = { ...target.env, GHL_ACCESS_TOKEN: 'pit-cli-test' };
      expect((await act(['migrate', ...target.args], { env })).code).toBe(0);
      serveContactSearch({ rows: contacts(300) });
      const controller = new AbortController();
      // Abort while the second page is being fetched.
      let searches = 0;
      const fetchSpy: typeof fetch = (input, init) => {
        searches += 1;
        if (searches === 2) controller.abort(new Error('interrupted (Ctrl-C)'));
        return fetch(input, init);
      };
      const args = ['backfill', 'ghl', '--tenant', LOCATION, '--stream', 'contacts', ...target.args];
      const interrupted = await act(args, { env, fetch: fetchSpy, signal: controller.signal });
      expect(interrupted.code).toBe(130);
      expect(interrupted.stderr).toContain(
        'interrupted: every committed page is saved; run the same command to resume',
      );
      const committed = await count('ghl_contacts');
      expect([100, 200]).toContain(committed);
      const resumed = await act(args, { env });
      expect(resumed.code).toBe(0);
      expect(await count('ghl_contacts')).toBe(300);
    });
  });
}
