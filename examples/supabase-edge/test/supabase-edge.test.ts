/**
 * The Edge Function under real Deno (the `deno` npm package), over real HTTP:
 *
 * - the function's `npm:@act/*` specifiers resolve to this workspace's builds
 *   through `--node-modules-dir=manual` (see the README);
 * - SUPABASE_URL points at the PostgREST stand-in of @act/sink-supabase/testing
 *   in front of a real Postgres, where the migrations ran beforehand with the
 *   `act migrate` CLI of @act/cli, as the README tells users to;
 * - XERO_BASE_URL points at a stub of Xero's Accounting API, and the tenant's
 *   OAuth tokens are put in the credential store as the connect flow would.
 *
 * Needs DATABASE_URL (CI sets it): there is no embedded database on the
 * PostgREST path. Each run works in a schema of its own, dropped afterwards.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createPostgresState } from '@act/sink-supabase';
import { type PostgrestStandIn, poolTransaction, startPostgrestStandIn } from '@act/sink-supabase/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) {
  console.warn(
    '[example-supabase-edge] skipped: DATABASE_URL is not set (the Edge Function stores through a PostgREST stand-in in front of a real Postgres)',
  );
}

const exampleDir = fileURLToPath(new URL('../', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const denoBin = `${repoRoot}node_modules/.bin/deno`;
const FUNCTION = 'supabase/functions/act-webhooks/index.ts';
/**
 * `npm:` specifiers resolve from ./node_modules (this workspace's links to the
 * built packages) instead of the registry. `--unstable-sloppy-imports` only
 * matters to `deno check`: linked from outside node_modules, the packages'
 * .d.ts files are read as local modules, whose `./chunk.js` imports must
 * find `./chunk.d.ts`; installed from npm they are not needed.
 */
const DENO_FLAGS = ['--node-modules-dir=manual', '--unstable-sloppy-imports'];
const denoEnv = (denoDir: string) => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  DENO_DIR: denoDir,
  DENO_NO_UPDATE_CHECK: '1',
  NO_COLOR: '1',
});

const cacheDir = `${repoRoot}node_modules/.cache`;
let denoDir: string | undefined;
beforeAll(() => {
  for (const dist of ['core', 'connector-ghl', 'connector-xero', 'sink-supabase']) {
    if (!existsSync(`${repoRoot}packages/${dist}/dist/index.js`)) {
      throw new Error(`packages/${dist}/dist is missing: build the packages first (pnpm build)`);
    }
  }
  if (!existsSync(denoBin)) throw new Error(`${denoBin} is missing: run pnpm install at the repository root`);
  mkdirSync(cacheDir, { recursive: true });
  denoDir = mkdtempSync(`${cacheDir}/deno-example-edge-`);
});
afterAll(() => {
  if (denoDir) rmSync(denoDir, { recursive: true, force: true });
});

const GHL_LOCATION = 've9EPM428h8vShlRW1KT';
const GHL_CONTACT = 'nmFmQEsNgz6AVpgLVUJ0';
const XERO_WEBHOOK_KEY = 'edge-test-webhook-key';
const XERO_TENANT = 'e629a03c-7ffe-4913-bd94-ff2fdb36a702';
const XERO_INVOICE = '44aa0707-f718-4f1c-8d53-f2da9ca59533';
const XERO_ACCESS_TOKEN = 'xero-access-token';
const TICK_SECRET = `tick-${randomUUID()}`;

/** Shaped like Supabase's legacy JWT keys, with the `service_role` claim (never verified here). */
const SERVICE_ROLE_KEY = [
  { alg: 'HS256', typ: 'JWT' },
  { iss: 'supabase', role: 'service_role' },
]
  .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
  .concat('c2lnbmF0dXJl')
  .join('.');

const signGhl = (body: string, privateKey: KeyObject) => sign(null, Buffer.from(body), privateKey).toString('base64');
const signXero = (body: string, key = XERO_WEBHOOK_KEY) => createHmac('sha256', key).update(body).digest('base64');

function ghlContactCreate(): string {
  return JSON.stringify({
    type: 'ContactCreate',
    locationId: GHL_LOCATION,
    id: GHL_CONTACT,
    firstName: 'Ada',
    lastName: 'Lovelace',
    email: ' Ada@Example.com ',
    tags: ['Edge'],
    dateAdded: '2021-11-26T12:41:02.193Z',
    timestamp: new Date().toISOString(),
    webhookId: randomUUID(),
  });
}

