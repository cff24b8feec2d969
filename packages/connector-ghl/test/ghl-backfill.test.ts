// Poller → sink on real Postgres (when DATABASE_URL is set) and on PGlite
// (always): a 5,000-contact backfill through @act/core's runPoller and
// @act/sink-supabase, interrupted twice (an abort, then an outage) and
// resumed, ends with exactly 5,000 rows. GHL is simulated with nock, serving
// pages of 100 (the poller's default `pageLimit`; GHL's maximum is 500 per a
// third-party reading of the docs, unverified: [G5]).
//
// Also here, because it needs the same database: two workers sharing one
// Postgres share GHL's rate budget and refresh a rotating OAuth token once.

import { runPoller } from '@act/core';
import { createPostgresState, type PgPoolLike, type PostgresState } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGhlClient } from '../src/ghl-client';
import { createGhlConnector } from '../src/ghl-connector';
import { BASE_URL, generateContacts, LOCATION, PIT, serveContactSearch } from './helpers/ghl-fake-api';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const DATABASE_URL = process.env.DATABASE_URL;
const TOTAL = 5_000;

interface Target {
  name: string;
  /** A migrated state in a fresh random schema; `destroy` drops the schema. */
  create(connectors: Parameters<PostgresState['migrate']>[0]): Promise<{
    state: PostgresState;
    query: <R>(text: string, params?: unknown[]) => Promise<R[]>;
    destroy(): Promise<void>;
  }>;
}

let counter = 0;
const randomSchema = () =>
  `ghl_t_${Date.now().toString(36)}_${process.pid.toString(36)}_${++counter}_${Math.random().toString(36).slice(2, 7)}`;

function pgliteTarget(): Target {
  let db: Promise<PGlite> | undefined;
  afterAll(async () => {
    if (db) await (await db).close();
  });
  return {
    name: 'PGlite',
    async create(migrateOptions) {
      db ??= PGlite.create();
      const instance = await db;
      const schema = randomSchema();
      const state = createPostgresState({ pglite: instance }, { schema });
      await state.migrate(migrateOptions);
      const query = async <R>(text: string, params?: unknown[]) =>
        (await instance.query<R>(text.replaceAll('$schema', `"${schema}"`), params)).rows;
      return {
        state,
        query,
        async destroy() {
          await state.close();
          await instance.query(`drop schema if exists "${schema}" cascade`);
        },
      };
    },
  };
}

/**
 * node-postgres, loaded by a specifier TypeScript does not resolve: this
 * package has `pg` as a dev dependency but not `@types/pg`.
 */
async function pgPool(url: string): Promise<PgPoolLike> {
  const specifier: string = 'pg';
  const pg = (await import(specifier)) as {
    default: { Pool: new (config: { connectionString: string; max: number }) => PgPoolLike };
  };
  return new pg.default.Pool({ connectionString: url, max: 5 });
}

function postgresTarget(url: string): Target {
  let pool: Promise<PgPoolLike> | undefined;
  afterAll(async () => {
    if (pool) await (await pool).end();
  });
  return {
    name: 'Postgres',
    async create(migrateOptions) {
      pool ??= pgPool(url);
      const shared = await pool;
      const schema = randomSchema();
      const state = createPostgresState({ pool: shared }, { schema });
      await state.migrate(migrateOptions);
      const query = async <R>(text: string, params?: unknown[]) =>
        (await shared.query(text.replaceAll('$schema', `"${schema}"`), params)).rows as R[];
      return {
        state,
        query,
        async destroy() {
          await state.close();
          await shared.query(`drop schema if exists "${schema}" cascade`);
        },
      };
    },
  };
}

