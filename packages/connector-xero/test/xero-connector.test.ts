// End to end: signed request → handler → inbox → worker → fetch-on-notify
// (nock) → transform → sink, in memory, on PGlite (always) and on real
// Postgres (when DATABASE_URL is set; a random schema, dropped afterwards)
// through @act/sink-supabase. Node-only (nock, PGlite, pg).
import {
  createMemoryCredentialStore,
  createMemorySink,
  createMemoryStateStore,
  createWebhookHandler,
  createWorker,
  type Logger,
  type RateLimitStoreV1,
  runPoller,
  runReconciliation,
  type SinkV1,
  type StateStoreV1,
} from '@act/core';
import { createPostgresState, type PostgresState } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import nock from 'nock';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createXeroConnector, loadXeroSettings, VERSION, type XeroConnector } from '../src/index';
import {
  CONTACT_ID,
  CONTACT_TENANT,
  deliveryBody,
  INVOICE_ID,
  INVOICE_TENANT,
  notification,
  signedXeroRequest,
  TEST_KEY,
  webhookFixtures,
} from './helpers/xero-fixtures';
import { CONTACT_RECORD, CREDIT_NOTE_RECORD, invoiceRecord, invoicesResponse, msJson } from './helpers/xero-records';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const DATABASE_URL = process.env.DATABASE_URL;
const API_ORIGIN = 'https://api.xero.com';
const ACCESS_TOKEN = 'access-token-test';
/** The API client with a static token; one attempt per fetch, so the worker's retry schedule is what is tested. */
const API_SETTINGS = { accessToken: ACCESS_TOKEN, api: { retry: { maxAttempts: 1 } } } as const;
const T1 = Date.parse('2026-03-02T10:00:00.000Z');
const T2 = T1 + 60_000;
const T3 = T1 + 120_000;
const INVOICE_PATH = `/api.xro/2.0/Invoices/${INVOICE_ID}`;

interface Row extends Record<string, unknown> {
  _version: number | null;
  _deleted_at: Date | null;
}

interface Target {
  create(connector: XeroConnector): Promise<{
    store: StateStoreV1;
    sink: SinkV1;
    rateLimits?: RateLimitStoreV1;
    rows(table: string): Promise<Row[]>;
    query?<R>(sql: string): Promise<R[]>;
    destroy(): Promise<void>;
  }>;
}

const memoryTarget = (): Target => ({
  async create() {
    const store = createMemoryStateStore();
    const sink = createMemorySink();
    return {
      store,
      sink,
      async rows(table) {
        return sink.rows(table).map((row) => ({
          ...row.key,
          ...row.values,
          _version: row.version ?? null,
          _deleted_at: row.deletedAt,
        }));
      },
      async destroy() {},
    };
  },
});

let counter = 0;
const randomSchema = () =>
  `xero_t_${Date.now().toString(36)}_${process.pid.toString(36)}_${++counter}_${Math.random().toString(36).slice(2, 7)}`;

/** A migrated state in a fresh schema of a database reached through `query`. */
async function postgresLike(
  state: PostgresState,
  schema: string,
  run: (sql: string) => Promise<Record<string, unknown>[]>,
) {
  return {
    store: state.store,
    sink: state.sink,
    rateLimits: state.rateLimits,
    async rows(table: string) {
      const rows = await run(`select * from "${schema}".${table} order by tenant_id, id`);
      return rows.map((row) => ({
        ...row,
        _version: row._version === null ? null : Number(row._version),
        _deleted_at: (row._deleted_at as Date | null) ?? null,
      }));
    },
    async query<R>(sql: string) {
      return (await run(sql.replaceAll('$schema', `"${schema}"`))) as R[];
    },
  };
}

function pgliteTarget(): Target {
  let db: Promise<PGlite> | undefined;
  // Started once, before the first test: under load, booting PGlite alone can take most of a test's 5 s.
  beforeAll(async () => {
    db ??= PGlite.create();
    await db;
  }, 60_000);
  afterAll(async () => {
    if (db) await (await db).close();
  });
  return {
    async create(connector) {
      db ??= PGlite.create();
      const instance = await db;
      const schema = randomSchema();
      const state = createPostgresState({ pglite: instance }, { schema });
      await state.migrate({ connectors: [connector] });
      const parts = await postgresLike(
        state,
        schema,
        async (sql) => (await instance.query<Record<string, unknown>>(sql)).rows,
      );
      return {
        ...parts,
        async destroy() {
          await state.close();
          await instance.query(`drop schema if exists "${schema}" cascade`);
        },
      };
    },
  };
}

