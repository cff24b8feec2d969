import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll } from 'vitest';
import { createPostgresState, type PostgresState, type PostgresStateOptions } from '../../src';
import type { Migration } from '../../src/migrate';

/** Set by CI and by the brief's local runs; suites needing a server skip without it. */
export const DATABASE_URL = process.env.DATABASE_URL;

/** The table `testSink` from @act/core/testing writes, with the sink's bookkeeping columns. */
export const TEST_RECORDS_MIGRATION: Migration = {
  name: 'test/0001_act_test_records',
  sql: `create table act_test_records (
  tenant_id text not null,
  id text not null,
  name text,
  email text,
  stage text,
  amount double precision,
  _version bigint,
  _version_order bigint[],
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz,
  primary key (tenant_id, id)
);
`,
};

let counter = 0;
/** A schema name no other run uses; every test drops its own. */
export function randomSchema(prefix = 'act_t'): string {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}_${process.pid.toString(36)}_${counter}_${Math.random().toString(36).slice(2, 7)}`;
}

export interface TestState {
  state: PostgresState;
  schema: string;
  /** Run SQL against the test's database (outside the state, schema-qualify names). */
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  destroy(): Promise<void>;
}

export interface Harness {
  readonly name: 'pglite' | 'postgres';
  /** A migrated state in a fresh schema (or `state.schema`: a second state on a test's schema). */
  create(options?: { migrations?: Migration[]; state?: PostgresStateOptions; migrate?: boolean }): Promise<TestState>;
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
}

/** One PGlite per test file (booting one takes a moment); each test gets its own schema. */
export function pgliteHarness(): Harness {
  let db: Promise<PGlite> | undefined;
  const instance = () => {
    db ??= PGlite.create();
    return db;
  };
  afterAll(async () => {
    if (db) await (await db).close();
  });
  const query = async <R>(text: string, params?: unknown[]) => (await (await instance()).query<R>(text, params)).rows;
  return {
    name: 'pglite',
    query,
    async create(options = {}) {
      const schema = options.state?.schema ?? randomSchema();
      const state = createPostgresState({ pglite: await instance() }, { ...options.state, schema });
      if (options.migrate !== false)
        await state.migrate({ migrations: options.migrations ?? [TEST_RECORDS_MIGRATION] });
      return {
        state,
        schema,
        query,
        async destroy() {
          await state.close();
          await query(`drop schema if exists "${schema}" cascade`);
        },
      };
    },
  };
}

/** A shared pool per test file against DATABASE_URL; each test gets its own schema. */
export function postgresHarness(url = DATABASE_URL): Harness {
  let pool: pg.Pool | undefined;
  const shared = () => {
    if (!pool) {
      pool = new pg.Pool({ connectionString: url, max: 20 });
      // An idle connection dropped by the server (57P01 on a restart) must not crash the process.
      pool.on('error', (error) => console.error(`postgres pool: ${error.message}`));
    }
    return pool;
  };
  afterAll(async () => {
    await pool?.end();
  });
  const query = async <R>(text: string, params?: unknown[]) => (await shared().query(text, params)).rows as R[];
  return {
    name: 'postgres',
    query,
    async create(options = {}) {
      const schema = options.state?.schema ?? randomSchema();
      const state = createPostgresState({ pool: shared() }, { ...options.state, schema });
      if (options.migrate !== false)
        await state.migrate({ migrations: options.migrations ?? [TEST_RECORDS_MIGRATION] });
      return {
        state,
        schema,
        query,
        async destroy() {
          await state.close();
          await query(`drop schema if exists "${schema}" cascade`);
        },
      };
    },
  };
}
