/**
 * Argument checks shared by the rate limiter and every rate-limit store (the
 * memory store here, `@act/sink-supabase`'s through `@act/core/internal`);
 * `packageName` names the package whose API was called.
 */
import { ConfigurationError } from '../errors';
import type { TokenBucketLimitV1 } from '../spec/v1';

const CORE = '@act/core';

export function assertLimit(limit: TokenBucketLimitV1, where: string, packageName = CORE): void {
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

export function assertCost(cost: number, limit: TokenBucketLimitV1, where: string, packageName = CORE): void {
  // A cost above capacity can never be granted: waiting would never end.
  if (!(Number.isFinite(cost) && cost >= 0 && cost <= limit.capacity)) {
    throw new ConfigurationError({
      packageName,
      message: `${where}: cost must be between 0 and the bucket capacity (${limit.capacity}), got ${String(cost)}`,
    });
  }
}

export function assertSlot(
  request: { limit: number; leaseMs: number; key: string; owner: string },
  where: string,
  packageName = CORE,
): void {
  if (!(Number.isSafeInteger(request.limit) && request.limit > 0)) {
    throw new ConfigurationError({
      packageName,
      message: `${where}: limit must be a positive integer, got ${String(request.limit)}`,
    });
  }
  if (!(Number.isFinite(request.leaseMs) && request.leaseMs > 0)) {
    throw new ConfigurationError({
      packageName,
      message: `${where}: leaseMs must be a positive number, got ${String(request.leaseMs)}`,
    });
  }
  if (!request.key || !request.owner) {
    throw new ConfigurationError({ packageName, message: `${where}: key and owner must be non-empty` });
  }
}
