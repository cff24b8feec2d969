/**
 * `pnpm demo`: the whole pipeline on one machine, nothing to set up.
 *
 * Every installed connector is mounted (`/webhooks/<source>`) on a real HTTP
 * server running the @act receive path; the worker drains the inbox into the
 * mirror (fetching records first where a provider's webhooks carry only ids);
 * pollers backfill what existed before; then the scheduler (`act.scheduler`)
 * polls what has no webhooks every `--poll-every` seconds, and the streams the
 * webhooks carry only should a tenant's webhooks go quiet.
 * Each connector's `createSimulation` (its `./testing` subpath) plays the
 * provider unless real credentials are configured: its fake sends realistic,
 * correctly signed deliveries (with duplicates, out-of-order updates and
 * bursts) and answers the API calls the connector makes. State and mirror live
 * in embedded PGlite unless DATABASE_URL or SUPABASE_URL + key are set.
 *
 * `--once` runs a fixed scenario, prints a summary and exits 0 only if the
 * mirror matches what the simulators hold.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import {
  type ConnectorV1,
  createAct,
  createConsoleLogger,
  jobKey,
  noopLogger,
  runPoller,
  type SyncFreshness,
} from '@act/core';
import { serverTimeouts, toNodeHandler } from '@act/core/node';
import type { SimulationV1 } from '@act/core/testing/fake';
import { createDashboard } from './dashboard/index.ts';
import { createRandom, type Delivery, type SimulatedProvider } from './provider.ts';
import { compareMirror, DeliveryLog, summarise } from './report.ts';
import { discoverSources } from './sources.ts';
import { openDemoState } from './state.ts';

const { values: args } = parseArgs({
  options: {
    once: { type: 'boolean', default: false },
    port: { type: 'string', default: process.env.PORT ?? (process.argv.includes('--once') ? '0' : '3000') },
    rate: { type: 'string', default: '4' },
    deliveries: { type: 'string', default: '300' },
    'poll-every': { type: 'string', default: '30' },
    verbose: { type: 'boolean', default: false },
  },
});

const logger = args.verbose ? createConsoleLogger({ level: 'debug' }) : noopLogger;
const state = await openDemoState({ ephemeral: args.once });
// `--once` replays one scenario; a long-running demo gets fresh ids each start, so a kept
// database never mistakes a new run's records or deliveries for an earlier run's.
const seed = args.once ? 42 : Date.now();
const random = createRandom(seed);
const runId = args.once ? 'once' : seed.toString(36);

// -- Connectors, real or simulated ----------------------------------------------------------------

// The server starts first: the simulated providers' API lives on it, and the connectors need its address.
// Short header/request timeouts (Node's defaults are 60 s / 300 s): a stalled client lets go quickly.
const server = createServer(serverTimeouts(), (request, response) => route(request, response));
await new Promise<void>((resolve) => server.listen(Number(args.port), '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// Every installed connector, real when its provider's variables are set (the connector's README), else simulated
// by its own fake, whose API is served below `/sim/<source>`.
const simulations = new Map<string, SimulationV1>();
for (const { entry, createSimulation } of await discoverSources()) {
  simulations.set(
    entry.id,
    await createSimulation({
      baseUrl: `${base}/sim/${entry.id}`,
      random,
      runId,
      state: { credentials: state.credentials, rateLimits: state.rateLimits },
      env: process.env,
      logger,
    }),
  );
}
const connectors: ConnectorV1[] = [...simulations.values()].map((simulation) => simulation.connector);
const simulators = new Map<string, SimulatedProvider>();
for (const [id, simulation] of simulations) if (simulation.fake) simulators.set(id, simulation.fake);
/** The tenants to poll per source (simulated ones, or the ones a real account lists in its variables). */
const tenants = new Map<string, readonly string[]>([...simulations].map(([id, { tenants }]) => [id, tenants]));
const notes = [...simulations.values()].flatMap((simulation) => (simulation.note ? [simulation.note] : []));

// One router for every connector's webhooks (POST /webhooks/<source>[/<processor>]) and the worker over all of them.
// The connectors are built above (real or simulated), so createAct takes them as they are.
const act = createAct({
  state: {
    store: state.store,
    sink: state.sink,
    credentials: state.credentials,
    rateLimits: state.rateLimits,
    migrate: ({ connectors }) => state.migrate(connectors),
    // Where the scheduler keeps connections, jobs, runs and its leader lease; retention is its daily job.
    sync: state.sync,
    // Forwards and write-backs (none configured here: the dashboard's Outbox section shows what a destination sends).
    outbox: state.outbox,
    cleanup: () => state.cleanup(),
  },
  connectors,
  logger,
  prefix: '/webhooks',
  worker: { idleDelayMs: 20, batchSize: 50 },
  // Pollers without webhooks run every --poll-every seconds (a poller's own `intervalMs` wins), `fallback` ones while a
  // tenant's webhooks are quiet. A round each second, so a due poll starts within a second of being due, and a plan
  // every 10 s (default 60 s), so a switch to polling and back shows soon after the webhooks stop or resume.
  scheduler: {
    pollIntervalMs: Math.max(1, Number(args['poll-every'])) * 1000,
    tickIntervalMs: 1_000,
    planEveryMs: 10_000,
  },
});
const webhookRoute = toNodeHandler(act.handler, { onError: requestError });

