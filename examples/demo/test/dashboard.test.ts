/**
 * The dashboard's handler without a browser: routing, the JSON APIs on the
 * in-memory state store, replay, and the server-sent event stream (live
 * subscribe, polling fallback, heartbeat, clean-up on disconnect).
 */
import {
  type ConnectorV1,
  type CredentialStoreV1,
  createMemoryCredentialStore,
  createMemoryOutboxStore,
  createMemoryStateStore,
  type IntegrationEventV1,
  type NewDeliveryV1,
  type StateStoreV1,
  type SyncFreshness,
} from '@act/core';
import { describe, expect, it } from 'vitest';
import { buildHealthView, buildLatencyView, percentile } from '../src/dashboard/data.ts';
import { createDashboard, REPLAY_HEADER, realtimeSubscribe, type SubscribeFn } from '../src/dashboard/index.ts';
import type { FeedEvent, RealtimeChannelLike } from '../src/dashboard/live.ts';

const BASE = 'http://dashboard.test';
const connectors = [{ source: 'template', freshnessTargetMs: 60_000 }] as unknown as ConnectorV1[];

function delivery(key: string, overrides: Partial<NewDeliveryV1> = {}): NewDeliveryV1 {
  return {
    source: 'template',
    tenant: 'acct_1',
    dedupeKey: `template:${key}`,
    method: 'POST',
    url: `${BASE}/webhooks/template`,
    headers: { 'content-type': 'application/json' },
    body: new TextEncoder().encode(JSON.stringify({ id: key, secret: 'raw-body-never-listed' })),
    receivedAt: new Date(Date.now() - 200),
    correlationId: `corr_${key}`,
    eventTypes: ['record.updated'],
    ...overrides,
  };
}

function event(overrides: Partial<IntegrationEventV1> = {}): IntegrationEventV1 {
  return {
    source: 'template',
    tenant: 'acct_1',
    type: 'record.updated',
    entity: 'record',
    entityId: 'rec_1',
    table: 'template_records',
    outcome: 'updated',
    triggeredBy: 'webhook',
    latencyMs: 42,
    createdAt: new Date(),
    ...overrides,
  };
}

/** A store with one applied delivery (one event) and one dead letter. */
async function seededStore(): Promise<{ store: StateStoreV1; deadId: string }> {
  const store = createMemoryStateStore();
  await store.enqueue(delivery('ok'));
  const [ok] = await store.claim({ owner: 'test', limit: 1, leaseMs: 60_000 });
  if (!ok) throw new Error('nothing claimed');
  await store.complete({
    id: ok.id,
    claimToken: ok.claimToken,
    events: [event({ deliveryId: ok.id, correlationId: ok.correlationId, summary: { name: '<img src=x>' } })],
    startedAt: new Date(),
  });
  const { id: deadId } = await store.enqueue(delivery('bad', { tenant: 'acct_2' }));
  const [bad] = await store.claim({ owner: 'test', limit: 1, leaseMs: 60_000 });
  if (!bad) throw new Error('nothing claimed');
  await store.fail({
    id: bad.id,
    claimToken: bad.claimToken,
    error: 'record.name: expected string',
    errorClass: 'validation',
    retryAt: null,
    countsTowardsSchedule: true,
    startedAt: new Date(),
  });
  return { store, deadId };
}

/** The access token and the Host every request below carries (the access tests leave them out on purpose). */
const TOKEN = 'test-dashboard-token-0123456789';
const ACCESS = { token: TOKEN, allowedHosts: ['dashboard.test'] } as const;
const get = (path: string, init?: RequestInit) =>
  new Request(`${BASE}${path}`, {
    ...init,
    headers: { host: 'dashboard.test', authorization: `Bearer ${TOKEN}`, ...(init?.headers as Record<string, string>) },
  });

async function readJson(response: Response | undefined): Promise<Record<string, unknown>> {
  if (!response) throw new Error('the dashboard did not answer');
  return (await response.json()) as Record<string, unknown>;
}

