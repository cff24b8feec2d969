// End to end: a Pub/Sub push (built by hand as Google documents it [P1] [G2])
// → handler → inbox (a coalesced sync request) → worker → the `history` poller
// against Gmail (nock) → transform → @act/sink-supabase, on PGlite (always) and
// on real Postgres (when DATABASE_URL is set; a random schema, dropped after).
//
// The push endpoint's own verification is tested with its processor; here the
// processor's verify is replaced by one that accepts, so what is tested is
// everything after a push was authenticated.
import { createWebhookHandler, createWorker, type SourceEventV1, type WebhookProcessorV1 } from '@act/core';
import { createPostgresState } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import nock from 'nock';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGmailConnector } from '../src/gmail-connector';
import { fixtures, JSON_HEADERS, MAILBOX, ORIGIN, serveFullSync, serveHistory, TOKEN, USER } from './helpers/gmail-api';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const DATABASE_URL = process.env.DATABASE_URL;
const CURSOR_KEY = { source: 'gmail', tenant: MAILBOX, stream: 'history' };

let counter = 0;
const randomSchema = () =>
  `gmail_t_${Date.now().toString(36)}_${process.pid.toString(36)}_${++counter}_${Math.random().toString(36).slice(2, 7)}`;

/** [G2] The push request body: `message.data` is base64url JSON `{ emailAddress, historyId }`. */
function pushBody(historyId: string, messageId: string, emailAddress = 'User@Example.com'): string {
  const data = Buffer.from(JSON.stringify({ emailAddress, historyId })).toString('base64url');
  return JSON.stringify({
    message: { data, messageId, message_id: messageId, publishTime: '2026-12-08T10:00:00.000Z' },
    subscription: 'projects/myproject/subscriptions/mysubscription',
  });
}

