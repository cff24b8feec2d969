/**
 * What the sync engine keeps besides the inbox: the registry of connected
 * tenants, named leases (the scheduler's leader, one sync per stream at a
 * time), the recurring jobs and a record of every run, the mode of each
 * webhook source (webhooks, or polling while they are quiet) and a log of
 * what changed (tenants added and removed, sources gone quiet and back,
 * cursors expired). `@act/core` ships an in-memory store;
 * `@act/sink-supabase` the Postgres one. Both pass `testSyncStore` from
 * `@act/core/testing`.
 */

/** `active`: synced. `reconnect_required`: a person must reconnect it (jobs pause). `disconnected`: kept data, no sync. */
export type ConnectionStatusV1 = 'active' | 'reconnect_required' | 'disconnected';

/** One tenant of one source that the app syncs (a GHL location, a Xero organisation, a mailbox). */
export interface ConnectionV1 {
  source: string;
  tenant: string;
  /** For people (`Acme Pty Ltd`); `null` until known. */
  displayName: string | null;
  status: ConnectionStatusV1;
  /** Why it is not active (`invalid_grant`, `uninstalled`), `null` when active. */
  statusReason: string | null;
  /** First connected (kept across a reconnect). */
  connectedAt: Date;
  /** When it was last disconnected, `null` while connected. */
  disconnectedAt: Date | null;
  updatedAt: Date;
  /** Per-tenant settings the app keeps with the connection (JSON). */
  settings: Readonly<Record<string, unknown>>;
}

export interface ConnectRequestV1 {
  source: string;
  tenant: string;
  displayName?: string | null | undefined;
  /** Replaces the stored settings when given; kept otherwise. */
  settings?: Readonly<Record<string, unknown>> | undefined;
  /**
   * Only add the tenant when the registry has never seen it: a tenant found
   * in a webhook or a discovery listing must not re-activate one a person
   * disconnected. Without it, `connect` (re)activates.
   */
  ifAbsent?: boolean | undefined;
  now?: Date | undefined;
}

/** What `connect` did. */
export interface ConnectResultV1 {
  connection: ConnectionV1;
  /** `added`: new; `reactivated`: was disconnected or reconnect-required; `unchanged`: already active (or `ifAbsent` and known). */
  change: 'added' | 'reactivated' | 'unchanged';
}

export interface SetConnectionStatusRequestV1 {
  source: string;
  tenant: string;
  status: ConnectionStatusV1;
  reason?: string | null | undefined;
  now?: Date | undefined;
}

/** The outcome of asking for a named lease. */
export interface LeaseResultV1 {
  /** `true` when `owner` holds the lease now (newly taken or renewed). */
  acquired: boolean;
  /** Who holds it (the caller when acquired). */
  holder: string;
  /** Until when the holder holds it. */
  expiresAt: Date;
}

export interface AcquireLeaseRequestV1 {
  /** `scheduler`, `stream:gmail:ana@example.com:history`. */
  name: string;
  owner: string;
  leaseMs: number;
  now?: Date | undefined;
}

/** The kinds of recurring work the scheduler runs. */
export type JobKindV1 = 'poll' | 'reconcile' | 'retention' | 'refresh' | 'renew' | 'discover';

/** A job's identity. `source`, `tenant` and `target` are `''` where they do not apply (retention is global). */
export interface JobIdentityV1 {
  /** `<kind>:<source>:<tenant>:<target>`, unique. */
  key: string;
  kind: JobKindV1;
  source: string;
  tenant: string;
  /** The poller's stream, the subscription's name; `''` otherwise. */
  target: string;
}

/** A job planned by the scheduler and its state. */
export interface JobV1 extends JobIdentityV1 {
  /** When it is due. */
  nextRunAt: Date;
  lastStartedAt: Date | null;
  lastFinishedAt: Date | null;
  /** When a run last succeeded: what freshness of a polled stream is graded on. */
  lastSuccessAt: Date | null;
  lastOutcome: JobOutcomeV1 | null;
  lastError: string | null;
  /** Failed runs in a row, for the retry schedule; reset by a success. */
  consecutiveFailures: number;
  /** Held by a running scheduler until then; `null` when idle. */
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
}

/** A job leased by one scheduler. */
export interface ClaimedJobV1 extends JobV1 {
  /** Proves the lease: `finishJob` with a stale token changes nothing. */
  claimToken: string;
}

/** `ok`: done. `failed`: an error (retried by schedule). `skipped`: nothing to do (breaker open, connection paused, stream busy). */
export type JobOutcomeV1 = 'ok' | 'failed' | 'skipped';

export interface PlannedJobV1 extends JobIdentityV1 {
  /** When a job the store does not know yet first runs. */
  firstRunAt: Date;
}

export interface PlanJobsRequestV1 {
  /** Every job that should exist for `sources`. */
  jobs: readonly PlannedJobV1[];
  /**
   * The sources this plan covers: their jobs missing from `jobs` are removed
   * (a tenant disconnected, a poller dropped). Jobs of other sources (another
   * deployment's connectors) and global jobs (`source: ''`, when `''` is not
   * listed) are left alone.
   */
  sources: readonly string[];
  now?: Date | undefined;
}

export interface ClaimJobsRequestV1 {
  owner: string;
  limit: number;
  leaseMs: number;
  /** Only these job keys (a tick for one job); all due jobs when absent. */
  keys?: readonly string[] | undefined;
  /**
   * Only jobs of these sources (`''` for the global jobs): a scheduler claims
   * only what its connectors can run, so two deployments with different
   * connectors can share one store. All sources when absent.
   */
  sources?: readonly string[] | undefined;
  now?: Date | undefined;
}

