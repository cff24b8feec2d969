import { conflictDedupeKey, sameBytes } from '../pipeline/idempotency';
import { requireReplayFilter } from '../pipeline/replay-filter';
import type {
  ClaimedDeliveryV1,
  ClaimRequestV1,
  CompleteRequestV1,
  CursorCommitV1,
  CursorKeyV1,
  DeliveryAttemptV1,
  DeliveryV1,
  EnqueueResultV1,
  FailRequestV1,
  HealthFigureV1,
  IntegrationEventV1,
  ListDeliveriesRequestV1,
  ListEventsRequestV1,
  NewDeliveryV1,
  ReplaySelectorV1,
  StateStoreV1,
} from '../spec/v1';

interface StoredDelivery extends DeliveryV1 {
  claimToken: string | null;
  leaseExpiresAt: Date | null;
  /** Total attempts over the delivery's life, including replays. */
  attemptsTotal: number;
}

export interface MemoryStateStoreOptions {
  /** Clock for `claim` when the request gives none. */
  now?: () => Date;
  /** Integration events kept (oldest dropped first). Defaults to 10,000. */
  maxEvents?: number;
}

/** The in-memory store, plus a few helpers for tests and the demo. */
export interface MemoryStateStore extends StateStoreV1 {
  /** Called after each `enqueue` that stored a new delivery, and after a `replay` that queued any. */
  onDeliveryEnqueued(listener: () => void): () => void;
  /** Deliveries by status, for assertions. */
  counts(): Record<DeliveryV1['status'], number>;
}

const HOUR_MS = 3_600_000;

/**
 * A `StateStoreV1` in process memory: for tests, development and the demo.
 * Everything is lost when the process exits: use `@act/sink-supabase` for
 * anything that matters. Every method reads and changes the state in one
 * synchronous step (a conflicting `enqueue` hashes its body first and then
 * checks again), so concurrent calls in one process behave like transactions.
 */