function backfillSuite(target: () => Target) {
  const t = target();

  it('backfills 5,000 contacts, interrupted by an abort and by an outage, and ends with exactly 5,000 rows', async () => {
    const ghl = createGhlConnector({ accessToken: PIT, api: { retry: { baseDelayMs: 1 } } });
    const db = await t.create({ connectors: [ghl] });
    try {
      const { state, query } = db;
      const contacts = generateContacts(TOTAL);
      // Calls 35–37 fail (503, three attempts of the same page: the client's in-process retries).
      const server = serveContactSearch(contacts, { fail: (call) => (call >= 35 && call <= 37 ? 503 : undefined) });
      const poller = ghl.pollers.find((candidate) => candidate.stream === 'contacts');
      if (!poller) throw new Error('no contacts poller');
      const run = (options: { signal?: AbortSignal; onPage?: (progress: { page: number }) => void } = {}) =>
        runPoller({ connector: ghl, poller, tenant: LOCATION, store: state.store, sink: state.sink, ...options });
      const rows = async () =>
        Number((await query<{ n: string }>('select count(*) as n from $schema.ghl_contacts'))[0]?.n);
      const cursor = () => state.store.getCursor({ source: 'ghl', tenant: LOCATION, stream: 'contacts' });

      // 1. A deploy aborts the backfill after 20 committed pages.
      const controller = new AbortController();
      await expect(
        run({
          signal: controller.signal,
          onPage: ({ page }) => {
            if (page === 20) controller.abort(new Error('worker shutting down'));
          },
        }),
      ).rejects.toThrow('worker shutting down');
      expect(await rows()).toBe(2_000);
      expect(JSON.parse((await cursor()) ?? 'null')).toMatchObject({
        after: [Date.parse(contacts[1_999]?.dateUpdated ?? ''), 'c02000'],
      });

      // 2. Resumed; GHL answers 503 on the 36th search (three times): the run fails after page 35.
      const resumedFrom = server.calls.length;
      await expect(run()).rejects.toThrow('HTTP 503');
      expect(server.calls[resumedFrom]?.body.searchAfter).toEqual([
        Date.parse(contacts[1_999]?.dateUpdated ?? ''),
        'c02000',
      ]);
      expect(await rows()).toBe(3_500);

      // 3. Resumed again: the rest, then an empty page ends the listing.
      const result = await run();
      expect(result).toMatchObject({ pages: 16, events: 1_500, created: 1_500 });
      const [summary] = await query<{ n: string; ids: string; min: string; max: string }>(
        'select count(*)::text as n, count(distinct id)::text as ids, min(_version)::text as min, max(_version)::text as max from $schema.ghl_contacts where location_id = $1',
        [LOCATION],
      );
      expect(summary).toEqual({
        n: '5000',
        ids: '5000',
        min: String(Date.parse(contacts[0]?.dateUpdated ?? '')),
        max: String(Date.parse(contacts[TOTAL - 1]?.dateUpdated ?? '')),
      });
      // Every page was requested exactly once successfully: 50 pages + the final empty one (+ 1 aborted-before + 3 failed).
      expect(server.calls).toHaveLength(51 + 3);
      const [sample] = await query<Record<string, unknown>>(
        'select email, phone, tags, first_name from $schema.ghl_contacts where location_id = $1 and id = $2',
        [LOCATION, 'c04242'],
      );
      expect(sample).toMatchObject({ email: 'person4242@example.com', phone: '+14155554242', first_name: 'First4242' });
      expect(sample?.tags).toEqual(['customer', 'vip']);

      // 4. The finished backfill is now an incremental poll: nothing new, nothing rewritten.
      const incremental = await run();
      expect(incremental.created + incremental.updated).toBe(0);
      expect(server.calls.at(-1)?.body.filters).toBeDefined();
      expect(await rows()).toBe(TOTAL);
    } finally {
      await db.destroy();
    }
  }, 60_000);

  it('two workers on one database: concurrent 401s refresh once, the rotated token is persisted, one rate budget', async () => {
    const db = await t.create({});
    try {
      const { state, query } = db;
      const key = `ghl:${LOCATION}`;
      await state.credentials.put(key, {
        accessToken: 'access-1',
        refreshToken: 'refresh-1',
        expiresAt: Date.now() + 86_399_000,
        userType: 'Location',
      });
      const worker = (owner: string) =>
        createGhlClient({
          auth: {
            type: 'oauth',
            clientId: 'client-id',
            clientSecret: 'client-secret',
            credentials: state.credentials,
            owner,
          },
          rateLimitStore: state.rateLimits,
          retry: { baseDelayMs: 1 },
        });
      const refreshes: URLSearchParams[] = [];
      // The token endpoint answers once: a second refresh would find no interceptor and fail.
      nock(BASE_URL)
        .post('/oauth/token')
        .delay(50)
        .reply(200, async (request: Request) => {
          refreshes.push(new URLSearchParams(await request.text()));
          return { access_token: 'access-2', refresh_token: 'refresh-2', expires_in: 86399, token_type: 'Bearer' };
        });
      nock(BASE_URL)
        .post('/contacts/search')
        .matchHeader('authorization', 'Bearer access-1')
        .times(2)
        .reply(401, { statusCode: 401, message: 'Invalid token: access token is invalid', error: 'Unauthorized' })
        .post('/contacts/search')
        .matchHeader('authorization', 'Bearer access-2')
        .times(2)
        .reply(200, { contacts: [] }, { 'X-RateLimit-Remaining': '37', 'X-RateLimit-Daily-Remaining': '150000' });
      await Promise.all([
        worker('worker-a').searchContacts(LOCATION, { pageLimit: 10 }),
        worker('worker-b').searchContacts(LOCATION, { pageLimit: 10 }),
      ]);
      expect(refreshes.map((form) => form.get('refresh_token'))).toEqual(['refresh-1']);
      expect(await state.credentials.get(key)).toMatchObject({
        revision: 2,
        invalidReason: null,
        value: { accessToken: 'access-2', refreshToken: 'refresh-2' },
      });
      expect(nock.pendingMocks()).toEqual([]);
      const rows = await query<{ key: string; tokens: number | string }>(
        'select key, tokens from $schema.act_rate_limits order by key',
      );
      expect(rows.map((row) => [row.key, Number(row.tokens)])).toEqual([
        [`ghl:${LOCATION}:burst`, 37],
        [`ghl:${LOCATION}:daily`, 150_000],
      ]);
    } finally {
      await db.destroy();
    }
  }, 30_000);
}

describe('backfill → PGlite', () => backfillSuite(pgliteTarget));
describe.skipIf(!DATABASE_URL)('backfill → Postgres (DATABASE_URL)', () =>
  backfillSuite(() => postgresTarget(DATABASE_URL as string)),
);