function postgresTarget(url: string): Target {
  let pool: pg.Pool | undefined;
  afterAll(async () => {
    await pool?.end();
  });
  return {
    async create(connector) {
      if (!pool) {
        pool = new pg.Pool({ connectionString: url, max: 4 });
        // An idle connection dropped by the server (57P01 on a restart) must not crash the process.
        pool.on('error', (error) => console.error(`postgres pool: ${error.message}`));
      }
      const shared = pool;
      const schema = randomSchema();
      const state = createPostgresState({ pool: shared }, { schema });
      await state.migrate({ connectors: [connector] });
      const parts = await postgresLike(state, schema, async (sql) => (await shared.query(sql)).rows);
      return {
        ...parts,
        async destroy() {
          await state.close();
          await shared.query(`drop schema if exists "${schema}" cascade`);
        },
      };
    },
  };
}

/** Serve `GET /Invoices/{id}` once per reply, recording every request's tenant header. */
function serveInvoice(replies: readonly (readonly [number, Record<string, unknown> | string])[]) {
  const seen: string[] = [];
  const scope = nock(API_ORIGIN);
  for (const [status, body] of replies) {
    scope
      .get(INVOICE_PATH)
      .matchHeader('authorization', 'Bearer access-token-test')
      .matchHeader('xero-tenant-id', INVOICE_TENANT)
      .reply((request: Request) => {
        seen.push(String(request.headers.get('xero-tenant-id')));
        return [status, body];
      });
  }
  return { scope, seen };
}

