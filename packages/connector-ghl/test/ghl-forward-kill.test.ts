// Forwarding GoHighLevel deliveries through the durable outbox, end to end on
// PGlite (a data directory each process opens in turn) and Postgres:
//
// 1. A signed GHL webhook is accepted, applied, and forwarded to a local HTTP
//    receiver that verifies the Standard Webhooks signature with the
//    `standardwebhooks` package. The app process is SIGKILLed after the
//    commit and before the send, then again while the receiver holds the
//    request (sent, not yet acknowledged): the receiver sees one webhook-id
//    only (twice, as at-least-once delivery does; it dedupes on the id), and
//    the mirror row and the forward both exist: exactly once in effect.
// 2. A dead destination (connection refused) fills the outbox while every
//    delivery is still applied: ingest does not wait for it.
//
// The processes killed are real separate Node processes
// (test/forward-kill/forward-child.ts), bundled by @act/sink-supabase's test
// helper (one bundler setup for every kill test).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createAct, httpDestination, type Logger } from '@act/core';
import { createPostgresState, type PostgresConnection } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  bundleChild,
  type Child,
  type KillTarget,
  killHard,
  sleep,
  startChild,
  withFileBackedPglite,
} from '../../sink-supabase/test/helpers/child-process';
import { createGhlConnector } from '../src/index';
import { FIXTURES, type GhlSigningKey, generateGhlSigningKey, signGhlBody, withGhlEnvelope } from '../src/testing';
import type { ForwardKillPlan } from './forward-kill/forward-child';

const DATABASE_URL = process.env.DATABASE_URL;
const SECRET = `whsec_${Buffer.from('forward-kill-test-secret-32-bytes!').toString('base64')}`;
const LEASE_MS = 1_000;
const CONTACT_ID = 'nmFmQEsNgz6AVpgLVUJ0';
const noLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

let bundle: { file: string; dispose(): void };
let signing: GhlSigningKey;

beforeAll(async () => {
  signing = await generateGhlSigningKey();
  bundle = await bundleChild(
    'test/forward-kill/forward-child.ts',
    'ghl-forward-child',
    fileURLToPath(new URL('../', import.meta.url)),
  );
}, 60_000);
afterAll(() => bundle?.dispose());

const running = new Set<Child>();
const servers: Server[] = [];
afterEach(async () => {
  for (const child of running) child.process.kill('SIGKILL');
  await Promise.all([...running].map((child) => child.exited));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const randomSchema = (prefix: string) => `${prefix}_${Math.random().toString(36).slice(2, 10)}`;

/** A GHL contact create as GHL signs it (`x-ghl-signature`), its id set to `id`. */
async function ghlDelivery(id = CONTACT_ID, webhookId = `wh_${id}`): Promise<Request> {
  const documented = FIXTURES['contact-create.1.json'] as string;
  const body = withGhlEnvelope(documented.replace(CONTACT_ID, id), { timestamp: new Date().toISOString(), webhookId });
  return new Request('http://localhost/ghl', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-ghl-signature': await signGhlBody(body, signing.privateKey) },
    body,
  });
}

interface Received {
  id: string;
  verified: boolean;
  body: { type: string; data: Record<string, unknown> };
}

/**
 * The receiver: verifies each request with the `standardwebhooks` package,
 * independently of @act's signer, and answers 200, except the first request
 * while `holdFirst` (kept open, unanswered: the sender dies waiting).
 */
async function receiver(options: { holdFirst?: boolean } = {}) {
  const received: Received[] = [];
  const listeners = new Set<() => void>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
      let verified = true;
      try {
        new Webhook(SECRET).verify(body, headers);
      } catch {
        verified = false;
      }
      received.push({ id: headers['webhook-id'] ?? '', verified, body: JSON.parse(body) });
      for (const listener of listeners) listener();
      if (options.holdFirst && received.length === 1) return;
      response.writeHead(verified ? 200 : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/forward`,
    received,
    waitFor: (count: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver: ${received.length} of ${count} requests`)), 20_000);
        const check = () => {
          if (received.length < count) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        check();
      }),
  };
}

