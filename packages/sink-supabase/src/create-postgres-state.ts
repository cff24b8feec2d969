import {
  ConfigurationError,
  type RateLimitStoreV1,
  type SinkV1,
  type StateStoreV1,
  StoreUnavailableError,
} from '@act/core';
import { PACKAGE_NAME, toActError } from './errors';
import { type MigrateOptions, type MigrateResult, pendingMigrations, runMigrations } from './migrate';
import { createPostgresRateLimitStore } from './postgres-rate-limit-store';
import { createPostgresSink } from './postgres-sink';
import { createPostgresStateStore } from './postgres-state-store';
import type { ActBackend, DriverKind, SqlDriver } from './sql/driver';
import { createPgDriver, type PgPoolLike, type PgPoolOptions } from './sql/pg-driver';
import { createPgliteDriver, type PGliteLike, type PGliteStartOptions } from './sql/pglite-driver';
import { createSqlBackend } from './sql/sql-backend';

/**
 * Where the state lives:
 * - `{ connectionString }`: any Postgres, or Supabase's direct connection or
 *   pooler (needs the `pg` package); the pool is created and closed here.
 * - `{ pool }`: your own node-postgres `Pool` (left open by `close()`).
 * - `{ pglite }`: embedded PGlite (needs `@electric-sql/pglite`): an instance
 *   you own, or `{ dataDir }` to start one (in memory without `dataDir`).
 */
export type PostgresConnection =
  | { connectionString: string; poolOptions?: PgPoolOptions }
  | { pool: PgPoolLike }
  | { pglite: PGliteLike | PGliteStartOptions };

export interface PostgresStateOptions {
  /** Schema holding the act_ tables and functions (and the mirror tables). Defaults to `public`. */
  schema?: string;
  /** Clock for calls that pass no time; the database clock is used without it. */
  now?: () => Date;
  /** Errors of idle pooled connections (the pool reconnects on its own). Ignored by default. */
  onPoolError?: (error: Error) => void;
}

/** A readiness probe: can the database be reached, and are this package's migrations applied? */
export interface PostgresHealth {
  ok: boolean;
  driver: DriverKind;
  schema: string;
  /** Round trip of `select 1`; `null` when unreachable. */
  latencyMs: number | null;
  /** This package's migrations not yet applied (run `migrate()`). */
  pendingMigrations: string[];
  error?: string;
}

export interface PostgresState {
  readonly schema: string;
  /** The inbox, attempts, cursors, event log and health figures. */
  readonly store: StateStoreV1;
  /** The batched, version-guarded mirror writer; commits poll cursors with the rows. */
  readonly sink: SinkV1;
  /** Token buckets shared by every process using this database. */
  readonly rateLimits: RateLimitStoreV1;
  /** Apply this package's migrations, then the given ones. Idempotent; safe from several processes at once. */
  migrate(options?: MigrateOptions): Promise<MigrateResult>;
  health(): Promise<PostgresHealth>;
  /** Close what this package opened (not a pool or PGlite instance you passed in). */
  close(): Promise<void>;
}

const MAX_IDENTIFIER_BYTES = 63;

function checkSchema(schema: string): string {
  if (typeof schema !== 'string' || schema === '' || new TextEncoder().encode(schema).length > MAX_IDENTIFIER_BYTES) {
    throw new ConfigurationError({
      packageName: PACKAGE_NAME,
      message: `schema must be a non-empty name of at most ${MAX_IDENTIFIER_BYTES} bytes, got ${JSON.stringify(schema)}`,
    });
  }
  return schema;
}

function driverKind(connection: PostgresConnection): DriverKind {
  if (connection && typeof connection === 'object') {
    if ('pglite' in connection && connection.pglite) return 'pglite';
    if ('pool' in connection && connection.pool) return 'pg';
    if ('connectionString' in connection) {
      if (typeof connection.connectionString !== 'string' || connection.connectionString.trim() === '') {
        throw new ConfigurationError({
          packageName: PACKAGE_NAME,
          message: 'connectionString is empty: pass a Postgres URL (is DATABASE_URL set?)',
        });
      }
      return 'pg';
    }
  }
  throw new ConfigurationError({
    packageName: PACKAGE_NAME,
    message: 'createPostgresState needs { connectionString }, { pool } or { pglite }',
  });
}

