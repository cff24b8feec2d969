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
 * Ask for one of `limit` slots under `key`: a lease that frees itself after
 * `leaseMs` unless released first, so a crashed holder cannot keep a slot.
 * Two uses share it: a concurrency limit (hold a slot while a request is in
 * flight, release it after) and a sliding window ("at most `limit` requests
 * in any `leaseMs`": every request takes a slot and never releases it).
 */
export interface AcquireSlotRequestV1 {
  /** Slot set id: `<source>:<tenant>:<name>`, e.g. `xero:tenant_1:concurrent`. */
  key: string;
  /** Most slots held at once (a positive integer). */
  limit: number;
  /**
   * Who holds the slot: unique per request. Asking again with the same
   * owner renews its lease instead of taking a second slot.
   */
  owner: string;
  /** How long the slot stays held without a release (a positive number of ms). */
  leaseMs: number;
  /** Epoch ms: leases ending at or before it have expired. */
  now: number;
}

export type AcquireSlotResultV1 =
  | { acquired: true }
  | {
      acquired: false;
      /**
       * Until the earliest held lease expires: exact for a sliding window,
       * an upper bound for a concurrency limit (holders usually release sooner).
       */
      retryAfterMs: number;
    };

export interface ReleaseSlotRequestV1 {
  key: string;
  owner: string;
}

/**
 * Where token buckets (and leased slots) live. Taking must be atomic so every worker sharing the
 * store shares one budget: `@act/core` ships an in-memory store for a single
 * process; `@act/sink-supabase` keeps buckets in Postgres.
 */
export interface RateLimitStoreV1 {
  readonly specificationVersion: 'v1';
  take(request: TakeTokensRequestV1): Promise<TakeTokensResultV1>;
  /**
   * Align a bucket with what the provider reports (`X-RateLimit-Remaining`),
   * so budgets spent by other apps or processes are respected. A `now` in the
   * future holds the bucket at `remaining` (no refill) until then, and `take`
   * counts that time in its `waitMs`: how a provider's `Retry-After` pauses
   * every worker.
   */
  set(request: { key: string; limit: TokenBucketLimitV1; remaining: number; now: number }): Promise<void>;
  /**
   * Take one of `limit` leased slots (see {@link AcquireSlotRequestV1}),
   * atomically across every worker sharing the store (what `concurrency`
   * and `windows` limits of `createRateLimiter` are built on).
   */
  acquireSlot(request: AcquireSlotRequestV1): Promise<AcquireSlotResultV1>;
  /** Free `owner`'s slot under `key` at once; a no-op when it holds none (or its lease expired). */
  releaseSlot(request: ReleaseSlotRequestV1): Promise<void>;
}