async function forwardAcrossKills(target: KillTarget, schema: string): Promise<void> {
  const s = `"${schema}"`;
  const connector = createGhlConnector({ webhook: { ed25519PublicKeys: [signing.publicPem] } });
  const hook = await receiver({ holdFirst: true });

  // Receive: the signed delivery goes into the inbox (no worker here).
  let opened = await target.open();
  try {
    const state = createPostgresState(opened.connection, { schema });
    const act = createAct({ state, connectors: [connector], logger: noLogger });
    await act.migrate();
    expect((await act.handler(await ghlDelivery())).status).toBe(200);
    await state.close();
  } finally {
    await opened.close();
  }

  const plan = (owner: string, mode: ForwardKillPlan['mode']): ForwardKillPlan => ({
    connection: target.childConnection,
    schema,
    owner,
    publicPem: signing.publicPem,
    receiverUrl: hook.url,
    secret: SECRET,
    leaseMs: LEASE_MS,
    mode,
  });
  const start = (owner: string, mode: ForwardKillPlan['mode']) => {
    const child = startChild(bundle.file, plan(owner, mode));
    running.add(child);
    void child.exited.then(() => running.delete(child));
    return child;
  };

  // 1. Applied and committed with its forward; killed as the send begins.
  const first = start('app-1', 'hold');
  await first.waitFor((line) => line.event === 'sending');
  await killHard(first);
  expect(
    first.lines.find((line) => line.event === 'applied'),
    first.output(),
  ).toMatchObject({
    outcomes: { done: 1 },
  });
  expect(hook.received).toEqual([]);
  opened = await target.open();
  let key: string;
  try {
    // The mirror row and its forward were committed together; nothing was sent.
    expect(await opened.query(`select id from ${s}.ghl_contacts`)).toEqual([{ id: CONTACT_ID }]);
    const [delivery] = await opened.query<{ id: string }>(`select id::text as id from ${s}.act_deliveries`);
    key = `${delivery?.id}:0`;
    expect(await opened.query(`select key, status from ${s}.act_outbox`)).toEqual([{ key, status: 'processing' }]);
  } finally {
    await opened.close();
  }
  await sleep(LEASE_MS + 200);

  // 2. The next process sends it; killed while the receiver holds the request unanswered.
  const second = start('app-2', 'send');
  await hook.waitFor(1);
  await killHard(second);
  await sleep(LEASE_MS + 200);

  // 3. Left alone, the last one sends it again (same webhook-id) and completes it.
  const last = start('app-3', 'send');
  const exit = await last.exited;
  expect(exit, last.output()).toEqual({ code: 0, signal: null });
  expect(last.lines.at(-1), last.output()).toMatchObject({ event: 'drained', outcomes: { done: 1 } });

  // The receiver saw one message, verified, sent twice; deduped on webhook-id it is one.
  expect(hook.received.map((request) => [request.id, request.verified])).toEqual([
    [key, true],
    [key, true],
  ]);
  expect(new Set(hook.received.map((request) => request.id)).size).toBe(1);
  expect(hook.received[0]?.body).toMatchObject({
    type: 'ContactCreate',
    data: { source: 'ghl', entity: 'contact', entityId: CONTACT_ID, triggeredBy: 'webhook' },
  });

  opened = await target.open();
  try {
    expect(await opened.query(`select id from ${s}.ghl_contacts`)).toEqual([{ id: CONTACT_ID }]);
    // Two lapsed leases counted as attempts, then delivered.
    expect(await opened.query(`select key, status, attempts from ${s}.act_outbox`)).toEqual([
      { key, status: 'done', attempts: 2 },
    ]);
  } finally {
    await opened.close();
  }
}

