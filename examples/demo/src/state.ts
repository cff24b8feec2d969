/**
 * Where the demo keeps its inbox, cursors, tokens, rate budgets and mirror:
 * the same `@act/sink-supabase` state a real deployment uses.
 *
 * - `DATABASE_URL` set: that Postgres (or Supabase's connection string), in
 *   schema `act_demo` or `ACT_DEMO_SCHEMA` (`--once` uses a fresh schema and
 *   drops it afterwards);
 * - `SUPABASE_URL` and `SUPABASE_SERVICE_ROLE_KEY` set (and no `DATABASE_URL`):
 *   Supabase through PostgREST (supabase-js), same schema, which the project's
 *   API must expose. Migrations need SQL, so run the demo once with
 *   `DATABASE_URL` (the project's connection string) first;
 * - otherwise embedded PGlite with its data directory in `.act-data/pglite`
 *   (`--once` runs in memory), so nothing needs setting up.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type {
  ConnectorV1,
  CredentialStoreV1,
  OutboxStoreV1,
  RateLimitStoreV1,
  SinkV1,
  StateStoreV1,
  SyncStoreV1,
} from '@act/core';
import { createPostgresState, lockPgliteDataDir, type PostgresSink, type PostgresState } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { realtimeSubscribe, type SubscribeFn } from './dashboard/live.ts';

/** A mirror row as the demo reads it back: the asked columns plus `_version` (a number) and `_deleted`. */
export type MirrorRow = Record<string, unknown> & { _version: number | null; _deleted: boolean };

export interface DemoState {
  /** `pglite`, `postgres` or `supabase`. */
  kind: 'pglite' | 'postgres' | 'supabase';
  description: string;
  /** The PGlite data directory (`undefined` in memory or on a server). */
  dataDir: string | undefined;
  /** The schema holding the act_ and mirror tables. */
  schema: string;
  store: StateStoreV1;
  sink: SinkV1;
  rateLimits: RateLimitStoreV1;
  credentials: CredentialStoreV1;
  /** The scheduler's connections, jobs and runs, leases and source modes (`act_connections`, `act_jobs`, …). */
  sync: SyncStoreV1;
  /** The outbox (`act_outbox`): forwards and write-backs, durable. */
  outbox: OutboxStoreV1;
  /** Retention (old done deliveries, attempts, events): the scheduler's daily `retention` job. */
  cleanup(): Promise<unknown>;
  /** Live integration events: LISTEN/NOTIFY on Postgres and PGlite, Supabase Realtime on supabase-js. */
  subscribe: SubscribeFn | undefined;
  /** Whether `rows` returns column values (SQL drivers) or only keys, versions and deletes (supabase-js). */
  readsValues: boolean;
  migrate(connectors: readonly Pick<ConnectorV1, 'source' | 'migrations'>[]): Promise<void>;
  /** Every row of a mirror table (deleted ones included): `keyColumns`, `columns`, `_version`, `_deleted`. */
  rows(table: string, keyColumns: readonly string[], columns: readonly string[]): Promise<MirrorRow[]>;
  close(): Promise<void>;
}

type Query = (text: string) => Promise<Record<string, unknown>[]>;

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
/** Where the demo's tables live on a server: `ACT_DEMO_SCHEMA`, default `act_demo`. */
const DEFAULT_SCHEMA = process.env.ACT_DEMO_SCHEMA?.trim() || 'act_demo';