function suite(name: string, target: () => Target, options: { sql: boolean }) {
  describe(name, () => {
    const t = target();

    async function setup(settings: Parameters<typeof createXeroConnector>[0] = {}, { apiCredentials = true } = {}) {
      const api = apiCredentials ? API_SETTINGS : { api: API_SETTINGS.api };
      const connector = createXeroConnector({ webhook: { keys: [TEST_KEY] }, ...api, ...settings });
      const db = await t.create(connector);
      const handler = createWebhookHandler({ processor: connector.webhook, store: db.store });
      const worker = createWorker({ connectors: [connector], store: db.store, sink: db.sink, circuitBreaker: false });
      const send = async (body: string) => (await handler(await signedXeroRequest(body))).status;
      return { connector, ...db, handler, worker, send };
    }

    it('a delivery with repeated events for one invoice: exactly one fetch, one row at the newest version; late and stale fetches never win', async () => {
      const ctx = await setup();
      try {
        const api = serveInvoice([
          [200, invoicesResponse(invoiceRecord({ id: INVOICE_ID, updatedAt: T2, status: 'AUTHORISED' }))],
          // A later delivery's fetch that sees an older version (a lagging read): skipped as stale.
          [200, invoicesResponse(invoiceRecord({ id: INVOICE_ID, updatedAt: T1, status: 'DRAFT' }))],
        ]);
        // The xero-php body: two UPDATEs of one invoice in one delivery.
        expect(await ctx.send(webhookFixtures['invoice-update.1.json'])).toBe(200);
        expect(await ctx.worker.drain()).toMatchObject({ outcomes: { done: 1, retrying: 0, dead: 0 } });
        expect(api.seen).toEqual([INVOICE_TENANT]);
        // Xero's retry of the same delivery is not stored again, so not fetched again.
        expect(await ctx.send(webhookFixtures['invoice-update.1.json'])).toBe(200);
        expect(await ctx.worker.drain()).toMatchObject({ claimed: 0 });

        expect(await ctx.send(deliveryBody([notification({})], { first: 4, last: 4 }))).toBe(200);
        expect(await ctx.worker.drain()).toMatchObject({ outcomes: { done: 1 } });
        expect(api.scope.isDone()).toBe(true);
        expect(api.seen).toHaveLength(2);

        const rows = await ctx.rows('xero_invoices');
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({
          tenant_id: INVOICE_TENANT,
          id: INVOICE_ID,
          status: 'AUTHORISED',
          invoice_number: 'INV-0006',
          _version: T2,
          _deleted_at: null,
        });
        const outcomes = (await ctx.store.listEvents({})).map((event) => `${event.type}:${event.outcome}`).reverse();
        expect(outcomes).toEqual(['INVOICE.UPDATE:created', 'INVOICE.UPDATE:skipped']);
      } finally {
        await ctx.destroy();
      }
    });

    it('runs typed on() handlers with the fetched record once the row committed; a skipped fetch runs none', async () => {
      const ctx = await setup();
      try {
        serveInvoice([
          [200, invoicesResponse(invoiceRecord({ id: INVOICE_ID, updatedAt: T2, status: 'AUTHORISED' }))],
          [200, invoicesResponse(invoiceRecord({ id: INVOICE_ID, updatedAt: T1, status: 'DRAFT' }))],
        ]);
        const seen: string[] = [];
        ctx.connector.on(['INVOICE.CREATE', 'INVOICE.UPDATE'], (event) => {
          seen.push(`${event.type} ${String((event.payload as { Status?: unknown }).Status)}`);
        });
        await ctx.send(deliveryBody([notification({ type: 'CREATE' })], { first: 1, last: 1 }));
        await ctx.send(deliveryBody([notification({})], { first: 2, last: 2 }));
        expect(await ctx.worker.drain()).toMatchObject({ outcomes: { done: 2 } });
        // The second fetch saw an older version: skipped as stale, so its handler does not run.
        expect(seen).toEqual(['INVOICE.CREATE AUTHORISED']);
      } finally {
        await ctx.destroy();
      }
    });

    it('mirrors a voided invoice as its status (no tombstone), and it can change again', async () => {
      const ctx = await setup();
      try {
        serveInvoice([
          [200, invoicesResponse(invoiceRecord({ id: INVOICE_ID, updatedAt: T1, status: 'AUTHORISED' }))],
          [200, invoicesResponse(invoiceRecord({ id: INVOICE_ID, updatedAt: T2, status: 'VOIDED' }))],
        ]);
        await ctx.send(deliveryBody([notification({ type: 'CREATE' })], { first: 1, last: 1 }));
        await ctx.send(deliveryBody([notification({})], { first: 2, last: 2 }));
        expect(await ctx.worker.drain()).toMatchObject({ outcomes: { done: 2 } });
        const [row] = await ctx.rows('xero_invoices');
        expect(row).toMatchObject({ status: 'VOIDED', _version: T2, _deleted_at: null });
        expect(row?.raw).toMatchObject({ Status: 'VOIDED', UpdatedDateUTC: msJson(T2) });
      } finally {
        await ctx.destroy();
      }
    });

    it('a record Xero answers 404 for: nothing applied, the delivery done', async () => {
      const ctx = await setup();
      try {
        serveInvoice([[404, 'Not Found']]);
        await ctx.send(deliveryBody([notification({})], { first: 1, last: 1 }));
        expect(await ctx.worker.drain()).toMatchObject({ outcomes: { done: 1 } });
        expect(await ctx.rows('xero_invoices')).toEqual([]);
        expect((await ctx.store.listEvents({})).map((event) => event.outcome)).toEqual(['ignored']);
      } finally {
        await ctx.destroy();
      }
    });

    it('a fetch that fails (503) is retried later, never lost', async () => {
      const ctx = await setup();
      try {
        serveInvoice([[503, 'Service Unavailable']]);
        await ctx.send(deliveryBody([notification({})], { first: 1, last: 1 }));
        expect(await ctx.worker.drain()).toMatchObject({ outcomes: { retrying: 1 } });
        expect(await ctx.rows('xero_invoices')).toEqual([]);
        const [delivery] = await ctx.store.listDeliveries({});
        expect(delivery).toMatchObject({ status: 'pending', lastErrorClass: 'transient' });
      } finally {
        await ctx.destroy();
      }
    });

    it('contacts and credit notes: fetched, written with their columns; one fetch per resource of a mixed delivery', async () => {
      const ctx = await setup({ transforms: { contactMatching: true, projectCode: { pattern: /\bUS\b/ } } });
      try {
        const creditNoteTenant = 'aef86862-2015-4b6b-88bc-d89032cecc50';
        const creditNoteId = '55d84274-a3da-4829-a7c0-0cab601b95cc';
        nock(API_ORIGIN)
          .get(`/api.xro/2.0/Contacts/${CONTACT_ID}`)
          .matchHeader('xero-tenant-id', CONTACT_TENANT)
          .reply(200, { Contacts: [{ ...CONTACT_RECORD, ContactID: CONTACT_ID, ContactStatus: 'ARCHIVED' }] })
          .get(`/api.xro/2.0/CreditNotes/${creditNoteId}`)
          .matchHeader('xero-tenant-id', creditNoteTenant)
          .reply(200, { CreditNotes: [{ ...CREDIT_NOTE_RECORD, CreditNoteID: creditNoteId }] });
        expect(await ctx.send(webhookFixtures['contact-update.1.json'])).toBe(200);
        expect(await ctx.send(webhookFixtures['credit-note-create.1.json'])).toBe(200);
        expect(await ctx.worker.drain()).toMatchObject({ outcomes: { done: 2 } });
        expect(nock.isDone()).toBe(true);
        expect(await ctx.rows('xero_contacts')).toEqual([
          expect.objectContaining({
            tenant_id: CONTACT_TENANT,
            id: CONTACT_ID,
            contact_status: 'ARCHIVED',
            email: 'bk@krave.co',
            contact_match_key: 'bk@krave.co',
            _version: 1551459777193,
          }),
        ]);
        expect(await ctx.rows('xero_credit_notes')).toEqual([
          expect.objectContaining({
            id: creditNoteId,
            status: 'AUTHORISED',
            project_code: 'US',
            _version: 1551812346157,
          }),
        ]);
      } finally {
        await ctx.destroy();
      }
    });

    it('without API credentials a delivery is dead-lettered with the reason (replayable), not dropped', async () => {
      const ctx = await setup({}, { apiCredentials: false });
      try {
        await ctx.send(deliveryBody([notification({})], { first: 1, last: 1 }));
        expect(await ctx.worker.drain()).toMatchObject({ outcomes: { dead: 1 } });
        const [delivery] = await ctx.store.listDeliveries({});
        expect(delivery?.lastError).toContain(
          'fetching the record needs API credentials (XERO_CLIENT_ID and XERO_CLIENT_SECRET)',
        );
      } finally {
        await ctx.destroy();
      }
    });

    // Only SQL targets have tables to inspect.
    if (options.sql)
      it('creates every table with the bookkeeping columns; the line items view reads the jsonb', async () => {
        const ctx = await setup();
        try {
          const query = ctx.query;
          if (!query) throw new Error('an SQL target must expose query()');
          const tables = await query<{ table_name: string; columns: string[] }>(
            `select table_name, array_agg(column_name::text order by column_name) as columns
             from information_schema.columns where table_schema = replace('$schema', '"', '')
             group by table_name order by table_name`,
          );
          const mirror = tables.filter((table) => table.table_name.startsWith('xero_'));
          expect(mirror.map((table) => table.table_name)).toEqual([
            'xero_bank_transactions',
            'xero_contacts',
            'xero_credit_notes',
            'xero_invoice_line_items',
            'xero_invoices',
            'xero_payments',
          ]);
          for (const table of mirror.filter((candidate) => candidate.table_name !== 'xero_invoice_line_items')) {
            expect(table.columns).toEqual(
              expect.arrayContaining([
                'tenant_id',
                'id',
                'raw',
                '_version',
                '_payload_hash',
                '_deleted_at',
                '_synced_at',
              ]),
            );
          }

          const record = invoiceRecord({ id: INVOICE_ID, updatedAt: T3 });
          record.LineItems = [
            ...(record.LineItems as unknown[]),
            {
              Description: 'Strings',
              Quantity: 2.0,
              UnitAmount: '1.5',
              LineAmount: 3.0,
              LineItemID: 'C0FFEE00-0000-4000-8000-000000000001',
            },
          ];
          nock(API_ORIGIN).get(INVOICE_PATH).reply(200, invoicesResponse(record));
          await ctx.send(deliveryBody([notification({})], { first: 1, last: 1 }));
          expect(await ctx.worker.drain()).toMatchObject({ outcomes: { done: 1 } });
          const lines = await query<Record<string, unknown>>(
            `select invoice_id, position, line_item_id, description, quantity::float8 as quantity,
                  unit_amount::float8 as unit_amount, line_amount::float8 as line_amount
             from $schema.xero_invoice_line_items order by position`,
          );
          expect(lines).toEqual([
            {
              invoice_id: INVOICE_ID,
              position: 1,
              line_item_id: 'b18f39d9-7739-4246-9288-72afe939d2d5',
              description: 'Guitars Fender Strat',
              quantity: 1,
              unit_amount: 148062.76,
              line_amount: 148062.76,
            },
            // A string where Xero documents a number reads as null, never as a failing query.
            {
              invoice_id: INVOICE_ID,
              position: 2,
              line_item_id: 'c0ffee00-0000-4000-8000-000000000001',
              description: 'Strings',
              quantity: 2,
              unit_amount: null,
              line_amount: 3,
            },
          ]);
          const [invoice] = await query<Record<string, unknown>>(
            'select date::text as date, due_date::text as due_date, total::text as total, updated_at from $schema.xero_invoices',
          );
          expect(invoice).toEqual({
            date: '2019-03-07',
            due_date: '2019-03-13',
            total: '148062.76',
            updated_at: new Date(T3),
          });
        } finally {
          await ctx.destroy();
        }
      });

    if (options.sql)
      it('a burst of 150 events for one tenant in one delivery: every invoice fetched exactly once, never more than 60 a minute nor 5 at once, nothing dead', async () => {
        // Virtual time for the limits (shared by both workers through the
        // database's rate-limit tables); the inbox's retry times are real, so
        // "a minute passes" also makes the deferred deliveries due again.
        let clock = Date.UTC(2026, 2, 2, 9, 0, 0);
        const fetched = new Map<string, number>();
        const sentAt: number[] = [];
        let inFlight = 0;
        let most = 0;
        const recordingFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
          sentAt.push(clock);
          inFlight += 1;
          most = Math.max(most, inFlight);
          try {
            return await fetch(input, init);
          } finally {
            inFlight -= 1;
          }
        }) as typeof fetch;
        const ids = Array.from(
          { length: 150 },
          (_, index) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
        );
        nock(API_ORIGIN)
          .get(/\/api\.xro\/2\.0\/Invoices\/[0-9a-f-]+$/)
          .times(150)
          .delay(3)
          .reply((request: Request) => {
            const id = new URL(request.url).pathname.split('/').pop() as string;
            fetched.set(id, (fetched.get(id) ?? 0) + 1);
            return [200, invoicesResponse(invoiceRecord({ id, updatedAt: T1, status: 'AUTHORISED' }))];
          });
        const migrated = await setup();
        try {
          const connector = createXeroConnector({
            webhook: { keys: [TEST_KEY] },
            accessToken: ACCESS_TOKEN,
            fetch: recordingFetch,
            ...(migrated.rateLimits ? { rateLimitStore: migrated.rateLimits } : {}),
            // Hand a call back at once instead of waiting in process: the worker defers the delivery.
            api: { retry: { maxAttempts: 1 }, now: () => new Date(clock), rateLimits: { maxWaitMs: 0 } },
          });
          const workers = [1, 2].map((n) =>
            createWorker({
              connectors: [connector],
              store: migrated.store,
              sink: migrated.sink,
              circuitBreaker: false,
              owner: `burst-${n}`,
              concurrency: 4,
            }),
          );
          const body = deliveryBody(
            ids.map((id) => notification({ id })),
            { first: 1, last: 150 },
          );
          expect((await migrated.handler(await signedXeroRequest(body))).status).toBe(200);
          expect(await migrated.store.listDeliveries({ limit: 1_000 })).toHaveLength(150);

          const perMinute: number[] = [];
          for (let minute = 0; minute < 10; minute++) {
            const before = sentAt.length;
            await Promise.all(workers.map((worker) => worker.drain()));
            perMinute.push(sentAt.length - before);
            if ((await migrated.rows('xero_invoices')).length === 150) break;
            clock += 60_000;
            await migrated.query?.(
              "update $schema.act_deliveries set next_attempt_at = now() where status = 'pending'",
            );
          }
          expect((await migrated.rows('xero_invoices')).length).toBe(150);
          // No livelock: nothing fetched twice, however often a delivery was deferred.
          expect([...fetched.values()].every((count) => count === 1)).toBe(true);
          expect(fetched.size).toBe(150);
          expect(most).toBeLessThanOrEqual(5);
          expect(Math.max(...perMinute)).toBeLessThanOrEqual(60);
          expect(perMinute.length).toBeGreaterThanOrEqual(3);
          expect(await migrated.store.listDeliveries({ status: 'dead' })).toEqual([]);
        } finally {
          await migrated.destroy();
        }
      }, 60_000);

    it('reports sequence gaps from the inbox', async () => {
      const ctx = await setup();
      try {
        for (const [first, last] of [
          [1, 1],
          [2, 3],
          [6, 6],
          [9, 9],
          [7, 8],
        ] as const) {
          expect(
            await ctx.send(deliveryBody([notification({ at: `2026-03-02T10:00:0${first}` })], { first, last })),
          ).toBe(200);
        }
        const gaps = await ctx.connector.sequenceGaps(ctx.store, { minAgeMs: 0 });
        expect(gaps.map(({ scope, from, to, missing }) => ({ scope, from, to, missing }))).toEqual([
          { scope: 'app', from: 4, to: 5, missing: 2 },
        ]);
        expect(await ctx.connector.sequenceGaps(ctx.store)).toEqual([]); // younger than 10 minutes
        // The same gap as a health signal, for dashboards and `act health`.
        const signals = await ctx.connector.healthSignals({
          store: ctx.store,
          now: new Date(Date.now() + 11 * 60_000),
        });
        expect(signals).toEqual([
          expect.objectContaining({ source: 'xero', tenant: 'app', status: 'amber', code: 'sequence_gap' }),
        ]);
        expect(signals[0]?.message).toContain('webhook events 4–5 (2) never arrived');
      } finally {
        await ctx.destroy();
      }
    });
  });
}