/** Ingest with a destination nobody listens on: every delivery applied, every forward waiting. */
async function deadDestination(connection: PostgresConnection, schema: string): Promise<void> {
  const COUNT = 12;
  const state = createPostgresState(connection, { schema });
  const act = createAct({
    state,
    logger: noLogger,
    connectors: [createGhlConnector({ webhook: { ed25519PublicKeys: [signing.publicPem] } })],
    outbox: {
      // Port 9 (discard): nothing listens, the connection is refused.
      destinations: [httpDestination({ name: 'dead', url: 'http://127.0.0.1:9/forward', secret: SECRET })],
      dispatcher: { idleDelayMs: 20, concurrency: 2, circuitBreaker: { failureThreshold: 3, halfOpenAfterMs: 60_000 } },
    },
    worker: { idleDelayMs: 20 },
  });
  try {
    await act.migrate();
    act.worker.start();
    act.outbox.start();
    for (let index = 0; index < COUNT; index++) {
      const id = `deadDest${String(index).padStart(12, '0')}`;
      expect((await act.handler(await ghlDelivery(id))).status).toBe(200);
    }
    // Every delivery is applied while the destination stays dead.
    for (let waited = 0; ; waited += 50) {
      const done = await state.store.listDeliveries({ status: 'done', limit: 100 });
      if (done.length === COUNT) break;
      if (waited > 30_000) throw new Error(`${done.length} of ${COUNT} deliveries applied`);
      await sleep(50);
    }
    await act.worker.stop();
    await act.outbox.stop();

    const deliveries = await state.store.listDeliveries({ limit: 100 });
    // Nothing about the destination made a delivery fail or wait.
    expect(deliveries.every((delivery) => delivery.status === 'done' && delivery.attempts === 0)).toBe(true);
    const [stats] = await state.outbox.stats();
    expect(stats).toMatchObject({ destination: 'dead', dead: 0 });
    expect((stats?.pending ?? 0) + (stats?.processing ?? 0)).toBe(COUNT);
    // The breaker opened: the rest wait without being sent or counted.
    expect(act.outbox.breakers.get('dead')?.state).toBe('open');
    const messages = await state.outbox.list({ destination: 'dead' });
    // The sends that were tried met a refused connection.
    expect(messages.some((message) => /network error/.test(message.lastError ?? ''))).toBe(true);
    // At most the threshold, plus the sends already under way when it opened (concurrency 2).
    expect(messages.filter((message) => message.attempts > 0).length).toBeLessThanOrEqual(3 + 1);
  } finally {
    await act.worker.stop();
    await act.outbox.stop();
    await state.close();
  }
}

const KILL_TEST =
  'a forwarded GHL delivery reaches the receiver once in effect across SIGKILLs before and during the send';
const DEAD_TEST = 'a dead destination fills the outbox while every delivery is applied';

describe('GHL forwarding through the outbox on PGlite', () => {
  it(KILL_TEST, async () => {
    await withFileBackedPglite('act-forward-kill-', (target) =>
      forwardAcrossKills(target, randomSchema('act_forward_kill')),
    );
    // 60-80 s on a busy machine: the test and each of three children boot PGlite from the directory in turn.
  }, 180_000);

  it(DEAD_TEST, async () => {
    const db = await PGlite.create();
    try {
      await deadDestination({ pglite: db }, randomSchema('act_dead_dest'));
    } finally {
      await db.close();
    }
  }, 60_000);
});

interface Pool {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
}

/** A node-postgres pool on DATABASE_URL (imported by name: this package has no types for pg). */
async function pgPool(max: number): Promise<Pool> {
  const specifier: string = 'pg';
  const pg = (await import(specifier)) as { default: { Pool: new (config: object) => Pool } };
  return new pg.default.Pool({ connectionString: DATABASE_URL, max });
}

describe.skipIf(!DATABASE_URL)('GHL forwarding through the outbox on Postgres', () => {
  const connection: PostgresConnection = { connectionString: DATABASE_URL as string, poolOptions: { max: 4 } };
  const dropSchema = async (schema: string) => {
    const pool = await pgPool(1);
    try {
      await pool.query(`drop schema if exists "${schema}" cascade`);
    } finally {
      await pool.end();
    }
  };

  it(KILL_TEST, async () => {
    const schema = randomSchema('act_forward_kill');
    const pool = await pgPool(2);
    try {
      await forwardAcrossKills(
        {
          childConnection: connection,
          open: async () => ({
            connection,
            query: async (text, params) => (await pool.query(text, params)).rows as never,
            async close() {},
          }),
        },
        schema,
      );
    } finally {
      await pool.query(`drop schema if exists "${schema}" cascade`);
      await pool.end();
    }
  }, 90_000);

  it(DEAD_TEST, async () => {
    const schema = randomSchema('act_dead_dest');
    try {
      await deadDestination(connection, schema);
    } finally {
      await dropSchema(schema);
    }
  }, 60_000);
});
