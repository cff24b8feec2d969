/**
 * The dashboard in a real browser: headless Debian chromium driven by
 * playwright-core, against a real server (node:http, the webhook handler, a
 * worker, PGlite state with LISTEN/NOTIFY). A signed delivery shows up in the
 * live feed within a second; a dead letter is replayed from its button; the
 * freshness table grades the tenant. Screenshots land in test-artifacts/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createTemplateConnector } from '@act/connector-template';
import {
  type ConnectorV1,
  createMemorySyncStore,
  createScheduler,
  createWebhookHandler,
  createWorker,
  TransformError,
  type Worker,
} from '@act/core';
import { toNodeHandler } from '@act/core/node';
import { createPostgresState, type PostgresState } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard } from '../src/dashboard/index.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const SECRET = 'dashboard-test-secret';
const TOKEN = 'browser-test-dashboard-token';
const hasChromium = existsSync(CHROMIUM);

if (!hasChromium) {
  console.warn(`[dashboard.browser.test] skipped: ${CHROMIUM} does not exist (apt-get install chromium to run it)`);
}

async function sign(body: string, now = Date.now()): Promise<string> {
  const timestamp = Math.floor(now / 1000);
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(SECRET),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${timestamp}.${body}`)));
  return `t=${timestamp},v1=${Buffer.from(mac).toString('hex')}`;
}

let sequence = 0;
function recordBody(account: string, recordId: string, name: string): string {
  sequence += 1;
  const at = new Date().toISOString();
  return JSON.stringify({
    id: `evt_dash_${sequence}_${Date.now()}`,
    type: 'record.updated',
    account_id: account,
    created_at: at,
    data: { object: { id: recordId, name, email: `${recordId}@example.com`, status: 'active', updated_at: at } },
  });
}

describe.skipIf(!hasChromium)('dashboard in headless chromium', () => {
  let db: PGlite;
  let state: PostgresState;
  let server: Server;
  let worker: Worker;
  let browser: Browser;
  let page: Page;
  let base: string;
  let failing = false;
  const pageErrors: string[] = [];
  const commits = new Map<string, number>();
  let stopWatching: (() => Promise<void>) | undefined;

  async function post(body: string): Promise<{ status: number; id: string }> {
    const response = await fetch(`${base}/webhooks/template`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-template-signature': await sign(body) },
      body,
    });
    const answer = (await response.json()) as { id: string };
    return { status: response.status, id: answer.id };
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = new PGlite();
    state = createPostgresState({ pglite: db });
    const template = createTemplateConnector({
      webhookSecrets: [SECRET],
      apiToken: 'unused',
      baseUrl: 'http://127.0.0.1:9/template-api',
    });
    // A transform that fails while `failing` is set: its deliveries are dead-lettered at once.
    const connector: ConnectorV1 = {
      ...template,
      transformer: {
        ...template.transformer,
        transform(event, context) {
          if (failing && event.entityId.startsWith('rec_boom')) {
            throw new TransformError({ packageName: 'dashboard-test', message: 'name "Boom" is not allowed' });
          }
          return template.transformer.transform(event as never, context);
        },
      },
    } as ConnectorV1;
    await state.migrate({ connectors: [connector] });

    const webhook = createWebhookHandler({ processor: template.webhook, store: state.store });
    // The Sync table reads the scheduler's status; its loop is not started (nothing here answers the poller).
    const scheduler = createScheduler({
      connectors: [connector],
      store: state.store,
      sink: state.sink,
      sync: createMemorySyncStore(),
    });
    await scheduler.connect({ source: 'template', tenant: 'acct_north' });
    const dashboard = createDashboard({
      state,
      connectors: [connector],
      token: TOKEN,
      sync: scheduler,
      outbox: state.outbox,
    });
    server = createServer(
      toNodeHandler(async (request) => {
        const answer = await dashboard(request);
        if (answer) return answer;
        if (new URL(request.url).pathname === '/webhooks/template') return webhook(request);
        return new Response('not found', { status: 404 });
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    worker = createWorker({ connectors: [connector], store: state.store, sink: state.sink, idleDelayMs: 20 });
    worker.start();
    // The moment each event commits, as LISTEN/NOTIFY tells this process.
    stopWatching = await state.subscribe((event) => {
      if (!commits.has(event.entityId)) commits.set(event.entityId, Date.now());
    });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    // Record when each feed row appears, by the browser's clock (the same machine's).
    await page.addInitScript(() => {
      const seen: Record<string, number> = {};
      (window as unknown as { __seen: Record<string, number> }).__seen = seen;
      new MutationObserver((mutations) => {
        for (const mutation of mutations) {
          for (const node of mutation.addedNodes) {
            if (node instanceof HTMLTableRowElement && node.closest('#feed') && node.dataset.entityId) {
              seen[node.dataset.entityId] ??= Date.now();
            }
          }
        }
      }).observe(document, { childList: true, subtree: true });
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await stopWatching?.();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await state?.close();
    await db?.close();
  });

  it('shows a delivered event in the live feed within a second, grades freshness, and replays a dead letter', async () => {
    // Some history first, for the chart and the feed's initial load.
    for (let index = 0; index < 4; index++) {
      expect((await post(recordBody('acct_north', `rec_hist_${index}`, `History ${index}`))).status).toBe(200);
    }
    await expect.poll(() => commits.size, { timeout: 10_000 }).toBe(4);

    // The printed URL: the token becomes an HttpOnly cookie and the address bar loses it.
    await page.goto(`${base}/?token=${TOKEN}`);
    expect(new URL(page.url()).search).toBe('');
    await page.waitForSelector('#connection[data-state="live"]', { timeout: 10_000 });
    await page.waitForSelector('#feed tr[data-entity-id="rec_hist_3"]', { timeout: 5_000 });

    // The event under test.
    const sentAt = Date.now();
    expect((await post(recordBody('acct_north', 'rec_live_1', 'Ada Lovelace'))).status).toBe(200);
    await page.waitForFunction(
      () => (window as unknown as { __seen: Record<string, number> }).__seen.rec_live_1,
      null,
      {
        timeout: 5_000,
      },
    );
    const seenAt = (await page.evaluate(
      () => (window as unknown as { __seen: Record<string, number> }).__seen.rec_live_1,
    )) as number;
    const committedAt = commits.get('rec_live_1');
    expect(committedAt).toBeDefined();
    const fromCommit = seenAt - (committedAt as number);
    const fromSend = seenAt - sentAt;
    console.info(`[dashboard] feed row ${fromCommit} ms after the commit, ${fromSend} ms after the POST`);
    expect(fromCommit).toBeLessThan(1_000);
    expect(fromSend).toBeLessThan(1_000);
    const liveRow = page.locator('#feed tr[data-entity-id="rec_live_1"]');
    await expect.poll(() => liveRow.locator('td').nth(1).textContent()).toBe('template');
    expect(await liveRow.locator('td').nth(2).textContent()).toBe('acct_north');

    // Freshness per source and tenant, graded.
    const freshness = page.locator('#freshness tr[data-source="template"][data-tenant="acct_north"] .status');
    await freshness.waitFor({ timeout: 5_000 });
    expect(['green', 'amber', 'red']).toContain(await freshness.textContent());
    expect(await freshness.textContent()).toBe('green');

    // The scheduler's view of the connected tenant: its stream, kept fresh by webhooks, never polled yet.
    const sync = page.locator('#sync tr[data-source="template"][data-tenant="acct_north"][data-stream="records"]');
    await sync.waitFor({ timeout: 5_000 });
    expect(await page.locator('#sync-section').isVisible()).toBe(true);
    expect(await sync.locator('td').nth(4).textContent()).toBe('webhooks');
    expect(await sync.locator('td').nth(6).textContent()).toBe('never');

    // A dead letter, replayed from the page.
    failing = true;
    const boom = await post(recordBody('acct_south', 'rec_boom_1', 'Boom'));
    expect(boom.status).toBe(200);
    await expect.poll(async () => (await state.store.getDelivery(boom.id))?.status, { timeout: 10_000 }).toBe('dead');
    const button = page.locator(`#dead-letters tr[data-id="${boom.id}"] button.replay`);
    await button.waitFor({ timeout: 5_000 });
    expect(await page.locator(`#dead-letters tr[data-id="${boom.id}"] td.error`).textContent()).toContain(
      'name "Boom" is not allowed',
    );
    await page
      .locator('#freshness tr[data-source="template"][data-tenant="acct_south"][data-status="amber"]')
      .waitFor({ timeout: 5_000 });
    await expect.poll(() => page.locator('#inbox-dead').textContent(), { timeout: 5_000 }).toBe('1');
    await page.screenshot({ path: `${ARTIFACTS}dashboard-dead-letter.png`, fullPage: true });

    failing = false;
    await button.click();
    await expect.poll(async () => (await state.store.getDelivery(boom.id))?.status, { timeout: 10_000 }).toBe('done');
    await page.locator('#feed tr[data-entity-id="rec_boom_1"]').waitFor({ timeout: 5_000 });
    await page.locator(`#dead-letters tr[data-id="${boom.id}"]`).waitFor({ state: 'detached', timeout: 5_000 });
    expect(await page.locator('#dead-empty').isVisible()).toBe(true);
    await expect.poll(() => page.locator('#inbox-dead').textContent(), { timeout: 5_000 }).toBe('0');
    const [attempts, records] = await Promise.all([
      state.store.listAttempts(boom.id),
      db.query<{ name: string }>(`select name from template_records where id = 'rec_boom_1'`),
    ]);
    expect(attempts.map((attempt) => attempt.outcome)).toEqual(['dead', 'done']);
    expect(records.rows).toEqual([{ name: 'Boom' }]);

    // The outbox: a forward its receiver refused for good, dead, replayed from the page.
    const [forward] = await state.outbox.enqueue([
      { destination: 'verity', key: 'rec_live_1:0', tenant: 'acct_north', payload: { id: 'rec_live_1' } },
    ]);
    const [claimed] = await state.outbox.claim({ owner: 'test', limit: 1, leaseMs: 60_000 });
    expect(claimed?.id).toBe(forward?.id);
    await state.outbox.fail({
      id: claimed?.id ?? '',
      claimToken: claimed?.claimToken ?? '',
      error: 'receiver answered 410 Gone',
      errorClass: 'validation',
      retryAt: null,
      countsTowardsSchedule: true,
    });
    const outboxRow = page.locator('#outbox tr[data-destination="verity"][data-status="amber"]');
    await outboxRow.waitFor({ timeout: 5_000 });
    expect(await outboxRow.locator('td').nth(4).textContent()).toBe('1');
    const outboxButton = page.locator(`#outbox-dead tr[data-id="${forward?.id}"] button.replay`);
    await outboxButton.waitFor({ timeout: 5_000 });
    await page.screenshot({ path: `${ARTIFACTS}dashboard-outbox.png`, fullPage: true });
    await outboxButton.click();
    await expect
      .poll(async () => (await state.outbox.get(forward?.id ?? ''))?.status, { timeout: 5_000 })
      .toBe('pending');
    await page.locator('#outbox tr[data-destination="verity"][data-status="green"]').waitFor({ timeout: 5_000 });

    // The latency chart has points by now.
    await expect.poll(() => page.locator('#latency polyline').count(), { timeout: 5_000 }).toBe(2);

    await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });
    expect(existsSync(`${ARTIFACTS}dashboard.png`)).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