suite('memory', memoryTarget, { sql: false });
suite('PGlite through @act/sink-supabase', pgliteTarget, { sql: true });
describe.skipIf(!DATABASE_URL)('Postgres (DATABASE_URL)', () =>
  suite('Postgres through @act/sink-supabase', () => postgresTarget(DATABASE_URL as string), { sql: true }),
);

describe('Xero connector parts', () => {
  it('reports tenants whose refresh token was refused as red "reconnect required" signals', async () => {
    const credentials = createMemoryCredentialStore();
    const connector = createXeroConnector({ oauth: { clientId: 'id', clientSecret: 'secret', credentials } });
    await credentials.put('xero:tenant-ok', { refreshToken: 'r1' });
    await credentials.put('xero:tenant-gone', { refreshToken: 'r0' });
    await credentials.acquireRefreshLease('xero:tenant-gone', { owner: 'w', leaseMs: 1_000 });
    await credentials.releaseRefreshLease('xero:tenant-gone', { owner: 'w', invalidReason: 'invalid_grant' });
    const signals = await connector.healthSignals({ store: createMemoryStateStore() });
    expect(signals).toEqual([
      expect.objectContaining({ source: 'xero', tenant: 'tenant-gone', status: 'red', code: 'reconnect_required' }),
    ]);
    expect(signals[0]?.message).toContain('reconnect Xero for tenant tenant-gone: invalid_grant');
  });

  it('exposes its id, package, migrations, empty answers and a fetching hydrate', () => {
    const connector = createXeroConnector({ webhook: { keys: [TEST_KEY] } });
    expect(connector).toMatchObject({
      specificationVersion: 'v1',
      source: 'xero',
      packageName: '@act/connector-xero',
    });
    expect(connector.migrations.map((migration) => migration.name)).toEqual([
      '0001_xero_mirror',
      '0002_xero_version_order',
      '0003_xero_identity',
    ]);
    expect(connector.webhook.persistFailureStatus).toBe(503);
    expect(connector.webhook.storeUnparseable).toBe(true);
    expect(typeof connector.hydrate).toBe('function');
    expect(VERSION).toBe('0.0.0-test');
  });

  it('is built from loadXeroSettings', () => {
    const connector = createXeroConnector(loadXeroSettings({ XERO_WEBHOOK_KEY: `${TEST_KEY}, other-key` }));
    expect(connector.webhook.source).toBe('xero');
    expect(() => createXeroConnector({ webhook: { keys: [''] } })).toThrow('webhook.keys[0] is empty');
  });

  it('wires the API client, pollers and reconcilers from credentials; none without', () => {
    const receiveOnly = createXeroConnector({ webhook: { keys: [TEST_KEY] } });
    expect(receiveOnly).toMatchObject({ client: undefined, pollers: [], reconcilers: [] });
    const connector = createXeroConnector({ accessToken: ACCESS_TOKEN });
    expect(connector.client).toBeDefined();
    expect(connector.pollers.map((poller) => poller.stream)).toEqual([
      'contacts',
      'invoices',
      'credit_notes',
      'payments',
      'bank_transactions',
    ]);
    expect(connector.reconcilers.map((reconciler) => reconciler.table)).toEqual([
      'xero_contacts',
      'xero_invoices',
      'xero_credit_notes',
      'xero_payments',
      'xero_bank_transactions',
    ]);
    expect(() =>
      createXeroConnector({ accessToken: 'x', oauth: { clientId: 'a', clientSecret: 'b', credentials: {} as never } }),
    ).toThrow('not both');
  });

  it('hydrate: fetches through fetchRecord when given, passes events that are not thin, rejects what it cannot fetch', async () => {
    const requests: unknown[] = [];
    const connector = createXeroConnector({
      accessToken: ACCESS_TOKEN,
      fetchRecord: async (request) => {
        requests.push(request);
        return { InvoiceID: request.id, UpdatedDateUTC: msJson(T1) };
      },
    });
    const event = {
      source: 'xero',
      tenant: 't',
      type: 'INVOICE.UPDATE',
      entity: 'invoice',
      entityId: 'i',
      payload: {},
    };
    expect(await connector.hydrate(event, {})).toBe(event);
    const before = Date.now();
    const hydrated = await connector.hydrate({ ...event, thin: true, version: 1 }, {});
    expect(hydrated).toEqual({
      ...event,
      payload: { InvoiceID: 'i', UpdatedDateUTC: msJson(T1) },
      version: T1,
      // When the copy was fetched: it orders two copies at the same UpdatedDateUTC.
      observedAt: expect.any(Number),
    });
    expect(hydrated?.observedAt).toBeGreaterThanOrEqual(before);
    expect(hydrated?.observedAt).toBeLessThanOrEqual(Date.now());
    expect(requests).toEqual([{ tenant: 't', entity: 'invoice', id: 'i' }]);
    await expect(connector.hydrate({ ...event, entity: 'subscription', thin: true }, {})).rejects.toThrow(
      'not an Accounting API record',
    );
  });
});

