import { ConfigurationError } from '../errors';
import type { RateLimitStoreV1, TakeTokensRequestV1, TakeTokensResultV1, TokenBucketLimitV1 } from '../spec/v1';
import { sleep as abortableSleep } from './retry';

const packageName = '@act/core';

// Refill is fractional (capacity / intervalMs per ms), so after waiting the
// exact `waitMs` a bucket can sit a rounding error below `cost`; this slack
// keeps that wait from being refused again.
const EPSILON = 1e-9;

function assertLimit(limit: TokenBucketLimitV1, where: string): void {
  if (
    !(
      Number.isFinite(limit.capacity) &&
      limit.capacity > 0 &&
      Number.isFinite(limit.intervalMs) &&
      limit.intervalMs > 0
    )
  ) {
    throw new ConfigurationError({
      packageName,
      message: `${where}: a limit needs a positive capacity and intervalMs, got ${JSON.stringify(limit)}`,
    });
  }
}

function assertCost(cost: number, limit: TokenBucketLimitV1, where: string): void {
  // A cost above capacity can never be granted: waiting would never end.
  if (!(Number.isFinite(cost) && cost >= 0 && cost <= limit.capacity)) {
    throw new ConfigurationError({
      packageName,
      message: `${where}: cost must be between 0 and the bucket capacity (${limit.capacity}), got ${String(cost)}`,
    });
  }
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * An in-memory {@link RateLimitStoreV1}: one token bucket per key, starting
 * full and refilling continuously at `capacity / intervalMs` tokens per ms.
 * `take` is atomic because it never awaits between reading and writing a
 * bucket; that makes it correct within one process only — workers in several
 * processes must share a durable store to share a budget.
 */
export function createMemoryRateLimitStore(): RateLimitStoreV1 {
  const buckets = new Map<string, Bucket>();

  /** The bucket for `key`, refilled up to `now`. */
  function current(key: string, limit: TokenBucketLimitV1, now: number): Bucket {
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = { tokens: limit.capacity, updatedAt: now };
      buckets.set(key, bucket);
      return bucket;
    }
    // A clock that steps backwards refills nothing rather than draining.
    const elapsed = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(limit.capacity, bucket.tokens + (elapsed * limit.capacity) / limit.intervalMs);
    bucket.updatedAt = Math.max(bucket.updatedAt, now);
    return bucket;
  }

  return {
    specificationVersion: 'v1',
    async take(request: TakeTokensRequestV1): Promise<TakeTokensResultV1> {
      const { key, limit, cost = 1, now } = request;
      assertLimit(limit, 'MemoryRateLimitStore.take');
      assertCost(cost, limit, 'MemoryRateLimitStore.take');
      const bucket = current(key, limit, now);
      if (bucket.tokens + EPSILON >= cost) {
        bucket.tokens = Math.max(0, bucket.tokens - cost);
        return { granted: true, waitMs: 0, remaining: Math.floor(bucket.tokens + EPSILON) };
      }
      const waitMs = Math.max(1, Math.ceil(((cost - bucket.tokens) * limit.intervalMs) / limit.capacity));
      return { granted: false, waitMs, remaining: Math.floor(bucket.tokens + EPSILON) };
    },
    async set(request: { key: string; limit: TokenBucketLimitV1; remaining: number; now: number }): Promise<void> {
      const { key, limit, remaining, now } = request;
      assertLimit(limit, 'MemoryRateLimitStore.set');
      if (!Number.isFinite(remaining)) return;
      // The provider's count is authoritative: it includes what other apps and
      // processes spent, and a window reset it has seen that we have not.
      buckets.set(key, { tokens: Math.min(limit.capacity, Math.max(0, remaining)), updatedAt: now });
    },
  };
}

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Where buckets live; defaults to {@link createMemoryRateLimitStore} (one process). */
  store?: RateLimitStoreV1;
  /**
   * Every bucket a request must pass, by name (names may not contain `:`),
   * e.g. `{ burst: { capacity: 100, intervalMs: 10_000 }, daily: { capacity: 200_000, intervalMs: 86_400_000 } }`.
   */
  limits: Readonly<Record<string, TokenBucketLimitV1>>;
  /** Clock in epoch ms; defaults to `Date.now` (inject for tests). */
  now?: () => number;
  /** Waits `ms`, rejecting with `signal.reason` on abort; defaults to an abortable setTimeout. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Paces calls to a provider so its rate limits are never hit. */
export interface RateLimiter {
  /**
   * Take `cost` (default 1) tokens from every named bucket of `scope` (bucket
   * key `${scope}:${limitName}`), sleeping until each grants. Buckets are
   * taken in the order `limits` lists them; a token already taken is not
   * returned if a later bucket makes the call wait or the signal aborts,
   * which errs towards fewer requests. Rejects with `signal.reason` when
   * aborted.
   */
  acquire(scope: string, options?: { cost?: number; signal?: AbortSignal }): Promise<{ waitedMs: number }>;
  /**
   * Align a bucket with the provider's own count (`X-RateLimit-Remaining`).
   * A non-finite `remaining` (a missing or unparsable header) is ignored.
   */
  update(scope: string, limitName: string, remaining: number): Promise<void>;
}

/**
 * Create a limiter over `limits`, sharing budgets through `store`. Use one
 * scope per provider account (`ghl:loc_123`) so tenants do not starve each other.
 *
 * @throws ConfigurationError for an invalid limit or a limit name containing `:`.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const store = options.store ?? createMemoryRateLimitStore();
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  // Copied once so later mutation of the caller's object cannot change the budget.
  const limits = Object.entries(options.limits);
  const byName = new Map(limits);
  for (const [name, limit] of limits) {
    // `:` in a name would let `${scope}:${name}` pairs collide across scopes.
    if (name === '' || name.includes(':')) {
      throw new ConfigurationError({
        packageName,
        message: `createRateLimiter: limit name ${JSON.stringify(name)} must be non-empty and contain no ':'`,
      });
    }
    assertLimit(limit, `createRateLimiter: limit "${name}"`);
  }

  function requireScope(scope: string, where: string): void {
    if (typeof scope !== 'string' || scope === '') {
      throw new ConfigurationError({ packageName, message: `${where}: scope must be a non-empty string` });
    }
  }

  return {
    async acquire(scope, { cost = 1, signal } = {}) {
      requireScope(scope, 'RateLimiter.acquire');
      for (const [name, limit] of limits) assertCost(cost, limit, `RateLimiter.acquire: limit "${name}"`);
      let waitedMs = 0;
      for (const [name, limit] of limits) {
        for (;;) {
          if (signal?.aborted) throw signal.reason;
          const result = await store.take({ key: `${scope}:${name}`, limit, cost, now: now() });
          if (result.granted) break;
          // At least 1 ms so a store answering "0" cannot spin the loop.
          const waitMs = Math.max(1, Math.ceil(result.waitMs));
          await sleep(waitMs, signal);
          waitedMs += waitMs;
        }
      }
      return { waitedMs };
    },
    async update(scope, limitName, remaining) {
      requireScope(scope, 'RateLimiter.update');
      const limit = byName.get(limitName);
      if (!limit) {
        throw new ConfigurationError({
          packageName,
          message: `RateLimiter.update: unknown limit ${JSON.stringify(limitName)}; configured: ${limits.map(([n]) => n).join(', ')}`,
        });
      }
      if (!Number.isFinite(remaining)) return;
      await store.set({ key: `${scope}:${limitName}`, limit, remaining, now: now() });
    },
  };
}
