/**
 * @module
 * `@act/sink-supabase`: the pipeline's durable state (inbox queue, attempts,
 * cursors, integration events, rate limits) and the batched, version-guarded
 * sink, in Postgres: Supabase, any Postgres, or embedded PGlite. The SQL ships
 * as migrations; the queue and sink logic are SQL functions every driver calls.
 */
export { ACT_MIGRATIONS } from './act-migrations';
export {
  createPostgresState,
  migrate,
  type PostgresConnection,
  type PostgresHealth,
  type PostgresState,
  type PostgresStateOptions,
} from './create-postgres-state';
export { PostgresError } from './errors';
export type { MigrateOptions, MigrateResult, Migration } from './migrate';
export { BOOKKEEPING_COLUMNS } from './postgres-sink';
export type { PgPoolClientLike, PgPoolLike, PgPoolOptions } from './sql/pg-driver';
export type { PGliteLike, PGliteStartOptions, PGliteTransactionLike } from './sql/pglite-driver';
export { VERSION } from './version';
