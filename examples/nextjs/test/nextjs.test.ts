// Builds the example with `next build`, starts it with `next start` and posts
// signed deliveries over real HTTP: GoHighLevel (Ed25519) and Xero
// (HMAC-SHA256, intent-to-receive). The worker started by instrumentation.ts
// writes the mirror row. Needs Postgres (DATABASE_URL); CI sets it.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DATABASE_URL = process.env.DATABASE_URL;
const appDir = fileURLToPath(new URL('..', import.meta.url));
const nextBin = fileURLToPath(new URL('../node_modules/next/dist/bin/next', import.meta.url));

const schema = `act_nextjs_${randomBytes(4).toString('hex')}`;
const locationId = 've9EPM428h8vShlRW1KT';
const xeroKey = `test-xero-webhook-key-${randomBytes(8).toString('base64')}`;
const cronSecret = randomBytes(16).toString('hex');
const tickSecret = randomBytes(16).toString('hex');
const ghlKeys = generateKeyPairSync('ed25519');
const strangerKeys = generateKeyPairSync('ed25519');

if (!DATABASE_URL) {
  console.warn(
    '[example-nextjs] DATABASE_URL is not set: skipping the Next.js build-and-serve test (it needs Postgres)',
  );
}

describe.skipIf(!DATABASE_URL)('examples/nextjs: next build && next start, signed deliveries over HTTP', () => {
  let pool: pg.Pool;
  let server: ChildProcess | undefined;
  let serverOutput = '';
  let baseUrl = '';

  const env = (): NodeJS.ProcessEnv => ({
    ...process.env,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    DATABASE_URL,
    ACT_SCHEMA: schema,
    GHL_ACCESS_TOKEN: 'test-private-integration-token',
    // The worker never calls GHL for a full-payload webhook; if it tried, it would fail here, not on the internet.
    GHL_BASE_URL: 'http://127.0.0.1:9',
    GHL_WEBHOOK_ED25519_PUBLIC_KEYS: ghlKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    XERO_WEBHOOK_KEY: xeroKey,
    CRON_SECRET: cronSecret,
    ACT_TICK_SECRET: tickSecret,
  });

  beforeAll(async () => {
    if (!existsSync(new URL('../node_modules/@act/core/dist/index.js', import.meta.url))) {
      throw new Error('@act/core has no dist: run `pnpm build` at the repository root first');
    }
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    // An idle connection dropped by the server (57P01 on a restart) must not crash the process.
    pool.on('error', (error) => console.error(`postgres pool: ${error.message}`));
    await pool.query(`create schema ${schema}`);

    const started = Date.now();
    await run(process.execPath, ['scripts/migrate.ts'], env());
    const migrated = Date.now();
    // A build needs no database and no secrets: the handlers are created on the first request.
    const { DATABASE_URL: _, ...buildEnv } = process.env;
    await run(process.execPath, [nextBin, 'build'], {
      ...buildEnv,
      NEXT_TELEMETRY_DISABLED: '1',
      NODE_ENV: 'production',
    });
    const built = Date.now();

    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, [nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'], {
      cwd: appDir,
      env: env(),
      detached: true, // its own process group, so afterAll stops everything it started
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (chunk) => (serverOutput += chunk));
    server.stderr?.on('data', (chunk) => (serverOutput += chunk));
    await waitFor(async () => {
      if (server?.exitCode !== null) throw new Error(`next start exited:\n${serverOutput}`);
      const response = await fetch(`${baseUrl}/api/webhooks/nope`, { method: 'POST' }).catch(() => undefined);
      return response !== undefined; // listening; the tests check the answers
    }, 30_000).catch((error: Error) => {
      throw new Error(`${error.message}; next start said:\n${serverOutput}`);
    });
    console.info(
      `[example-nextjs] migrate ${migrated - started} ms, next build ${built - migrated} ms, next start ${Date.now() - built} ms`,
    );
  });

  afterAll(async () => {
    if (server?.pid !== undefined && server.exitCode === null) {
      const exited = once(server, 'exit');
      try {
        process.kill(-server.pid, 'SIGTERM');
      } catch {}
      const timer = setTimeout(() => {
        try {
          if (server?.pid !== undefined) process.kill(-server.pid, 'SIGKILL');
        } catch {}
      }, 5_000);
      await exited;
      clearTimeout(timer);
    }
    await pool?.query(`drop schema if exists ${schema} cascade`);
    await pool?.end();
  });

  const ghlContact = (overrides: Record<string, unknown> = {}) =>
    JSON.stringify({
      type: 'ContactCreate',
      locationId,
      id: `c_${randomBytes(6).toString('hex')}`,
      email: 'Ada@Example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      dateAdded: new Date().toISOString(),
      tags: ['storyteller'],
      timestamp: new Date().toISOString(),
      webhookId: randomUUID(),
      ...overrides,
    });

  const post = (path: string, body: string, headers: Record<string, string>) =>
    fetch(`${baseUrl}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  it('stores a GHL delivery signed with Ed25519, and the worker writes ghl_contacts', async () => {
    const body = ghlContact();
    const { id } = JSON.parse(body) as { id: string };
    const signature = sign(null, Buffer.from(body), ghlKeys.privateKey).toString('base64');

    const response = await post('/api/webhooks/ghl', body, { 'x-ghl-signature': signature });
    expect(response.status, serverOutput).toBe(200);
    expect(await response.json()).toMatchObject({ received: true, duplicate: false });

    const inbox = await pool.query(`select source, tenant from ${schema}.act_deliveries where source = 'ghl'`);
    expect(inbox.rows).toEqual([{ source: 'ghl', tenant: locationId }]);

    // The redelivery is acknowledged and not stored twice.
    const again = await post('/api/webhooks/ghl', body, { 'x-ghl-signature': signature });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });

    // instrumentation.ts started the worker in the server process.
    const row = await waitFor(async () => {
      const { rows } = await pool.query(
        `select location_id, id, email, first_name from ${schema}.ghl_contacts where id = $1`,
        [id],
      );
      return rows[0];
    }, 20_000);
    expect(row).toEqual({ location_id: locationId, id, email: 'ada@example.com', first_name: 'Ada' });
    // The row commits first, then the delivery's completion (its own transaction): wait for that too.
    const status = await waitFor(async () => {
      const { rows } = await pool.query(`select status from ${schema}.act_deliveries where source = 'ghl'`);
      return rows[0]?.status === 'done' ? rows : undefined;
    }, 20_000);
    expect(status).toEqual([{ status: 'done' }]);
  });

  it('answers 401 to a GHL delivery signed with another key, and stores nothing', async () => {
    const body = ghlContact();
    const signature = sign(null, Buffer.from(body), strangerKeys.privateKey).toString('base64');
    const before = await countDeliveries('ghl');

    expect((await post('/api/webhooks/ghl', body, { 'x-ghl-signature': signature })).status).toBe(401);
    expect((await post('/api/webhooks/ghl', body, {})).status).toBe(401);
    expect(await countDeliveries('ghl')).toBe(before);
  });

  it('passes Xero intent-to-receive: signed → 200 with an empty body, mis-signed → 401', async () => {
    const body = JSON.stringify({ events: [], firstEventSequence: 0, lastEventSequence: 0, entropy: 'S0M3R4ND0MT3XT' });
    const good = createHmac('sha256', xeroKey).update(body).digest('base64');
    const bad = createHmac('sha256', `${xeroKey}-wrong`).update(body).digest('base64');

    const ok = await post('/api/webhooks/xero', body, { 'x-xero-signature': good });
    expect(ok.status, serverOutput).toBe(200);
    expect(await ok.text()).toBe('');

    const refused = await post('/api/webhooks/xero', body, { 'x-xero-signature': bad });
    expect(refused.status).toBe(401);
    expect(await refused.text()).toBe('');
    expect(refused.headers.get('set-cookie')).toBeNull();

    expect(await countDeliveries('xero')).toBe(0); // intent-to-receive never touches the inbox
  });

  it('the tick route runs a scheduler round and drains the inbox, only with ACT_TICK_SECRET or CRON_SECRET', async () => {
    const tick = (method: 'GET' | 'POST', authorization?: string) =>
      fetch(`${baseUrl}/api/act/tick`, { method, ...(authorization ? { headers: { authorization } } : {}) });
    expect((await tick('POST')).status).toBe(401);
    expect((await tick('POST', `Bearer ${tickSecret}x`)).status).toBe(401);
    expect((await tick('GET', `Bearer ${cronSecret}x`)).status).toBe(401);
    expect((await tick('POST', `Basic ${tickSecret}`)).status).toBe(401);

    // pg_cron, GitHub Actions, …: POST with ACT_TICK_SECRET.
    const posted = await tick('POST', `Bearer ${tickSecret}`);
    expect(posted.status, serverOutput).toBe(200);
    // leader: the route's round shares the scheduler (and its lease) with the loop instrumentation.ts started.
    expect(await posted.json()).toMatchObject({
      leader: true,
      ran: expect.any(Array),
      drained: { claimed: expect.any(Number), outcomes: { dead: 0 } },
    });
    // Vercel Cron: GET with CRON_SECRET.
    const cron = await tick('GET', `Bearer ${cronSecret}`);
    expect(cron.status, serverOutput).toBe(200);
    expect(await cron.json()).toMatchObject({ leader: true, drained: { outcomes: { dead: 0 } } });
  });

  it('runs the scheduler loop in the server process: it holds the leader lease in Postgres', async () => {
    const lease = await waitFor(async () => {
      const { rows } = await pool.query(`select owner, expires_at from ${schema}.act_leases where name = 'scheduler'`);
      return rows[0] && new Date(rows[0].expires_at) > new Date() ? rows[0] : undefined;
    }, 15_000);
    expect(lease.owner).toMatch(/^scheduler-/);
  });

  it('answers 404 for a source it does not know', async () => {
    const response = await post('/api/webhooks/stripe', '{}', {});
    expect(response.status).toBe(404);
  });

  async function countDeliveries(source: string): Promise<number> {
    const { rows } = await pool.query(`select count(*)::int as n from ${schema}.act_deliveries where source = $1`, [
      source,
    ]);
    return rows[0].n;
  }
});

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`)),
    );
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
