import type {
  AcquireSlotRequestV1,
  AcquireSlotResultV1,
  RateLimitStoreV1,
  ReleaseSlotRequestV1,
  TakeTokensRequestV1,
  TakeTokensResultV1,
  TokenBucketLimitV1,
} from '@act/core';
import { assertCost, assertLimit, assertSlot } from '@act/core/internal';
import { PACKAGE_NAME } from './errors';
import type { BackendProvider } from './postgres-state-store';

/**
 * `RateLimitStoreV1` in Postgres: every worker sharing the database shares
 * one budget per key. `take` locks the bucket's row in `act_rate_limits`, so
 * concurrent takes from many processes never overspend; `acquireSlot`
 * serialises the acquirers of a key (`act_rate_slots`, 0005_act_rate_limits), so
 * they never hold more than the limit. Each operation is one SQL function
 * call (one `rpc` for supabase-js).
 */
export function createPostgresRateLimitStore(backend: BackendProvider): RateLimitStoreV1 {
  return {
    specificationVersion: 'v1',
    async take(request: TakeTokensRequestV1): Promise<TakeTokensResultV1> {
      const { key, limit, cost = 1, now } = request;
      assertLimit(limit, 'PostgresRateLimitStore.take', PACKAGE_NAME);
      assertCost(cost, limit, 'PostgresRateLimitStore.take', PACKAGE_NAME);
      const [row] = await (await backend()).call('act_take_tokens', {
        p_key: key,
        p_capacity: limit.capacity,
        p_interval_ms: Math.round(limit.intervalMs),
        p_cost: cost,
        p_now_ms: Math.round(now),
      });
      return {
        granted: row?.granted === true,
        waitMs: Number(row?.wait_ms ?? 0),
        remaining: Number(row?.remaining ?? 0),
      };
    },
    async set(request: { key: string; limit: TokenBucketLimitV1; remaining: number; now: number }): Promise<void> {
      assertLimit(request.limit, 'PostgresRateLimitStore.set', PACKAGE_NAME);
      if (!Number.isFinite(request.remaining)) return;
      await (await backend()).call('act_set_tokens', {
        p_key: request.key,
        p_capacity: request.limit.capacity,
        p_interval_ms: Math.round(request.limit.intervalMs),
        p_remaining: request.remaining,
        p_now_ms: Math.round(request.now),
      });
    },
    async acquireSlot(request: AcquireSlotRequestV1): Promise<AcquireSlotResultV1> {
      assertSlot(request, 'PostgresRateLimitStore.acquireSlot', PACKAGE_NAME);
      const [row] = await (await backend()).call('act_acquire_slot', {
        p_key: request.key,
        p_limit: request.limit,
        p_owner: request.owner,
        p_lease_ms: Math.max(1, Math.round(request.leaseMs)),
        p_now_ms: Math.round(request.now),
      });
      if (row?.acquired === true) return { acquired: true };
      return { acquired: false, retryAfterMs: Math.max(1, Number(row?.retry_after_ms ?? 1)) };
    },
    async releaseSlot(request: ReleaseSlotRequestV1): Promise<void> {
      await (await backend()).call('act_release_slot', { p_key: request.key, p_owner: request.owner });
    },
  };
}
