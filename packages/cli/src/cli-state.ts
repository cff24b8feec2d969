import { resolve } from 'node:path';
import { createPostgresState, type PostgresConnection, type PostgresState } from '@act/sink-supabase';
import { type CliIo, usageError } from './cli-io';

/** The flags every database command takes. */
export interface StateFlags {
  pglite?: string | undefined;
  schema?: string | undefined;
}

export const STATE_OPTIONS = {
  pglite: { type: 'string' },
  schema: { type: 'string' },
} as const;

export const MISSING_DATABASE =
  'DATABASE_URL is not set (or SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY, or --pglite <dir>, or ACT_DATA_DIR)';

/**
 * Which database, in order: `--pglite <dir>`, `DATABASE_URL` (node-postgres),
 * `SUPABASE_URL` + `SUPABASE_SERVICE_ROLE_KEY` (supabase-js, loaded by
 * @act/sink-supabase, which names the package when it is not installed),
 * `ACT_DATA_DIR` (PGlite).
 */
export function resolveConnection(
  flags: StateFlags,
  io: CliIo,
): { connection: PostgresConnection; description: string } {
  const read = (name: string) => {
    const value = io.env[name]?.trim();
    return value ? value : undefined;
  };
  const cwd = io.cwd ?? process.cwd();
  if (flags.pglite !== undefined) {
    if (flags.pglite.trim() === '') throw usageError('--pglite needs a data directory');
    const dataDir = resolve(cwd, flags.pglite);
    return { connection: { pglite: { dataDir } }, description: `PGlite at ${dataDir}` };
  }
  const url = read('DATABASE_URL');
  if (url) return { connection: { connectionString: url }, description: 'DATABASE_URL' };
  const supabaseUrl = read('SUPABASE_URL');
  const supabaseKey = read('SUPABASE_SERVICE_ROLE_KEY');
  if (supabaseUrl || supabaseKey) {
    if (!supabaseUrl) throw usageError('SUPABASE_URL is not set (SUPABASE_SERVICE_ROLE_KEY is)');
    if (!supabaseKey) throw usageError('SUPABASE_SERVICE_ROLE_KEY is not set (SUPABASE_URL is)');
    return { connection: { supabaseUrl, supabaseKey }, description: `Supabase at ${supabaseUrl}` };
  }
  const dataDir = read('ACT_DATA_DIR');
  if (dataDir) {
    const absolute = resolve(cwd, dataDir);
    return { connection: { pglite: { dataDir: absolute } }, description: `PGlite at ${absolute}` };
  }
  throw usageError(MISSING_DATABASE);
}

/** Open the state named by the flags and environment; the caller closes it. */
export function openState(flags: StateFlags, io: CliIo): { state: PostgresState; description: string } {
  const { connection, description } = resolveConnection(flags, io);
  const schema = flags.schema ?? io.env.ACT_SCHEMA?.trim();
  // ACT_CREDENTIALS_KEY: the tokens in act_credentials are encrypted with it (the app's key, so the CLI reads them).
  const credentialsKey = io.env.ACT_CREDENTIALS_KEY ?? '';
  const state = createPostgresState(connection, { ...(schema ? { schema } : {}), credentialsKey });
  return { state, description: schema ? `${description}, schema ${schema}` : description };
}

/**
 * Why the state's database cannot be used yet (unreachable, or migrations
 * pending: run act migrate), or `null` when it is ready.
 */
export async function notReady(state: PostgresState): Promise<string | null> {
  const database = await state.health();
  if (database.ok && database.pendingMigrations.length === 0) return null;
  return database.pendingMigrations.length > 0
    ? `migrations pending (${database.pendingMigrations.length}, from ${database.pendingMigrations[0]}): run act migrate`
    : (database.error ?? 'unreachable');
}

/** Run `fn` with an opened state, closing it afterwards whatever happens. */
export async function withState<T>(
  flags: StateFlags,
  io: CliIo,
  fn: (state: PostgresState, description: string) => Promise<T>,
): Promise<T> {
  const { state, description } = openState(flags, io);
  try {
    return await fn(state, description);
  } finally {
    await state.close().catch(() => {});
  }
}
