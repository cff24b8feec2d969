/**
 * The demo's dashboard: a web-standard handler serving
 *
 * - `GET /` — the page (plain HTML, `/dashboard/app.js`, `/dashboard/app.css`);
 * - `GET /dashboard/events?limit=` — the newest integration events;
 * - `GET /dashboard/health` — freshness per source and tenant against its
 *   target (green / amber / red), and the inbox depth;
 * - `GET /dashboard/dead-letters?limit=` — dead letters (never their bodies);
 * - `POST /dashboard/dead-letters/<id>/replay` — `store.replay({ ids: [id] })`;
 * - `GET /dashboard/conflicts?limit=` — conflicting redeliveries (a known
 *   delivery id with a different body), never their bodies;
 * - `GET /dashboard/latency` — receipt-to-commit p50/p99 per time bucket;
 * - `GET /dashboard/sync` — the scheduler's freshness per source, tenant and
 *   stream (webhooks or polling, each stream's last poll), when given `sync`;
 * - `GET /dashboard/outbox?limit=` — the outbox per destination (pending,
 *   processing, dead, the oldest waiting message's age, the last error) and
 *   its dead messages (never their payloads), when given `outbox`;
 * - `POST /dashboard/outbox/<id>/replay` — `outbox.replay({ ids: [id] })`;
 * - `GET /dashboard/stream` — server-sent events: each integration event as
 *   it commits (LISTEN/NOTIFY, Supabase Realtime, or polling), with a
 *   heartbeat comment.
 *
 * Anything else resolves `undefined`, so the handler mounts beside others.
 *
 * Access (every route above): an access token, sent as the `act_dashboard`
 * cookie or `Authorization: Bearer <token>`. The browser gets the cookie from
 * `GET /?token=<token>` (the URL the demo prints at start), which sets it
 * HttpOnly, SameSite=Strict and redirects to `/` without the token in the
 * address bar. The `Host` header must be one of `allowedHosts` (the listening
 * address; DNS rebinding gives a page on another name this server's address),
 * and a mutation must come with no `Origin` or an allowed one, plus the
 * `x-act-dashboard` header no cross-site form can set.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  ActError,
  type ConnectorV1,
  type CredentialStoreV1,
  type HealthSignalV1,
  type Logger,
  noopLogger,
  type OutboxStoreV1,
  type Scheduler,
  type StateStoreV1,
  type SyncStoreV1,
} from '@act/core';
import {
  buildHealthView,
  buildLatencyView,
  DEFAULT_FRESHNESS_TARGETS_MS,
  OUTBOX_WAIT_TARGET_MS,
  toConflictView,
  toDeadLetterView,
  toEventView,
  toOutboxDestinationView,
  toOutboxMessageView,
  toSyncView,
} from './data.ts';
import { createFeed, type FeedEvent, type SubscribeFn } from './live.ts';

export {
  type ConflictView,
  DEFAULT_FRESHNESS_TARGETS_MS,
  type DeadLetterView,
  type EventView,
  type FreshnessRow,
  type HealthView,
  type LatencyView,
  OUTBOX_WAIT_TARGET_MS,
  type OutboxDestinationView,
  type OutboxMessageView,
  type SyncRowView,
} from './data.ts';
export { type RealtimeClientLike, realtimeSubscribe, type SubscribeFn } from './live.ts';

/**
 * What the dashboard reads: the demo's `DemoState` fits, and so does
 * `@act/sink-supabase`'s `PostgresState` (whose `subscribe` feeds the live
 * stream). Without `subscribe` the stream polls the event log.
 */
export interface DashboardState {
  store: StateStoreV1;
  subscribe?: SubscribeFn | undefined;
  /** For the connectors' "reconnect required" signals. */
  credentials?: CredentialStoreV1 | undefined;
  /** The connections registry, for per-tenant signals (Gmail's watch expiry). */
  sync?: SyncStoreV1 | undefined;
}

