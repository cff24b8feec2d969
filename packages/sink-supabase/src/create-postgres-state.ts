import {
  ConfigurationError,
  type CredentialsKey,
  encryptCredentialStore,
  type OutboxStoreV1,
  type RateLimitStoreV1,
  StoreUnavailableError,
  type SyncStoreV1,
} from '@act/core';
import { createDeliveryWake } from './delivery-wake';
import { PACKAGE_NAME, toActError } from './errors';
import type { GroupCommitOptions } from './group-commit';
import { createLiveEvents, type LiveEventHandler, type SubscribeOptions, type Unsubscribe } from './live-events';
import { type MigrateOptions, type MigrateResult, pendingMigrations, runMigrations } from './migrate';
import { createPostgresCredentialStore, type PostgresCredentialStore } from './postgres-credential-store';
import { createPostgresIdentities, type PostgresIdentities } from './postgres-identity-store';
import { createPostgresOutboxStore } from './postgres-outbox-store';
import { createPostgresRateLimitStore } from './postgres-rate-limit-store';
import { createPostgresSink } from './postgres-sink';
import type { PostgresSink } from './postgres-sink-scan';
import { createPostgresStateStore, type PostgresStateStore } from './postgres-state-store';
import { createPostgresSyncStore } from './postgres-sync-store';
import { type CleanupOptions, type CleanupResult, runCleanup } from './retention';
import { createRowChanges, type RowChanges } from './row-changes';
import type { ActBackend, DriverKind, SqlDriver } from './sql/driver';
import { createPgDriver, type PgPoolLike, type PgPoolOptions } from './sql/pg-driver';
import { createPgliteDriver, type PGliteLike, type PGliteStartOptions } from './sql/pglite-driver';
import { createSqlBackend } from './sql/sql-backend';
import {
  checkSupabaseConnection,
  isSupabaseConnection,
  openSupabaseBackend,
  type SupabaseBackend,
  type SupabaseConnection,
  supabaseMigrateError,
  supabasePendingMigrations,
} from './sql/supabase-backend';

/**
 * Where the state lives:
 * - `{ connectionString }`: any Postgres, or Supabase's direct connection or
 *   pooler (needs the `pg` package); the pool is created and closed here.
 * - `{ pool }`: your own node-postgres `Pool` (left open by `close()`).
 * - `{ pglite }`: embedded PGlite (needs `@electric-sql/pglite`): an instance
 *   you own, or `{ dataDir }` to start one (in memory without `dataDir`).
 * - `{ supabaseUrl, supabaseKey }` or `{ supabase }`: Supabase through
 *   PostgREST with `@supabase/supabase-js` (Node, Deno, Edge Functions); the
 *   migrations run separately, with a connection string.
 */
export type PostgresConnection =
  | { connectionString: string; poolOptions?: PgPoolOptions }
  | { pool: PgPoolLike }
  | { pglite: PGliteLike | PGliteStartOptions }
  | SupabaseConnection;

export interface PostgresStateOptions {
  /** Schema holding the act_ tables and functions (and the mirror tables). Defaults to `public`. */
  schema?: string;
  /** Clock for calls that pass no time; the database clock is used without it. */
  now?: () => Date;
  /**
   * Group commit of `store.enqueue` (on by default): concurrent calls share
   * one statement and one transaction, and each resolves only after that
   * commits; a failed batch rejects every call in it. `false` turns it off;
   * an object tunes it (`maxBatch` 100, `windowMs` 0 = next event-loop turn,
   * `maxConcurrentBatches` 4).
   */
  groupCommit?: boolean | GroupCommitOptions;
  /** Errors of idle pooled connections (the pool reconnects on its own). Ignored by default. */
  onPoolError?: (error: Error) => void;
  /**
   * Encrypt the OAuth tokens in `act_credentials` (AES-256-GCM, `@act/core`'s
   * `encryptCredentialStore`): the text of `ACT_CREDENTIALS_KEY`, a
   * comma-separated list of `kid:base64` keys of 32 bytes each, the current
   * one first (`openssl rand -base64 32`). Pass
   * `credentialsKey: process.env.ACT_CREDENTIALS_KEY`; unset or empty keeps
   * values in plaintext. Plaintext rows still read and are encrypted on read.
   */
  credentialsKey?: string | readonly CredentialsKey[];
}

/** A readiness probe: can the database be reached, and are this package's migrations applied? */
export interface PostgresHealth {
  ok: boolean;
  driver: DriverKind | 'supabase';
  schema: string;
  /** Round trip of `select 1`; `null` when unreachable. */
  latencyMs: number | null;
  /** This package's migrations not yet applied (run `migrate()`). */
  pendingMigrations: string[];
  error?: string;
}