interface Database {
  query(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
  driver: Parameters<typeof createPostgresState>[0];
}

function suite(name: string, open: () => Promise<Database>) {
  describe(name, () => {
    let db: Database;
    beforeAll(async () => {
      db = await open();
    }, 60_000);
    afterAll(async () => {
      await db?.close();
    });

    async function setup() {
      const connector = createGmailConnector({ accessToken: TOKEN, retry: { maxAttempts: 1 } });
      const schema = randomSchema();
      const state = createPostgresState(db.driver, { schema });
      await state.migrate({ connectors: [connector] });
      const accepting: WebhookProcessorV1<SourceEventV1> = {
        ...(connector.webhook as WebhookProcessorV1<SourceEventV1>),
        verify: async () => ({ valid: true }),
      };
      const handler = createWebhookHandler({ processor: accepting, store: state.store });
      const worker = createWorker({
        connectors: [{ ...connector, webhooks: { default: accepting } }],
        store: state.store,
        sink: state.sink,
        sync: state.sync,
        circuitBreaker: false,
      });
      const push = async (historyId: string, messageId: string) =>
        (
          await handler(
            new Request('https://app.example.com/gmail', {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: 'Bearer verified-elsewhere' },
              body: pushBody(historyId, messageId),
            }),
          )
        ).status;
      const rows = async () =>
        db.query(
          `select id, thread_id, history_id, label_ids, from_addresses, to_addresses, subject, _version, _deleted_at
             from "${schema}".gmail_messages order by id`,
        );
      return {
        state,
        push,
        worker,
        rows,
        query: (sql: string) => db.query(sql.replaceAll('$schema', `"${schema}"`)),
        async destroy() {
          await state.close();
          await db.query(`drop schema if exists "${schema}" cascade`);
        },
      };
    }

    it('a push syncs the mailbox: full sync, rows in gmail_messages, the cursor committed; the next push lists history from it', async () => {
      const ctx = await setup();
      try {
        serveFullSync();
        serveHistory('1000', fixtures.historyEmpty);
        expect(await ctx.push('1234567890', 'pubsub-1')).toBeLessThan(300);
        expect(await ctx.worker.drain()).toMatchObject({ outcomes: { done: 1, retrying: 0, dead: 0 } });

        const rows = await ctx.rows();
        expect(rows.map((row) => [row.id, Number(row._version), row._deleted_at])).toEqual([
          ['18c1a2b3c4d5e6f7', 998, null],
          ['18c1a2b3c4d5e6f8', 999, null],
          ['18c1a2b3c4d5e6f9', 990, null],
        ]);
        expect(rows[0]).toMatchObject({
          thread_id: '18c1a2b3c4d5e6f7',
          subject: 'Q4 figures',
          from_addresses: ['jane.doe@example.com'],
          to_addresses: ['ana@example.org', 'bob@example.org', 'carol@example.org'],
        });
        expect(JSON.parse((await ctx.state.store.getCursor(CURSOR_KEY)) ?? 'null')).toEqual({ historyId: '1010' });
        const threads = await ctx.query(
          'select thread_id, message_count from $schema.gmail_threads order by thread_id',
        );
        expect(threads).toEqual([
          { thread_id: '18c1a2b3c4d5e6f7', message_count: 2 },
          { thread_id: '18c1a2b3c4d5e6f9', message_count: 1 },
        ]);

        // Pub/Sub redelivers the same message: stored once, nothing synced again.
        expect(await ctx.push('1234567890', 'pubsub-1')).toBeLessThan(300);
        expect(await ctx.worker.drain()).toMatchObject({ claimed: 0 });

        // The next push: history from the STORED id (1010), never from the pushed one [G3].
        serveHistory('1010', JSON.stringify({ ...JSON.parse(fixtures.historyPage2), historyId: '1012' }));
        expect(await ctx.push('1234567999', 'pubsub-2')).toBeLessThan(300);
        expect(await ctx.worker.drain()).toMatchObject({ outcomes: { done: 1 } });
        const deleted = (await ctx.rows()).find((row) => row.id === '18c1a2b3c4d5e6f9');
        expect(deleted?._deleted_at).toBeInstanceOf(Date);
        expect(Number(deleted?._version)).toBe(1005);
        expect(JSON.parse((await ctx.state.store.getCursor(CURSOR_KEY)) ?? 'null')).toEqual({ historyId: '1012' });
        expect(nock.pendingMocks()).toEqual([]);
      } finally {
        await ctx.destroy();
      }
    });

    it('a 403 userRateLimitExceeded [G7] is handed back for a later retry (rate limit), not dead-lettered; the cursor stays', async () => {
      const ctx = await setup();
      try {
        await ctx.state.store.setCursor({ ...CURSOR_KEY, cursor: JSON.stringify({ historyId: '1010' }) });
        nock(ORIGIN).get(`${USER}/history`).query(true).reply(403, fixtures.userRateLimit, JSON_HEADERS);
        expect(await ctx.push('1011', 'pubsub-3')).toBeLessThan(300);
        expect(await ctx.worker.drain()).toMatchObject({ outcomes: { done: 0, retrying: 1, dead: 0 } });
        const [delivery] = await ctx.query(
          "select status, last_error_class from $schema.act_deliveries where dedupe_key like 'gmail:%'",
        );
        expect(delivery).toMatchObject({ status: 'pending', last_error_class: 'rate_limit' });
        expect(JSON.parse((await ctx.state.store.getCursor(CURSOR_KEY)) ?? 'null')).toEqual({ historyId: '1010' });
      } finally {
        await ctx.destroy();
      }
    });
  });
}

suite('PGlite through @act/sink-supabase', async () => {
  const instance = await PGlite.create();
  return {
    driver: { pglite: instance },
    query: async (sql) => (await instance.query<Record<string, unknown>>(sql)).rows,
    close: () => instance.close(),
  };
});

describe.skipIf(!DATABASE_URL)('Postgres (DATABASE_URL)', () =>
  suite('Postgres through @act/sink-supabase', async () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
    pool.on('error', (error) => console.error(`postgres pool: ${error.message}`));
    return {
      driver: { pool },
      query: async (sql) => (await pool.query(sql)).rows,
      close: () => pool.end(),
    };
  }),
);
