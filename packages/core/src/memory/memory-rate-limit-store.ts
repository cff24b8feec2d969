import { assertCost, assertLimit, assertSlot } from '../resilience/rate-limit-checks';
import type {
  AcquireSlotRequestV1,
  AcquireSlotResultV1,
  RateLimitStoreV1,
  ReleaseSlotRequestV1,
  TakeTokensRequestV1,
  TakeTokensResultV1,
  TokenBucketLimitV1,
} from '../spec/v1';

// Refill is fractional (capacity / intervalMs per ms), so after waiting the
// exact `waitMs` a bucket can sit a rounding error below `cost`; this slack
// keeps that wait from being refused again.
const EPSILON = 1e-9;

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * An in-memory {@link RateLimitStoreV1}: one token bucket per key, starting
 * full and refilling continuously at `capacity / intervalMs` tokens per ms,
 * and leased slots per key. Every operation is atomic because it never awaits
 * between reading and writing; that makes it correct within one process
 * only — workers in several processes must share a durable store to share a
 * budget.
 */
export function createMemoryRateLimitStore(): RateLimitStoreV1 {
  const buckets = new Map<string, Bucket>();
  // key → owner → lease end (epoch ms).
  const slots = new Map<string, Map<string, number>>();

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
      // A bucket held until a later time (a `set` with a future `now`, or a
      // clock behind another worker's) refills nothing before then.
      const heldMs = Math.max(0, bucket.updatedAt - now);
      const waitMs = Math.max(1, Math.ceil(heldMs + ((cost - bucket.tokens) * limit.intervalMs) / limit.capacity));
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
    async acquireSlot(request: AcquireSlotRequestV1): Promise<AcquireSlotResultV1> {
      assertSlot(request, 'MemoryRateLimitStore.acquireSlot');
      const { key, limit, owner, leaseMs, now } = request;
      const held = slots.get(key) ?? new Map<string, number>();
      for (const [holder, until] of held) if (until <= now) held.delete(holder);
      if (held.has(owner) || held.size < limit) {
        held.set(owner, now + leaseMs);
        slots.set(key, held);
        return { acquired: true };
      }
      const earliest = Math.min(...held.values());
      return { acquired: false, retryAfterMs: Math.max(1, Math.ceil(earliest - now)) };
    },
    async releaseSlot(request: ReleaseSlotRequestV1): Promise<void> {
      const held = slots.get(request.key);
      if (!held) return;
      held.delete(request.owner);
      if (held.size === 0) slots.delete(request.key);
    },
  };
}