export interface PostgresState {
  readonly schema: string;
  /**
   * The inbox, attempts, cursors, event log and health figures; with
   * `completeMany` (one transaction for a worker's batch) and
   * `onDeliveryEnqueued` (the worker's wake-up).
   */
  readonly store: PostgresStateStore;
  /** The batched, version-guarded mirror writer; commits poll cursors with the rows. */
  readonly sink: PostgresSink;
  /** Token buckets shared by every process using this database. */
  readonly rateLimits: RateLimitStoreV1;
  /**
   * OAuth credentials per connection with the cross-process refresh lease
   * (`act_credentials`): `createTokenManager({ store: state.credentials, … })`.
   * Values are JSON in the table: AES-256-GCM ciphertext with
   * `credentialsKey` (`ACT_CREDENTIALS_KEY`), plaintext without it.
   */
  readonly credentials: PostgresCredentialStore;
  /**
   * What the sync engine keeps (migration 0010_act_sync): connected tenants,
   * named leases, the scheduler's jobs and runs, source modes and the sync
   * log. Leases and job claims hold across processes sharing the database.
   */
  readonly sync: SyncStoreV1;
  /**
   * The outbox (migration 0012_act_outbox): forwards, write-backs and
   * destination writes, leased and retried like the inbox, dead letters
   * and replay (`ActState.outbox`, so `createAct({ state })` runs it). The
   * sink enqueues messages in the same transaction as their rows
   * (`SinkApplyOptionsV1.outbox`).
   */
  readonly outbox: OutboxStoreV1;
  /**
   * The identity map (migration 0013_act_identity): records of different
   * sources linked by normalised email, E.164 phone or provider id, filled in
   * the transaction that writes the mirror rows of tables connectors
   * registered; conflicts reported, never linked.
   */
  readonly identities: PostgresIdentities;
  /** Apply this package's migrations, then the given ones. Idempotent; safe from several processes at once. */
  migrate(options?: MigrateOptions): Promise<MigrateResult>;
  health(): Promise<PostgresHealth>;
  /**
   * Call `handler` with each integration event as it commits (LISTEN/NOTIFY,
   * 0006_act_event_bus), optionally only one source's or tenant's. Resolves once
   * listening; the result stops it. All subscriptions share one connection,
   * which reconnects on its own. Not on supabase-js: use Supabase Realtime.
   */
  subscribe(handler: LiveEventHandler, options?: SubscribeOptions): Promise<Unsubscribe>;
  /**
   * Row-level changes of the mirror tables published with
   * `act_publish_row_changes` (0014_act_row_changes): table, tenant, op, key
   * and changed columns (values only where chosen), over LISTEN/NOTIFY like
   * `subscribe`. Not on supabase-js: use Supabase Realtime.
   */
  readonly rowChanges: RowChanges;
  /**
   * Call `listener` when deliveries are stored (this process's enqueues at
   * once; any process's through LISTEN, 0002_act_queue, on node-postgres and
   * PGlite; supabase-js cannot listen). Returns the unsubscribe. Shaped as
   * `createWorker`'s `wakeOn`, which uses it by default through the store.
   */
  onDeliveryEnqueued(listener: () => void): () => void;
  /**
   * Delete done deliveries (with their attempts), integration events, job
   * runs and sync events older than 30 days (or as given); keeps pending and
   * dead deliveries. The scheduler's retention job calls it.
   */
  cleanup(options?: CleanupOptions): Promise<CleanupResult>;
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

function driverKind(connection: PostgresConnection): DriverKind | 'supabase' {
  if (connection && typeof connection === 'object') {
    if (isSupabaseConnection(connection)) {
      checkSupabaseConnection(connection);
      return 'supabase';
    }
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
    message:
      'createPostgresState needs { connectionString }, { pool } or { pglite } (or { supabaseUrl, supabaseKey } / { supabase })',
  });
}

async function openDriver(
  connection: Exclude<PostgresConnection, SupabaseConnection>,
  options: PostgresStateOptions,
): Promise<SqlDriver> {
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
      opening = (
        isSupabaseConnection(connection)
          ? openSupabaseBackend(connection, schema)
          : openDriver(connection, options).then((driver) => createSqlBackend(driver, schema))
      ).catch((error: unknown) => {
        opening = undefined;
        throw toActError(error, 'connect');
      });
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
  const live = createLiveEvents(backend, schema);
  const rowChanges = createRowChanges(backend, schema);
  const wake = createDeliveryWake(backend);

  const store = createPostgresStateStore(backend, {
    ...(options.now ? { now: options.now } : {}),
    ...(options.groupCommit !== undefined ? { groupCommit: options.groupCommit } : {}),
    wake,
  });

  return {
    schema,
    store,
    sink: createPostgresSink(backend, options.now ? { now: options.now } : {}),
    rateLimits: createPostgresRateLimitStore(backend),
    credentials: withCredentialsKey(
      createPostgresCredentialStore(backend, options.now ? { now: options.now } : {}),
      options.credentialsKey,
    ),
    sync: createPostgresSyncStore(backend, options.now ? { now: options.now } : {}),
    outbox: createPostgresOutboxStore(backend, options.now ? { now: options.now } : {}),
    identities: createPostgresIdentities(backend),

    async migrate(migrateOptions?: MigrateOptions) {
      if (kind === 'supabase') throw supabaseMigrateError(schema);
      return runMigrations(await sqlDriver(), schema, migrateOptions);
    },

    async health() {
      const started = Date.now();
      try {
        if (kind === 'supabase') {
          // One PostgREST round trip: the applied migrations, read from act_migrations.
          const pending = await supabasePendingMigrations((await backend()) as SupabaseBackend);
          const latencyMs = Date.now() - started;
          return { ok: pending.length === 0, driver: kind, schema, latencyMs, pendingMigrations: pending };
        }
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

    subscribe: (handler, subscribeOptions) => live.subscribe(handler, subscribeOptions),

    rowChanges,

    onDeliveryEnqueued: (listener) => store.onDeliveryEnqueued(listener),

    cleanup: (cleanupOptions) => runCleanup(backend, cleanupOptions, options.now),

    async close() {
      if (closed) return;
      closed = true;
      // Subscriptions hold a pooled connection the pool's end() would wait for.
      await live.close().catch(() => undefined);
      await rowChanges.close().catch(() => undefined);
      await wake.close().catch(() => undefined);
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

/** The store, encrypting when a key is given (`credentialsKey`, from `ACT_CREDENTIALS_KEY`). */
function withCredentialsKey(
  store: PostgresCredentialStore,
  keys: string | readonly CredentialsKey[] | undefined,
): PostgresCredentialStore {
  if (keys === undefined || (typeof keys === 'string' ? keys.trim() === '' : keys.length === 0)) return store;
  return encryptCredentialStore(store, { keys });
}
