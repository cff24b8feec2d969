/**
 * The small surface the store, sink and migrations need from a database
 * client. Two levels:
 *
 * - `SqlDriver` runs SQL text (node-postgres, PGlite). Migrations need it.
 * - `ActBackend` calls the package's SQL functions by name with named
 *   arguments. The store, sink and rate-limit store use only this, so a
 *   driver that can do nothing but call functions (supabase-js `rpc` through
 *   PostgREST) can back them too.
 */

import type { ListenHandlers, Listening } from './listen';

export type Row = Record<string, unknown>;

export interface SqlQueryable {
  /** One statement, `$1`-style parameters; resolves the rows. */
  query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

/** One connection inside a transaction. */
export interface SqlSession extends SqlQueryable {
  /** A script of several statements, without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export type DriverKind = 'pg' | 'pglite';

export interface SqlDriver extends SqlQueryable {
  readonly kind: DriverKind;
  /** Run `fn` on one connection inside BEGIN … COMMIT; ROLLBACK when it throws. */
  transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /** `LISTEN channel` until the returned `close()` (see ./listen.ts); absent where a driver cannot. */
  listen?(channel: string, handlers: ListenHandlers): Promise<Listening>;
  /** Most connections the pool holds, where known (each `listen` keeps one of them). */
  readonly maxConnections?: number;
  /** Release what the driver opened (a pool it created, a PGlite it started). */
  close(): Promise<void>;
}

/** Postgres types of function arguments, as the call builder casts them. */
export type ArgType =
  | 'text'
  | 'text[]'
  | 'integer'
  | 'bigint'
  | 'bigint[]'
  | 'boolean'
  | 'double precision'
  | 'jsonb'
  | 'bytea'
  | 'timestamptz';

/**
 * Every SQL function the package calls, with its arguments' types. Arguments
 * are passed by name (`p_owner => $1`), the way PostgREST passes them too.
 */
export const ACT_FUNCTIONS = {
  act_enqueue: {
    p_source: 'text',
    p_tenant: 'text',
    p_dedupe_key: 'text',
    p_method: 'text',
    p_url: 'text',
    p_headers: 'jsonb',
    p_body: 'bytea',
    p_received_at: 'timestamptz',
    p_correlation_id: 'text',
    p_event_types: 'text[]',
  },
  // Migration 0010: group commit (a JSON array of act_enqueue's arguments, body base64).
  act_enqueue_batch: { p_deliveries: 'jsonb' },
  // Migration 0012: the worker's batched completion (a JSON array of act_complete's arguments).
  act_complete_batch: { p_completions: 'jsonb' },
  act_deliveries_channel: {},
  act_claim: { p_owner: 'text', p_limit: 'integer', p_lease_ms: 'bigint', p_sources: 'text[]', p_now: 'timestamptz' },
  act_complete: {
    p_id: 'bigint',
    p_claim_token: 'text',
    p_events: 'jsonb',
    p_started_at: 'timestamptz',
    p_now: 'timestamptz',
  },
  act_fail: {
    p_id: 'bigint',
    p_claim_token: 'text',
    p_error: 'text',
    p_error_class: 'text',
    p_retry_at: 'timestamptz',
    p_counts_towards_schedule: 'boolean',
    p_started_at: 'timestamptz',
    p_now: 'timestamptz',
  },
  act_replay: {
    p_ids: 'bigint[]',
    p_source: 'text',
    p_tenant: 'text',
    p_from: 'timestamptz',
    p_to: 'timestamptz',
    p_statuses: 'text[]',
    p_now: 'timestamptz',
  },
  act_get_delivery: { p_id: 'bigint' },
  act_list_deliveries: { p_status: 'text', p_source: 'text', p_tenant: 'text', p_limit: 'integer' },
  act_list_attempts: { p_delivery_id: 'bigint' },
  act_get_cursor: { p_source: 'text', p_tenant: 'text', p_stream: 'text' },
  act_set_cursor: { p_source: 'text', p_tenant: 'text', p_stream: 'text', p_cursor: 'text', p_now: 'timestamptz' },
  act_record_events: { p_events: 'jsonb', p_delivery_id: 'bigint', p_correlation_id: 'text', p_now: 'timestamptz' },
  act_list_events: { p_source: 'text', p_tenant: 'text', p_since: 'timestamptz', p_limit: 'integer' },
  act_health: { p_now: 'timestamptz' },
  // Migration 0016: act_health with conflicting redeliveries counted, and their listing.
  act_health_figures: { p_now: 'timestamptz' },
  act_list_conflicts: { p_status: 'text', p_source: 'text', p_tenant: 'text', p_limit: 'integer' },
  act_take_tokens: {
    p_key: 'text',
    p_capacity: 'double precision',
    p_interval_ms: 'bigint',
    p_cost: 'double precision',
    p_now_ms: 'bigint',
  },
  act_set_tokens: {
    p_key: 'text',
    p_capacity: 'double precision',
    p_interval_ms: 'bigint',
    p_remaining: 'double precision',
    p_now_ms: 'bigint',
  },
  // Migration 0008: leased slots (concurrency limits, sliding windows).
  act_acquire_slot: {
    p_key: 'text',
    p_limit: 'integer',
    p_owner: 'text',
    p_lease_ms: 'bigint',
    p_now_ms: 'bigint',
  },
  act_release_slot: { p_key: 'text', p_owner: 'text' },
  // Migration 0010: p_events, the integration events committed with the rows.
  // Migration 0012: p_outbox, the outbox messages enqueued with the rows.
  act_sink_apply: {
    p_operations: 'jsonb',
    p_cursor: 'jsonb',
    p_now: 'timestamptz',
    p_events: 'jsonb',
    p_outbox: 'jsonb',
  },
  // Migration 0007: reconciliation's row scan and the credential store.
  act_sink_scan: {
    p_table: 'text',
    p_where: 'jsonb',
    p_key_columns: 'text[]',
    p_after: 'jsonb',
    p_limit: 'integer',
  },
  act_credential_get: { p_key: 'text' },
  act_credential_put: { p_key: 'text', p_value: 'jsonb', p_now: 'timestamptz' },
  act_credential_acquire_lease: { p_key: 'text', p_owner: 'text', p_lease_ms: 'bigint', p_now: 'timestamptz' },
  act_credential_complete_refresh: { p_key: 'text', p_owner: 'text', p_value: 'jsonb', p_now: 'timestamptz' },
  act_credential_release_lease: { p_key: 'text', p_owner: 'text', p_invalid_reason: 'text', p_now: 'timestamptz' },
  act_credentials_list_invalid: { p_prefix: 'text' },
  act_events_channel: {},
  act_cleanup: {
    p_older_than_days: 'integer',
    p_dead_older_than_days: 'integer',
    p_now: 'timestamptz',
    p_batch_size: 'integer',
    p_max_batches: 'integer',
  },
  // Migration 0010: the sync engine. The queue's lease renewal and webhook activity…
  act_renew_lease: { p_id: 'bigint', p_claim_token: 'text', p_lease_ms: 'bigint', p_now: 'timestamptz' },
  act_webhook_activity: { p_since: 'timestamptz' },
  // …and the sync store (SyncStoreV1).
  act_connect: {
    p_source: 'text',
    p_tenant: 'text',
    p_display_name: 'text',
    p_set_display_name: 'boolean',
    p_settings: 'jsonb',
    p_if_absent: 'boolean',
    p_now: 'timestamptz',
  },
  act_disconnect: { p_source: 'text', p_tenant: 'text', p_reason: 'text', p_now: 'timestamptz' },
  act_set_connection_status: {
    p_source: 'text',
    p_tenant: 'text',
    p_status: 'text',
    p_reason: 'text',
    p_now: 'timestamptz',
  },
  act_list_connections: { p_source: 'text', p_tenant: 'text', p_status: 'text' },
  act_acquire_lease: { p_name: 'text', p_owner: 'text', p_lease_ms: 'bigint', p_now: 'timestamptz' },
  act_release_lease: { p_name: 'text', p_owner: 'text' },
  act_plan_jobs: { p_jobs: 'jsonb', p_sources: 'text[]', p_now: 'timestamptz' },
  act_claim_jobs: {
    p_owner: 'text',
    p_limit: 'integer',
    p_lease_ms: 'bigint',
    p_keys: 'text[]',
    p_now: 'timestamptz',
    p_sources: 'text[]',
  },
  act_renew_job_lease: { p_key: 'text', p_claim_token: 'text', p_lease_ms: 'bigint', p_now: 'timestamptz' },
  act_finish_job: {
    p_key: 'text',
    p_claim_token: 'text',
    p_outcome: 'text',
    p_next_run_at: 'timestamptz',
    p_started_at: 'timestamptz',
    p_error: 'text',
    p_error_class: 'text',
    p_counts: 'jsonb',
    p_now: 'timestamptz',
  },
  act_request_job: { p_key: 'text', p_at: 'timestamptz' },
  act_list_jobs: { p_source: 'text', p_tenant: 'text', p_kind: 'text' },
  act_list_job_runs: { p_source: 'text', p_tenant: 'text', p_kind: 'text', p_limit: 'integer' },
  act_list_source_modes: {},
  act_set_source_mode: {
    p_source: 'text',
    p_tenant: 'text',
    p_mode: 'text',
    p_detail: 'jsonb',
    p_now: 'timestamptz',
  },
  act_record_sync_event: {
    p_source: 'text',
    p_tenant: 'text',
    p_kind: 'text',
    p_detail: 'jsonb',
    p_now: 'timestamptz',
  },
  act_list_sync_events: { p_source: 'text', p_tenant: 'text', p_since: 'timestamptz', p_limit: 'integer' },
  // Migration 0012: the outbox (OutboxStoreV1).
  act_outbox_enqueue: { p_messages: 'jsonb', p_now: 'timestamptz' },
  act_outbox_claim: {
    p_owner: 'text',
    p_limit: 'integer',
    p_lease_ms: 'bigint',
    p_destinations: 'text[]',
    p_now: 'timestamptz',
  },
  act_outbox_complete: { p_id: 'bigint', p_claim_token: 'text', p_result: 'jsonb', p_now: 'timestamptz' },
  act_outbox_fail: {
    p_id: 'bigint',
    p_claim_token: 'text',
    p_error: 'text',
    p_error_class: 'text',
    p_retry_at: 'timestamptz',
    p_counts_towards_schedule: 'boolean',
    p_now: 'timestamptz',
  },
  act_outbox_replay: {
    p_ids: 'bigint[]',
    p_destination: 'text',
    p_tenant: 'text',
    p_from: 'timestamptz',
    p_to: 'timestamptz',
    p_statuses: 'text[]',
    p_now: 'timestamptz',
  },
  act_outbox_get: { p_id: 'bigint' },
  act_outbox_list: { p_destination: 'text', p_status: 'text', p_tenant: 'text', p_limit: 'integer' },
  act_outbox_list_attempts: { p_message_id: 'bigint' },
  act_outbox_stats: {},
  // Migration 0013: cross-source identity.
  act_identity_matches: { p_source: 'text', p_record_id: 'text', p_tenant: 'text', p_entity: 'text' },
  act_identity_list_conflicts: { p_source: 'text', p_tenant: 'text', p_limit: 'integer' },
  act_identity_set_tenant_group: { p_source: 'text', p_tenant: 'text', p_group: 'text' },
} as const satisfies Record<string, Record<string, ArgType>>;

export type ActFunctionName = keyof typeof ACT_FUNCTIONS;
export type ActFunctionArgs<F extends ActFunctionName> = {
  [K in keyof (typeof ACT_FUNCTIONS)[F]]?: unknown;
};

/** Calls the package's SQL functions. Scalar results come back as `[{ result }]`. */
export interface ActBackend {
  readonly kind: DriverKind | 'supabase';
  readonly schema: string;
  call<F extends ActFunctionName>(name: F, args: ActFunctionArgs<F>): Promise<Row[]>;
  /** The SQL driver underneath, when there is one (migrations need it). */
  readonly sql?: SqlDriver;
  close(): Promise<void>;
}

/** `"name"` with embedded quotes doubled, as `format('%I')` would. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