describe('without API credentials (issue 11, finding 10)', () => {
  const variables = 'XERO_CLIENT_ID and XERO_CLIENT_SECRET (settings.oauth; or settings.accessToken)';
  const collect = () => {
    const warnings: string[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (_fields, message) => void warnings.push(message ?? ''),
      error() {},
    };
    return { warnings, logger };
  };

  it('warns once at creation that every delivery will be dead-lettered, and reports amber api_credentials_missing', async () => {
    const { warnings, logger } = collect();
    const connector = createXeroConnector(loadXeroSettings({ XERO_WEBHOOK_KEY: TEST_KEY }, { logger }));
    expect(warnings).toEqual([expect.stringContaining(`[@act/connector-xero] no API credentials (set ${variables})`)]);
    expect(warnings[0]).toContain('every delivery is dead-lettered');
    expect(connector.missingApiCredentials).toBe(variables);
    const signals = await connector.healthSignals({ store: createMemoryStateStore() });
    expect(signals).toEqual([
      {
        source: 'xero',
        tenant: 'app',
        status: 'amber',
        code: 'api_credentials_missing',
        message: expect.stringContaining(`no Xero API credentials: set ${variables}`),
      },
    ]);
    const withApi = createXeroConnector({ accessToken: ACCESS_TOKEN, logger });
    expect(warnings).toHaveLength(1);
    expect(withApi.missingApiCredentials).toBeUndefined();
  });

  it('makes runPoller and runReconciliation throw a ConfigurationError naming the variables, not resolve empty', async () => {
    const { logger } = collect();
    const connector = createXeroConnector({ webhook: { keys: [TEST_KEY] }, logger });
    const run = { connector, tenant: INVOICE_TENANT, store: createMemoryStateStore(), sink: createMemorySink() };
    await expect(runPoller(run)).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: `[@act/core] runPoller: the xero connector was created without API credentials, so it has no pollers: set ${variables}`,
    });
    await expect(runReconciliation(run)).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: `[@act/core] runReconciliation: the xero connector was created without API credentials, so it has no reconcilers: set ${variables}`,
    });
  });
});