// The dashboard serves `/` and `/dashboard/*`; everything else it leaves to the routes below. Its access token:
// ACT_DASHBOARD_TOKEN, or a random one printed below. It answers to the listening address and ACT_DASHBOARD_HOSTS
// (comma-separated `name:port` values, for a name or proxy in front of it).
const port = (server.address() as AddressInfo).port;
const dashboard = createDashboard({
  state,
  connectors,
  sync: act.scheduler,
  outbox: act.outbox.store,
  ...(process.env.ACT_DASHBOARD_TOKEN?.trim() ? { token: process.env.ACT_DASHBOARD_TOKEN.trim() } : {}),
  allowedHosts: [`127.0.0.1:${port}`, `localhost:${port}`, ...listOf(process.env.ACT_DASHBOARD_HOSTS)],
});
/** One line per failed or aborted request (a client hanging up mid-body is routine, not a stack trace). */
function requestError(error: unknown): void {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  console.error(
    code === 'ECONNRESET' || /aborted/i.test(message)
      ? `  request aborted by the client (${message})`
      : `  request failed: ${message.split('\n')[0]}`,
  );
}
const dashboardRoute = toNodeHandler(
  async (request) =>
    (await dashboard(request)) ??
    Response.json({ error: 'not found: try /, POST /webhooks/<source>, GET /health, GET /events' }, { status: 404 }),
  { onError: requestError },
);
/** `/health` and `/events` show what the dashboard shows: the same Host and token checks. */
const guarded = toNodeHandler(
  async (request) => {
    const refused = dashboard.guard(request);
    if (refused) return refused;
    const path = new URL(request.url).pathname;
    return Response.json(path === '/health' ? await state.store.health() : await state.store.listEvents({ limit: 50 }));
  },
  { onError: requestError },
);

function route(request: IncomingMessage, response: ServerResponse): void {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (path.startsWith('/webhooks/')) return void webhookRoute(request, response);
  const simulated = path.match(/^\/sim\/([a-z0-9-]+)(\/.*)$/);
  const simulator = simulated ? simulators.get(simulated[1] as string) : undefined;
  if (simulated && simulator) {
    // The path below `/sim/<source>`, query string included.
    simulator.handleApi(request, response, (request.url ?? '/').slice(`/sim/${simulated[1]}`.length));
    return;
  }
  if (path === '/health' || path === '/events') return void guarded(request, response);
  void dashboardRoute(request, response);
}

// -- Start-up ---------------------------------------------------------------------------------------

await act.migrate();
// The state a connected account starts with (stored tokens), where a provider has one.
for (const simulation of simulations.values()) await simulation.setup?.();
const { worker } = act;

