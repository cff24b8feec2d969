import type {
  ClaimedJobV1,
  ConnectionStatusV1,
  ConnectionV1,
  JobKindV1,
  JobOutcomeV1,
  JobRunV1,
  JobV1,
  SourceModeStateV1,
  SourceModeV1,
  SyncEventV1,
  SyncStoreV1,
} from '@act/core';
import { PACKAGE_NAME } from './errors';
import { type BackendProvider, toDate } from './postgres-state-store';
import type { ActFunctionArgs, ActFunctionName, Row } from './sql/driver';

export interface PostgresSyncStoreOptions {
  /** Clock for calls that give no `now`; without it the database clock is used. */
  now?: () => Date;
}

const toDateOrNull = (value: unknown): Date | null => (value === null || value === undefined ? null : toDate(value));

/** jsonb as an object: drivers parse it, PostgREST sends it parsed, a string is parsed here. */
function toObject<T>(value: unknown): T {
  if (typeof value === 'string') return JSON.parse(value) as T;
  return (value ?? {}) as T;
}

const isoOrNull = (date: Date | undefined): string | null =>
  date instanceof Date && Number.isFinite(date.getTime()) ? date.toISOString() : null;

/** Whole milliseconds for a `bigint` argument. */
const millis = (value: number): number => Math.max(0, Math.round(value));

function toConnection(row: Row): ConnectionV1 {
  return {
    source: row.source as string,
    tenant: row.tenant as string,
    displayName: (row.display_name as string | null | undefined) ?? null,
    status: row.status as ConnectionStatusV1,
    statusReason: (row.status_reason as string | null | undefined) ?? null,
    connectedAt: toDate(row.connected_at),
    disconnectedAt: toDateOrNull(row.disconnected_at),
    updatedAt: toDate(row.updated_at),
    settings: { ...toObject<Record<string, unknown>>(row.settings) },
  };
}

function toJob(row: Row): JobV1 {
  return {
    key: row.key as string,
    kind: row.kind as JobKindV1,
    source: row.source as string,
    tenant: row.tenant as string,
    target: row.target as string,
    nextRunAt: toDate(row.next_run_at),
    lastStartedAt: toDateOrNull(row.last_started_at),
    lastFinishedAt: toDateOrNull(row.last_finished_at),
    lastSuccessAt: toDateOrNull(row.last_success_at),
    lastOutcome: (row.last_outcome as JobOutcomeV1 | null | undefined) ?? null,
    lastError: (row.last_error as string | null | undefined) ?? null,
    consecutiveFailures: Number(row.consecutive_failures ?? 0),
    leaseOwner: (row.lease_owner as string | null | undefined) ?? null,
    leaseExpiresAt: toDateOrNull(row.lease_expires_at),
  };
}

function toJobRun(row: Row): JobRunV1 {
  return {
    id: String(row.id),
    key: row.key as string,
    kind: row.kind as JobKindV1,
    source: row.source as string,
    tenant: row.tenant as string,
    target: row.target as string,
    owner: row.owner as string,
    startedAt: toDate(row.started_at),
    finishedAt: toDate(row.finished_at),
    outcome: row.outcome as JobOutcomeV1,
    error: (row.error as string | null | undefined) ?? null,
    errorClass: (row.error_class as string | null | undefined) ?? null,
    counts: { ...toObject<Record<string, number>>(row.counts) },
  };
}

function toSourceMode(row: Row): SourceModeStateV1 {
  return {
    source: row.source as string,
    tenant: row.tenant as string,
    mode: row.mode as SourceModeV1,
    since: toDate(row.since),
  };
}

function toSyncEvent(row: Row): SyncEventV1 {
  return {
    id: String(row.id),
    source: row.source as string,
    tenant: row.tenant as string,
    kind: row.kind as string,
    detail: { ...toObject<Record<string, unknown>>(row.detail) },
    createdAt: toDate(row.created_at),
  };
}

/**
 * `SyncStoreV1` over the SQL functions of migration 0010_act_sync: the
 * registry of connected tenants (`act_connections`), named leases
 * (`act_leases`), the scheduler's jobs and runs (`act_jobs`,
 * `act_job_runs`), source modes (`act_source_modes`) and the sync log
 * (`act_sync_events`). Every method is one function call, so one
 * transaction, on any backend (node-postgres, PGlite, supabase-js); leases
 * and job claims hold across processes and machines.
 */
