import { ReconnectRequiredError } from '../errors';
import type { CredentialStoreV1, StoredCredentialV1 } from '../spec/v1';
import { sleep } from './retry';
import { createSingleFlight } from './single-flight';

export interface TokenManagerOptions<TValue extends Record<string, unknown>> {
  store: CredentialStoreV1;
  /** npm package for error messages. */
  packageName: string;
  /** Whether a credential must be refreshed before use (expired, or about to). */
  isExpired: (value: TValue, now: Date) => boolean;
  /**
   * Exchange the current credential for a new one (the provider's token
   * endpoint). Return `{ invalid: reason }` when the provider refused the
   * refresh token (`invalid_grant`): the connection is then marked "reconnect
   * required". Throw for anything else (network, 5xx): the lease is released
   * and the caller's error handling decides about retries.
   */
  refresh: (current: TValue) => Promise<TValue | { invalid: string }>;
  /**
   * How long a refresh may hold the lease; default 120 s. Keep it above the
   * token request's worst case (timeout × attempts), or a second process may
   * take the lease and spend the same rotating refresh token.
   */
  leaseMs?: number;
  /** Identifies this process in the lease; default random. */
  owner?: string;
  now?: () => Date;
  /** How often to re-read while another process refreshes; default 200 ms. */
  pollMs?: number;
}

export interface TokenManager<TValue extends Record<string, unknown>> {
  /** A usable credential for `key`, refreshed first when it has expired. */
  get(key: string, options?: { signal?: AbortSignal }): Promise<TValue>;
  /**
   * The provider refused `failed` (a 401): refresh unless another caller
   * already has, and return the newer credential.
   */
  refreshAfterRejection(key: string, failedRevision: number, options?: { signal?: AbortSignal }): Promise<TValue>;
  /** The stored credential with its revision, for callers that track which one they used. */
  current(key: string): Promise<StoredCredentialV1 | null>;
}

/**
 * Keeps OAuth tokens fresh without two refreshes ever racing: in-process
 * callers share one refresh (single-flight), and processes share the store's
 * refresh lease, so a rotating refresh token is used exactly once and the new
 * one is saved atomically with releasing the lease. A refused refresh token
 * marks the connection "reconnect required" instead of retrying forever.
 */
export function createTokenManager<TValue extends Record<string, unknown>>(
  options: TokenManagerOptions<TValue>,
): TokenManager<TValue> {
  const { store, packageName } = options;
  const now = options.now ?? (() => new Date());
  const owner = options.owner ?? `token-manager-${crypto.randomUUID().slice(0, 8)}`;
  // Longer than any refresh can take (a token request's timeout times its attempts),
  // so a slow refresh never loses its lease to a second refresher spending the same token.
  const leaseMs = options.leaseMs ?? 120_000;
  const pollMs = options.pollMs ?? 200;
  const flights = createSingleFlight<StoredCredentialV1>();

  const read = async (key: string): Promise<StoredCredentialV1> => {
    const stored = await store.get(key);
    if (!stored) throw new ReconnectRequiredError({ packageName, key, reason: 'no credential is stored for it' });
    if (stored.invalidReason) throw new ReconnectRequiredError({ packageName, key, reason: stored.invalidReason });
    return stored;
  };

  /** Refresh unless the stored revision is already newer than `staleRevision`. */
  const refresh = (key: string, staleRevision: number, signal?: AbortSignal) =>
    flights.run(key, async () => {
      for (;;) {
        signal?.throwIfAborted();
        const stored = await read(key);
        if (stored.revision > staleRevision) return stored;
        const lease = await store.acquireRefreshLease(key, { owner, leaseMs, now: now() });
        if (!lease.acquired) {
          // Someone else is refreshing: wait for their new token rather than spend ours.
          await sleep(Math.min(pollMs, Math.max(10, lease.heldUntil.getTime() - now().getTime())), signal);
          continue;
        }
        const current = lease.current;
        if (!current || current.revision > staleRevision) {
          await store.releaseRefreshLease(key, { owner });
          if (!current)
            throw new ReconnectRequiredError({ packageName, key, reason: 'no credential is stored for it' });
          return current;
        }
        let result: TValue | { invalid: string };
        try {
          result = await options.refresh(current.value as TValue);
        } catch (error) {
          await store.releaseRefreshLease(key, { owner });
          throw error;
        }
        if ('invalid' in result && typeof result.invalid === 'string') {
          // Refused — but if someone saved a newer credential meanwhile (our lease had
          // lapsed and they spent the refresh token first), that one is good: use it
          // rather than mark a working connection "reconnect required".
          const latest = await store.get(key);
          if (latest && latest.revision > current.revision && !latest.invalidReason) {
            await store.releaseRefreshLease(key, { owner });
            return latest;
          }
          await store.releaseRefreshLease(key, { owner, invalidReason: result.invalid });
          throw new ReconnectRequiredError({ packageName, key, reason: result.invalid });
        }
        const saved = await store.completeRefresh(key, { owner, value: result });
        if (saved) return saved;
        // The lease lapsed while we refreshed (slower than leaseMs) and another
        // process took it. Ours may be the only credential that works (the
        // provider rotated the refresh token we spent), so it is not dropped:
        // wait for the lease, then save ours through it — atomically, and only
        // if nobody saved a newer credential meanwhile (then theirs is used).
        // A "reconnect required" mark the other process set because we had
        // spent the token is cleared by our save.
        return keepRotated(key, current.revision, result as TValue, signal);
      }
    });

  async function keepRotated(
    key: string,
    refreshedFrom: number,
    value: TValue,
    signal: AbortSignal | undefined,
  ): Promise<StoredCredentialV1> {
    for (;;) {
      signal?.throwIfAborted();
      const lease = await store.acquireRefreshLease(key, { owner, leaseMs, now: now() });
      if (!lease.acquired) {
        await sleep(Math.min(pollMs, Math.max(10, lease.heldUntil.getTime() - now().getTime())), signal);
        continue;
      }
      if (lease.current && lease.current.revision > refreshedFrom) {
        await store.releaseRefreshLease(key, { owner });
        return lease.current;
      }
      const saved = await store.completeRefresh(key, { owner, value });
      if (saved) return saved;
    }
  }

  return {
    async get(key, { signal } = {}) {
      const stored = await read(key);
      if (!options.isExpired(stored.value as TValue, now())) return stored.value as TValue;
      return (await refresh(key, stored.revision, signal)).value as TValue;
    },
    async refreshAfterRejection(key, failedRevision, { signal } = {}) {
      return (await refresh(key, failedRevision, signal)).value as TValue;
    },
    current: (key) => store.get(key),
  };
}