function quoted(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a plain SQL identifier: ${name}`);
  return `"${name}"`;
}

export async function openDemoState(options: { ephemeral: boolean }): Promise<DemoState> {
  const databaseUrl = process.env.DATABASE_URL;
  const supabaseUrl = process.env.SUPABASE_URL;
  const supabaseKey = process.env.SUPABASE_SERVICE_ROLE_KEY;
  let state: PostgresState;
  let query: Query | undefined;
  let description: string;
  let shutdown: () => Promise<void>;
  let kind: DemoState['kind'];
  let dataDir: string | undefined;
  let schema = 'public';
  // Encrypts the OAuth tokens in act_credentials when set (@act/sink-supabase README).
  const credentialsKey = process.env.ACT_CREDENTIALS_KEY ?? '';
  let realtime: SubscribeFn | undefined;

  if (databaseUrl) {
    kind = 'postgres';
    schema = options.ephemeral ? `act_demo_${Date.now().toString(36)}_${process.pid}` : DEFAULT_SCHEMA;
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 8 });
    // An idle client's connection dropping (a Postgres restart, 57P01) is emitted on the pool:
    // without a listener Node exits on it. The pool replaces the client on the next query.
    pool.on('error', (error) => console.error(`  postgres: idle connection lost (${error.message}); reconnecting`));
    await pool.query(`create schema if not exists "${schema}"`);
    state = createPostgresState({ pool }, { schema, credentialsKey });
    query = async (text) => (await pool.query(text)).rows;
    description = `Postgres ${new URL(databaseUrl).host}, schema ${schema}${options.ephemeral ? ' (dropped at exit)' : ''}`;
    shutdown = async () => {
      await state.close();
      if (options.ephemeral) await pool.query(`drop schema "${schema}" cascade`);
      await pool.end();
    };
  } else if (supabaseUrl && supabaseKey) {
    kind = 'supabase';
    // The schema the DATABASE_URL run migrated; PostgREST must expose it (Settings → API → Exposed schemas).
    schema = DEFAULT_SCHEMA;
    state = createPostgresState({ supabaseUrl, supabaseKey }, { schema, credentialsKey });
    // The dashboard's live feed over Supabase Realtime (postgres_changes on act_integration_events:
    // add the table to the supabase_realtime publication). Without it the feed polls once a second.
    const { createClient } = await import('@supabase/supabase-js');
    realtime = realtimeSubscribe(createClient(supabaseUrl, supabaseKey), { schema });
    description = `Supabase ${new URL(supabaseUrl).host} (PostgREST), schema ${schema}`;
    shutdown = () => state.close();
  } else {
    kind = 'pglite';
    dataDir = options.ephemeral ? undefined : resolve(process.cwd(), '.act-data/pglite');
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    // One process per data directory: fails at once, naming the pid, when another demo (or `act --pglite`) has it.
    const lock = dataDir ? await lockPgliteDataDir(dataDir) : undefined;
    const db = new PGlite(dataDir);
    state = createPostgresState({ pglite: db }, { credentialsKey });
    query = async (text) => (await db.query<Record<string, unknown>>(text)).rows;
    description = dataDir ? `embedded PGlite in ${dataDir}` : 'embedded PGlite in memory';
    shutdown = async () => {
      await state.close();
      await db.close();
      lock?.release();
    };
  }

  const table = (name: string) => (schema === 'public' ? quoted(name) : `${quoted(schema)}.${quoted(name)}`);

  return {
    kind,
    description,
    dataDir,
    schema,
    store: state.store,
    sink: state.sink,
    rateLimits: state.rateLimits,
    credentials: state.credentials,
    sync: state.sync,
    outbox: state.outbox,
    cleanup: () => state.cleanup(),
    subscribe: kind === 'supabase' ? realtime : state.subscribe.bind(state),
    readsValues: query !== undefined,
    async migrate(connectors) {
      if (kind === 'supabase') {
        // supabase-js cannot run DDL: say what is missing instead of failing later.
        const health = await state.health();
        if (!health.ok && health.latencyMs === null) throw new Error(`cannot reach ${description}: ${health.error}`);
        if (health.pendingMigrations.length > 0) {
          throw new Error(
            `the act_ migrations are not applied in ${description}: run the demo once with DATABASE_URL set to the project's connection string`,
          );
        }
        return;
      }
      await state.migrate({ connectors: [...connectors] });
    },
    async rows(name, keyColumns, columns) {
      if (query) {
        const list = [...keyColumns, ...columns].map(quoted).join(', ');
        const rows = await query(`select ${list}, _version, _deleted_at is not null as _deleted from ${table(name)}`);
        return rows.map((row) => ({
          ...row,
          _version: row._version === null || row._version === undefined ? null : Number(row._version),
          _deleted: row._deleted === true,
        }));
      }
      // PostgREST: keys, versions and deletes through the sink's scan (no column values).
      const rows: MirrorRow[] = [];
      for await (const page of (state.sink as PostgresSink).scan({
        table: name,
        keyColumns: [...keyColumns],
        where: {},
      })) {
        for (const row of page) rows.push({ ...row.key, _version: row.version ?? null, _deleted: row.deleted });
      }
      return rows;
    },
    close: shutdown,
  };
}
