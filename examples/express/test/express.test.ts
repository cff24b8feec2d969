/**
 * The Express example end to end, over real HTTP: signed GoHighLevel and Xero
 * deliveries in, mirror rows out. On PGlite always, and on Postgres when
 * DATABASE_URL is set (each run in a schema of its own, dropped afterwards).
 *
 * Xero deliveries carry ids only, so the worker fetches each invoice from
 * Xero's API: XERO_BASE_URL points at a stub served here, and the tenant's
 * OAuth tokens are put in `state.credentials` as the connect flow would.
 */
import { createHmac, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PostgresConnection } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActApp, createActApp } from '../src/app.ts';

const DATABASE_URL = process.env.DATABASE_URL;

const GHL_LOCATION = 've9EPM428h8vShlRW1KT';
const GHL_CONTACT = 'nmFmQEsNgz6AVpgLVUJ0';
const XERO_WEBHOOK_KEY = 'test-webhook-key/with+base64=looking+text==';
const XERO_TENANT = 'e629a03c-7ffe-4913-bd94-ff2fdb36a702';
const XERO_INVOICE = '44aa0707-f718-4f1c-8d53-f2da9ca59533';
const XERO_ACCESS_TOKEN = 'xero-access-token';

// ---------------------------------------------------------------- databases

interface TestDatabase {
  connection: PostgresConnection;
  schema: string;
  /** SQL on the test's database; `t(name)` qualifies a table with the test's schema. */
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

const randomSchema = () => `act_example_express_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

async function openPglite(): Promise<TestDatabase> {
  const db = await PGlite.create();
  return {
    connection: { pglite: db },
    schema: randomSchema(),
    query: async (text, params) => (await db.query<never>(text, params)).rows,
    close: () => db.close(),
  };
}

async function openPostgres(url: string): Promise<TestDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // An idle connection dropped by the server (57P01 on a restart) must not crash the process.
  pool.on('error', (error) => console.error(`postgres pool: ${error.message}`));
  const schema = randomSchema();
  return {
    connection: { pool },
    schema,
    query: async (text, params) => (await pool.query(text, params)).rows,
    async close() {
      await pool.query(`drop schema if exists "${schema}" cascade`);
      await pool.end();
    },
  };
}

const targets: [string, () => Promise<TestDatabase>][] = [['PGlite', openPglite]];
if (DATABASE_URL) targets.push(['Postgres', () => openPostgres(DATABASE_URL)]);
else console.warn('[example-express] DATABASE_URL is not set: running on PGlite only');

// ---------------------------------------------------------------- providers

/** GoHighLevel signs the raw body with Ed25519 (`x-ghl-signature`, base64). */
function signGhl(body: string, privateKey: KeyObject): string {
  return sign(null, Buffer.from(body), privateKey).toString('base64');
}

/** Xero: base64 HMAC-SHA256 of the raw body, keyed with the webhook key's text (`x-xero-signature`). */
function signXero(body: string, key = XERO_WEBHOOK_KEY): string {
  return createHmac('sha256', key).update(body).digest('base64');
}

/** A ContactCreate as GHL documents it, plus the `timestamp` and `webhookId` real deliveries carry. */
function ghlContactCreate(): string {
  return JSON.stringify({
    type: 'ContactCreate',
    locationId: GHL_LOCATION,
    id: GHL_CONTACT,
    firstName: 'John',
    lastName: 'Deo',
    name: 'John Deo',
    email: 'JohnDeo@Example.com',
    phone: '+919509597501',
    tags: ['Lead', 'newsletter'],
    dateAdded: '2021-11-26T12:41:02.193Z',
    timestamp: new Date().toISOString(),
    webhookId: randomUUID(),
  });
}

/** Xero's bodies have irregular whitespace, which is why signatures are over the raw bytes. */
const xeroIntentToReceive = `{"events":[],"firstEventSequence": 0,"lastEventSequence": 0, "entropy": "LUWDSUDGSWNZVALZXBEV"}`;
const xeroInvoiceUpdate = `{"events":[{"resourceUrl":"https://api.xero.com/api.xro/2.0/Invoices/${XERO_INVOICE}","resourceId":"${XERO_INVOICE}","eventDateUtc":"2019-03-07T17:59:28.133","eventType":"UPDATE","eventCategory":"INVOICE","tenantId":"${XERO_TENANT}","tenantType":"ORGANISATION"}],"firstEventSequence": 2,"lastEventSequence": 2, "entropy": "GATSEZXWIBPBRNQOTMOH"}`;

/** The slice of Xero's Accounting API the worker calls: GET /Invoices/{id}. */
function startXeroApi(): Promise<{ server: Server; baseUrl: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((request, response) => {
    requests.push(request);
    const url = new URL(request.url ?? '/', 'http://localhost');
    const authorised =
      request.headers.authorization === `Bearer ${XERO_ACCESS_TOKEN}` &&
      request.headers['xero-tenant-id'] === XERO_TENANT;
    if (!authorised) return void response.writeHead(401).end();
    if (url.pathname !== `/api.xro/2.0/Invoices/${XERO_INVOICE}`) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        Id: randomUUID(),
        Status: 'OK',
        Invoices: [
          {
            Type: 'ACCREC',
            InvoiceID: XERO_INVOICE,
            InvoiceNumber: 'INV-0042',
            Reference: 'Tour',
            Status: 'AUTHORISED',
            Contact: { ContactID: '430fa14a-f945-44d3-9f97-5df5e28441b8', Name: 'Liam Gallagher' },
            Date: '/Date(1551916800000+0000)/',
            DueDate: '/Date(1552521600000+0000)/',
            LineAmountTypes: 'Exclusive',
            LineItems: [{ Description: 'Tour', Quantity: 1, UnitAmount: 100, AccountCode: '200', LineAmount: 100 }],
            SubTotal: 100,
            TotalTax: 15,
            Total: 115,
            AmountDue: 115,
            AmountPaid: 0,
            CurrencyCode: 'NZD',
            UpdatedDateUTC: '/Date(1551981568133+0000)/',
          },
        ],
      }),
    );
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, baseUrl: `http://127.0.0.1:${port}/api.xro/2.0`, requests });
    }),
  );
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// ---------------------------------------------------------------- the tests

