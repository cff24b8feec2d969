// End to end: a Calendar notification → handler → inbox → worker → events
// sync (nock) → calendar_events, on PGlite (always) and on real Postgres
// (when DATABASE_URL is set; a random schema, dropped afterwards) through
// @act/sink-supabase. Then the channel health signals.
import { createMemoryCredentialStore, createWebhookHandler, createWorker } from '@act/core';
import { createPostgresState } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import nock from 'nock';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCalendarConnector } from '../src/calendar-connector';
import {
  CALENDAR_ID,
  calendarFixtures,
  calendarSettings,
  FULL_QUERY,
  notification,
  serveEvents,
  storeChannel,
} from './helpers/calendar-fixtures';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const DATABASE_URL = process.env.DATABASE_URL;
let counter = 0;
const randomSchema = () => `calendar_t_${Date.now().toString(36)}_${process.pid.toString(36)}_${++counter}`;

type Query = (sql: string) => Promise<Record<string, unknown>[]>;
interface Database {
  connection: Parameters<typeof createPostgresState>[0];
  query: Query;
}

function suite(name: string, open: () => Promise<Database>, close: () => Promise<void>) {
  describe(name, () => {
    let db: Database;
    beforeAll(async () => {
      db = await open();
    }, 60_000);
    afterAll(close);

    it('an `exists` notification syncs the calendar into calendar_events; a later one applies the changes', async () => {
      const schema = randomSchema();
      const settings = calendarSettings({ now: () => new Date('2026-03-02T11:00:00.000Z') });
      const connector = createCalendarConnector(settings);
      const state = createPostgresState(db.connection, { schema });
      try {
        await state.migrate({ connectors: [connector] });
        const { token } = await storeChannel(settings.channels);
        const handler = createWebhookHandler({ processor: connector.webhook, store: state.store });
        const worker = createWorker({
          connectors: [connector],
          store: state.store,
          sink: state.sink,
          circuitBreaker: false,
        });

        serveEvents(FULL_QUERY, 200, calendarFixtures.eventsFullPage1);
        serveEvents({ ...FULL_QUERY, pageToken: 'page-2-token' }, 200, calendarFixtures.eventsFullPage2);
        expect((await handler(notification({ 'x-goog-channel-token': token }))).status).toBe(200);
        expect(await worker.drain()).toMatchObject({ outcomes: { done: 1, dead: 0 } });

        const rows = async () =>
          db.query(
            `select id, summary, start_at, start_date::text as start_date, attendee_emails, _deleted_at from "${schema}".calendar_events where calendar_id = '${CALENDAR_ID}' order by id`,
          );
        expect(await rows()).toMatchObject([
          {
            id: 'evt1standup',
            summary: 'Stand-up',
            start_at: new Date('2026-03-03T08:30:00.000Z'),
            start_date: null,
            attendee_emails: ['my_calendar@gmail.com', 'ana.lopez@example.com'],
            _deleted_at: null,
          },
          { id: 'evt2offsite', start_at: null, start_date: '2026-03-10', _deleted_at: null },
          { id: 'evt3gone', _deleted_at: expect.any(Date) },
        ]);

        serveEvents({ ...FULL_QUERY, syncToken: 'sync-token-1' }, 200, calendarFixtures.eventsIncremental);
        const next = notification({ 'x-goog-channel-token': token, 'x-goog-message-number': '11' });
        expect((await handler(next)).status).toBe(200);
        expect(await worker.drain()).toMatchObject({ outcomes: { done: 1, dead: 0 } });
        expect(await rows()).toMatchObject([
          {
            id: 'evt1standup',
            summary: 'Stand-up (all day)',
            start_at: null,
            start_date: '2026-03-03',
            attendee_emails: [],
          },
          { id: 'evt2offsite', _deleted_at: expect.any(Date) },
          { id: 'evt3gone', _deleted_at: expect.any(Date) },
        ]);
        const cursor = await state.store.getCursor({ source: 'calendar', tenant: CALENDAR_ID, stream: 'events' });
        expect(JSON.parse(cursor as string)).toEqual({ syncToken: 'sync-token-2', pageToken: null });

        // A forged notification stores nothing.
        expect((await handler(notification({ 'x-goog-channel-token': 'guess' }))).status).toBe(401);
        expect(await worker.drain()).toMatchObject({ claimed: 0 });
      } finally {
        await state.close();
        await db.query(`drop schema if exists "${schema}" cascade`);
      }
    });
  });
}

let pglite: PGlite | undefined;
suite(
  'PGlite through @act/sink-supabase',
  async () => {
    pglite = await PGlite.create();
    const instance = pglite;
    return {
      connection: { pglite: instance },
      query: async (sql) => (await instance.query<Record<string, unknown>>(sql)).rows,
    };
  },
  async () => {
    await pglite?.close();
  },
);

let pool: pg.Pool | undefined;
describe.skipIf(!DATABASE_URL)('Postgres (DATABASE_URL)', () =>
  suite(
    'Postgres through @act/sink-supabase',
    async () => {
      pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
      pool.on('error', (error) => console.error(`postgres pool: ${error.message}`));
      const shared = pool;
      return { connection: { pool: shared }, query: async (sql) => (await shared.query(sql)).rows };
    },
    async () => {
      await pool?.end();
    },
  ),
);

describe('channel health signals', () => {
  const now = new Date('2026-03-08T12:00:00.000Z');
  const health = async (expiresAt: string, options: { stopped?: boolean } = {}) => {
    const settings = calendarSettings();
    const connector = createCalendarConnector(settings);
    await storeChannel(settings.channels, { expiresAt, ...options });
    const sync = { listConnections: async () => [{ tenant: CALENDAR_ID }] };
    return connector.healthSignals({
      store: {} as never,
      credentials: createMemoryCredentialStore(),
      sync: sync as never,
      now,
    });
  };

  it('nothing while the channel has more than its renewal lead left', async () => {
    expect(await health('2026-03-10T12:00:00.000Z')).toEqual([]);
  });

  it('amber once its renewal is overdue (within a day of expiry), red once it lapsed or was stopped', async () => {
    expect(await health('2026-03-09T06:00:00.000Z')).toEqual([
      expect.objectContaining({ status: 'amber', code: 'channel_expiring', tenant: CALENDAR_ID }),
    ]);
    expect(await health('2026-03-08T11:00:00.000Z')).toEqual([
      expect.objectContaining({ status: 'red', code: 'channel_lapsed', tenant: CALENDAR_ID }),
    ]);
    expect(await health('2026-03-10T12:00:00.000Z', { stopped: true })).toEqual([
      expect.objectContaining({ status: 'red', code: 'channel_lapsed' }),
    ]);
  });
});
