import { ConfigurationError, RateLimitError } from '../errors';
import { createMemoryRateLimitStore } from '../memory/memory-rate-limit-store';
import type { RateLimitStoreV1, TokenBucketLimitV1 } from '../spec/v1';
import { assertCost, assertLimit, assertSlot } from './rate-limit-checks';
import { sleep as abortableSleep } from './retry';

const packageName = '@act/core';

/** At most `limit` calls in flight at once; each holds a leased slot until it is done. */
export interface ConcurrencyLimit {
  limit: number;
  /**
   * How long a slot stays held if its holder never releases it (a crashed
   * process). Longer than any call can take (its timeout). Default 60 s.
   */
  leaseMs?: number;
}

/**
 * At most `limit` calls in any `windowMs` (a sliding window, e.g. "60 per
 * minute" as a provider counting fixed windows of unknown phase sees it):
 * each call takes a slot for `windowMs`. Unlike a token bucket, which lets a
 * full bucket's burst plus its refill through within one interval, this
 * never exceeds `limit` in any window.
 */
export interface SlidingWindowLimit {
  limit: number;
  windowMs: number;
}

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Where buckets and slots live; defaults to {@link createMemoryRateLimitStore} (one process). */
  store?: RateLimitStoreV1;
  /**
   * Token buckets a request must pass, by name (names may not contain `:`),
   * e.g. `{ burst: { capacity: 100, intervalMs: 10_000 }, daily: { capacity: 200_000, intervalMs: 86_400_000 } }`.
   */
  limits?: Readonly<Record<string, TokenBucketLimitV1>> | undefined;
  /** Concurrency limits by name, e.g. `{ concurrent: { limit: 5 } }`. Needs a store with slots. */
  concurrency?: Readonly<Record<string, ConcurrencyLimit>>;
  /** Sliding windows by name, e.g. `{ minuteWindow: { limit: 60, windowMs: 60_000 } }`. Needs a store with slots. */
  windows?: Readonly<Record<string, SlidingWindowLimit>>;
  /**
   * Default for `acquire`'s `maxWaitMs`: the longest a call waits before a
   * `RateLimitError` hands it back. Unlimited by default.
   */
  maxWaitMs?: number;
  /**
   * How often a call waiting for a concurrency slot another process holds
   * asks the store again; default 100 ms. Slots released in this process
   * wake their waiters at once.
   */
  slotPollMs?: number;
  /** Prefix of slot owners (unique per call); default random per limiter. */
  owner?: string;
  /** npm package named in `RateLimitError` messages; default `@act/core`. */
  packageName?: string;
  /** Clock in epoch ms; defaults to `Date.now` (inject for tests). */
  now?: () => number;
  /** Waits `ms`, rejecting with `signal.reason` on abort; defaults to an abortable setTimeout. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** What `acquire` grants: release it when the call is done (it frees the concurrency slots). */
export interface RateLimitPermit {
  /** Time spent waiting for the limits, in ms. */
  waitedMs: number;
  /** Free the call's concurrency slots (idempotent; a no-op without concurrency limits). */
  release(): Promise<void>;
}

export interface RateLimitAcquireOptions {
  /** Tokens to take from every bucket; default 1. Slots are always one per call. */
  cost?: number;
  signal?: AbortSignal;
  /**
   * The longest this call may wait in total. When the next wait would pass
   * it, `acquire` rejects with a `RateLimitError` (class `rate_limit`,
   * carrying `retryAfterMs`) instead, having freed anything it held.
   */
  maxWaitMs?: number;
}

/** Paces calls to a provider so its rate limits are never hit. */
export interface RateLimiter {
  /**
   * Wait until `scope` may make one call: take `cost` (default 1) tokens from
   * every bucket (key `${scope}:${name}`), in the order `limits` lists them,
   * then one slot of every concurrency limit and every sliding window, all at
   * once (a call never holds a concurrency slot while it sleeps). A token
   * already taken is not returned if a later limit makes the call wait or
   * give up, which errs towards fewer requests. Rejects with `signal.reason`
   * when aborted, with `RateLimitError` past `maxWaitMs`.
   */
  acquire(scope: string, options?: RateLimitAcquireOptions): Promise<RateLimitPermit>;
  /** `acquire`, run `fn`, release: the call holds its concurrency slots for exactly its duration. */
  run<T>(scope: string, fn: () => Promise<T>, options?: RateLimitAcquireOptions): Promise<T>;
  /**
   * Align a bucket with the provider's own count (`X-RateLimit-Remaining`).
   * A non-finite `remaining` (a missing or unparsable header) is ignored.
   */
  update(scope: string, limitName: string, remaining: number): Promise<void>;
  /**
   * Empty a bucket and keep it empty for `ms` (a provider's `Retry-After`),
   * for every worker sharing the store: calls wait (or are handed back)
   * instead of being refused one by one.
   */
  pause(scope: string, limitName: string, ms: number): Promise<void>;
}