describe.each(targets)('examples/express on %s', (_name, open) => {
  const ghlKeys = generateKeyPairSync('ed25519');
  const strangerKeys = generateKeyPairSync('ed25519');
  let db: TestDatabase;
  let act: ActApp;
  let xeroApi: Awaited<ReturnType<typeof startXeroApi>>;
  let server: Server;
  let base: string;

  const table = (name: string) => `"${db.schema}".${name}`;
  const deliveries = async () =>
    (await db.query<{ source: string }>(`select source from ${table('act_deliveries')} order by id`)).map(
      (row) => row.source,
    );
  const post = async (path: string, body: string, headers: Record<string, string>) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return { status: response.status, body: await response.text(), headers: response.headers };
  };

  beforeAll(async () => {
    db = await open();
    xeroApi = await startXeroApi();
    act = await createActApp({
      env: {
        GHL_ACCESS_TOKEN: 'pit-test-token',
        // The test's own key pair stands in for GHL's published key.
        GHL_WEBHOOK_ED25519_PUBLIC_KEYS: ghlKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        XERO_WEBHOOK_KEY,
        XERO_CLIENT_ID: 'xero-client-id',
        XERO_CLIENT_SECRET: 'xero-client-secret',
        XERO_BASE_URL: xeroApi.baseUrl,
      },
      database: db.connection,
      schema: db.schema,
      idleDelayMs: 25,
    });
    // What the OAuth connect flow saves for each connected organisation.
    await act.state.credentials.put(`xero:${XERO_TENANT}`, {
      accessToken: XERO_ACCESS_TOKEN,
      refreshToken: 'xero-refresh-token',
      expiresAt: Date.now() + 30 * 60_000,
    });
    act.worker.start();
    server = await new Promise<Server>((resolve) => {
      const listening = act.app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await act?.close();
    await new Promise((resolve) => xeroApi?.server.close(resolve));
    await db?.close();
  });

  it('refuses bad signatures with 401 and stores nothing', async () => {
    const body = ghlContactCreate();
    expect(
      (await post('/webhooks/ghl', body, { 'x-ghl-signature': signGhl(body, strangerKeys.privateKey) })).status,
    ).toBe(401);
    expect((await post('/webhooks/ghl', body, {})).status).toBe(401);
    const tampered = body.replace('John', 'Jane');
    expect(
      (await post('/webhooks/ghl', tampered, { 'x-ghl-signature': signGhl(body, ghlKeys.privateKey) })).status,
    ).toBe(401);
    const xero = await post('/webhooks/xero', xeroInvoiceUpdate, {
      'x-xero-signature': signXero(xeroInvoiceUpdate, 'wrong'),
    });
    expect(xero.status).toBe(401);
    expect(xero.body).toBe('');
    expect(await deliveries()).toEqual([]);
  });

  it("answers Xero's intent-to-receive: 200 when signed right, 401 when not, empty bodies, inbox untouched", async () => {
    const good = await post('/webhooks/xero', xeroIntentToReceive, {
      'x-xero-signature': signXero(xeroIntentToReceive),
    });
    expect(good.status).toBe(200);
    expect(good.body).toBe('');
    expect(good.headers.get('set-cookie')).toBeNull();
    // Xero's deliberately mis-signed requests are off by about one character.
    const signature = signXero(xeroIntentToReceive);
    const offByOne = `${signature.slice(0, 5)}${signature[5] === 'A' ? 'B' : 'A'}${signature.slice(6)}`;
    const bad = await post('/webhooks/xero', xeroIntentToReceive, { 'x-xero-signature': offByOne });
    expect(bad.status).toBe(401);
    expect(bad.body).toBe('');
    expect(await deliveries()).toEqual([]);
  });

  it('GoHighLevel: a signed ContactCreate is stored (200) and the worker writes ghl_contacts', async () => {
    const body = ghlContactCreate();
    const answer = await post('/webhooks/ghl', body, { 'x-ghl-signature': signGhl(body, ghlKeys.privateKey) });
    expect(answer.status).toBe(200);
    // A retry of the same delivery (same webhookId) is acknowledged, not stored twice.
    const again = await post('/webhooks/ghl', body, { 'x-ghl-signature': signGhl(body, ghlKeys.privateKey) });
    expect(again.status).toBe(200);
    expect(await deliveries()).toEqual(['ghl']);

    const contact = await waitFor('the ghl_contacts row', async () => {
      const [row] = await db.query(`select * from ${table('ghl_contacts')} where location_id = $1 and id = $2`, [
        GHL_LOCATION,
        GHL_CONTACT,
      ]);
      return row;
    });
    expect(contact).toMatchObject({
      first_name: 'John',
      last_name: 'Deo',
      email: 'johndeo@example.com',
      phone: '+919509597501',
    });
    expect(contact.tags).toEqual(['lead', 'newsletter']);
    expect(contact._deleted_at).toBeNull();
  });

  it('Xero: a signed INVOICE.UPDATE is stored (200, empty body), fetched from the API and written to xero_invoices', async () => {
    const answer = await post('/webhooks/xero', xeroInvoiceUpdate, { 'x-xero-signature': signXero(xeroInvoiceUpdate) });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('');
    expect(await deliveries()).toEqual(['ghl', 'xero']);

    const invoice = await waitFor('the xero_invoices row', async () => {
      const [row] = await db.query(`select * from ${table('xero_invoices')} where tenant_id = $1 and id = $2`, [
        XERO_TENANT,
        XERO_INVOICE,
      ]);
      return row;
    });
    expect(invoice).toMatchObject({ invoice_number: 'INV-0042', status: 'AUTHORISED', contact_name: 'Liam Gallagher' });
    expect(Number(invoice.total)).toBe(115);
    expect(xeroApi.requests.map((request) => request.url)).toContain(`/api.xro/2.0/Invoices/${XERO_INVOICE}`);

    const statuses = await waitFor('both deliveries done', async () => {
      const rows = await db.query<{ status: string }>(`select status from ${table('act_deliveries')}`);
      return rows.every((row) => row.status === 'done') ? rows.map((row) => row.status) : undefined;
    });
    expect(statuses).toEqual(['done', 'done']);
  });

  it('GET /health reports the database and the sources', async () => {
    const response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    const health = (await response.json()) as { database: { ok: boolean }; sources: { source: string }[] };
    expect(health.database.ok).toBe(true);
    expect(health.sources.map((figure) => figure.source).sort()).toEqual(['ghl', 'xero']);
  });
});
