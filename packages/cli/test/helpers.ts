// In-process runs of the CLI, and the databases tests run it against: PGlite
// in a temporary data directory (always), and Postgres in a random schema
// (when DATABASE_URL is set), dropped afterwards.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutboxStoreV1, SyncStoreV1 } from '@act/core';
import { createPostgresState, type PostgresState } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { type CliIo, runCli } from '../src/index';

export const DATABASE_URL = process.env.DATABASE_URL;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `act <argv>` in-process with its own streams and environment (never the process's). */
export async function act(
  argv: string[],
  options: {
    env?: Record<string, string | undefined>;
    fetch?: typeof fetch;
    signal?: AbortSignal;
    sync?: SyncStoreV1;
    outbox?: OutboxStoreV1;
  } = {},
): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env: options.env ?? {},
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.sync ? { sync: options.sync } : {}),
    ...(options.outbox ? { outbox: options.outbox } : {}),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

/** A database the CLI is pointed at with `args` and `env`. */
export interface Target {
  name: string;
  args: string[];
  env: Record<string, string>;
  /** A state on the same database (open only between CLI runs on PGlite: one process owns a data directory). */
  withState<T>(fn: (state: PostgresState) => Promise<T>): Promise<T>;
  query<R>(sql: string, params?: unknown[]): Promise<R[]>;
  destroy(): Promise<void>;
}

let counter = 0;
const randomSchema = () =>
  `cli_t_${Date.now().toString(36)}_${process.pid.toString(36)}_${++counter}_${Math.random().toString(36).slice(2, 7)}`;

export async function pgliteTarget(): Promise<Target> {
  const dir = await mkdtemp(join(tmpdir(), 'act-cli-'));
  return {
    name: 'PGlite',
    args: ['--pglite', dir],
    env: {},
    async withState(fn) {
      const state = createPostgresState({ pglite: { dataDir: dir } });
      try {
        return await fn(state);
      } finally {
        await state.close();
      }
    },
    async query<R>(sql: string, params?: unknown[]) {
      const db = await PGlite.create(dir);
      try {
        return (await db.query<R>(sql, params)).rows;
      } finally {
        await db.close();
      }
    },
    async destroy() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function postgresTarget(url: string): Promise<Target> {
  const schema = randomSchema();
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // An idle connection dropped by the server (57P01 on a restart) must not crash the process.
  pool.on('error', (error) => console.error(`postgres pool: ${error.message}`));
  return {
    name: 'Postgres',
    args: ['--schema', schema],
    env: { DATABASE_URL: url },
    async withState(fn) {
      const state = createPostgresState({ connectionString: url }, { schema });
      try {
        return await fn(state);
      } finally {
        await state.close();
      }
    },
    async query<R>(sql: string, params?: unknown[]) {
      const client = await pool.connect();
      try {
        await client.query(`set search_path to "${schema}"`);
        return (await client.query(sql, params)).rows as R[];
      } finally {
        client.release();
      }
    },
    async destroy() {
      await pool.query(`drop schema if exists "${schema}" cascade`);
      await pool.end();
    },
  };
}

/** The targets every database test runs on: PGlite always, Postgres with DATABASE_URL. */
export const TARGETS: { name: string; create: () => Promise<Target> }[] = [
  { name: 'PGlite', create: pgliteTarget },
  ...(DATABASE_URL ? [{ name: 'Postgres', create: () => postgresTarget(DATABASE_URL) }] : []),
];
