/**
 * `pnpm demo`: the whole pipeline on one machine, nothing to set up.
 *
 * A simulated provider (the connector template's fictional "Template") sends
 * signed webhooks — with duplicates, out-of-order updates and bursts — to a
 * real HTTP server running the @act receive path; a worker drains the inbox
 * into the mirror; a poller backfills what existed before. `--once` runs a
 * fixed scenario, prints a summary and exits 0 only if the mirror matches the
 * provider.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createTemplateConnector } from '@act/connector-template';
import { createConsoleLogger, createWebhookHandler, createWorker, noopLogger, runPoller } from '@act/core';
import { toNodeHandler } from '@act/core/node';
import { compareMirror, summarise } from './report.ts';
import { createRandom, type Delivery, ProviderSimulator, signTemplate } from './simulator.ts';
import { openDemoState } from './state.ts';

const { values: args } = parseArgs({
  options: {
    once: { type: 'boolean', default: false },
    port: { type: 'string', default: process.env.PORT ?? '0' },
    rate: { type: 'string', default: '5' },
    deliveries: { type: 'string', default: '300' },
    verbose: { type: 'boolean', default: false },
  },
});

const SECRET = 'demo-webhook-secret';
const ACCOUNTS = ['acct_north', 'acct_south'];
const logger = args.verbose ? createConsoleLogger({ level: 'debug' }) : noopLogger;

const state = await openDemoState({ ephemeral: args.once });
// Ids carry a run id so a persistent database never mistakes a new run's deliveries for redeliveries.
const runId = args.once ? 'once' : Date.now().toString(36);
const simulator = new ProviderSimulator(ACCOUNTS, createRandom(args.once ? 42 : Date.now()), runId);

let handleWebhook: ((request: Request) => Promise<Response>) | undefined;
const webhookRoute = toNodeHandler((request) => (handleWebhook as (request: Request) => Promise<Response>)(request));
const server = createServer((request, response) => {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (path === '/webhooks/template' && handleWebhook) return void webhookRoute(request, response);
  if (path.startsWith('/template-api/')) return simulator.handleApi(request, response, '/template-api');
  if (path === '/health') {
    void state.store.health().then((figures) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(figures, null, 2));
    });
    return;
  }
  if (path === '/events') {
    void state.store.listEvents({ limit: 50 }).then((events) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(events, null, 2));
    });
    return;
  }
  response.writeHead(404, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ error: 'not found: try POST /webhooks/template, GET /health, GET /events' }));
});
await new Promise<void>((resolve) => server.listen(Number(args.port), '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const connector = createTemplateConnector({
  webhookSecrets: [SECRET],
  apiToken: 'demo-token',
  baseUrl: `${base}/template-api`,
  pageSize: 10,
  logger,
});
await state.migrate(connector);
handleWebhook = createWebhookHandler({ processor: connector.webhook, store: state.store, logger });
const worker = createWorker({
  connectors: [connector],
  store: state.store,
  sink: state.sink,
  logger,
  idleDelayMs: 20,
  batchSize: 50,
});

async function send(delivery: Delivery): Promise<number> {
  const response = await fetch(`${base}/webhooks/template`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-template-signature': await signTemplate(SECRET, delivery.body) },
    body: delivery.body,
  });
  await response.arrayBuffer();
  return response.status;
}

async function backfill(): Promise<number> {
  let records = 0;
  for (const account of ACCOUNTS) {
    const result = await runPoller({ connector, tenant: account, store: state.store, sink: state.sink, logger });
    records += result.events;
  }
  return records;
}

async function drained(): Promise<void> {
  for (;;) {
    const figures = await state.store.health();
    if (figures.every((figure) => figure.pending === 0 && figure.processing === 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** `--once`: a fixed scenario, then a summary; true when the mirror matches the provider. */
async function runScenario(total: number): Promise<boolean> {
  const statuses = new Map<number, number>();
  const started = performance.now();
  while (simulator.sentCount < total) {
    // Bursts: up to 8 changes sent at once.
    const burst = simulator
      .next()
      .concat(...Array.from({ length: Math.floor(Math.random() * 8) }, () => simulator.next()));
    const results = await Promise.all(burst.map(send));
    for (const status of results) statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }
  await drained();
  const elapsedMs = performance.now() - started;
  const mismatches = await compareMirror(simulator, state);
  return summarise({ simulator, state, statuses, elapsedMs, backfilled, mismatches });
}

console.log(`@act demo — state: ${state.description}`);
console.log(`  webhooks  POST ${base}/webhooks/template`);
console.log(`  health    GET  ${base}/health`);
console.log(`  events    GET  ${base}/events`);

simulator.seed(15);

const backfilled = await backfill();
console.log(`  backfill  ${backfilled} records from the provider's listing API (${simulator.apiRequests} requests)`);
worker.start();

if (args.once) {
  let ok = false;
  try {
    ok = await runScenario(Number(args.deliveries));
  } catch (error) {
    console.error(error);
  } finally {
    await worker.stop();
    // An ephemeral Postgres schema is dropped here, whatever happened.
    await state.close();
    server.close();
  }
  process.exit(ok ? 0 : 1);
} else {
  const intervalMs = 1000 / Math.max(0.1, Number(args.rate));
  const timer = setInterval(() => {
    for (const delivery of simulator.next()) void send(delivery).catch((error) => console.error(error));
  }, intervalMs);
  const report = setInterval(async () => {
    const figures = await state.store.health();
    for (const figure of figures) {
      console.log(
        `  ${figure.source}/${figure.tenant}: pending ${figure.pending}, dead ${figure.dead}, events last hour ${figure.eventsLastHour}, p50 ${figure.latencyP50Ms ?? '-'} ms, p95 ${figure.latencyP95Ms ?? '-'} ms`,
      );
    }
  }, 5_000);
  const stop = async () => {
    clearInterval(timer);
    clearInterval(report);
    await worker.stop();
    await state.close();
    server.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  console.log(`  sending ~${args.rate} changes/s; Ctrl-C to stop`);
}