export interface DashboardOptions {
  state: DashboardState;
  connectors: readonly ConnectorV1[];
  logger?: Logger;
  /** The scheduler (`act.scheduler`), for `GET /dashboard/sync`; without it that route lists nothing. */
  sync?: Pick<Scheduler, 'status'>;
  /** The outbox store (`act.outbox.store`), for `GET /dashboard/outbox` and its replay; without it that route lists nothing. */
  outbox?: Pick<OutboxStoreV1, 'stats' | 'list' | 'get' | 'replay'>;
  /** Live events from elsewhere, e.g. `realtimeSubscribe(supabase)`; defaults to `state.subscribe`. */
  subscribe?: SubscribeFn;
  /** Targets for sources no connector declares; merged over `DEFAULT_FRESHNESS_TARGETS_MS`. */
  freshnessTargets?: Readonly<Record<string, number>>;
  /** Comment line sent on idle streams so proxies keep them open and dead clients are noticed. Default 15 s. */
  heartbeatMs?: number;
  /** Polling interval when no subscribe is available. Default 1 s. */
  pollMs?: number;
  /** Latency chart window and bucket. Default 10 min in 10 s buckets. */
  latencyWindowMs?: number;
  latencyBucketMs?: number;
  now?: () => Date;
  /** The access token (e.g. `ACT_DASHBOARD_TOKEN`); a random one (`handler.token`) when not given. */
  token?: string;
  /**
   * `Host` values (name and port, as the browser sends them) this dashboard answers to: the listening address and
   * any name in front of it. Default: loopback names only (`localhost`, `127.0.0.1`, `[::1]`, any port).
   */
  allowedHosts?: readonly string[];
}

export type DashboardHandler = ((request: Request) => Promise<Response | undefined>) & {
  /** The access token: open `/?token=<token>` once in the browser. */
  readonly token: string;
  /** The Host and token checks alone, for routes mounted beside the dashboard: a refusal, or `undefined` to go on. */
  guard(request: Request): Response | undefined;
};

/** The cookie holding the access token. */
export const TOKEN_COOKIE = 'act_dashboard';

/** The header the page sends with a replay; cross-site forms cannot set it (CSRF guard). */
export const REPLAY_HEADER = 'x-act-dashboard';

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const encoder = new TextEncoder();

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS },
  });

const LOOPBACK_HOST = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

const digest = (value: string) => createHash('sha256').update(value).digest();

function cookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

function limitParam(url: URL, fallback: number, max: number): number {
  const value = Number(url.searchParams.get('limit') ?? fallback);
  return Number.isInteger(value) && value > 0 ? Math.min(value, max) : fallback;
}

