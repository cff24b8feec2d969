/**
 * 7. Gmail push → row: the Gmail connector's simulation (its fake Gmail:
 * mailboxes changing, signed Pub/Sub pushes with duplicates and late ones,
 * the History API) through a real app: createAct's webhook handler on
 * node:http, the inbox, the worker running each push's coalesced history
 * sync (history.list, messages.get), the version-guarded sink. State and
 * mirror on Postgres (DATABASE_URL) or embedded PGlite (DATABASE_URL unset).
 *
 * Measured per changed message, from the `publishTime` of the first push
 * announcing its last change (a history id at least the change's) to the
 * mirror row's `_synced_at` for that change (the row at that version). The
 * target is the connector's promise: a Gmail change is in Postgres within
 * five minutes (p99), Pub/Sub delivering promptly.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSimulation, type GmailFake } from '@act/connector-gmail/testing';
import { createAct, jobKey, noopLogger } from '@act/core';
import { toNodeHandler } from '@act/core/node';
import { createRandom } from '@act/core/testing/fake';
import { createPostgresState, type PostgresState } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { type BenchContext, type BenchResult, percentile, round, scratchSchema, sleep, target } from './lib.ts';

export const title = 'Gmail push → mirror row latency (publishTime to _synced_at) through a real app';

const FIVE_MINUTES_MS = 5 * 60_000;

type Query = (text: string, values?: unknown[]) => Promise<Record<string, unknown>[]>;

async function openState(context: BenchContext): Promise<{
  state: PostgresState;
  query: Query;
  table: (name: string) => string;
  description: string;
  close: () => Promise<void>;
}> {
  if (process.env.DATABASE_URL) {
    const scratch = await scratchSchema(context.databaseUrl, 'gmail');
    const pool = new pg.Pool({ connectionString: context.databaseUrl, max: 8 });
    pool.on('error', (error) => console.error(`postgres pool: ${error.message}`));
    const state = createPostgresState({ pool }, { schema: scratch.schema });
    return {
      state,
      query: async (text, values) => (await pool.query(text, values)).rows,
      table: (name) => `"${scratch.schema}"."${name}"`,
      description: `Postgres, schema ${scratch.schema}`,
      close: async () => {
        await state.close();
        await pool.end();
        await scratch.drop();
      },
    };
  }
  const db = new PGlite();
  const state = createPostgresState({ pglite: db });
  return {
    state,
    query: async (text, values) => (await db.query<Record<string, unknown>>(text, values)).rows,
    table: (name) => `"${name}"`,
    description: 'embedded PGlite in memory (set DATABASE_URL for Postgres)',
    close: async () => {
      await state.close();
      await db.close();
    },
  };
}

export async function run(context: BenchContext): Promise<BenchResult> {
  const durationSec = context.quick ? 10 : 60;
  // [G2] Gmail publishes at most one notification a second per mailbox: the simulation's two mailboxes, each
  // changing about once a second, are as busy as Gmail lets a mailbox be.
  const changesPerSec = 2;
  const { state, query, table, description, close } = await openState(context);
  let fake: GmailFake | undefined;
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const simulation = await createSimulation({
      baseUrl: `${base}/sim/gmail`,
      random: createRandom(7),
      runId: 'bench',
      state: { credentials: state.credentials, rateLimits: state.rateLimits },
      env: {},
      logger: noopLogger,
    });
    fake = simulation.fake as GmailFake;
    const act = createAct({
      state: {
        store: state.store,
        sink: state.sink,
        credentials: state.credentials,
        rateLimits: state.rateLimits,
        sync: state.sync,
        migrate: ({ connectors }) => state.migrate({ connectors }),
      },
      connectors: [simulation.connector],
      logger: noopLogger,
      prefix: '/webhooks',
    });
    const webhooks = toNodeHandler(act.handler);
    server.on('request', (request, response) => {
      const url = request.url ?? '/';
      if (url.startsWith('/sim/gmail/')) fake?.handleApi(request, response, url.slice('/sim/gmail'.length));
      else void webhooks(request, response);
    });
    await act.migrate();
    await simulation.setup?.();
    fake.seed(simulation.seedPerTenant ?? 8);
    // The backfill: a full sync per mailbox, as a new connection's first poll.
    for (const tenant of simulation.tenants) {
      await act.scheduler.connect({ source: 'gmail', tenant });
      for (const poller of simulation.connector.pollers ?? []) {
        await act.scheduler.runJob(jobKey('poll', 'gmail', tenant, poller.stream));
      }
    }
    act.worker.start();
    const statuses = new Map<number, number>();
    const send = async (delivery: { body: string; headers: Record<string, string> }) => {
      const response = await fetch(`${base}/webhooks/gmail`, {
        method: 'POST',
        headers: delivery.headers,
        body: delivery.body,
      });
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    };
    const started = Date.now();
    const inFlight: Promise<void>[] = [];
    for (let index = 0; Date.now() - started < durationSec * 1000; index++) {
      const due = started + (index * 1000) / changesPerSec;
      if (due > Date.now()) await sleep(due - Date.now());
      for (const delivery of await fake.next()) inFlight.push(send(delivery));
    }
    for (const delivery of simulation.finish?.() ?? []) inFlight.push(send(delivery));
    await Promise.all(inFlight);
    // Drained: nothing pending or running in the inbox.
    for (let wait = 0; wait < 1200; wait++) {
      const figures = await state.store.health();
      if (figures.every((figure) => figure.pending === 0 && figure.processing === 0)) break;
      await sleep(100);
    }
    await act.worker.stop();

    // The row each message's last change wrote, and when.
    const rows = await query(
      `select id, mailbox, _version::text as version, extract(epoch from _synced_at) * 1000 as synced_ms,
         _deleted_at is not null as deleted from ${table('gmail_messages')}`,
    );
    const byKey = new Map(rows.map((row) => [`${row.mailbox}/${row.id}`, row]));
    const last = new Map<string, (typeof fake.changes)[number]>();
    for (const change of fake.changes) last.set(`${change.mailbox}/${change.messageId}`, change);
    const latencies: number[] = [];
    let missing = 0;
    for (const [key, change] of last) {
      const row = byKey.get(key);
      const push = fake.published.find(
        (candidate) => candidate.mailbox === change.mailbox && Number(candidate.historyId) >= change.historyId,
      );
      if (!push) continue; // announced by no push (an unwatched mailbox): not a push's latency
      if (
        !row ||
        Number(row.version) !== change.historyId ||
        Boolean(row.deleted) !== (change.type === 'messageDeleted')
      ) {
        missing += 1;
        continue;
      }
      latencies.push(Number(row.synced_ms) - push.publishedAt);
    }
    const expectedRows = fake.expected().reduce((sum, expected) => sum + expected.rows.length, 0);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    return {
      parameters: {
        state: description,
        durationSec,
        changesPerSec,
        mailboxes: simulation.tenants.length,
        seededPerMailbox: simulation.seedPerTenant ?? 8,
        pipeline:
          'node:http + createAct handler → inbox → worker (coalesced history sync: history.list, messages.get) → sink',
        measured: 'first push announcing a message’s last change (publishTime) → its row at that version (_synced_at)',
      },
      figures: [
        {
          changes: fake.changes.length,
          pushes: fake.sentCount,
          'HTTP answers': [...statuses].map(([status, count]) => `${count}×${status}`).join(', '),
          'API calls': fake.apiRequests,
          'messages timed': latencies.length,
          'not in mirror': missing,
          'expected rows': expectedRows,
          'p50 ms': round(p50, 1),
          'p90 ms': round(percentile(latencies, 90), 1),
          'p99 ms': round(p99, 1),
          'max ms': round(Math.max(...latencies), 1),
        },
      ],
      targets: [
        target(
          'gmail.p99_push_to_row_ms',
          p99,
          '<=',
          FIVE_MINUTES_MS,
          'publishTime → _synced_at, per message (5 minutes)',
        ),
        target('gmail.rows_missing', missing, '<=', 0, 'every change announced by a push reached the mirror'),
      ],
      notes: [
        'Pub/Sub’s own delivery delay is not part of the run: pushes are posted when published',
        `fake Gmail: ${fake.apiSummary()}`,
      ],
    };
  } finally {
    server.close();
    await close();
  }
}
