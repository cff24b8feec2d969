/** A token bucket's size: `capacity` tokens, refilled continuously over `intervalMs`. */
export interface TokenBucketLimitV1 {
  /** Most requests allowed in a burst (and per interval). */
  capacity: number;
  /** The interval over which `capacity` tokens refill (10_000 for "100 per 10 s"). */
  intervalMs: number;
}

export interface TakeTokensRequestV1 {
  /** Bucket id: `<source>:<tenant>:<name>`, e.g. `ghl:loc_123:burst`. */
  key: string;
  limit: TokenBucketLimitV1;
  /** Tokens to take; defaults to 1. */
  cost?: number;
  now: number;
}

export interface TakeTokensResultV1 {
  granted: boolean;
  /** When refused, how long until `cost` tokens are available. 0 when granted. */
  waitMs: number;
  /** Tokens left after this take. */
  remaining: number;
}

/**
 * Where token buckets live. Taking must be atomic so every worker sharing the
 * store shares one budget: `@act/core` ships an in-memory store for a single
 * process; `@act/sink-supabase` keeps buckets in Postgres.
 */
export interface RateLimitStoreV1 {
  readonly specificationVersion: 'v1';
  take(request: TakeTokensRequestV1): Promise<TakeTokensResultV1>;
  /**
   * Align a bucket with what the provider reports (`X-RateLimit-Remaining`),
   * so budgets spent by other apps or processes are respected.
   */
  set(request: { key: string; limit: TokenBucketLimitV1; remaining: number; now: number }): Promise<void>;
}