/** The reason a local release wakes a waiting call (never surfaces). */
const WOKEN: unique symbol = Symbol('act.rate-limiter.woken');

/**
 * Create a limiter over `limits`, `concurrency` and `windows`, sharing them
 * through `store`. Use one scope per provider account (`xero:<tenant>`) so
 * tenants do not starve each other.
 *
 * @throws ConfigurationError for an invalid limit, or a name containing `:` or
 *   used twice.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const store = options.store ?? createMemoryRateLimitStore();
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const errorPackage = options.packageName ?? packageName;
  const slotPollMs = options.slotPollMs ?? 100;
  const ownerPrefix = options.owner ?? `limiter-${crypto.randomUUID().slice(0, 8)}`;
  // Copied once so later mutation of the caller's objects cannot change the budget.
  const limits = Object.entries(options.limits ?? {}).map(([name, limit]) => [name, { ...limit }] as const);
  const concurrency = Object.entries(options.concurrency ?? {}).map(
    ([name, limit]) => [name, { limit: limit.limit, leaseMs: limit.leaseMs ?? 60_000 }] as const,
  );
  const windows = Object.entries(options.windows ?? {}).map(([name, limit]) => [name, { ...limit }] as const);
  const byName = new Map<string, TokenBucketLimitV1>(limits);

  const names = new Set<string>();
  for (const [name] of [...limits, ...concurrency, ...windows]) {
    // `:` in a name would let `${scope}:${name}` pairs collide across scopes.
    if (name === '' || name.includes(':') || names.has(name)) {
      throw new ConfigurationError({
        packageName,
        message: `createRateLimiter: limit name ${JSON.stringify(name)} must be non-empty, contain no ':' and be used once`,
      });
    }
    names.add(name);
  }
  for (const [name, limit] of limits) assertLimit(limit, `createRateLimiter: limit "${name}"`);
  for (const [name, limit] of concurrency) {
    assertSlot({ ...limit, key: 'k', owner: 'o' }, `createRateLimiter: concurrency "${name}"`);
  }
  for (const [name, limit] of windows) {
    assertSlot(
      { limit: limit.limit, leaseMs: limit.windowMs, key: 'k', owner: 'o' },
      `createRateLimiter: window "${name}"`,
    );
  }
  if (options.maxWaitMs !== undefined) assertMaxWait(options.maxWaitMs);
  if (!(Number.isFinite(slotPollMs) && slotPollMs > 0)) {
    throw new ConfigurationError({
      packageName,
      message: `createRateLimiter: slotPollMs must be positive, got ${slotPollMs}`,
    });
  }
  const acquireSlot = store.acquireSlot.bind(store);
  const releaseSlot = store.releaseSlot.bind(store);

  // Calls of this process waiting for a concurrency slot, by slot key, and how
  // many releases each key has seen (so a release racing a refusal is not missed).
  const waiters = new Map<string, Set<() => void>>();
  const releases = new Map<string, number>();
  let sequence = 0;

  const released = (key: string) => {
    releases.set(key, (releases.get(key) ?? 0) + 1);
    for (const wake of waiters.get(key) ?? []) wake();
  };

  function requireScope(scope: string, where: string): void {
    if (typeof scope !== 'string' || scope === '') {
      throw new ConfigurationError({ packageName, message: `${where}: scope must be a non-empty string` });
    }
  }

  async function acquire(scope: string, request: RateLimitAcquireOptions = {}): Promise<RateLimitPermit> {
    const { cost = 1, signal } = request;
    const maxWaitMs = request.maxWaitMs ?? options.maxWaitMs;
    requireScope(scope, 'RateLimiter.acquire');
    if (maxWaitMs !== undefined) assertMaxWait(maxWaitMs);
    for (const [name, limit] of limits) assertCost(cost, limit, `RateLimiter.acquire: limit "${name}"`);
    sequence += 1;
    const owner = `${ownerPrefix}:${sequence.toString(36)}`;
    const started = now();
    let waitedMs = 0;
    const spent = () => Math.max(waitedMs, now() - started);

    /**
     * Sleep `ms` (cut short by a local release of `wakeKey`), or give up when
     * past `maxWaitMs`, handing back `handBackMs` (default `ms`) as the wait.
     */
    const wait = async (ms: number, limitName: string, wake?: { key: string; seen: number; handBackMs: number }) => {
      if (signal?.aborted) throw signal.reason;
      if (maxWaitMs !== undefined && spent() + ms > maxWaitMs) {
        throw new RateLimitError({
          packageName: errorPackage,
          scope,
          limitName,
          retryAfterMs: wake?.handBackMs ?? ms,
          waitedMs: spent(),
        });
      }
      const wakeKey = wake?.key;
      if (wakeKey === undefined) {
        await sleep(ms, signal);
        waitedMs += ms;
        return;
      }
      // A slot of this key was released since we were refused: try again at once.
      if ((releases.get(wakeKey) ?? 0) !== wake?.seen) return;
      const local = new AbortController();
      const wakeUp = () => local.abort(WOKEN);
      const onAbort = () => local.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const set = waiters.get(wakeKey) ?? new Set();
      set.add(wakeUp);
      waiters.set(wakeKey, set);
      const before = now();
      try {
        await sleep(ms, local.signal);
        waitedMs += ms;
      } catch (error) {
        if (local.signal.reason !== WOKEN) throw error;
        waitedMs += Math.max(0, now() - before);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        set.delete(wakeUp);
        if (set.size === 0) waiters.delete(wakeKey);
      }
    };

    // 1. Token buckets.
    for (const [name, limit] of limits) {
      for (;;) {
        if (signal?.aborted) throw signal.reason;
        const result = await store.take({ key: `${scope}:${name}`, limit, cost, now: now() });
        if (result.granted) break;
        // At least 1 ms so a store answering "0" cannot spin the loop.
        await wait(Math.max(1, Math.ceil(result.waitMs)), name);
      }
    }
    if (!concurrency.length && !windows.length) return { waitedMs, release: async () => {} };

    // 2. Concurrency slots, then window slots, all or nothing: whatever was
    // taken is given back before any wait, so no call sleeps holding a slot
    // and a window slot is taken only just before the call goes out.
    const held: string[] = [];
    const giveBack = async (keys: string[]) => {
      const giving = keys.splice(0);
      await Promise.all(giving.map((key) => releaseSlot({ key, owner })));
      for (const key of giving) released(key);
    };
    try {
      for (;;) {
        if (signal?.aborted) throw signal.reason;
        let refused: { name: string; key: string; retryAfterMs: number; seen: number } | undefined;
        for (const [name, limit] of concurrency) {
          const key = `${scope}:${name}`;
          const seen = releases.get(key) ?? 0;
          const result = await acquireSlot({ key, limit: limit.limit, owner, leaseMs: limit.leaseMs, now: now() });
          if (result.acquired) {
            held.push(key);
            continue;
          }
          refused = { name, key, retryAfterMs: result.retryAfterMs, seen };
          break;
        }
        if (refused) {
          await giveBack(held);
          // Poll (or wake on a release here); handed back, the earliest lease end
          // is when a slot is free for sure.
          const retryAfterMs = Math.max(1, Math.ceil(refused.retryAfterMs));
          await wait(Math.min(retryAfterMs, slotPollMs), refused.name, {
            key: refused.key,
            seen: refused.seen,
            handBackMs: retryAfterMs,
          });
          continue;
        }
        const taken: string[] = [];
        let windowRefused: { name: string; retryAfterMs: number } | undefined;
        for (const [name, limit] of windows) {
          const key = `${scope}:${name}`;
          const result = await acquireSlot({ key, limit: limit.limit, owner, leaseMs: limit.windowMs, now: now() });
          if (result.acquired) {
            taken.push(key);
            continue;
          }
          windowRefused = { name, retryAfterMs: result.retryAfterMs };
          break;
        }
        if (windowRefused) {
          await Promise.all(taken.map((key) => releaseSlot({ key, owner })));
          await giveBack(held);
          await wait(Math.max(1, Math.ceil(windowRefused.retryAfterMs)), windowRefused.name);
          continue;
        }
        break;
      }
    } catch (error) {
      await giveBack(held).catch(() => undefined);
      throw error;
    }

    let done = false;
    return {
      waitedMs,
      async release() {
        if (done) return;
        done = true;
        await giveBack(held);
      },
    };
  }

  return {
    acquire,
    async run(scope, fn, request) {
      const permit = await acquire(scope, request);
      try {
        return await fn();
      } finally {
        // A failed release (the store unreachable) must not hide fn's outcome:
        // the slot's lease frees it anyway.
        await permit.release().catch(() => undefined);
      }
    },
    async update(scope, limitName, remaining) {
      requireScope(scope, 'RateLimiter.update');
      const limit = bucket(limitName, 'RateLimiter.update');
      if (!Number.isFinite(remaining)) return;
      await store.set({ key: `${scope}:${limitName}`, limit, remaining, now: now() });
    },
    async pause(scope, limitName, ms) {
      requireScope(scope, 'RateLimiter.pause');
      const limit = bucket(limitName, 'RateLimiter.pause');
      if (!(Number.isFinite(ms) && ms > 0)) return;
      await store.set({ key: `${scope}:${limitName}`, limit, remaining: 0, now: now() + Math.ceil(ms) });
    },
  };

  function bucket(limitName: string, where: string): TokenBucketLimitV1 {
    const limit = byName.get(limitName);
    if (!limit) {
      throw new ConfigurationError({
        packageName,
        message: `${where}: unknown limit ${JSON.stringify(limitName)}; configured: ${limits.map(([n]) => n).join(', ') || '(none)'}`,
      });
    }
    return limit;
  }
}

function assertMaxWait(value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new ConfigurationError({
      packageName,
      message: `RateLimiter: maxWaitMs must be a non-negative number of ms, got ${String(value)}`,
    });
  }
}