const xeroIntentToReceive = `{"events":[],"firstEventSequence": 0,"lastEventSequence": 0, "entropy": "LUWDSUDGSWNZVALZXBEV"}`;
const xeroInvoiceUpdate = `{"events":[{"resourceUrl":"https://api.xero.com/api.xro/2.0/Invoices/${XERO_INVOICE}","resourceId":"${XERO_INVOICE}","eventDateUtc":"2019-03-07T17:59:28.133","eventType":"UPDATE","eventCategory":"INVOICE","tenantId":"${XERO_TENANT}","tenantType":"ORGANISATION"}],"firstEventSequence": 5,"lastEventSequence": 5, "entropy": "QWERTYUIOPASDFGHJKLZ"}`;

/** GET /Invoices/{id} of Xero's Accounting API, for the worker's fetch-on-notify. */
async function startXeroApi(): Promise<{ server: Server; baseUrl: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((request, response) => {
    requests.push(request);
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.headers.authorization !== `Bearer ${XERO_ACCESS_TOKEN}`) return void response.writeHead(401).end();
    if (request.headers['xero-tenant-id'] !== XERO_TENANT || path !== `/api.xro/2.0/Invoices/${XERO_INVOICE}`) {
      return void response.writeHead(404).end();
    }
    const invoice = {
      Type: 'ACCREC',
      InvoiceID: XERO_INVOICE,
      InvoiceNumber: 'INV-0777',
      Status: 'PAID',
      Contact: { ContactID: '430fa14a-f945-44d3-9f97-5df5e28441b8', Name: 'Liam Gallagher' },
      Date: '/Date(1551916800000+0000)/',
      Total: 230,
      AmountDue: 0,
      AmountPaid: 230,
      CurrencyCode: 'NZD',
      UpdatedDateUTC: '/Date(1551981568133+0000)/',
    };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Invoices: [invoice] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, baseUrl: `http://127.0.0.1:${port}/api.xro/2.0`, requests };
}

interface RunningFunction {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** `deno run` the function on an ephemeral port (DENO_SERVE_ADDRESS), as `supabase functions serve` would. */
function startFunction(env: Record<string, string>, denoDir: string): Promise<RunningFunction> {
  const child = spawn(
    denoBin,
    ['run', ...DENO_FLAGS, '--no-prompt', '--allow-net', '--allow-env', '--allow-read', FUNCTION],
    {
      cwd: exampleDir,
      env: { ...denoEnv(denoDir), DENO_SERVE_ADDRESS: 'tcp:127.0.0.1:0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`deno did not start within 60 s:\n${output}`));
    }, 60_000);
    const onData = (chunk: string) => {
      output += chunk;
      const url = /Listening on (http:\/\/[^\s/]+)\//.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, output: () => output, stop });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`deno exited (${code}) before listening:\n${output}`));
    });
  });
}

/** POST to the function as a provider would; hosted, it sees /act-webhooks/<route> (Supabase strips /functions/v1). */
async function post(fn: RunningFunction | undefined, route: string, body: string, headers: Record<string, string>) {
  const response = await fetch(`${fn?.url}/act-webhooks/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, body: await response.text(), retryAfter: response.headers.get('retry-after') };
}

/** POST the tick route as pg_cron's `net.http_post` does: JSON content type, empty JSON body, the bearer. */
async function tick(fn: RunningFunction | undefined, authorization?: string) {
  const response = await fetch(`${fn?.url}/act-webhooks/_act/tick`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: '{}',
  });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) as unknown };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, details = () => '', timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${details()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const ghlKeys = generateKeyPairSync('ed25519');
const strangerKeys = generateKeyPairSync('ed25519');
const ghlPublicKeyPem = ghlKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const offByOne = (signature: string) =>
  `${signature.slice(0, 5)}${signature[5] === 'A' ? 'B' : 'A'}${signature.slice(6)}`;

it('type-checks under Deno (deno check)', () => {
  const check = spawnSync(denoBin, ['check', ...DENO_FLAGS, FUNCTION], {
    cwd: exampleDir,
    env: denoEnv(denoDir as string),
    encoding: 'utf8',
    timeout: 90_000,
  });
  expect(check.status, `${check.stdout}\n${check.stderr}`).toBe(0);
});

// No database needed: signature checks and Xero's intent-to-receive never
// touch the inbox, and an unreachable Supabase shows the answers providers
// retry on.
describe('the act-webhooks function under Deno, Supabase unreachable', () => {
  let fn: RunningFunction | undefined;

  beforeAll(async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    fn = await startFunction(
      {
        SUPABASE_URL: `http://127.0.0.1:${port}`,
        SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY,
        GHL_ACCESS_TOKEN: 'pit-test-token',
        GHL_WEBHOOK_ED25519_PUBLIC_KEYS: ghlPublicKeyPem,
        XERO_WEBHOOK_KEY,
      },
      denoDir as string,
    );
  }, 90_000);
  afterAll(async () => fn?.stop());

  it('refuses bad signatures with 401; unknown routes are 404', async () => {
    const body = ghlContactCreate();
    expect((await post(fn, 'ghl', body, { 'x-ghl-signature': signGhl(body, strangerKeys.privateKey) })).status).toBe(
      401,
    );
    expect((await post(fn, 'ghl', body, {})).status).toBe(401);
    const xero = await post(fn, 'xero', xeroInvoiceUpdate, {
      'x-xero-signature': signXero(xeroInvoiceUpdate, 'wrong'),
    });
    expect(xero).toMatchObject({ status: 401, body: '' });
    expect((await post(fn, 'stripe', body, {})).status).toBe(404);
  });

  it("answers Xero's intent-to-receive (200 / 401, empty bodies) without the database", async () => {
    const signature = signXero(xeroIntentToReceive);
    expect(await post(fn, 'xero', xeroIntentToReceive, { 'x-xero-signature': signature })).toMatchObject({
      status: 200,
      body: '',
    });
    expect(await post(fn, 'xero', xeroIntentToReceive, { 'x-xero-signature': offByOne(signature) })).toMatchObject({
      status: 401,
      body: '',
    });
  });

  it('a delivery it cannot store is answered so the provider retries: 429 for GoHighLevel, 503 for Xero', async () => {
    const body = ghlContactCreate();
    const ghl = await post(fn, 'ghl', body, { 'x-ghl-signature': signGhl(body, ghlKeys.privateKey) });
    expect(ghl.status, ghl.body).toBe(429);
    expect(ghl.retryAfter).toBe('10');
    const xero = await post(fn, 'xero', xeroInvoiceUpdate, { 'x-xero-signature': signXero(xeroInvoiceUpdate) });
    expect(xero.status).toBe(503);
    expect(xero.body).toBe('');
  });

  it('without ACT_TICK_SECRET the tick route is not mounted (fail closed): 404 even with a bearer', async () => {
    expect((await tick(fn)).status).toBe(404);
    expect((await tick(fn, `Bearer ${TICK_SECRET}`)).status).toBe(404);
  });
});

