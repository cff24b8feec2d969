import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { PostgresConnection } from '../../src';
import { randomSchema } from './harness';

/**
 * The pieces of Supabase the tenant-access migration relies on, for a plain
 * Postgres or PGlite:
 *
 * - the API roles `anon`, `authenticated` and `service_role` (BYPASSRLS, as on
 *   Supabase), NOLOGIN. Roles are cluster-wide on a real server: created only
 *   when missing (two runs racing to create one is fine), never dropped.
 * - schema `auth` with `auth.uid()` exactly as Supabase Auth defines it
 *   (supabase/auth migrations/20240624145325_recreate_auth_functions): the
 *   `sub` claim from `request.jwt.claim.sub` (older PostgREST) or from the
 *   `request.jwt.claims` JSON (PostgREST 9+).
 *
 * Run it in a database of the test's own (a fresh PGlite, a random database),
 * so the `auth` schema never clashes with a concurrent run.
 */
export const SUPABASE_AUTH_STUB = `
do $$
declare
  v_role text;
begin
  foreach v_role in array array['anon', 'authenticated', 'service_role'] loop
    if not exists (select 1 from pg_roles where rolname = v_role) then
      begin
        execute format('create role %I nologin noinherit%s', v_role,
          case when v_role = 'service_role' then ' bypassrls' else '' end);
      exception when duplicate_object or unique_violation then
        null; -- another run created it first
      end;
    end if;
  end loop;
end;
$$;
create schema if not exists auth;
create or replace function auth.uid()
  returns uuid
  set search_path to ''
as $func$
  select
    coalesce(
      nullif(current_setting('request.jwt.claim.sub', true), ''),
      (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
    )::uuid
$func$ language sql stable;
grant usage on schema auth to anon, authenticated, service_role;
`;

/**
 * A schema set up the way Supabase sets up `public`: the API roles may use
 * it, and every table, function and sequence the migrating role creates in
 * it is granted to all three by default. The tenant-access migration has to
 * hold against exactly these defaults.
 */
export function supabaseSchemaDefaults(schema: string): string {
  const s = `"${schema}"`;
  return `
create schema if not exists ${s};
grant usage on schema ${s} to anon, authenticated, service_role;
alter default privileges in schema ${s} grant all on tables to anon, authenticated, service_role;
alter default privileges in schema ${s} grant all on functions to anon, authenticated, service_role;
alter default privileges in schema ${s} grant all on sequences to anon, authenticated, service_role;
`;
}

export type Row = Record<string, unknown>;

/** Statements inside a transaction running as an API role. */
export interface RoleSession {
  query<R = Row>(text: string, params?: unknown[]): Promise<R[]>;
  /** The rows, or the SQLSTATE when the statement failed (rolled back to a savepoint). */
  attempt<R = Row>(text: string, params?: unknown[]): Promise<{ rows: R[] } | { code: string }>;
}

/** Who the request is: a role, and for `authenticated` the user's id, in the claim setting PostgREST would use. */
export interface RequestIdentity {
  role: 'anon' | 'authenticated' | 'service_role';
  sub?: string;
  /** Put the user id in `request.jwt.claim.sub` (older PostgREST) rather than the `request.jwt.claims` JSON. */
  legacyClaim?: boolean;
}

/** A database of the test's own. */
export interface StubDatabase {
  readonly kind: 'pglite' | 'postgres';
  readonly connection: PostgresConnection;
  /** As the owner (a superuser). */
  query<R = Row>(text: string, params?: unknown[]): Promise<R[]>;
  /** A script of several statements, as the owner. */
  exec(sql: string): Promise<void>;
  /** Install SUPABASE_AUTH_STUB. */
  installStub(): Promise<void>;
  /** Run `fn` in a transaction as the given role and claims, as PostgREST does; always rolled back. */
  as<T>(identity: RequestIdentity, fn: (session: RoleSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

interface Client {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

function sqlState(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  throw error;
}

async function runAs<T>(client: Client, identity: RequestIdentity, fn: (session: RoleSession) => Promise<T>) {
  await client.query('begin');
  try {
    await client.query(`set local role ${identity.role}`);
    const claims = JSON.stringify({ role: identity.role, ...(identity.sub ? { sub: identity.sub } : {}) });
    await client.query(`select set_config('request.jwt.claims', $1, true)`, [identity.legacyClaim ? '' : claims]);
    await client.query(`select set_config('request.jwt.claim.sub', $1, true)`, [
      identity.legacyClaim ? (identity.sub ?? '') : '',
    ]);
    let savepoint = 0;
    const session: RoleSession = {
      async query<R>(text: string, params?: unknown[]) {
        return (await client.query(text, params)).rows as R[];
      },
      async attempt<R>(text: string, params?: unknown[]) {
        const name = `act_probe_${++savepoint}`;
        await client.query(`savepoint ${name}`);
        try {
          const rows = (await client.query(text, params)).rows as R[];
          await client.query(`release savepoint ${name}`);
          return { rows };
        } catch (error) {
          await client.query(`rollback to savepoint ${name}`);
          return { code: sqlState(error) };
        }
      },
    };
    return await fn(session);
  } finally {
    await client.query('rollback');
  }
}

/** A fresh in-memory PGlite (its own cluster: roles and all). */
export async function openPgliteDatabase(): Promise<StubDatabase> {
  const db = await PGlite.create();
  const client: Client = { query: (text, params) => db.query(text, params) };
  return {
    kind: 'pglite',
    connection: { pglite: db },
    async query<R>(text: string, params?: unknown[]) {
      return (await db.query<R>(text, params)).rows;
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
    async installStub() {
      await db.exec(SUPABASE_AUTH_STUB);
    },
    as: (identity, fn) => runAs(client, identity, fn),
    close: () => db.close(),
  };
}

/**
 * A random database on the server of `url`, dropped by `close()`. The roles
 * stay (cluster-wide, shared by every run); the `auth` schema and every grant
 * go with the database.
 */
export async function openRandomPostgresDatabase(url: string): Promise<StubDatabase> {
  const name = randomSchema('act_rls_db');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const target = new URL(url);
  target.pathname = `/${name}`;
  const connectionString = target.toString();
  const pool = new pg.Pool({ connectionString, max: 4 });
  // An idle connection dropped by the server (57P01 on a restart) must not crash the process.
  pool.on('error', (error) => console.error(`postgres pool: ${error.message}`));
  return {
    kind: 'postgres',
    connection: { connectionString, poolOptions: { max: 4 } },
    async query<R>(text: string, params?: unknown[]) {
      return (await pool.query(text, params)).rows as R[];
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    async installStub() {
      await pool.query(SUPABASE_AUTH_STUB);
    },
    async as(identity, fn) {
      const client = await pool.connect();
      try {
        return await runAs(client, identity, fn);
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
      await dropDatabase(url, name);
    },
  };
}

async function dropDatabase(url: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end();
  }
}
