import {
  ConfigurationError,
  type RateLimitStoreV1,
  type TakeTokensRequestV1,
  type TakeTokensResultV1,
  type TokenBucketLimitV1,
} from '@act/core';
import { PACKAGE_NAME } from './errors';
import type { BackendProvider } from './postgres-state-store';

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
      packageName: PACKAGE_NAME,
      message: `${where}: a limit needs a positive capacity and intervalMs, got ${JSON.stringify(limit)}`,
    });
  }
}

/**
 * `RateLimitStoreV1` in Postgres (`act_rate_limits`): every worker sharing the
 * database shares one budget per key. `take` locks the bucket's row, so
 * concurrent takes from many processes never overspend.
 */
export function createPostgresRateLimitStore(backend: BackendProvider): RateLimitStoreV1 {
  return {
    specificationVersion: 'v1',
    async take(request: TakeTokensRequestV1): Promise<TakeTokensResultV1> {
      const { key, limit, cost = 1, now } = request;
      assertLimit(limit, 'PostgresRateLimitStore.take');
      if (!(Number.isFinite(cost) && cost >= 0 && cost <= limit.capacity)) {
        throw new ConfigurationError({
          packageName: PACKAGE_NAME,
          message: `PostgresRateLimitStore.take: cost must be between 0 and the bucket capacity (${limit.capacity}), got ${String(cost)}`,
        });
      }
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
      assertLimit(request.limit, 'PostgresRateLimitStore.set');
      if (!Number.isFinite(request.remaining)) return;
      await (await backend()).call('act_set_tokens', {
        p_key: request.key,
        p_capacity: request.limit.capacity,
        p_interval_ms: Math.round(request.limit.intervalMs),
        p_remaining: request.remaining,
        p_now_ms: Math.round(request.now),
      });
    },
  };
}
