/**
 * Where the demo keeps its inbox, cursors and mirror: the same
 * `@act/sink-supabase` state a real deployment uses.
 *
 * - `DATABASE_URL` set: that Postgres (or Supabase's connection string), in
 *   schema `act_demo` (`--once` uses a fresh schema and drops it afterwards);
 * - otherwise embedded PGlite with its data directory in `.act-data/pglite`
 *   (`--once` runs in memory), so nothing needs setting up.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SinkV1, StateStoreV1 } from '@act/core';
import { createPostgresState, type PostgresState } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface MirrorRow {
  key: Record<string, string | number>;
  values: Record<string, unknown>;
}

export interface DemoState {
  description: string;
  store: StateStoreV1;
  sink: SinkV1;
  migrate(connector: { source: string; migrations: readonly { name: string; sql: string }[] }): Promise<void>;
  /** Live (not deleted) rows of the template mirror table. */
  records(): Promise<MirrorRow[]>;
  close(): Promise<void>;
}

type Query = (text: string) => Promise<Record<string, unknown>[]>;

export async function openDemoState(options: { ephemeral: boolean }): Promise<DemoState> {
  const databaseUrl = process.env.DATABASE_URL;
  let state: PostgresState;
  let query: Query;
  let description: string;
  let shutdown: () => Promise<void>;
  let table = 'template_records';

  if (databaseUrl) {
    const schema = options.ephemeral ? `act_demo_${Date.now().toString(36)}_${process.pid}` : 'act_demo';
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 8 });
    await pool.query(`create schema if not exists "${schema}"`);
    state = createPostgresState({ pool }, { schema });
    table = `"${schema}".template_records`;
    query = async (text) => (await pool.query(text)).rows;
    description = `Postgres ${new URL(databaseUrl).host}, schema ${schema}${options.ephemeral ? ' (dropped at exit)' : ''}`;
    shutdown = async () => {
      await state.close();
      if (options.ephemeral) await pool.query(`drop schema "${schema}" cascade`);
      await pool.end();
    };
  } else {
    const dataDir = options.ephemeral ? undefined : resolve(process.cwd(), '.act-data/pglite');
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const db = new PGlite(dataDir);
    state = createPostgresState({ pglite: db });
    query = async (text) => (await db.query<Record<string, unknown>>(text)).rows;
    description = dataDir ? `embedded PGlite in ${dataDir}` : 'embedded PGlite in memory';
    shutdown = async () => {
      await state.close();
      await db.close();
    };
  }

  return {
    description,
    store: state.store,
    sink: state.sink,
    async migrate(connector) {
      await state.migrate({ connectors: [connector] });
    },
    async records() {
      const rows = await query(`select account_id, id, name, email, status from ${table} where _deleted_at is null`);
      return rows.map(({ account_id, id, ...values }) => ({
        key: { account_id: String(account_id), id: String(id) },
        values,
      }));
    },
    close: shutdown,
  };
}
