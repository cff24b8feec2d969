import { ConfigurationError } from '../errors';
import { requireReplayFilter } from '../pipeline/replay-filter';
import type {
  ClaimedOutboxMessageV1,
  EnqueueOutboxResultV1,
  NewOutboxMessageV1,
  OutboxMessageV1,
  OutboxStatsV1,
  OutboxStoreV1,
} from '../spec/v1';

interface StoredMessage extends OutboxMessageV1 {
  claimToken: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  lastErrorAt: Date | null;
}

const DEFAULT_LIST_LIMIT = 100;

/**
 * An `OutboxStoreV1` in process memory, for tests, development and the demo.
 * Leases only coordinate callers in this process, and everything is lost
 * when it exits: use `@act/sink-supabase` for anything that matters. Every
 * method reads and changes the state in one synchronous step, so concurrent
 * calls behave like transactions.
 */
export function createMemoryOutboxStore(options: { now?: () => Date } = {}): OutboxStoreV1 {
  const clock = options.now ?? (() => new Date());
  const messages = new Map<string, StoredMessage>();
  const byKey = new Map<string, string>();
  let sequence = 0;
  let tokens = 0;

  const identity = (destination: string, key: string) => `${destination}\u0000${key}`;
  const copy = <T>(value: T): T => structuredClone(value);
  const publicMessage = (stored: StoredMessage): OutboxMessageV1 => {
    const { claimToken: _t, leaseOwner: _o, leaseExpiresAt: _l, lastErrorAt: _e, ...message } = stored;
    return copy(message);
  };
  // Lapsed leases go back to pending, as a failed attempt (the Postgres store does the same).
  const expireLeases = (now: Date, destinations?: readonly string[]) => {
    for (const message of messages.values()) {
      if (message.status !== 'processing' || !message.leaseExpiresAt) continue;
      if (message.leaseExpiresAt.getTime() > now.getTime()) continue;
      if (destinations && !destinations.includes(message.destination)) continue;
      message.status = 'pending';
      message.attempts += 1;
      message.lastError = `lease expired: dispatcher ${message.leaseOwner ?? 'unknown'} did not finish`;
      message.lastErrorClass = 'transient';
      message.lastErrorAt = message.leaseExpiresAt;
      message.claimToken = null;
      message.leaseExpiresAt = null;
    }
  };
  const validate = (message: NewOutboxMessageV1) => {
    if (typeof message.destination !== 'string' || message.destination === '') {
      throw new ConfigurationError({ packageName: '@act/core', message: 'outbox: every message needs a destination' });
    }
    if (typeof message.key !== 'string' || message.key === '') {
      throw new ConfigurationError({ packageName: '@act/core', message: 'outbox: every message needs a key' });
    }
  };

  return {
    specificationVersion: 'v1',

    async enqueue(batch) {
      for (const message of batch) validate(message);
      const now = clock();
      const results: EnqueueOutboxResultV1[] = [];
      for (const message of batch) {
        const known = byKey.get(identity(message.destination, message.key));
        if (known) {
          results.push({ id: known, duplicate: true });
          continue;
        }
        sequence += 1;
        const id = String(sequence);
        messages.set(id, {
          id,
          destination: message.destination,
          key: message.key,
          ...(message.source !== undefined ? { source: message.source } : {}),
          ...(message.tenant !== undefined ? { tenant: message.tenant } : {}),
          ...(message.deliveryId !== undefined ? { deliveryId: message.deliveryId } : {}),
          ...(message.correlationId !== undefined ? { correlationId: message.correlationId } : {}),
          // As JSON stores it: `undefined` is null.
          payload: message.payload === undefined ? null : copy(message.payload),
          status: 'pending',
          attempts: 0,
          createdAt: now,
          availableAt: message.availableAt ?? now,
          claimToken: null,
          leaseOwner: null,
          leaseExpiresAt: null,
          lastErrorAt: null,
        });
        byKey.set(identity(message.destination, message.key), id);
        results.push({ id, duplicate: false });
      }
      return results;
    },

    async claim(request) {
      if (!(request.limit > 0)) return [];
      const now = request.now ?? clock();
      expireLeases(now, request.destinations);
      const due = [...messages.values()]
        .filter(
          (message) =>
            message.status === 'pending' &&
            message.availableAt.getTime() <= now.getTime() &&
            (!request.destinations || request.destinations.includes(message.destination)),
        )
        .sort((a, b) => a.availableAt.getTime() - b.availableAt.getTime() || Number(a.id) - Number(b.id))
        .slice(0, Math.floor(request.limit));
      const leaseExpiresAt = new Date(now.getTime() + Math.max(0, request.leaseMs));
      return due.map((message): ClaimedOutboxMessageV1 => {
        tokens += 1;
        message.status = 'processing';
        message.claimToken = `lease-${tokens}-${Math.random().toString(36).slice(2)}`;
        message.leaseOwner = request.owner;
        message.leaseExpiresAt = leaseExpiresAt;
        return { ...publicMessage(message), claimToken: message.claimToken, leaseExpiresAt };
      });
    },

    async complete(request) {
      const message = messages.get(request.id);
      if (message?.status !== 'processing' || message.claimToken !== request.claimToken) return false;
      message.status = 'done';
      message.doneAt = request.now ?? clock();
      if (request.result !== undefined) message.result = copy(request.result);
      else delete message.result;
      message.claimToken = null;
      message.leaseExpiresAt = null;
      return true;
    },

    async fail(request) {
      const message = messages.get(request.id);
      if (message?.status !== 'processing' || message.claimToken !== request.claimToken) {
        return 'lease-lost';
      }
      const dead = request.retryAt === null;
      message.status = dead ? 'dead' : 'pending';
      if (request.countsTowardsSchedule) message.attempts += 1;
      message.lastError = request.error;
      message.lastErrorClass = request.errorClass;
      message.lastErrorAt = request.now ?? clock();
      if (request.retryAt) message.availableAt = request.retryAt;
      message.claimToken = null;
      message.leaseExpiresAt = null;
      return dead ? 'dead' : 'retrying';
    },

    async replay(selector) {
      requireReplayFilter(selector, ['destination', 'tenant', 'from', 'to'], 'outbox replay', '@act/core');
      const byIds = selector.ids !== undefined && selector.ids.length > 0;
      const statuses: readonly string[] = selector.statuses ?? ['dead'];
      const now = clock();
      let count = 0;
      for (const message of messages.values()) {
        if (!statuses.includes(message.status)) continue;
        if (byIds && !selector.ids?.includes(message.id)) continue;
        if (selector.destination !== undefined && message.destination !== selector.destination) continue;
        if (selector.tenant !== undefined && message.tenant !== selector.tenant) continue;
        if (selector.from && message.createdAt.getTime() < selector.from.getTime()) continue;
        if (selector.to && message.createdAt.getTime() >= selector.to.getTime()) continue;
        // Attempts continue: the message's history is its own.
        message.status = 'pending';
        message.availableAt = now;
        delete message.doneAt;
        count += 1;
      }
      return count;
    },

    async get(id) {
      const message = messages.get(id);
      return message ? publicMessage(message) : null;
    },

    async list(request = {}) {
      const limit = request.limit ?? DEFAULT_LIST_LIMIT;
      return [...messages.values()]
        .filter(
          (message) =>
            (request.destination === undefined || message.destination === request.destination) &&
            (request.status === undefined || message.status === request.status) &&
            (request.tenant === undefined || message.tenant === request.tenant),
        )
        .sort((a, b) => Number(b.id) - Number(a.id))
        .slice(0, Math.max(0, limit))
        .map(publicMessage);
    },

    async stats() {
      const byDestination = new Map<string, OutboxStatsV1 & { lastErrorId?: number }>();
      for (const message of messages.values()) {
        let stats = byDestination.get(message.destination);
        if (!stats) {
          stats = { destination: message.destination, pending: 0, processing: 0, dead: 0 };
          byDestination.set(message.destination, stats);
        }
        if (message.status !== 'done') stats[message.status] += 1;
        if (
          (message.status === 'pending' || message.status === 'processing') &&
          (!stats.oldestWaitingAt || message.availableAt.getTime() < stats.oldestWaitingAt.getTime())
        ) {
          stats.oldestWaitingAt = message.availableAt;
        }
        // The latest failure; of two at the same instant, the later message's (as the SQL).
        const errorAt = message.lastErrorAt;
        if (
          errorAt &&
          message.lastError !== undefined &&
          (!stats.lastErrorAt ||
            errorAt.getTime() > stats.lastErrorAt.getTime() ||
            (errorAt.getTime() === stats.lastErrorAt.getTime() && Number(message.id) > (stats.lastErrorId ?? 0)))
        ) {
          stats.lastError = message.lastError;
          stats.lastErrorAt = errorAt;
          stats.lastErrorId = Number(message.id);
        }
        if (
          message.status === 'done' &&
          message.doneAt &&
          (!stats.lastDoneAt || message.doneAt.getTime() > stats.lastDoneAt.getTime())
        ) {
          stats.lastDoneAt = message.doneAt;
        }
      }
      // Code-unit order, as the SQL's collate "C".
      return [...byDestination.values()]
        .sort((a, b) => (a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0))
        .map(({ lastErrorId: _id, ...stats }) => copy(stats));
    },
  };
}