export interface FinishJobRequestV1 {
  key: string;
  claimToken: string;
  outcome: JobOutcomeV1;
  /** When the job is due next (the interval, a retry, the next renewal). */
  nextRunAt: Date;
  startedAt: Date;
  error?: string | undefined;
  errorClass?: string | undefined;
  /** What the run did (`pages`, `created`, `deleted`, `tenants`), JSON numbers. */
  counts?: Readonly<Record<string, number>> | undefined;
  now?: Date | undefined;
}

/** One finished run of a job: `act_job_runs`. */
export interface JobRunV1 extends JobIdentityV1 {
  id: string;
  owner: string;
  startedAt: Date;
  finishedAt: Date;
  outcome: JobOutcomeV1;
  error: string | null;
  errorClass: string | null;
  counts: Readonly<Record<string, number>>;
}

export interface ListJobRunsRequestV1 {
  source?: string | undefined;
  tenant?: string | undefined;
  kind?: JobKindV1 | undefined;
  /** Newest first; defaults to 100. */
  limit?: number | undefined;
}

/** How a webhook source is being kept fresh. */
export type SourceModeV1 = 'webhooks' | 'polling';

export interface SourceModeStateV1 {
  source: string;
  tenant: string;
  mode: SourceModeV1;
  /** When it entered this mode. */
  since: Date;
}

/**
 * Something the sync engine did that a person may want to see or alert on:
 * `connection_added`, `connection_removed`, `connection_status`,
 * `webhooks_quiet` (polling started), `webhooks_resumed`, `cursor_expired`,
 * `leader_changed`.
 */
export interface SyncEventV1 {
  id: string;
  source: string;
  tenant: string;
  kind: string;
  detail: Readonly<Record<string, unknown>>;
  createdAt: Date;
}

export interface NewSyncEventV1 {
  source: string;
  tenant: string;
  kind: string;
  detail?: Readonly<Record<string, unknown>> | undefined;
  now?: Date | undefined;
}

export interface SyncStoreV1 {
  readonly specificationVersion: 'v1';

  /** Add or reactivate a tenant (see `ConnectRequestV1.ifAbsent`); logs `connection_added` when it changed. */
  connect(request: ConnectRequestV1): Promise<ConnectResultV1>;
  /**
   * Mark a tenant disconnected, keeping its mirror rows and cursors; logs
   * `connection_removed`. Resolves `null` for a tenant never connected.
   */
  disconnect(request: {
    source: string;
    tenant: string;
    reason?: string | undefined;
    now?: Date | undefined;
  }): Promise<ConnectionV1 | null>;
  /** Set a connection's status (a refused refresh token marks it `reconnect_required`); logs `connection_status`. */
  setConnectionStatus(request: SetConnectionStatusRequestV1): Promise<ConnectionV1 | null>;
  getConnection(key: { source: string; tenant: string }): Promise<ConnectionV1 | null>;
  /** Ordered by source, then tenant. */
  listConnections(request?: { source?: string; status?: ConnectionStatusV1 }): Promise<ConnectionV1[]>;

  /**
   * Take or renew the lease `name` for `owner` unless another owner holds an
   * unexpired one. Concurrent callers never both acquire it.
   */
  acquireLease(request: AcquireLeaseRequestV1): Promise<LeaseResultV1>;
  /** Give the lease up if `owner` holds it (a clean shutdown hands over at once). */
  releaseLease(request: { name: string; owner: string }): Promise<void>;

  /** Make the stored jobs those of the plan (see `PlanJobsRequestV1`); existing jobs keep their schedule. */
  planJobs(request: PlanJobsRequestV1): Promise<void>;
  /**
   * Lease up to `limit` due jobs (`nextRunAt` reached, not leased or the
   * lease expired), earliest due first. Concurrent claims never return the same job.
   */
  claimJobs(request: ClaimJobsRequestV1): Promise<ClaimedJobV1[]>;
  /** Extend a running job's lease. Resolves `false` when the lease was lost. */
  renewJobLease(request: { key: string; claimToken: string; leaseMs: number; now?: Date }): Promise<boolean>;
  /**
   * Record the run (`JobRunV1`) and schedule the next one, releasing the
   * lease, in one transaction. Resolves `false`, recording nothing, when the
   * lease was lost.
   */
  finishJob(request: FinishJobRequestV1): Promise<boolean>;
  /** Bring a job forward: due at `at` unless already due sooner (a quiet source, `act sync now`). Resolves `false` for an unknown key. */
  requestJob(request: { key: string; at?: Date | undefined }): Promise<boolean>;
  listJobs(request?: { source?: string; tenant?: string; kind?: JobKindV1 }): Promise<JobV1[]>;
  listJobRuns(request?: ListJobRunsRequestV1): Promise<JobRunV1[]>;

  /** The current mode of every webhook source and tenant that has one. */
  listSourceModes(): Promise<SourceModeStateV1[]>;
  /** Switch a source and tenant's mode; logs `webhooks_quiet` or `webhooks_resumed` in the same transaction. Resolves `false` when it was already in that mode. */
  setSourceMode(request: {
    source: string;
    tenant: string;
    mode: SourceModeV1;
    detail?: Readonly<Record<string, unknown>>;
    now?: Date;
  }): Promise<boolean>;

  recordSyncEvent(event: NewSyncEventV1): Promise<void>;
  /** Newest first; defaults to 100. */
  listSyncEvents(request?: { source?: string; tenant?: string; since?: Date; limit?: number }): Promise<SyncEventV1[]>;
}