export function createDashboard(options: DashboardOptions): DashboardHandler {
  const { state, connectors } = options;
  const store = state.store;
  const logger = options.logger ?? noopLogger;
  const now = options.now ?? (() => new Date());
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const latencyWindowMs = options.latencyWindowMs ?? 10 * 60_000;
  const latencyBucketMs = options.latencyBucketMs ?? 10_000;
  const targets = { ...DEFAULT_FRESHNESS_TARGETS_MS, ...options.freshnessTargets };
  const subscribe = options.subscribe ?? (state.subscribe ? state.subscribe.bind(state) : undefined);
  const feed = createFeed({ store, subscribe, logger, ...(options.pollMs ? { pollMs: options.pollMs } : {}) });
  const assets = new Map<string, Promise<string>>();
  const token = options.token ?? randomBytes(24).toString('base64url');
  if (token.length < 16) throw new Error('dashboard: the access token must have at least 16 characters');
  const tokenDigest = digest(token);
  const allowedHosts = options.allowedHosts
    ? new Set(options.allowedHosts.map((host) => host.toLowerCase()))
    : undefined;
  const hostAllowed = (host: string | null): boolean =>
    host !== null && (allowedHosts ? allowedHosts.has(host.toLowerCase()) : LOOPBACK_HOST.test(host));
  const validToken = (candidate: string | undefined | null): boolean =>
    typeof candidate === 'string' && candidate !== '' && timingSafeEqual(digest(candidate), tokenDigest);
  const authenticated = (request: Request): boolean => {
    const authorization = request.headers.get('authorization');
    if (authorization?.startsWith('Bearer ')) return validToken(authorization.slice('Bearer '.length).trim());
    const value = cookie(request, TOKEN_COOKIE);
    try {
      return validToken(value === undefined ? undefined : decodeURIComponent(value));
    } catch {
      return false;
    }
  };

  const asset = (file: string): Promise<string> => {
    let text = assets.get(file);
    if (!text) {
      text = readFile(new URL(`./static/${file}`, import.meta.url), 'utf8');
      text.catch(() => assets.delete(file));
      assets.set(file, text);
    }
    return text;
  };

  const stream = (request: Request): Response => {
    let stopFeed: (() => Promise<void>) | undefined;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    let closed = false;
    let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;

    const close = () => {
      if (closed) return;
      closed = true;
      if (heartbeat) clearInterval(heartbeat);
      const stop = stopFeed;
      stopFeed = undefined;
      if (stop) stop().catch((error: unknown) => logger.warn({ error: String(error) }, 'dashboard: unsubscribe'));
      try {
        controllerRef?.close();
      } catch {
        // already closed or cancelled
      }
    };
    const send = (text: string) => {
      if (closed || !controllerRef) return;
      try {
        controllerRef.enqueue(encoder.encode(text));
      } catch {
        close();
      }
    };
    const sendEvent = (event: FeedEvent) => {
      const view = toEventView(event);
      const id = view.id ? `id: ${view.id.replace(/[\r\n]/g, '')}\n` : '';
      send(`${id}event: integration\ndata: ${JSON.stringify(view)}\n\n`);
    };

    request.signal?.addEventListener('abort', close, { once: true });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controllerRef = controller;
        send(`retry: 2000\n: act dashboard stream\n\n`);
        heartbeat = setInterval(() => send(`: heartbeat ${now().toISOString()}\n\n`), heartbeatMs);
        heartbeat.unref?.();
        feed.open(sendEvent).then(
          (stop) => {
            if (closed) {
              void stop().catch(() => {});
              return;
            }
            stopFeed = stop;
            send(`event: ready\ndata: ${JSON.stringify({ mode: feed.mode })}\n\n`);
          },
          (error: unknown) => {
            logger.error({ error: String(error) }, 'dashboard: could not open the live feed');
            send(`event: feed-error\ndata: ${JSON.stringify({ error: 'the live feed is unavailable' })}\n\n`);
            close();
          },
        );
      },
      cancel() {
        // The client went away (Node: noticed at the next write, at the latest the next heartbeat).
        close();
      },
    });
    return new Response(body, {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
        ...SECURITY_HEADERS,
      },
    });
  };

  /** A refusal for a mutation from another origin or without the CSRF header, or `undefined` to go on. */
  const mutationRefused = (request: Request): Response | undefined => {
    // A browser sends Origin on every POST: only this dashboard's own pages may mutate.
    const origin = request.headers.get('origin');
    if (origin !== null && !hostAllowed(/^https?:\/\/([^/]+)$/i.exec(origin)?.[1] ?? null)) {
      return json({ error: `cross-origin request refused (Origin ${origin})` }, 403);
    }
    if (request.headers.get(REPLAY_HEADER) !== 'replay') {
      return json({ error: `replay needs the ${REPLAY_HEADER}: replay header` }, 403);
    }
    return undefined;
  };

  const replay = async (request: Request, id: string): Promise<Response> => {
    const refused = mutationRefused(request);
    if (refused) return refused;
    const delivery = await store.getDelivery(id);
    if (!delivery) return json({ error: 'no such delivery' }, 404);
    if (delivery.status !== 'dead') return json({ error: `delivery is ${delivery.status}, not dead` }, 409);
    const replayed = await store.replay({ ids: [id] });
    logger.info({ deliveryId: id, replayed }, 'dashboard: replayed a dead letter');
    return json({ id, replayed });
  };

  const replayOutbox = async (request: Request, id: string): Promise<Response> => {
    const refused = mutationRefused(request);
    if (refused) return refused;
    const outbox = options.outbox;
    if (!outbox) return json({ error: 'no outbox' }, 404);
    const message = await outbox.get(id);
    if (!message) return json({ error: 'no such outbox message' }, 404);
    if (message.status !== 'dead') return json({ error: `outbox message is ${message.status}, not dead` }, 409);
    const replayed = await outbox.replay({ ids: [id] });
    logger.info({ outboxId: id, destination: message.destination, replayed }, 'dashboard: replayed an outbox message');
    return json({ id, replayed });
  };

  const api = async (request: Request, url: URL): Promise<Response> => {
    const path = url.pathname;
    const replayMatch = /^\/dashboard\/(dead-letters|outbox)\/([^/]{1,200})\/replay$/.exec(path);
    if (replayMatch) {
      if (request.method !== 'POST') return json({ error: 'method not allowed' }, 405);
      const outboxReplay = replayMatch[1] === 'outbox';
      let id: string;
      try {
        id = decodeURIComponent(replayMatch[2] as string);
      } catch {
        return json({ error: `malformed ${outboxReplay ? 'message' : 'delivery'} id (bad percent-encoding)` }, 400);
      }
      return outboxReplay ? replayOutbox(request, id) : replay(request, id);
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return json({ error: 'method not allowed' }, 405);
    switch (path) {
      case '/dashboard/stream':
        return stream(request);
      case '/dashboard/events': {
        const events = await store.listEvents({ limit: limitParam(url, 50, 500) });
        return json({ events: events.map(toEventView) });
      }
      case '/dashboard/health': {
        const at = now();
        const signals: HealthSignalV1[] = [];
        for (const connector of connectors) {
          // Reconnect required, lost deliveries: what the freshness figures cannot show.
          const found = await connector
            .healthSignals?.({
              store,
              ...(state.credentials ? { credentials: state.credentials } : {}),
              ...(state.sync ? { sync: state.sync } : {}),
              now: at,
            })
            .catch((error: unknown) => {
              logger.warn({ source: connector.source, error: String(error) }, 'dashboard: health signals failed');
              return [];
            });
          signals.push(...(found ?? []));
        }
        return json({
          ...buildHealthView(await store.health({ now: at }), connectors, at, targets),
          signals: signals.map((signal) => ({ ...signal, since: signal.since?.toISOString() ?? null })),
        });
      }
      case '/dashboard/dead-letters': {
        const dead = await store.listDeliveries({ status: 'dead', limit: limitParam(url, 50, 500) });
        return json({ deadLetters: dead.map(toDeadLetterView) });
      }
      case '/dashboard/conflicts': {
        const found = await store.listDeliveries({ conflicts: true, limit: limitParam(url, 50, 500) });
        return json({ conflicts: found.map(toConflictView) });
      }
      case '/dashboard/latency': {
        const at = now();
        const events = await store.listEvents({ since: new Date(at.getTime() - latencyWindowMs), limit: 5_000 });
        return json(buildLatencyView(events, at, { windowMs: latencyWindowMs, bucketMs: latencyBucketMs }));
      }
      case '/dashboard/sync': {
        if (!options.sync) return json({ enabled: false, rows: [] });
        const rows = await options.sync.status();
        return json({ enabled: true, rows: toSyncView(rows, now()) });
      }
      case '/dashboard/outbox': {
        if (!options.outbox)
          return json({ enabled: false, targetMs: OUTBOX_WAIT_TARGET_MS, destinations: [], dead: [] });
        const at = now();
        const [stats, dead] = await Promise.all([
          options.outbox.stats({ now: at }),
          options.outbox.list({ status: 'dead', limit: limitParam(url, 50, 500) }),
        ]);
        return json({
          enabled: true,
          targetMs: OUTBOX_WAIT_TARGET_MS,
          destinations: stats.map((row) => toOutboxDestinationView(row, at)),
          dead: dead.map(toOutboxMessageView),
        });
      }
      default:
        return json({ error: 'not found' }, 404);
    }
  };

  const guard = (request: Request): Response | undefined => {
    // 421 Misdirected Request: a name this server does not answer to (DNS rebinding).
    if (!hostAllowed(request.headers.get('host'))) return json({ error: 'unknown Host' }, 421);
    if (!authenticated(request)) {
      return json(
        { error: 'the dashboard needs its access token: open the URL the demo printed at start (/?token=…)' },
        401,
      );
    }
    return undefined;
  };

  const handler = async (request: Request): Promise<Response | undefined> => {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path !== '/' && path !== '/dashboard' && !path.startsWith('/dashboard/')) return undefined;
    const offered = url.searchParams.get('token');
    if (offered !== null && STATIC[path] && request.method === 'GET') {
      if (!hostAllowed(request.headers.get('host'))) return json({ error: 'unknown Host' }, 421);
      if (!validToken(offered)) return json({ error: 'wrong access token' }, 401);
      // The token moves into an HttpOnly cookie, and out of the address bar and history.
      return new Response(null, {
        status: 303,
        headers: {
          location: path,
          'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`,
          'cache-control': 'no-store',
          ...SECURITY_HEADERS,
        },
      });
    }
    const refused = guard(request);
    if (refused) return refused;
    try {
      const file = STATIC[path];
      if (file) {
        if (request.method !== 'GET' && request.method !== 'HEAD') return json({ error: 'method not allowed' }, 405);
        return new Response(await asset(file.file), {
          headers: { 'content-type': file.type, 'cache-control': 'no-cache', ...SECURITY_HEADERS },
        });
      }
      return await api(request, url);
    } catch (error) {
      logger.error({ error: String(error), path }, 'dashboard: request failed');
      const message = ActError.isInstance(error) ? error.message : 'dashboard: internal error';
      return json({ error: message }, ActError.isInstance(error) && error.status === 503 ? 503 : 500);
    }
  };
  return Object.assign(handler, { token, guard });
}