/** Reads server-sent events from a response body until `predicate` matches one. */
function sseReader(response: Response) {
  if (!response.body) throw new Error('no body');
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    reader,
    async until(predicate: (block: string) => boolean, timeoutMs = 3_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const blocks = buffer.split('\n\n');
        buffer = blocks.pop() ?? '';
        for (let index = 0; index < blocks.length; index++) {
          const block = blocks[index] as string;
          if (predicate(block)) {
            buffer = `${blocks.slice(index + 1).join('\n\n')}${blocks.length > index + 1 ? '\n\n' : ''}${buffer}`;
            return block;
          }
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error(`no matching server-sent event within ${timeoutMs} ms`);
        const next = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error('timed out reading the stream')), remaining),
          ),
        ]);
        if (next.done) throw new Error('the stream ended');
        buffer += decoder.decode(next.value, { stream: true });
      }
    },
  };
}

const dataOf = (block: string) =>
  JSON.parse(
    block
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice(6))
      .join('\n'),
  ) as Record<string, unknown>;

/** A subscribe() that hands the test the handler and counts unsubscribes. */
function fakeSubscribe() {
  const handlers = new Set<(event: FeedEvent) => void | Promise<void>>();
  let unsubscribed = 0;
  const subscribe: SubscribeFn = async (handler) => {
    handlers.add(handler);
    return async () => {
      handlers.delete(handler);
      unsubscribed += 1;
    };
  };
  return {
    subscribe,
    handlers,
    get unsubscribed() {
      return unsubscribed;
    },
    emit: (value: FeedEvent) => Promise.all([...handlers].map((handler) => handler(value))),
  };
}