async function openDriver(connection: PostgresConnection, options: PostgresStateOptions): Promise<SqlDriver> {
  if ('pglite' in connection) return createPgliteDriver(connection.pglite);
  if ('pool' in connection) return createPgDriver({ pool: connection.pool });
  return createPgDriver(
    {
      connectionString: connection.connectionString,
      ...(connection.poolOptions ? { poolOptions: connection.poolOptions } : {}),
    },
    options.onPoolError,
  );
}

/**
 * The Postgres state of the pipeline: inbox queue, sink, rate limits. Nothing
 * connects until the first call (the driver package is loaded then), so this
 * can run at module load. Run `migrate()` once at start-up (or the CLI).
 *
 * ```ts
 * const state = createPostgresState({ connectionString: process.env.DATABASE_URL! });
 * await state.migrate({ connectors: [ghl] });
 * const handler = createWebhookHandler({ processor: ghl.webhook, store: state.store });
 * const worker = createWorker({ connectors: [ghl], store: state.store, sink: state.sink });
 * ```
 */
export function createPostgresState(connection: PostgresConnection, options: PostgresStateOptions = {}): PostgresState {
  const schema = checkSchema(options.schema ?? 'public');
  const kind = driverKind(connection);
  let opening: Promise<ActBackend> | undefined;
  let closed = false;

  const backend = (): Promise<ActBackend> => {
    if (closed) {
      return Promise.reject(
        new StoreUnavailableError({ packageName: PACKAGE_NAME, message: 'this Postgres state was closed' }),
      );
    }
    if (!opening) {
      opening = openDriver(connection, options).then(
        (driver) => createSqlBackend(driver, schema),
        (error: unknown) => {
          opening = undefined;
          throw toActError(error, 'connect');
        },
      );
    }
    return opening;
  };
  const sqlDriver = async (): Promise<SqlDriver> => {
    const opened = await backend();
    if (!opened.sql) {
      throw new ConfigurationError({ packageName: PACKAGE_NAME, message: 'migrations need a SQL connection' });
    }
    return opened.sql;
  };

  return {
    schema,
    store: createPostgresStateStore(backend, options.now ? { now: options.now } : {}),
    sink: createPostgresSink(backend, options.now ? { now: options.now } : {}),
    rateLimits: createPostgresRateLimitStore(backend),

    async migrate(migrateOptions?: MigrateOptions) {
      return runMigrations(await sqlDriver(), schema, migrateOptions);
    },

    async health() {
      const started = Date.now();
      try {
        const driver = await sqlDriver();
        await driver.query('select 1');
        const latencyMs = Date.now() - started;
        const pending = await pendingMigrations(driver, schema);
        return { ok: pending.length === 0, driver: kind, schema, latencyMs, pendingMigrations: pending };
      } catch (error) {
        const mapped = toActError(error, 'health');
        return {
          ok: false,
          driver: kind,
          schema,
          latencyMs: null,
          pendingMigrations: [],
          error: mapped instanceof Error ? mapped.message : String(mapped),
        };
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      const opened = opening;
      opening = undefined;
      if (!opened) return;
      const ready = await opened.catch(() => undefined);
      await ready?.close();
    },
  };
}

/**
 * Apply this package's migrations and then `options.migrations` /
 * `options.connectors`' to a database, and disconnect. The same as
 * `createPostgresState(connection, { schema }).migrate(options)`.
 */
export async function migrate(
  connection: PostgresConnection,
  options: MigrateOptions & { schema?: string } = {},
): Promise<MigrateResult> {
  const { schema, ...rest } = options;
  const state = createPostgresState(connection, schema !== undefined ? { schema } : {});
  try {
    return await state.migrate(rest);
  } finally {
    await state.close();
  }
}