export function createPostgresSyncStore(backend: BackendProvider, options: PostgresSyncStoreOptions = {}): SyncStoreV1 {
  const clock = options.now;
  const now = (given?: Date): Date | null => given ?? clock?.() ?? null;
  const call = async <F extends ActFunctionName>(name: F, args: ActFunctionArgs<F>): Promise<Row[]> =>
    (await backend()).call(name, args);
  const scalar = (rows: Row[]): unknown => rows[0]?.result;

  return {
    specificationVersion: 'v1',

    async connect(request) {
      const answer = toObject<{ connection: Row; change: 'added' | 'reactivated' | 'unchanged' }>(
        scalar(
          await call('act_connect', {
            p_source: request.source,
            p_tenant: request.tenant,
            p_display_name: request.displayName ?? null,
            p_set_display_name: request.displayName !== undefined,
            p_settings: request.settings === undefined ? null : request.settings,
            p_if_absent: request.ifAbsent === true,
            p_now: now(request.now),
          }),
        ),
      );
      if (!answer?.connection) throw new Error(`[${PACKAGE_NAME}] act_connect returned no connection`);
      return { connection: toConnection(answer.connection), change: answer.change };
    },

    async disconnect(request) {
      const [row] = await call('act_disconnect', {
        p_source: request.source,
        p_tenant: request.tenant,
        p_reason: request.reason ?? null,
        p_now: now(request.now),
      });
      return row ? toConnection(row) : null;
    },

    async setConnectionStatus(request) {
      const [row] = await call('act_set_connection_status', {
        p_source: request.source,
        p_tenant: request.tenant,
        p_status: request.status,
        p_reason: request.reason ?? null,
        p_now: now(request.now),
      });
      return row ? toConnection(row) : null;
    },

    async getConnection(key) {
      const [row] = await call('act_list_connections', { p_source: key.source, p_tenant: key.tenant });
      return row ? toConnection(row) : null;
    },

    async listConnections(request = {}) {
      const rows = await call('act_list_connections', {
        p_source: request.source ?? null,
        p_status: request.status ?? null,
      });
      return rows.map(toConnection);
    },

    async acquireLease(request) {
      const [row] = await call('act_acquire_lease', {
        p_name: request.name,
        p_owner: request.owner,
        p_lease_ms: millis(request.leaseMs),
        p_now: now(request.now),
      });
      if (!row) throw new Error(`[${PACKAGE_NAME}] act_acquire_lease returned no row`);
      return { acquired: row.acquired === true, holder: row.holder as string, expiresAt: toDate(row.expires_at) };
    },

    async releaseLease(request) {
      await call('act_release_lease', { p_name: request.name, p_owner: request.owner });
    },

    async planJobs(request) {
      await call('act_plan_jobs', {
        p_jobs: request.jobs.map((job) => ({
          key: job.key,
          kind: job.kind,
          source: job.source,
          tenant: job.tenant,
          target: job.target,
          first_run_at: isoOrNull(job.firstRunAt),
        })),
        p_sources: [...request.sources],
        p_now: now(request.now),
      });
    },

    async claimJobs(request) {
      const rows = await call('act_claim_jobs', {
        p_owner: request.owner,
        p_limit: Math.max(0, Math.floor(request.limit)),
        p_lease_ms: millis(request.leaseMs),
        p_keys: request.keys ? [...request.keys] : null,
        p_now: now(request.now),
        p_sources: request.sources ? [...request.sources] : null,
      });
      return rows.map((row): ClaimedJobV1 => ({ ...toJob(row), claimToken: String(row.claim_token) }));
    },

    async renewJobLease(request) {
      return (
        scalar(
          await call('act_renew_job_lease', {
            p_key: request.key,
            p_claim_token: request.claimToken,
            p_lease_ms: millis(request.leaseMs),
            p_now: now(request.now),
          }),
        ) === true
      );
    },

    async finishJob(request) {
      return (
        scalar(
          await call('act_finish_job', {
            p_key: request.key,
            p_claim_token: request.claimToken,
            p_outcome: request.outcome,
            p_next_run_at: request.nextRunAt,
            p_started_at: request.startedAt,
            p_error: request.error ?? null,
            p_error_class: request.errorClass ?? null,
            p_counts: request.counts ?? {},
            p_now: now(request.now),
          }),
        ) === true
      );
    },

    async requestJob(request) {
      return scalar(await call('act_request_job', { p_key: request.key, p_at: request.at ?? now() })) === true;
    },

    async listJobs(request = {}) {
      const rows = await call('act_list_jobs', {
        p_source: request.source ?? null,
        p_tenant: request.tenant ?? null,
        p_kind: request.kind ?? null,
      });
      return rows.map(toJob);
    },

    async listJobRuns(request = {}) {
      const rows = await call('act_list_job_runs', {
        p_source: request.source ?? null,
        p_tenant: request.tenant ?? null,
        p_kind: request.kind ?? null,
        p_limit: request.limit ?? 100,
      });
      return rows.map(toJobRun);
    },

    async listSourceModes() {
      return (await call('act_list_source_modes', {})).map(toSourceMode);
    },

    async setSourceMode(request) {
      return (
        scalar(
          await call('act_set_source_mode', {
            p_source: request.source,
            p_tenant: request.tenant,
            p_mode: request.mode,
            p_detail: request.detail ?? null,
            p_now: now(request.now),
          }),
        ) === true
      );
    },

    async recordSyncEvent(event) {
      await call('act_record_sync_event', {
        p_source: event.source,
        p_tenant: event.tenant,
        p_kind: event.kind,
        p_detail: event.detail ?? {},
        p_now: now(event.now),
      });
    },

    async listSyncEvents(request = {}) {
      const rows = await call('act_list_sync_events', {
        p_source: request.source ?? null,
        p_tenant: request.tenant ?? null,
        p_since: request.since ?? null,
        p_limit: request.limit ?? 100,
      });
      return rows.map(toSyncEvent);
    },
  };
}