describe('dashboard routes', () => {
  it('serves the page and its assets, and leaves other paths alone', async () => {
    const { store } = await seededStore();
    const dashboard = createDashboard({ ...ACCESS, state: { store }, connectors });

    const page = await dashboard(get('/'));
    expect(page?.status).toBe(200);
    expect(page?.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page?.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page?.text();
    expect(html).toContain('<script src="/dashboard/app.js" defer></script>');
    expect(html).not.toMatch(/<script>(?!<\/script>)/); // no inline script: the CSP forbids it

    const script = await dashboard(get('/dashboard/app.js'));
    expect(script?.headers.get('content-type')).toMatch(/^text\/javascript/);
    const source = (await script?.text()) ?? '';
    expect(source).toContain('new EventSource');
    expect(source).not.toMatch(/innerHTML|insertAdjacentHTML|outerHTML|document\.write/);
    expect((await dashboard(get('/dashboard/app.css')))?.status).toBe(200);

    expect(await dashboard(get('/webhooks/template', { method: 'POST', body: '{}' }))).toBeUndefined();
    expect(await dashboard(get('/health'))).toBeUndefined();
    expect(await dashboard(get('/dashboardx'))).toBeUndefined();
    expect((await dashboard(get('/dashboard/nope')))?.status).toBe(404);
    expect((await dashboard(get('/dashboard/events', { method: 'POST' })))?.status).toBe(405);
  });

  it('lists events, freshness with inbox depth, dead letters without bodies, and latency', async () => {
    const { store, deadId } = await seededStore();
    await store.recordEvents([event({ source: 'ghl', tenant: 'loc_1', latencyMs: 900, triggeredBy: 'poll' })]);
    await store.recordEvents([event({ source: 'somethingelse', tenant: 't', latencyMs: 10 })]);
    const dashboard = createDashboard({ ...ACCESS, state: { store }, connectors });

    const { events } = (await readJson(await dashboard(get('/dashboard/events?limit=10')))) as {
      events: Record<string, unknown>[];
    };
    expect(events).toHaveLength(3);
    expect(events.find((item) => item.source === 'template')).toMatchObject({
      source: 'template',
      tenant: 'acct_1',
      entityId: 'rec_1',
      outcome: 'updated',
      latencyMs: 42,
      summary: { name: '<img src=x>' },
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    const health = (await readJson(await dashboard(get('/dashboard/health')))) as {
      inbox: Record<string, unknown>;
      rows: Record<string, unknown>[];
    };
    expect(health.inbox).toEqual({ pending: 0, processing: 0, dead: 1, oldestPendingAgeMs: null, conflicts: 0 });
    const bySourceTenant = Object.fromEntries(health.rows.map((row) => [`${row.source}/${row.tenant}`, row]));
    expect(bySourceTenant['template/acct_1']).toMatchObject({
      status: 'green',
      targetMs: 60_000,
      targetFrom: 'connector',
    });
    // Dead letters wait: amber.
    expect(bySourceTenant['template/acct_2']).toMatchObject({ status: 'amber', dead: 1, targetFrom: 'connector' });
    // Not a mounted connector: the target for GoHighLevel (30 s).
    expect(bySourceTenant['ghl/loc_1']).toMatchObject({ status: 'green', targetMs: 30_000, targetFrom: 'default' });
    expect(bySourceTenant['somethingelse/t']).toMatchObject({ targetMs: 300_000, targetFrom: 'fallback' });

    const { deadLetters } = (await readJson(await dashboard(get('/dashboard/dead-letters')))) as {
      deadLetters: Record<string, unknown>[];
    };
    expect(deadLetters).toEqual([
      {
        id: deadId,
        source: 'template',
        tenant: 'acct_2',
        eventTypes: ['record.updated'],
        attempts: 1,
        lastError: 'record.name: expected string',
        lastErrorClass: 'validation',
        receivedAt: expect.any(String),
        correlationId: 'corr_bad',
      },
    ]);
    expect(JSON.stringify(deadLetters)).not.toContain('raw-body-never-listed');

    const latency = await readJson(await dashboard(get('/dashboard/latency')));
    expect(latency).toMatchObject({ windowMs: 600_000, bucketMs: 10_000 });
    const points = latency.points as { count: number; p50Ms: number; p99Ms: number }[];
    expect(points.reduce((total, point) => total + point.count, 0)).toBe(3);
    expect(Math.max(...points.map((point) => point.p99Ms))).toBe(900);
  });

  it('counts conflicting redeliveries and lists them, never their bodies', async () => {
    const { store } = await seededStore();
    const dashboard = createDashboard({ ...ACCESS, state: { store }, connectors });
    expect(await readJson(await dashboard(get('/dashboard/conflicts')))).toEqual({ conflicts: [] });
    // The delivery id of the applied delivery again, with another body.
    const changed = delivery('ok', {
      body: new TextEncoder().encode(JSON.stringify({ id: 'ok', secret: 'changed-body-never-listed' })),
    });
    const { id, conflictOf } = await store.enqueue(changed);
    expect(conflictOf).toBeDefined();

    const health = (await readJson(await dashboard(get('/dashboard/health')))) as {
      inbox: Record<string, unknown>;
      rows: Record<string, unknown>[];
    };
    expect(health.inbox).toMatchObject({ pending: 1, conflicts: 1 });
    expect(health.rows.find((row) => row.tenant === 'acct_1')).toMatchObject({ conflicts: 1 });
    const { conflicts } = (await readJson(await dashboard(get('/dashboard/conflicts?limit=5')))) as {
      conflicts: Record<string, unknown>[];
    };
    expect(conflicts).toEqual([
      {
        id,
        conflictOf,
        source: 'template',
        tenant: 'acct_1',
        eventTypes: ['record.updated'],
        status: 'pending',
        receivedAt: expect.any(String),
      },
    ]);
    expect(JSON.stringify(conflicts)).not.toContain('never-listed');
    const page = (await (await dashboard(get('/')))?.text()) ?? '';
    expect(page).toContain('id="inbox-conflicts"');
    expect(page).toContain('id="conflicts"');
  });

  it('lists a mounted connector that has seen nothing yet', async () => {
    const dashboard = createDashboard({ ...ACCESS, state: { store: createMemoryStateStore() }, connectors });
    const { rows } = (await readJson(await dashboard(get('/dashboard/health')))) as { rows: unknown[] };
    expect(rows).toEqual([expect.objectContaining({ source: 'template', tenant: null, status: 'green' })]);
  });

  it("lists the scheduler's freshness per stream with ages, and says when no scheduler is given", async () => {
    const at = new Date('2026-03-01T12:00:00Z');
    const ago = (ms: number) => new Date(at.getTime() - ms);
    const rows: SyncFreshness[] = [
      {
        source: 'template',
        tenant: 'acct_1',
        stream: 'records',
        mode: 'polling',
        lastWebhookAt: ago(7_200_000),
        lastPollAt: ago(30_000),
        lastReconcileAt: null,
        quietAfterMs: 3_600_000,
        status: 'amber',
        reason: 'webhooks quiet for 2 h: polling',
      },
    ];
    const store = createMemoryStateStore();
    const dashboard = createDashboard({
      ...ACCESS,
      state: { store },
      connectors,
      sync: { status: async () => rows },
      now: () => at,
    });
    expect(await readJson(await dashboard(get('/dashboard/sync')))).toEqual({
      enabled: true,
      rows: [
        {
          source: 'template',
          tenant: 'acct_1',
          stream: 'records',
          mode: 'polling',
          status: 'amber',
          reason: 'webhooks quiet for 2 h: polling',
          lastWebhookAgeMs: 7_200_000,
          lastPollAgeMs: 30_000,
          lastReconcileAgeMs: null,
          quietAfterMs: 3_600_000,
        },
      ],
    });

    const without = createDashboard({ ...ACCESS, state: { store }, connectors });
    expect(await readJson(await without(get('/dashboard/sync')))).toEqual({ enabled: false, rows: [] });
    // Behind the same access token as every other route.
    const anonymous = await dashboard(new Request(`${BASE}/dashboard/sync`, { headers: { host: 'dashboard.test' } }));
    expect(anonymous?.status).toBe(401);
  });

  it('shows the connectors’ health signals (a tenant to reconnect) next to freshness', async () => {
    const credentials = createMemoryCredentialStore();
    const withSignals = [
      {
        source: 'xero',
        freshnessTargetMs: 300_000,
        healthSignals: async (context: { credentials?: CredentialStoreV1 }) =>
          (await context.credentials?.listInvalid('xero:'))?.map((invalid) => ({
            source: 'xero',
            tenant: invalid.key.slice(5),
            status: 'red' as const,
            code: 'reconnect_required',
            message: `reconnect Xero for tenant ${invalid.key.slice(5)}`,
            since: invalid.updatedAt,
          })) ?? [],
      },
    ] as unknown as ConnectorV1[];
    await credentials.put('xero:org-1', { refreshToken: 'spent' });
    await credentials.acquireRefreshLease('xero:org-1', { owner: 'w', leaseMs: 1_000 });
    await credentials.releaseRefreshLease('xero:org-1', { owner: 'w', invalidReason: 'invalid_grant' });
    const handle = createDashboard({
      ...ACCESS,
      state: { store: createMemoryStateStore(), credentials },
      connectors: withSignals,
    });
    const response = (await handle(get('/dashboard/health'))) as Response;
    const body = (await response.json()) as { signals: { tenant: string; status: string; code: string }[] };
    expect(body.signals).toEqual([
      expect.objectContaining({ source: 'xero', tenant: 'org-1', status: 'red', code: 'reconnect_required' }),
    ]);
  });

  it('shows the outbox per destination and its dead messages (never their payloads), and replays one', async () => {
    const at = new Date('2026-03-01T12:00:00Z');
    const outbox = createMemoryOutboxStore({ now: () => at });
    const [dead] = await outbox.enqueue([
      { destination: 'verity', key: 'd1:0', tenant: 'acct_1', payload: { secret: 'payload-never-listed' } },
    ]);
    await outbox.enqueue([
      {
        destination: 'ghl:contacts',
        key: 'c1',
        tenant: 'acct_1',
        payload: {},
        availableAt: new Date(at.getTime() - 7 * 60_000),
      },
    ]);
    const [claimed] = await outbox.claim({ owner: 't', limit: 1, leaseMs: 60_000, destinations: ['verity'], now: at });
    if (!claimed || claimed.id !== dead?.id) throw new Error('expected to claim the verity message');
    await outbox.fail({
      id: claimed.id,
      claimToken: claimed.claimToken,
      error: 'receiver answered 410 Gone',
      errorClass: 'validation',
      retryAt: null,
      countsTowardsSchedule: true,
      now: at,
    });
    const store = createMemoryStateStore();
    const dashboard = createDashboard({ ...ACCESS, state: { store }, connectors, outbox, now: () => at });

    const response = await dashboard(get('/dashboard/outbox'));
    const text = await (response as Response).clone().text();
    expect(text).not.toContain('payload-never-listed');
    const view = (await readJson(response)) as {
      enabled: boolean;
      destinations: Record<string, unknown>[];
      dead: Record<string, unknown>[];
    };
    expect(view.enabled).toBe(true);
    expect(view.destinations.find((row) => row.destination === 'verity')).toMatchObject({
      pending: 0,
      dead: 1,
      oldestWaitingAgeMs: null,
      status: 'amber',
      reason: '1 dead',
      lastError: 'receiver answered 410 Gone',
    });
    // Waiting 7 minutes, over the 5 minute target: nothing is delivering it.
    expect(view.destinations.find((row) => row.destination === 'ghl:contacts')).toMatchObject({
      pending: 1,
      oldestWaitingAgeMs: 7 * 60_000,
      status: 'red',
    });
    expect(view.dead).toEqual([
      {
        id: dead?.id,
        destination: 'verity',
        key: 'd1:0',
        tenant: 'acct_1',
        attempts: 1,
        lastError: 'receiver answered 410 Gone',
        lastErrorClass: 'validation',
        createdAt: at.toISOString(),
      },
    ]);

    const path = `/dashboard/outbox/${encodeURIComponent(dead?.id ?? '')}/replay`;
    expect((await dashboard(get(path, { method: 'POST' })))?.status).toBe(403);
    const crossSite = await dashboard(
      get(path, { method: 'POST', headers: { [REPLAY_HEADER]: 'replay', origin: 'https://evil.example' } }),
    );
    expect(crossSite?.status).toBe(403);
    const replayed = await dashboard(get(path, { method: 'POST', headers: { [REPLAY_HEADER]: 'replay' } }));
    expect(await readJson(replayed)).toEqual({ id: dead?.id, replayed: 1 });
    expect(await outbox.get(dead?.id ?? '')).toMatchObject({ status: 'pending' });
    const again = await dashboard(get(path, { method: 'POST', headers: { [REPLAY_HEADER]: 'replay' } }));
    expect(again?.status).toBe(409);
    const missing = await dashboard(
      get('/dashboard/outbox/nope/replay', { method: 'POST', headers: { [REPLAY_HEADER]: 'replay' } }),
    );
    expect(missing?.status).toBe(404);

    const without = createDashboard({ ...ACCESS, state: { store }, connectors });
    expect(await readJson(await without(get('/dashboard/outbox')))).toMatchObject({ enabled: false, destinations: [] });
    const anonymous = await dashboard(new Request(`${BASE}/dashboard/outbox`, { headers: { host: 'dashboard.test' } }));
    expect(anonymous?.status).toBe(401);
  });

  it('replays a dead letter by id, behind the CSRF header', async () => {
    const { store, deadId } = await seededStore();
    const dashboard = createDashboard({ ...ACCESS, state: { store }, connectors });
    const path = `/dashboard/dead-letters/${deadId}/replay`;

    expect((await dashboard(get(path)))?.status).toBe(405);
    const refused = await dashboard(get(path, { method: 'POST' }));
    expect(refused?.status).toBe(403);
    expect((await store.getDelivery(deadId))?.status).toBe('dead');

    const replayed = await dashboard(get(path, { method: 'POST', headers: { [REPLAY_HEADER]: 'replay' } }));
    expect(replayed?.status).toBe(200);
    expect(await replayed?.json()).toEqual({ id: deadId, replayed: 1 });
    expect(await store.getDelivery(deadId)).toMatchObject({ status: 'pending', attempts: 0 });

    const again = await dashboard(get(path, { method: 'POST', headers: { [REPLAY_HEADER]: 'replay' } }));
    expect(again?.status).toBe(409);
    const missing = await dashboard(
      get('/dashboard/dead-letters/999999/replay', { method: 'POST', headers: { [REPLAY_HEADER]: 'replay' } }),
    );
    expect(missing?.status).toBe(404);
  });

  it('refuses reads and mutations without the access token, a wrong Host, a cross-origin mutation, a malformed id', async () => {
    const { store, deadId } = await seededStore();
    const dashboard = createDashboard({ ...ACCESS, state: { store }, connectors });
    const bare = (path: string, headers: Record<string, string>, method = 'GET') =>
      dashboard(new Request(`${BASE}${path}`, { method, headers }));
    const replayPath = `/dashboard/dead-letters/${deadId}/replay`;
    const host = { host: 'dashboard.test' };

    // No token (or a wrong one): 401 for the page, every read and the replay.
    for (const path of [
      '/',
      '/dashboard/events',
      '/dashboard/health',
      '/dashboard/dead-letters',
      '/dashboard/stream',
    ]) {
      expect((await bare(path, host))?.status, path).toBe(401);
    }
    expect((await bare('/dashboard/health', { ...host, authorization: 'Bearer wrong-token-0123456789' }))?.status).toBe(
      401,
    );
    expect((await bare(replayPath, { ...host, [REPLAY_HEADER]: 'replay' }, 'POST'))?.status).toBe(401);
    expect((await store.getDelivery(deadId))?.status).toBe('dead');

    // The token in the URL → an HttpOnly SameSite=Strict cookie and a redirect without it; the cookie then works.
    expect((await bare('/?token=wrong-token-0123456789', host))?.status).toBe(401);
    const login = (await bare(`/?token=${TOKEN}`, host)) as Response;
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/');
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^act_dashboard=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
    const session = { ...host, cookie: setCookie.split(';')[0] as string };
    expect((await bare('/dashboard/health', session))?.status).toBe(200);

    // DNS rebinding: the right token (a cookie the browser sends to the rebound name) but another Host → 421.
    expect((await bare('/dashboard/health', { ...session, host: 'attacker.example:3000' }))?.status).toBe(421);
    expect((await bare('/', { host: 'attacker.example' }))?.status).toBe(421);
    // The default without allowedHosts: loopback names only.
    const loopback = createDashboard({ token: TOKEN, state: { store }, connectors });
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect(
      (await loopback(new Request(`${BASE}/dashboard/health`, { headers: { ...auth, host: '127.0.0.1:3000' } })))
        ?.status,
    ).toBe(200);
    expect(
      (await loopback(new Request(`${BASE}/dashboard/health`, { headers: { ...auth, host: 'rebind.example:3000' } })))
        ?.status,
    ).toBe(421);

    // A cross-origin mutation is refused even with the cookie and the header.
    const crossOrigin = await bare(
      replayPath,
      { ...session, [REPLAY_HEADER]: 'replay', origin: 'http://attacker.example' },
      'POST',
    );
    expect(crossOrigin?.status).toBe(403);
    expect((await store.getDelivery(deadId))?.status).toBe('dead');
    // Same origin: replayed.
    const sameOrigin = await bare(
      replayPath,
      { ...session, [REPLAY_HEADER]: 'replay', origin: 'http://dashboard.test' },
      'POST',
    );
    expect(sameOrigin?.status).toBe(200);

    // A malformed percent-encoded id: 400, not 500.
    const malformed = await bare(
      '/dashboard/dead-letters/%E0%A4%A/replay',
      { ...session, [REPLAY_HEADER]: 'replay' },
      'POST',
    );
    expect(malformed?.status).toBe(400);
    expect(await malformed?.json()).toEqual({ error: 'malformed delivery id (bad percent-encoding)' });
  });

  it('answers 500 with a generic message when the store fails', async () => {
    const store = createMemoryStateStore();
    store.listEvents = async () => {
      throw new Error('connection string postgres://user:secret@host');
    };
    const dashboard = createDashboard({ ...ACCESS, state: { store }, connectors });
    const response = await dashboard(get('/dashboard/events'));
    expect(response?.status).toBe(500);
    expect(await response?.text()).not.toContain('secret');
  });
});

describe('dashboard stream', () => {
  it('pushes subscribed events, sends heartbeats and unsubscribes when the client goes away', async () => {
    const live = fakeSubscribe();
    const dashboard = createDashboard({
      ...ACCESS,
      state: { store: createMemoryStateStore(), subscribe: live.subscribe },
      connectors,
      heartbeatMs: 30,
    });
    const response = await dashboard(get('/dashboard/stream'));
    expect(response?.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response?.headers.get('cache-control')).toContain('no-cache');
    const stream = sseReader(response as Response);

    expect(dataOf(await stream.until((block) => block.includes('event: ready')))).toEqual({ mode: 'listen' });
    expect(live.handlers.size).toBe(1);
    await live.emit({ ...event({ entityId: 'rec_live', summary: { note: 'line\nbreak' } }), id: '77' });
    const pushed = await stream.until((block) => block.includes('event: integration'));
    expect(pushed.split('\n')[0]).toBe('id: 77');
    expect(dataOf(pushed)).toMatchObject({ id: '77', entityId: 'rec_live', summary: { note: 'line\nbreak' } });
    await stream.until((block) => block.startsWith(': heartbeat'));

    await stream.reader.cancel();
    expect(live.unsubscribed).toBe(1);
    expect(live.handlers.size).toBe(0);
  });

  it('unsubscribes when the request is aborted', async () => {
    const live = fakeSubscribe();
    const dashboard = createDashboard({
      ...ACCESS,
      state: { store: createMemoryStateStore(), subscribe: live.subscribe },
      connectors,
    });
    const controller = new AbortController();
    const response = await dashboard(get('/dashboard/stream', { signal: controller.signal }));
    const stream = sseReader(response as Response);
    await stream.until((block) => block.includes('event: ready'));
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(live.unsubscribed).toBe(1);
  });

  it('polls the event log when subscribe is missing or refuses (supabase-js)', async () => {
    for (const subscribe of [
      undefined,
      async () => {
        throw new Error('subscribe() needs a SQL connection');
      },
    ]) {
      const store = createMemoryStateStore();
      await store.recordEvents([event({ entityId: 'rec_old' })]);
      const dashboard = createDashboard({ ...ACCESS, state: { store, subscribe }, connectors, pollMs: 25 });
      const response = await dashboard(get('/dashboard/stream'));
      const stream = sseReader(response as Response);
      expect(dataOf(await stream.until((block) => block.includes('event: ready')))).toEqual({ mode: 'poll' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      await store.recordEvents([event({ entityId: 'rec_new' })]);
      const pushed = await stream.until((block) => block.includes('event: integration'));
      // History is not replayed as news: the first pushed event is the new one.
      expect(dataOf(pushed)).toMatchObject({ entityId: 'rec_new' });
      await stream.reader.cancel();
    }
  });
});

describe('realtimeSubscribe (Supabase Realtime)', () => {
  it('subscribes to INSERTs on act_integration_events and maps the rows', async () => {
    let callback: ((payload: { new?: Record<string, unknown> }) => void) | undefined;
    const removed: unknown[] = [];
    const channel: RealtimeChannelLike = {
      on(type, filter, handler) {
        expect(type).toBe('postgres_changes');
        expect(filter).toEqual({ event: 'INSERT', schema: 'act', table: 'act_integration_events' });
        callback = handler;
        return channel;
      },
      subscribe(status) {
        setTimeout(() => status?.('SUBSCRIBED'), 1);
        return channel;
      },
    };
    const client = { channel: () => channel, removeChannel: async (value: unknown) => removed.push(value) };
    const received: FeedEvent[] = [];
    const stop = await realtimeSubscribe(client, { schema: 'act' })((value) => {
      received.push(value);
    });
    callback?.({
      new: {
        id: 1842,
        source: 'ghl',
        tenant: 'loc_1',
        event_type: 'ContactUpdate',
        entity_type: 'contact',
        entity_id: 'c_9',
        table_name: 'ghl_contacts',
        outcome: 'updated',
        triggered_by: 'webhook',
        latency_ms: 84,
        provider_latency_ms: null,
        delivery_id: 77,
        created_at: '2025-01-01T12:00:00.123+00:00',
        summary: { name: 'Ada' },
      },
    });
    expect(received).toEqual([
      {
        id: '1842',
        source: 'ghl',
        tenant: 'loc_1',
        type: 'ContactUpdate',
        entity: 'contact',
        entityId: 'c_9',
        table: 'ghl_contacts',
        outcome: 'updated',
        triggeredBy: 'webhook',
        latencyMs: 84,
        deliveryId: '77',
        createdAt: new Date('2025-01-01T12:00:00.123Z'),
        summary: { name: 'Ada' },
      },
    ]);
    await stop();
    expect(removed).toEqual([channel]);
  });

  it('rejects when the channel cannot join', async () => {
    const channel: RealtimeChannelLike = {
      on: () => channel,
      subscribe(status) {
        status?.('CHANNEL_ERROR', new Error('unauthorized'));
        return channel;
      },
    };
    const client = { channel: () => channel, removeChannel: async () => {} };
    await expect(realtimeSubscribe(client)(() => {})).rejects.toThrow('unauthorized');
  });
});

describe('figures', () => {
  it('grades freshness against the target: red past it, amber past half or with dead letters', () => {
    const figure = {
      source: 'ghl',
      tenant: 'loc_1',
      pending: 3,
      processing: 0,
      dead: 0,
      oldestPendingAgeMs: 40_000,
      lastDeliveryAt: null,
      lastEventAt: new Date('2025-01-01T11:59:00Z'),
      latencyP50Ms: 100,
      latencyP95Ms: 200,
      eventsLastHour: 10,
    };
    const now = new Date('2025-01-01T12:00:00Z');
    expect(buildHealthView([figure], [], now).rows[0]).toMatchObject({
      status: 'red',
      lagMs: 40_000,
      targetMs: 30_000,
      lastEventAgeMs: 60_000,
    });
    expect(buildHealthView([{ ...figure, oldestPendingAgeMs: 20_000 }], [], now).rows[0]?.status).toBe('amber');
    expect(buildHealthView([{ ...figure, source: 'xero', oldestPendingAgeMs: 20_000 }], [], now).rows[0]?.status).toBe(
      'green',
    );
  });

  it('buckets latency into p50/p99', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    const now = new Date('2025-01-01T12:00:00Z');
    const at = (seconds: number, latencyMs: number) =>
      event({ createdAt: new Date(now.getTime() - seconds * 1000), latencyMs });
    const view = buildLatencyView([at(5, 10), at(6, 30), at(7, 20), at(65, 500), at(2_000, 1)], now, {
      windowMs: 600_000,
      bucketMs: 60_000,
    });
    expect(view.points.map(({ count, p50Ms, p99Ms }) => ({ count, p50Ms, p99Ms }))).toEqual([
      { count: 1, p50Ms: 500, p99Ms: 500 },
      { count: 3, p50Ms: 20, p99Ms: 30 },
    ]);
  });
});