async function send(delivery: Delivery): Promise<number> {
  const response = await fetch(`${base}/webhooks/${delivery.source}`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  await response.arrayBuffer();
  return response.status;
}

// The tenants the scheduler keeps in sync: the simulated ones, or those a real account's variables list. A kept
// database may remember tenants of an earlier run (simulated tenants are new every run; other DEMO_XERO_TENANTS):
// those are disconnected (their rows kept), or the scheduler would keep polling them.
const wanted = new Set<string>();
for (const [source, list] of tenants) {
  for (const tenant of list) {
    wanted.add(`${source}/${tenant}`);
    await act.scheduler.connect({ source, tenant });
  }
}
for (const connection of await state.sync.listConnections({ status: 'active' })) {
  if (tenants.has(connection.source) && !wanted.has(`${connection.source}/${connection.tenant}`)) {
    await act.scheduler.disconnect({
      source: connection.source,
      tenant: connection.tenant,
      reason: 'not in this demo',
    });
  }
}

/**
 * Poll every stream of every connected tenant (or only `streams`, as `<source>:<stream>`) now, one after another.
 * A stream with a poll job runs it through the scheduler (`runJob`: the run is recorded, the next one due a poll
 * interval later). A `fallback` poller (its changes come by webhook) has a job only while the tenant's webhooks are
 * quiet, so its backfill runs `runPoller` under the stream's lease, as `act backfill` does.
 */
async function poll(streams?: readonly string[]): Promise<number> {
  let records = 0;
  for (const connector of connectors) {
    for (const tenant of tenants.get(connector.source) ?? []) {
      for (const poller of connector.pollers ?? []) {
        if (streams && !streams.includes(`${connector.source}:${poller.stream}`)) continue;
        const run = await act.scheduler.runJob(jobKey('poll', connector.source, tenant, poller.stream));
        if (run) {
          if (run.outcome === 'failed') console.error(`  ! ${run.key} failed: ${run.error ?? run.errorClass ?? ''}`);
          records += run.counts.events ?? 0;
        } else if (poller.fallback && !connector.missingApiCredentials) {
          const { store, sink, sync } = state;
          records += (await runPoller({ connector, tenant, poller, store, sink, sync, logger })).events;
        }
      }
    }
  }
  return records;
}

/** The scheduler's view per source and tenant: how it is kept fresh (webhooks, or polling while quiet), its streams. */
function syncLines(rows: readonly SyncFreshness[], at: Date): string[] {
  const byTenant = new Map<string, SyncFreshness[]>();
  for (const row of rows) {
    const key = `${row.source}/${row.tenant}`;
    byTenant.set(key, [...(byTenant.get(key) ?? []), row]);
  }
  const seconds = (date: Date) => Math.round((at.getTime() - date.getTime()) / 1000);
  const lastPolled = (ages: number[]) => {
    if (ages.length === 0) return 'never';
    const [newest, oldest] = [Math.min(...ages), Math.max(...ages)];
    return newest === oldest ? `${newest} s ago` : `${newest}–${oldest} s ago`;
  };
  return [...byTenant].map(([key, streams]) => {
    const first = streams[0] as SyncFreshness;
    const mode = first.mode
      ? `${first.mode} (last webhook ${first.lastWebhookAt ? `${seconds(first.lastWebhookAt)} s ago` : 'never'})`
      : 'polling only';
    const polled = streams.filter((row) => row.stream !== '');
    const ages = polled.flatMap((row) => (row.lastPollAt ? [seconds(row.lastPollAt)] : []));
    const green = polled.filter((row) => row.status === 'green').length;
    const others = streams
      .filter((row) => row.status !== 'green')
      .map((row) => `${row.stream || 'webhooks'} ${row.status}${row.reason ? `: ${row.reason}` : ''}`);
    const polls =
      polled.length === 0 ? '' : ` · ${green}/${polled.length} streams green, last polled ${lastPolled(ages)}`;
    return `  sync ${key}: ${mode}${polls}${others.length > 0 ? ` · ${others.join('; ')}` : ''}`;
  });
}

async function drained(timeoutMs = 120_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const figures = await state.store.health();
    if (figures.every((figure) => figure.pending === 0 && figure.processing === 0)) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

/** The simulator a change happens at: weighted by each simulation (a provider stays inside its API limits). */
const sending = [...simulators.values()];
const weights = sending.map((simulator) => simulations.get(simulator.source)?.weight ?? 1);
function nextSimulator(): SimulatedProvider {
  let roll = random() * weights.reduce((sum, weight) => sum + weight, 0);
  for (const [index, simulator] of sending.entries()) {
    roll -= weights[index] as number;
    if (roll < 0) return simulator;
  }
  return sending[0] as SimulatedProvider;
}

console.log(`@act demo — state and mirror: ${state.description}`);
console.log(
  process.env.ACT_DASHBOARD_TOKEN?.trim()
    ? `  dashboard  ${base}/?token=<ACT_DASHBOARD_TOKEN>`
    : `  dashboard  ${base}/?token=${dashboard.token}  (opens it and sets the token's cookie; ACT_DASHBOARD_TOKEN fixes it)`,
);
for (const connector of connectors) {
  const simulator = simulators.get(connector.source);
  console.log(
    `  webhooks   POST ${base}/webhooks/${connector.source}  ← ${simulator ? simulator.title : 'the real provider'}`,
  );
}
console.log(`  JSON       GET  ${base}/health  ·  GET  ${base}/events  (Authorization: Bearer <the token>)`);
if (state.kind === 'pglite' && state.dataDir) {
  console.log(`  data       PGlite data directory ${state.dataDir} (delete it to start afresh)`);
}
if (state.kind === 'pglite') {
  console.log(
    "  Supabase   DATABASE_URL=<the project's connection string> pnpm demo  (or SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY, once migrated)",
  );
}
for (const note of notes) console.log(`  ${note}`);
const realAccounts = [...simulations.values()].flatMap((simulation) =>
  simulation.fake && simulation.realAccount ? [simulation.realAccount] : [],
);
if (realAccounts.length > 0) {
  console.log(`  real accounts: set ${realAccounts.join(' / ')} (see examples/demo/README.md)`);
}

// The checks a provider makes of the receiver (Xero's intent to receive), one line each.
for (const simulation of simulations.values()) {
  for (const check of (await simulation.checks?.(send)) ?? []) {
    console.log(`  ${check.line}`);
    if (!check.ok) process.exitCode = 1;
  }
}

for (const [id, simulator] of simulators) simulator.seed(simulations.get(id)?.seedPerTenant ?? 8);
const backfillStarted = performance.now();
// A new tenant's first poll is its backfill: run them all now, before anything else is sent.
const backfilled = await poll();
const apiCalls = [...simulators.values()].reduce((sum, simulator) => sum + simulator.apiRequests, 0);
console.log(
  `  backfill   ${backfilled} records from the providers' listing APIs (${apiCalls} requests, ${Math.round(performance.now() - backfillStarted)} ms)`,
);
worker.start();
// The outbox's own loop (forwards, write-backs), beside the worker: a dead destination never slows ingest.
act.outbox.start();

if (args.once) {
  let ok = false;
  try {
    ok = (await runScenario(Number(args.deliveries))) && process.exitCode !== 1;
  } catch (error) {
    console.error(error);
  } finally {
    await worker.stop();
    await act.outbox.stop();
    // An ephemeral Postgres schema is dropped here, whatever happened.
    await state.close();
    server.close();
  }
  process.exit(ok ? 0 : 1);
} else {
  // The scheduler's leader loop: polls streams without webhooks every --poll-every s (and the others while a tenant's
  // webhooks are quiet), reconciliation and retention daily; its leader lease is in the state (a second process on
  // the same Postgres waits for it).
  act.scheduler.start();
  console.log(
    `  sending ~${args.rate} changes/s; the scheduler polls every ${args['poll-every']} s (act.scheduler.start()); Ctrl-C to stop`,
  );
  const intervalMs = 1000 / Math.max(0.1, Number(args.rate));
  const timer = setInterval(async () => {
    // Now and then a burst: a bulk import or an automation touching many records at once.
    const changes = random() < 0.05 ? 5 + Math.floor(random() * 10) : 1;
    for (let index = 0; index < changes; index++) {
      for (const delivery of await nextSimulator().next()) void send(delivery).catch((error) => console.error(error));
    }
  }, intervalMs);
  const report = setInterval(async () => {
    try {
      const figures = await state.store.health();
      for (const figure of figures) {
        console.log(
          `  ${figure.source}/${figure.tenant}: pending ${figure.pending}, dead ${figure.dead}, events last hour ${figure.eventsLastHour}, p50 ${figure.latencyP50Ms ?? '-'} ms, p95 ${figure.latencyP95Ms ?? '-'} ms`,
        );
      }
      // Freshness as the scheduler sees it: webhooks or polling (quiet), each stream's grade and last poll.
      for (const line of syncLines(await act.scheduler.status(), new Date())) console.log(line);
    } catch (error) {
      console.error('  report failed:', error instanceof Error ? error.message : error);
    }
  }, 10_000);
  const stop = async () => {
    clearInterval(timer);
    clearInterval(report);
    // Lets the running poll jobs finish and releases the leader lease.
    await act.scheduler.stop();
    // Open dashboard pages hold a server-sent events stream: close them, or close() waits for ever.
    server.closeAllConnections();
    server.close();
    await worker.stop();
    await act.outbox.stop();
    await state.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** `--once`: a fixed scenario, then a summary; true when the mirror matches every simulated provider. */
async function runScenario(total: number): Promise<boolean> {
  const log = new DeliveryLog();
  let largestBurst = 0;
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    // Bursts: up to 8 changes at once, across the providers.
    const changes = 1 + Math.floor(random() * 8);
    const burst: Delivery[] = [];
    for (let index = 0; index < changes; index++) burst.push(...(await nextSimulator().next()));
    largestBurst = Math.max(largestBurst, burst.length);
    const statuses = await Promise.all(burst.map(send));
    for (const [index, delivery] of burst.entries()) log.record(delivery, statuses[index] as number);
    sent += burst.length;
  }
  // Deliveries a fake still held back (late out-of-order ones).
  for (const simulation of simulations.values()) {
    for (const delivery of simulation.finish?.() ?? []) log.record(delivery, await send(delivery));
  }
  const settled = await drained();
  if (!settled) console.log('  ! the inbox did not drain within 2 minutes');
  // What only polling brings (streams without webhooks), once more now that the changes are in.
  const finalPolls = [...simulations.values()].flatMap((simulation) => simulation.finalPoll ?? []);
  const polled = await poll(finalPolls.flatMap((final) => final.streams));
  const elapsedMs = performance.now() - started;
  const { mismatches, tables } = await compareMirror([...simulators.values()], state);
  console.log(
    `  final poll ${polled} records${finalPolls.length > 0 ? ` (${finalPolls.map((final) => final.reason).join('; ')})` : ''}`,
  );
  return summarise({
    providers: [...simulators.values()],
    state,
    log,
    elapsedMs,
    backfilled,
    largestBurst,
    mismatches,
    tables,
  });
}

function listOf(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