export function createMemoryStateStore(options: MemoryStateStoreOptions = {}): MemoryStateStore {
  const clock = options.now ?? (() => new Date());
  const maxEvents = options.maxEvents ?? 10_000;
  const deliveries = new Map<string, StoredDelivery>();
  const byDedupeKey = new Map<string, string>();
  /** Every delivery stored with a coalesce key, by key: where `enqueue` looks for a pending one. */
  const byCoalesceKey = new Map<string, Set<string>>();
  const attempts = new Map<string, DeliveryAttemptV1[]>();
  const cursors = new Map<string, string>();
  let events: IntegrationEventV1[] = [];
  let nextId = 1;

  const cursorKey = (key: CursorKeyV1) => JSON.stringify([key.source, key.tenant, key.stream]);
  const copy = (delivery: StoredDelivery): DeliveryV1 => {
    const { claimToken: _token, leaseExpiresAt: _lease, attemptsTotal: _total, ...rest } = delivery;
    return { ...rest, headers: { ...rest.headers }, body: rest.body.slice() };
  };
  const appendEvents = (added: readonly IntegrationEventV1[]) => {
    events.push(...added.map((event) => ({ ...event })));
    if (events.length > maxEvents) events = events.slice(events.length - maxEvents);
  };
  const holdsLease = (delivery: StoredDelivery | undefined, claimToken: string): delivery is StoredDelivery =>
    delivery !== undefined && delivery.status === 'processing' && delivery.claimToken === claimToken;
  const recordAttempt = (delivery: StoredDelivery, attempt: Omit<DeliveryAttemptV1, 'deliveryId' | 'attempt'>) => {
    delivery.attemptsTotal += 1;
    const list = attempts.get(delivery.id) ?? [];
    list.push({ deliveryId: delivery.id, attempt: delivery.attemptsTotal, ...attempt });
    attempts.set(delivery.id, list);
  };
  const owners = new Map<string, string>();
  const enqueueListeners = new Set<() => void>();
  const notifyEnqueued = () => {
    for (const listener of [...enqueueListeners]) {
      try {
        listener();
      } catch {
        // A listener's failure is its own; the delivery is stored.
      }
    }
  };
  const completeOne = (request: CompleteRequestV1): boolean => {
    const delivery = deliveries.get(request.id);
    if (!holdsLease(delivery, request.claimToken)) return false;
    const now = request.now ?? clock();
    delivery.status = 'done';
    delivery.completedAt = now;
    delivery.claimToken = null;
    delivery.leaseExpiresAt = null;
    recordAttempt(delivery, {
      owner: owners.get(delivery.id) ?? 'unknown',
      startedAt: request.startedAt,
      finishedAt: now,
      outcome: 'done',
    });
    appendEvents(request.events);
    return true;
  };

  return {
    specificationVersion: 'v1',

    async enqueue(input: NewDeliveryV1): Promise<EnqueueResultV1> {
      const existing = byDedupeKey.get(input.dedupeKey);
      let dedupeKey = input.dedupeKey;
      let conflictOf: string | undefined;
      if (existing) {
        const original = deliveries.get(existing) as StoredDelivery;
        if (sameBytes(original.body, input.body)) return { id: existing, duplicate: true };
        // Same key, different bytes: kept beside the original under a key of its own.
        dedupeKey = await conflictDedupeKey(input.dedupeKey, input.body);
        conflictOf = existing;
        // Everything below runs in one turn again: a concurrent call may have stored it meanwhile.
        const known = byDedupeKey.get(dedupeKey);
        if (known) return { id: known, duplicate: true, conflictOf };
      }
      const id = String(nextId++);
      // A sync request while another for the same stream still waits: that one's sync
      // (which starts later) covers it, so it is stored as done, linked to it.
      let coalescedInto: string | undefined;
      if (input.coalesceKey !== undefined) {
        for (const other of byCoalesceKey.get(input.coalesceKey) ?? []) {
          if (deliveries.get(other)?.status === 'pending') {
            coalescedInto = other;
            break;
          }
        }
      }
      const now = clock();
      deliveries.set(id, {
        ...input,
        dedupeKey,
        headers: { ...input.headers },
        body: input.body.slice(),
        eventTypes: [...input.eventTypes],
        id,
        status: coalescedInto !== undefined ? 'done' : 'pending',
        attempts: 0,
        attemptsTotal: 0,
        nextAttemptAt: input.receivedAt,
        lastError: null,
        lastErrorClass: null,
        completedAt: coalescedInto !== undefined ? now : null,
        claimToken: null,
        leaseExpiresAt: null,
        ...(conflictOf !== undefined ? { conflictOf } : {}),
        ...(coalescedInto !== undefined ? { coalescedInto } : {}),
      });
      byDedupeKey.set(dedupeKey, id);
      if (input.coalesceKey !== undefined) {
        const ids = byCoalesceKey.get(input.coalesceKey) ?? new Set<string>();
        ids.add(id);
        byCoalesceKey.set(input.coalesceKey, ids);
      }
      // A coalesced delivery is no new work: nothing to wake a worker for.
      if (coalescedInto === undefined) notifyEnqueued();
      return {
        id,
        duplicate: false,
        ...(conflictOf !== undefined ? { conflictOf } : {}),
        ...(coalescedInto !== undefined ? { coalescedInto } : {}),
      };
    },

    async claim(request: ClaimRequestV1) {
      const now = request.now ?? clock();
      const due: StoredDelivery[] = [];
      for (const delivery of deliveries.values()) {
        if (request.sources && !request.sources.includes(delivery.source)) continue;
        const pendingAndDue = delivery.status === 'pending' && delivery.nextAttemptAt <= now;
        const leaseExpired =
          delivery.status === 'processing' && delivery.leaseExpiresAt !== null && delivery.leaseExpiresAt <= now;
        if (pendingAndDue || leaseExpired) due.push(delivery);
      }
      due.sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || Number(a.id) - Number(b.id));
      const claimed: ClaimedDeliveryV1[] = [];
      for (const delivery of due) {
        if (delivery.status !== 'processing') continue;
        // A lease that lapsed is a failed attempt (the worker died or hung): count it,
        // so a delivery that kills its worker every time still reaches a dead letter.
        delivery.status = 'pending';
        delivery.attempts += 1;
        delivery.lastError = `lease expired: worker ${owners.get(delivery.id) ?? 'unknown'} did not finish`;
        delivery.lastErrorClass = 'transient';
        const lapsedAt = delivery.leaseExpiresAt ?? now;
        recordAttempt(delivery, {
          owner: owners.get(delivery.id) ?? 'unknown',
          startedAt: lapsedAt,
          finishedAt: lapsedAt,
          outcome: 'retry',
          error: delivery.lastError,
          errorClass: 'transient',
        });
        delivery.claimToken = null;
        delivery.leaseExpiresAt = null;
      }
      for (const delivery of due.slice(0, Math.max(0, request.limit))) {
        delivery.status = 'processing';
        delivery.claimToken = crypto.randomUUID();
        delivery.leaseExpiresAt = new Date(now.getTime() + request.leaseMs);
        owners.set(delivery.id, request.owner);
        claimed.push({ ...copy(delivery), claimToken: delivery.claimToken, leaseExpiresAt: delivery.leaseExpiresAt });
      }
      return claimed;
    },

    async complete(request: CompleteRequestV1) {
      return completeOne(request);
    },

    async completeMany(requests: readonly CompleteRequestV1[]) {
      return requests.map(completeOne);
    },

    async fail(request: FailRequestV1) {
      const delivery = deliveries.get(request.id);
      if (!holdsLease(delivery, request.claimToken)) return 'lease-lost';
      const now = request.now ?? clock();
      const dead = request.retryAt === null;
      delivery.status = dead ? 'dead' : 'pending';
      if (request.countsTowardsSchedule) delivery.attempts += 1;
      delivery.lastError = request.error;
      delivery.lastErrorClass = request.errorClass;
      delivery.nextAttemptAt = request.retryAt ?? delivery.nextAttemptAt;
      delivery.claimToken = null;
      delivery.leaseExpiresAt = null;
      recordAttempt(delivery, {
        owner: owners.get(delivery.id) ?? 'unknown',
        startedAt: request.startedAt,
        finishedAt: now,
        outcome: dead ? 'dead' : 'retry',
        error: request.error,
        errorClass: request.errorClass,
      });
      return dead ? 'dead' : 'retrying';
    },

    async replay(selector: ReplaySelectorV1) {
      requireReplayFilter(selector, ['source', 'tenant', 'from', 'to'], 'replay', '@act/core');
      const statuses = selector.statuses ?? ['dead'];
      const now = clock();
      let replayed = 0;
      for (const delivery of deliveries.values()) {
        if (!(statuses as readonly string[]).includes(delivery.status)) continue;
        if (selector.ids && !selector.ids.includes(delivery.id)) continue;
        if (selector.source !== undefined && delivery.source !== selector.source) continue;
        if (selector.tenant !== undefined && delivery.tenant !== selector.tenant) continue;
        if (selector.from && delivery.receivedAt < selector.from) continue;
        if (selector.to && delivery.receivedAt >= selector.to) continue;
        delivery.status = 'pending';
        delivery.attempts = 0;
        delivery.nextAttemptAt = now;
        delivery.completedAt = null;
        replayed += 1;
      }
      if (replayed > 0) notifyEnqueued();
      return replayed;
    },

    async getDelivery(id: string) {
      const delivery = deliveries.get(id);
      return delivery ? copy(delivery) : null;
    },

    async listDeliveries(request: ListDeliveriesRequestV1) {
      const result: DeliveryV1[] = [];
      for (const delivery of [...deliveries.values()].reverse()) {
        if (request.status && delivery.status !== request.status) continue;
        if (request.source && delivery.source !== request.source) continue;
        if (request.tenant && delivery.tenant !== request.tenant) continue;
        if (request.conflicts && delivery.conflictOf === undefined) continue;
        result.push(copy(delivery));
        if (result.length >= (request.limit ?? 100)) break;
      }
      return result;
    },

    async listAttempts(deliveryId: string) {
      return (attempts.get(deliveryId) ?? []).map((attempt) => ({ ...attempt }));
    },

    async getCursor(key: CursorKeyV1) {
      return cursors.get(cursorKey(key)) ?? null;
    },

    async setCursor(commit: CursorCommitV1) {
      cursors.set(cursorKey(commit), commit.cursor);
    },

    async recordEvents(added: readonly IntegrationEventV1[]) {
      appendEvents(added);
    },

    async listEvents(request: ListEventsRequestV1) {
      const result: IntegrationEventV1[] = [];
      for (let index = events.length - 1; index >= 0; index--) {
        const event = events[index] as IntegrationEventV1;
        if (request.source && event.source !== request.source) continue;
        if (request.tenant && event.tenant !== request.tenant) continue;
        if (request.since && event.createdAt <= request.since) continue;
        result.push({ ...event });
        if (result.length >= (request.limit ?? 100)) break;
      }
      return result;
    },

    async health(request = {}) {
      const now = (request.now ?? clock()).getTime();
      const figures = new Map<string, HealthFigureV1 & { conflicts: number; latencies: number[] }>();
      const figure = (source: string, tenant: string) => {
        const key = JSON.stringify([source, tenant]);
        let entry = figures.get(key);
        if (!entry) {
          entry = {
            source,
            tenant,
            pending: 0,
            processing: 0,
            dead: 0,
            oldestPendingAgeMs: null,
            lastDeliveryAt: null,
            lastEventAt: null,
            latencyP50Ms: null,
            latencyP95Ms: null,
            eventsLastHour: 0,
            conflicts: 0,
            latencies: [],
          };
          figures.set(key, entry);
        }
        return entry;
      };
      for (const delivery of deliveries.values()) {
        const entry = figure(delivery.source, delivery.tenant);
        if (delivery.status === 'pending') {
          entry.pending += 1;
          const age = now - delivery.receivedAt.getTime();
          entry.oldestPendingAgeMs = Math.max(entry.oldestPendingAgeMs ?? 0, age);
        } else if (delivery.status === 'processing') entry.processing += 1;
        else if (delivery.status === 'dead') entry.dead += 1;
        if (delivery.conflictOf !== undefined) entry.conflicts += 1;
        if (!entry.lastDeliveryAt || delivery.receivedAt > entry.lastDeliveryAt)
          entry.lastDeliveryAt = delivery.receivedAt;
      }
      for (const event of events) {
        const entry = figure(event.source, event.tenant);
        if (!entry.lastEventAt || event.createdAt > entry.lastEventAt) entry.lastEventAt = event.createdAt;
        if (now - event.createdAt.getTime() <= HOUR_MS) {
          entry.eventsLastHour += 1;
          if (event.latencyMs !== undefined) entry.latencies.push(event.latencyMs);
        }
      }
      return [...figures.values()].map(({ latencies, ...entry }) => {
        latencies.sort((a, b) => a - b);
        return { ...entry, latencyP50Ms: percentile(latencies, 0.5), latencyP95Ms: percentile(latencies, 0.95) };
      });
    },

    async renewLease(request) {
      const delivery = deliveries.get(request.id);
      if (!holdsLease(delivery, request.claimToken)) return false;
      delivery.leaseExpiresAt = new Date((request.now ?? clock()).getTime() + request.leaseMs);
      return true;
    },

    async webhookActivity(request) {
      const since = request.since.getTime();
      const bySource = new Map<
        string,
        { source: string; tenant: string; last: Date | null; count: number; times: Set<number> }
      >();
      for (const delivery of deliveries.values()) {
        const key = JSON.stringify([delivery.source, delivery.tenant]);
        let entry = bySource.get(key);
        if (!entry) {
          entry = { source: delivery.source, tenant: delivery.tenant, last: null, count: 0, times: new Set() };
          bySource.set(key, entry);
        }
        if (!entry.last || delivery.receivedAt > entry.last) entry.last = delivery.receivedAt;
        const at = delivery.receivedAt.getTime();
        if (at >= since) {
          entry.count += 1;
          entry.times.add(at);
        }
      }
      return [...bySource.values()].map((entry) => {
        const times = [...entry.times].sort((a, b) => a - b);
        const gaps = times.slice(1).map((at, index) => at - (times[index] as number));
        gaps.sort((a, b) => a - b);
        return {
          source: entry.source,
          tenant: entry.tenant,
          lastDeliveryAt: entry.last ? new Date(entry.last) : null,
          deliveries: entry.count,
          medianGapMs: gaps.length === 0 ? null : median(gaps),
        };
      });
    },

    onDeliveryEnqueued(listener: () => void) {
      const entry = () => listener();
      enqueueListeners.add(entry);
      return () => {
        enqueueListeners.delete(entry);
      };
    },

    counts() {
      const result = { pending: 0, processing: 0, done: 0, dead: 0 };
      for (const delivery of deliveries.values()) result[delivery.status] += 1;
      return result;
    },
  };
}

/** Nearest-rank percentile of sorted values (what SQL's `percentile_disc` computes). */
export function percentile(sorted: readonly number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

/** The median of sorted numbers (the mean of the two middle ones for an even count). */
function median(sorted: readonly number[]): number {
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
