import type {
  ClaimedJobV1,
  ConnectionV1,
  JobRunV1,
  JobV1,
  SourceModeStateV1,
  SyncEventV1,
  SyncStoreV1,
} from '../spec/v1';

interface Lease {
  owner: string;
  expiresAt: Date;
}

interface StoredJob extends JobV1 {
  claimToken: string | null;
}

const DEFAULT_LIST_LIMIT = 100;

/**
 * A `SyncStoreV1` in process memory, for tests, development and the demo:
 * connections, leases, jobs and their runs, source modes and the sync log.
 * Leases only coordinate callers in this process.
 */
export function createMemorySyncStore(options: { now?: () => Date } = {}): SyncStoreV1 {
  const clock = options.now ?? (() => new Date());
  const connections = new Map<string, ConnectionV1>();
  const leases = new Map<string, Lease>();
  const jobs = new Map<string, StoredJob>();
  const runs: JobRunV1[] = [];
  const modes = new Map<string, SourceModeStateV1>();
  const events: SyncEventV1[] = [];
  let sequence = 0;

  const connectionKey = (source: string, tenant: string) => `${source}\u0000${tenant}`;
  const copy = <T>(value: T): T => structuredClone(value);
  const publicJob = ({ claimToken: _token, ...job }: StoredJob): JobV1 => copy(job);
  const log = (event: {
    source: string;
    tenant: string;
    kind: string;
    detail?: Readonly<Record<string, unknown>> | undefined;
    now?: Date | undefined;
  }) => {
    sequence += 1;
    events.push({
      id: String(sequence),
      source: event.source,
      tenant: event.tenant,
      kind: event.kind,
      detail: copy(event.detail ?? {}),
      createdAt: event.now ?? clock(),
    });
  };

  const store: SyncStoreV1 = {
    specificationVersion: 'v1',

    async connect(request) {
      const now = request.now ?? clock();
      const key = connectionKey(request.source, request.tenant);
      const existing = connections.get(key);
      if (!existing) {
        const connection: ConnectionV1 = {
          source: request.source,
          tenant: request.tenant,
          displayName: request.displayName ?? null,
          status: 'active',
          statusReason: null,
          connectedAt: now,
          disconnectedAt: null,
          updatedAt: now,
          settings: copy(request.settings ?? {}),
        };
        connections.set(key, connection);
        log({ source: request.source, tenant: request.tenant, kind: 'connection_added', now });
        return { connection: copy(connection), change: 'added' };
      }
      if (request.ifAbsent) return { connection: copy(existing), change: 'unchanged' };
      const reactivated = existing.status !== 'active';
      const updated: ConnectionV1 = {
        ...existing,
        displayName: request.displayName === undefined ? existing.displayName : request.displayName,
        settings: request.settings === undefined ? existing.settings : copy(request.settings),
        status: 'active',
        statusReason: null,
        disconnectedAt: null,
        updatedAt: now,
      };
      connections.set(key, updated);
      if (reactivated)
        log({
          source: request.source,
          tenant: request.tenant,
          kind: 'connection_added',
          detail: { reactivated: true },
          now,
        });
      return { connection: copy(updated), change: reactivated ? 'reactivated' : 'unchanged' };
    },

    async disconnect(request) {
      const now = request.now ?? clock();
      const key = connectionKey(request.source, request.tenant);
      const existing = connections.get(key);
      if (!existing) return null;
      if (existing.status === 'disconnected') return copy(existing);
      const updated: ConnectionV1 = {
        ...existing,
        status: 'disconnected',
        statusReason: request.reason ?? null,
        disconnectedAt: now,
        updatedAt: now,
      };
      connections.set(key, updated);
      log({
        source: request.source,
        tenant: request.tenant,
        kind: 'connection_removed',
        detail: request.reason ? { reason: request.reason } : {},
        now,
      });
      return copy(updated);
    },

    async setConnectionStatus(request) {
      const now = request.now ?? clock();
      const key = connectionKey(request.source, request.tenant);
      const existing = connections.get(key);
      if (!existing) return null;
      const reason = request.status === 'active' ? null : (request.reason ?? null);
      if (existing.status === request.status && existing.statusReason === reason) return copy(existing);
      const updated: ConnectionV1 = {
        ...existing,
        status: request.status,
        statusReason: reason,
        disconnectedAt: request.status === 'disconnected' ? now : null,
        updatedAt: now,
      };
      connections.set(key, updated);
      log({
        source: request.source,
        tenant: request.tenant,
        kind: 'connection_status',
        detail: { status: request.status, ...(reason ? { reason } : {}) },
        now,
      });
      return copy(updated);
    },

    async getConnection(key) {
      const found = connections.get(connectionKey(key.source, key.tenant));
      return found ? copy(found) : null;
    },

    async listConnections(request = {}) {
      return [...connections.values()]
        .filter(
          (c) =>
            (request.source === undefined || c.source === request.source) &&
            (request.status === undefined || c.status === request.status),
        )
        .sort((a, b) => (a.source === b.source ? compare(a.tenant, b.tenant) : compare(a.source, b.source)))
        .map(copy);
    },

    async acquireLease(request) {
      const now = request.now ?? clock();
      const held = leases.get(request.name);
      if (held && held.owner !== request.owner && held.expiresAt > now) {
        return { acquired: false, holder: held.owner, expiresAt: new Date(held.expiresAt) };
      }
      const lease = { owner: request.owner, expiresAt: new Date(now.getTime() + request.leaseMs) };
      leases.set(request.name, lease);
      return { acquired: true, holder: lease.owner, expiresAt: new Date(lease.expiresAt) };
    },

    async releaseLease(request) {
      if (leases.get(request.name)?.owner === request.owner) leases.delete(request.name);
    },

    async planJobs(request) {
      const now = request.now ?? clock();
      const planned = new Set(request.jobs.map((job) => job.key));
      const sources = new Set(request.sources);
      for (const [key, job] of jobs) {
        if (sources.has(job.source) && !planned.has(key)) jobs.delete(key);
      }
      for (const job of request.jobs) {
        if (jobs.has(job.key)) continue;
        jobs.set(job.key, {
          key: job.key,
          kind: job.kind,
          source: job.source,
          tenant: job.tenant,
          target: job.target,
          nextRunAt: new Date(job.firstRunAt ?? now),
          lastStartedAt: null,
          lastFinishedAt: null,
          lastSuccessAt: null,
          lastOutcome: null,
          lastError: null,
          consecutiveFailures: 0,
          leaseOwner: null,
          leaseExpiresAt: null,
          claimToken: null,
        });
      }
    },

    async claimJobs(request) {
      const now = request.now ?? clock();
      const keys = request.keys ? new Set(request.keys) : undefined;
      const sources = request.sources ? new Set(request.sources) : undefined;
      const due = [...jobs.values()]
        .filter(
          (job) =>
            (!keys || keys.has(job.key)) &&
            (!sources || sources.has(job.source)) &&
            job.nextRunAt <= now &&
            (job.leaseExpiresAt === null || job.leaseExpiresAt <= now),
        )
        .sort((a, b) => a.nextRunAt.getTime() - b.nextRunAt.getTime() || compare(a.key, b.key))
        .slice(0, Math.max(0, request.limit));
      return due.map((job): ClaimedJobV1 => {
        job.claimToken = crypto.randomUUID();
        job.leaseOwner = request.owner;
        job.leaseExpiresAt = new Date(now.getTime() + request.leaseMs);
        job.lastStartedAt = now;
        return { ...publicJob(job), claimToken: job.claimToken };
      });
    },

    async renewJobLease(request) {
      const job = jobs.get(request.key);
      if (!job || job.claimToken !== request.claimToken) return false;
      job.leaseExpiresAt = new Date((request.now ?? clock()).getTime() + request.leaseMs);
      return true;
    },

    async finishJob(request) {
      const now = request.now ?? clock();
      const job = jobs.get(request.key);
      if (!job || job.claimToken !== request.claimToken) return false;
      const owner = job.leaseOwner ?? '';
      job.claimToken = null;
      job.leaseOwner = null;
      job.leaseExpiresAt = null;
      job.lastFinishedAt = now;
      job.lastOutcome = request.outcome;
      job.lastError = request.outcome === 'failed' ? (request.error ?? null) : null;
      if (request.outcome === 'ok') {
        job.lastSuccessAt = now;
        job.consecutiveFailures = 0;
      } else if (request.outcome === 'failed') {
        job.consecutiveFailures += 1;
      }
      job.nextRunAt = new Date(request.nextRunAt);
      sequence += 1;
      runs.push({
        id: String(sequence),
        key: job.key,
        kind: job.kind,
        source: job.source,
        tenant: job.tenant,
        target: job.target,
        owner,
        startedAt: new Date(request.startedAt),
        finishedAt: now,
        outcome: request.outcome,
        error: request.error ?? null,
        errorClass: request.errorClass ?? null,
        counts: copy(request.counts ?? {}),
      });
      return true;
    },

    async requestJob(request) {
      const job = jobs.get(request.key);
      if (!job) return false;
      const at = request.at ?? clock();
      if (at < job.nextRunAt) job.nextRunAt = new Date(at);
      return true;
    },

    async listJobs(request = {}) {
      return [...jobs.values()]
        .filter(
          (job) =>
            (request.source === undefined || job.source === request.source) &&
            (request.tenant === undefined || job.tenant === request.tenant) &&
            (request.kind === undefined || job.kind === request.kind),
        )
        .sort((a, b) => compare(a.key, b.key))
        .map(publicJob);
    },

    async listJobRuns(request = {}) {
      // Newest by finish time (a caller's `now` need not follow the order of the calls), then the later recorded.
      return newestFirst(runs, (run) => run.finishedAt)
        .filter(
          (run) =>
            (request.source === undefined || run.source === request.source) &&
            (request.tenant === undefined || run.tenant === request.tenant) &&
            (request.kind === undefined || run.kind === request.kind),
        )
        .slice(0, Math.max(0, request.limit ?? DEFAULT_LIST_LIMIT))
        .map(copy);
    },

    async listSourceModes() {
      return [...modes.values()]
        .sort((a, b) => compare(`${a.source}\u0000${a.tenant}`, `${b.source}\u0000${b.tenant}`))
        .map(copy);
    },

    async setSourceMode(request) {
      const now = request.now ?? clock();
      const key = connectionKey(request.source, request.tenant);
      const current = modes.get(key);
      if ((current?.mode ?? 'webhooks') === request.mode) {
        if (!current)
          modes.set(key, { source: request.source, tenant: request.tenant, mode: request.mode, since: now });
        return false;
      }
      modes.set(key, { source: request.source, tenant: request.tenant, mode: request.mode, since: now });
      log({
        source: request.source,
        tenant: request.tenant,
        kind: request.mode === 'polling' ? 'webhooks_quiet' : 'webhooks_resumed',
        detail: request.detail,
        now,
      });
      return true;
    },

    async recordSyncEvent(event) {
      log(event);
    },

    async listSyncEvents(request = {}) {
      // Newest by time (events recorded with an earlier `now` after later ones sort by their time), then the later recorded.
      return newestFirst(events, (event) => event.createdAt)
        .filter(
          (event) =>
            (request.source === undefined || event.source === request.source) &&
            (request.tenant === undefined || event.tenant === request.tenant) &&
            (request.since === undefined || event.createdAt > request.since),
        )
        .slice(0, Math.max(0, request.limit ?? DEFAULT_LIST_LIMIT))
        .map(copy);
    },
  };
  return store;
}

/** By `time`, newest first; entries of the same time in reverse order of recording. */
function newestFirst<T>(entries: readonly T[], time: (entry: T) => Date): T[] {
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => time(b.entry).getTime() - time(a.entry).getTime() || b.index - a.index)
    .map(({ entry }) => entry);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
