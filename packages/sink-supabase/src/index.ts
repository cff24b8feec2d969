/**
 * @module
 * `@act/sink-supabase`: the pipeline's durable state (inbox queue, attempts,
 * cursors, integration events, rate limits) and the batched, version-guarded
 * sink, in Postgres: Supabase, any Postgres, or embedded PGlite. The SQL ships
 * as migrations; the queue and sink logic are SQL functions every driver calls.
 */
export {
  createPostgresState,
  migrate,
  type PostgresConnection,
  type PostgresHealth,
  type PostgresState,
  type PostgresStateOptions,
} from './create-postgres-state';
export { PostgresError } from './errors';
export {
  ACT_MIGRATIONS,
  REALTIME_ACCESS_MIGRATION,
  SCHEDULER_CRON_MIGRATION,
  TENANT_ACCESS_IDENTITY_MIGRATION,
  TENANT_ACCESS_MIGRATION,
} from './generated/migrations';
export type { GroupCommitOptions } from './group-commit';
export type { LiveEvent, LiveEventHandler, SubscribeOptions, Unsubscribe } from './live-events';
export type { MigrateOptions, MigrateResult, Migration } from './migrate';
export type { PostgresCredentialStore } from './postgres-credential-store';
export type {
  IdentityConflict,
  IdentityConflictsRequest,
  IdentityKind,
  IdentityMatch,
  IdentityMatchRequest,
  IdentityRecordRef,
  PostgresIdentities,
} from './postgres-identity-store';
export type { PostgresOutboxStoreOptions } from './postgres-outbox-store';
export { BOOKKEEPING_COLUMNS } from './postgres-sink';
export { DEFAULT_SCAN_PAGE_SIZE, type PostgresScanRequest, type PostgresSink } from './postgres-sink-scan';
export type { PostgresStateStore } from './postgres-state-store';
export type { PostgresSyncStoreOptions } from './postgres-sync-store';
export type { CleanupOptions, CleanupResult } from './retention';
export type {
  RowChange,
  RowChangeHandler,
  RowChangeOp,
  RowChangeSubscribeOptions,
  RowChanges,
} from './row-changes';
export type { PgPoolClientLike, PgPoolLike, PgPoolOptions } from './sql/pg-driver';
export {
  lockPgliteDataDir,
  type PGliteLike,
  type PGliteStartOptions,
  type PGliteTransactionLike,
  type PgliteDataDirLock,
} from './sql/pglite-driver';
export {
  DEFAULT_SUPABASE_CHUNK_SIZE,
  type SupabaseClientLike,
  type SupabaseConnection,
  type SupabaseErrorLike,
  type SupabaseResponseLike,
} from './sql/supabase-backend';
export { VERSION } from './version';