describe.skipIf(!DATABASE_URL)('the act-webhooks function under Deno, on Postgres behind a PostgREST stand-in', () => {
  const schema = `act_example_edge_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  let pool: pg.Pool | undefined;
  let postgrest: PostgrestStandIn | undefined;
  let xeroApi: Awaited<ReturnType<typeof startXeroApi>> | undefined;
  let fn: RunningFunction | undefined;

  const db = () => pool as pg.Pool;
  const table = (name: string) => `"${schema}".${name}`;
  const deliveries = async () =>
    (await db().query<{ source: string }>(`select source from ${table('act_deliveries')} order by id`)).rows.map(
      (row) => row.source,
    );

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 6 });
    // An idle connection dropped by the server (57P01 on a restart) must not crash the process.
    pool.on('error', (error) => console.error(`postgres pool: ${error.message}`));

    // What the README tells users to run once: `act migrate` of @act/cli.
    const migrate = spawnSync(
      process.execPath,
      ['node_modules/@act/cli/dist/bin.js', 'migrate', '--schema', schema, '--source', 'ghl', '--source', 'xero'],
      { cwd: exampleDir, env: { ...process.env, DATABASE_URL }, encoding: 'utf8', timeout: 60_000 },
    );
    expect(migrate.status, `${migrate.stdout}\n${migrate.stderr}`).toBe(0);

    // What the Xero connect flow saves for each connected organisation.
    const state = createPostgresState({ pool }, { schema });
    await state.credentials.put(`xero:${XERO_TENANT}`, {
      accessToken: XERO_ACCESS_TOKEN,
      refreshToken: 'xero-refresh-token',
      expiresAt: Date.now() + 30 * 60_000,
    });
    await state.close();

    postgrest = await startPostgrestStandIn({
      transaction: poolTransaction(pool),
      schema,
      serviceKey: SERVICE_ROLE_KEY,
    });
    xeroApi = await startXeroApi();
    fn = await startFunction(
      {
        // Injected by Supabase into every function.
        SUPABASE_URL: postgrest.url,
        SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY,
        // The function's secrets.
        GHL_ACCESS_TOKEN: 'pit-test-token',
        GHL_WEBHOOK_ED25519_PUBLIC_KEYS: ghlPublicKeyPem,
        XERO_WEBHOOK_KEY,
        XERO_CLIENT_ID: 'xero-client-id',
        XERO_CLIENT_SECRET: 'xero-client-secret',
        XERO_BASE_URL: xeroApi.baseUrl,
        // Never the internet: a poll job planned for a tenant the deliveries name fails here instead.
        GHL_BASE_URL: 'http://127.0.0.1:9',
        ACT_TICK_SECRET: TICK_SECRET,
      },
      denoDir as string,
    );
  }, 120_000);

  afterAll(async () => {
    await fn?.stop();
    await postgrest?.close();
    await new Promise((resolve) => (xeroApi ? xeroApi.server.close(resolve) : resolve(undefined)));
    if (pool) {
      await pool.query(`drop schema if exists "${schema}" cascade`);
      await pool.end();
    }
  });

  // First, before any delivery names a tenant: the round has nothing to run yet.
  it('the tick route (what act_schedule_tick calls) runs a scheduler round only with ACT_TICK_SECRET', async () => {
    const missing = await tick(fn);
    expect(missing.status).toBe(401);
    expect(missing.text).toContain('Authorization: Bearer');
    expect((await tick(fn, `Bearer ${TICK_SECRET}x`)).status).toBe(401);
    expect((await tick(fn, `Basic ${TICK_SECRET}`)).status).toBe(401);

    const answer = await tick(fn, `Bearer ${TICK_SECRET}`);
    expect(answer.status, `${answer.text}\n${fn?.output()}`).toBe(200);
    const summary = answer.json() as { leader: boolean; ran: { key: string; outcome: string; error?: string }[] };
    expect(summary).toMatchObject({ leader: true, ran: expect.any(Array) });
    // No tenant is connected yet; what runs (retention, when the state keeps it) must succeed.
    for (const run of summary.ran) expect(run, JSON.stringify(run)).toMatchObject({ outcome: 'ok' });
    // The round released the leader lease: the next cron call leads again.
    expect((await tick(fn, `Bearer ${TICK_SECRET}`)).json()).toMatchObject({ leader: true });
  });

  it('refuses bad signatures with 401 and stores nothing', async () => {
    const body = ghlContactCreate();
    expect((await post(fn, 'ghl', body, { 'x-ghl-signature': signGhl(body, strangerKeys.privateKey) })).status).toBe(
      401,
    );
    const xero = await post(fn, 'xero', xeroInvoiceUpdate, {
      'x-xero-signature': signXero(xeroInvoiceUpdate, 'wrong'),
    });
    expect(xero).toMatchObject({ status: 401, body: '' });
    const signature = signXero(xeroIntentToReceive);
    expect((await post(fn, 'xero', xeroIntentToReceive, { 'x-xero-signature': signature })).status).toBe(200);
    expect((await post(fn, 'xero', xeroIntentToReceive, { 'x-xero-signature': offByOne(signature) })).status).toBe(401);
    expect(await deliveries()).toEqual([]);
  });

  it('GoHighLevel: a signed ContactCreate is stored through supabase-js (200) and drained into ghl_contacts', async () => {
    const body = ghlContactCreate();
    const answer = await post(fn, 'ghl', body, { 'x-ghl-signature': signGhl(body, ghlKeys.privateKey) });
    expect(answer.status, answer.body).toBe(200);
    expect(await deliveries()).toEqual(['ghl']);
    expect(postgrest?.calls).toContain('POST /rest/v1/rpc/act_enqueue');

    const contact = await waitFor(
      'the ghl_contacts row',
      async () =>
        (
          await db().query(`select * from ${table('ghl_contacts')} where location_id = $1 and id = $2`, [
            GHL_LOCATION,
            GHL_CONTACT,
          ])
        ).rows[0],
      () => fn?.output() ?? '',
    );
    expect(contact).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' });
  });

  it('Xero: a signed INVOICE.UPDATE is stored (200, empty body), fetched from the API and written to xero_invoices', async () => {
    const answer = await post(fn, 'xero', xeroInvoiceUpdate, { 'x-xero-signature': signXero(xeroInvoiceUpdate) });
    expect(answer).toMatchObject({ status: 200, body: '' });

    const invoice = await waitFor(
      'the xero_invoices row',
      async () =>
        (
          await db().query(`select * from ${table('xero_invoices')} where tenant_id = $1 and id = $2`, [
            XERO_TENANT,
            XERO_INVOICE,
          ])
        ).rows[0],
      () => fn?.output() ?? '',
    );
    expect(invoice).toMatchObject({ invoice_number: 'INV-0777', status: 'PAID', contact_name: 'Liam Gallagher' });
    expect(Number(invoice.total)).toBe(230);
    expect(xeroApi?.requests.map((request) => request.url)).toContain(`/api.xro/2.0/Invoices/${XERO_INVOICE}`);

    const statuses = await waitFor('both deliveries done', async () => {
      const { rows } = await db().query<{ status: string }>(`select status from ${table('act_deliveries')}`);
      return rows.every((row) => row.status === 'done') ? rows.map((row) => row.status) : undefined;
    });
    expect(statuses).toEqual(['done', 'done']);
  });
});
