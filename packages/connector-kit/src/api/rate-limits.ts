import {
  type ConcurrencyLimit,
  ConfigurationError,
  createRateLimiter,
  parseRetryAfter,
  type RateLimiter,
  type RateLimitPermit,
  type RateLimitStoreV1,
  type TokenBucketLimitV1,
} from '@act/core/internal';

const KIT_PACKAGE = '@act/connector-kit';

/**
 * How a client paces its calls. `createApiClient` calls `run` around each
 * request (the access token is read inside, after the wait), `align` with
 * every response, and `rateLimited` on a 429.
 */
export interface ApiRateLimits {
  /**
   * Wait until `tenant` may make one call, then run `send` (holding any
   * concurrency slot while it runs). Rejects with `RateLimitError` when the
   * wait would be too long, so the worker reschedules the call.
   */
  run<T>(tenant: string, send: () => Promise<T>, options: { signal: AbortSignal }): Promise<T>;
  /** Align the shared budgets with the provider's own counts (its rate-limit headers). */
  align?(tenant: string, response: Response): Promise<void>;
  /**
   * A 429: how long to wait (and pause the breached budget for every
   * worker); `detail` is added to the error message.
   */
  rateLimited?(
    tenant: string,
    response: Response,
  ): Promise<{ retryAfterMs?: number | undefined; detail?: string | undefined }>;
}

/** A non-negative integer header, else `undefined`. */
export function headerCount(headers: Headers, name: string): number | undefined {
  const value = headers.get(name)?.trim();
  if (!value || !/^\d+$/.test(value)) return undefined;
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) ? parsed : undefined;
}

/**
 * At most `limit` calls in any `windowMs` (a sliding window: never more in
 * ANY window, whatever the phase of the provider's own fixed windows). Each
 * slot is held `windowMs + marginMs`: the slot is taken when the call leaves
 * this process, the provider counts it when it arrives.
 */
export interface WindowLimit {
  limit: number;
  windowMs: number;
  /** Extra time each slot is held, for the call's trip to the provider; default 0. */
  marginMs?: number;
}

/** One budget scope: whose calls share it (`key`) and the limits every call passes. */
export interface RateLimitScope<TBucket extends string = string> {
  /**
   * The budget's key for a tenant: a prefix (`xero` → `xero:<tenant>`) or a
   * function; a function ignoring the tenant (`() => 'xero:app'`) makes an
   * app-wide budget shared by every tenant.
   */
  key: string | ((tenant: string) => string);
  /** Token buckets, passed in order, e.g. `{ daily: { capacity: 5_000, intervalMs: 86_400_000 } }`. */
  buckets?: Readonly<Partial<Record<TBucket, TokenBucketLimitV1>>>;
  /** Sliding windows, e.g. `{ minuteWindow: { limit: 60, windowMs: 60_000, marginMs: 1_000 } }`. */
  windows?: Readonly<Record<string, WindowLimit>>;
  /** Calls in flight at once, e.g. `{ concurrent: { limit: 5 } }`: a call holds its slot while it runs. */
  concurrency?: Readonly<Record<string, ConcurrencyLimit>>;
}

/** What a 429 means: how long to wait, and which bucket to pause for every worker (none: pause nothing). */
export interface RateLimitClassification<TBucket extends string> {
  retryAfterMs: number | undefined;
  bucket?: TBucket | undefined;
  /** Added to the error message, e.g. `X-Rate-Limit-Problem: day`. */
  detail?: string | undefined;
}

export interface ScopedRateLimitsOptions<TScope extends string, TBucket extends string> {
  /**
   * The provider's limits by scope, in the order a call passes them (list a
   * scope with concurrency caps last: a call holds its slots while it waits
   * for the scopes after it).
   */
  scopes: Readonly<Record<TScope, RateLimitScope<TBucket>>>;
  /**
   * The header holding each bucket's remaining count, e.g.
   * `{ minute: 'x-minlimit-remaining' }`: every response aligns the bucket to
   * it (the provider's count is authoritative), in this order.
   */
  remainingHeaders?: Readonly<Partial<Record<TBucket, string>>>;
  /**
   * Classify a 429. Default: `Retry-After`, pausing the first bucket whose
   * header reads 0 (else the first bucket). `retryAfterMs` in the context is
   * the parsed `Retry-After`; `remaining` the buckets' header counts.
   */
  onRateLimited?: (context: {
    response: Response;
    remaining: Partial<Record<TBucket, number>>;
    retryAfterMs: number | undefined;
    now: number;
  }) => RateLimitClassification<TBucket>;
  /** Where budgets live; default this process's memory. Pass a shared store so every worker shares them. */
  store?: RateLimitStoreV1 | undefined;
  /** Longest in-process wait (over all scopes) before a `RateLimitError` hands the call back; default unlimited. */
  maxWaitMs?: number | undefined;
  /** npm package named in `RateLimitError` messages. */
  packageName?: string;
  /** Clock in epoch ms (inject for tests). */
  now?: () => number;
  /** The limiter's waits (inject for tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** `ApiRateLimits` over declared scopes, with the core limiter of each scope for inspection. */
export interface ScopedRateLimits<TScope extends string> extends ApiRateLimits {
  /** `run`, with an optional signal and a per-call `maxWaitMs` (over all scopes). */
  run<T>(tenant: string, send: () => Promise<T>, options?: { signal?: AbortSignal; maxWaitMs?: number }): Promise<T>;
  align(tenant: string, response: Response): Promise<void>;
  rateLimited(
    tenant: string,
    response: Response,
  ): Promise<{ retryAfterMs: number | undefined; detail?: string | undefined }>;
  /** The budget key of `tenant` in `scope`, e.g. `xero:<tenant>`. */
  keyOf(scope: TScope, tenant: string): string;
  readonly limiters: Readonly<Record<TScope, RateLimiter>>;
}

/**
 * A provider's rate limits as facts: scopes (per tenant, per app) of token
 * buckets, sliding windows and concurrency caps, shared by every worker
 * through `store`; headers that align buckets with the provider's counts;
 * and a 429 classifier naming the wait and the bucket to pause for every
 * worker. Built on `@act/core`'s `createRateLimiter` (one per scope).
 *
 * @throws ConfigurationError for an invalid limit, a bucket named in two
 *   scopes, or a header for an unknown bucket.
 */
export function scopedRateLimits<TScope extends string, TBucket extends string>(
  options: ScopedRateLimitsOptions<TScope, TBucket>,
): ScopedRateLimits<TScope> {
  const now = options.now ?? Date.now;
  const scopes = Object.entries(options.scopes) as [TScope, RateLimitScope<TBucket>][];
  const fail = (message: string): never => {
    throw new ConfigurationError({
      packageName: options.packageName ?? KIT_PACKAGE,
      message: `scopedRateLimits: ${message}`,
    });
  };
  if (!scopes.length) fail('declare at least one scope');
  const scopeOfBucket = new Map<TBucket, TScope>();
  const buckets: TBucket[] = [];
  const limiters = {} as Record<TScope, RateLimiter>;
  const keys = {} as Record<TScope, (tenant: string) => string>;
  for (const [name, scope] of scopes) {
    for (const bucket of Object.keys(scope.buckets ?? {}) as TBucket[]) {
      if (scopeOfBucket.has(bucket)) fail(`bucket "${bucket}" is declared in two scopes`);
      scopeOfBucket.set(bucket, name);
      buckets.push(bucket);
    }
    const { key } = scope;
    keys[name] = typeof key === 'function' ? key : (tenant) => `${key}:${tenant}`;
    limiters[name] = createRateLimiter({
      ...(options.store ? { store: options.store } : {}),
      ...(options.packageName ? { packageName: options.packageName } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
      now,
      limits: (scope.buckets ?? {}) as Record<string, TokenBucketLimitV1>,
      ...(scope.concurrency ? { concurrency: scope.concurrency } : {}),
      ...(scope.windows
        ? {
            windows: Object.fromEntries(
              Object.entries(scope.windows).map(([window, { limit, windowMs, marginMs = 0 }]) => [
                window,
                { limit, windowMs: windowMs + marginMs },
              ]),
            ),
          }
        : {}),
    });
  }
  const headers = Object.entries(options.remainingHeaders ?? {}) as [TBucket, string][];
  for (const [bucket] of headers) if (!scopeOfBucket.has(bucket)) fail(`header for unknown bucket "${bucket}"`);

  const remaining = (response: Response) => {
    const counts: Partial<Record<TBucket, number>> = {};
    for (const [bucket, header] of headers) {
      const value = headerCount(response.headers, header);
      if (value !== undefined) counts[bucket] = value;
    }
    return counts;
  };
  const where = (bucket: TBucket, tenant: string) => {
    const scope = scopeOfBucket.get(bucket) ?? fail(`unknown bucket "${bucket}"`);
    return { limiter: limiters[scope], key: keys[scope](tenant) };
  };
  const classify: NonNullable<ScopedRateLimitsOptions<TScope, TBucket>['onRateLimited']> =
    options.onRateLimited ??
    (({ remaining: counts, retryAfterMs }) => ({
      retryAfterMs,
      bucket: buckets.find((bucket) => counts[bucket] === 0) ?? buckets[0],
    }));

  return {
    limiters,
    keyOf: (scope, tenant) => keys[scope](tenant),
    async run(tenant, send, { signal, maxWaitMs = options.maxWaitMs } = {}) {
      const started = now();
      const permits: RateLimitPermit[] = [];
      try {
        for (const [name] of scopes) {
          const left = maxWaitMs === undefined ? undefined : Math.max(0, maxWaitMs - (now() - started));
          permits.push(
            await limiters[name].acquire(keys[name](tenant), {
              ...(signal ? { signal } : {}),
              ...(left !== undefined ? { maxWaitMs: left } : {}),
            }),
          );
        }
        return await send();
      } finally {
        // A failed release (the store unreachable) must not hide the call's
        // outcome: the slot's lease frees it anyway.
        await Promise.all(permits.map((permit) => permit.release().catch(() => undefined)));
      }
    },
    async align(tenant, response) {
      for (const [bucket, value] of Object.entries(remaining(response)) as [TBucket, number][]) {
        const { limiter, key } = where(bucket, tenant);
        await limiter.update(key, bucket, value);
      }
    },
    async rateLimited(tenant, response) {
      const counts = remaining(response);
      const at = now();
      const { retryAfterMs, bucket, detail } = classify({
        response,
        remaining: counts,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), at),
        now: at,
      });
      if (bucket !== undefined) {
        const { limiter, key } = where(bucket, tenant);
        // Every worker shares the buckets: pause the breached one for the whole
        // wait, not just this call (an emptied bucket refills within ms).
        if (retryAfterMs !== undefined && retryAfterMs > 0) await limiter.pause(key, bucket, retryAfterMs);
        else if (counts[bucket] === undefined) await limiter.update(key, bucket, 0);
      }
      return { retryAfterMs, ...(detail !== undefined ? { detail } : {}) };
    },
  };
}

export interface BucketRateLimitsOptions<TName extends string> {
  /** Token buckets every call passes, in order, e.g. `{ burst: { capacity: 100, intervalMs: 10_000 } }`. */
  limits: Readonly<Record<TName, TokenBucketLimitV1>>;
  /**
   * The header holding each bucket's remaining count, e.g.
   * `{ burst: 'x-ratelimit-remaining' }`: every response aligns the bucket to it.
   */
  remainingHeaders?: Partial<Record<TName, string>>;
  /** Budget scope of a tenant: a prefix (`ghl` → `ghl:<tenant>`) or a function. */
  scope: string | ((tenant: string) => string);
  /** Where buckets live; default this process's memory. Pass a shared store so every worker shares one budget. */
  store?: RateLimitStoreV1 | undefined;
  /**
   * On a 429: how long to wait and which bucket to pause. Default:
   * `Retry-After`, pausing the first bucket whose header reads 0 (else the first).
   */
  onRateLimited?: (context: { response: Response; remaining: Partial<Record<TName, number>>; now: number }) => {
    retryAfterMs: number | undefined;
    bucket: TName;
  };
  /** Longest in-process wait before a `RateLimitError` hands the call back; default unlimited. */
  maxWaitMs?: number;
  packageName?: string;
  /** Clock in epoch ms (inject for tests). */
  now?: () => number;
}

/**
 * Token buckets per tenant that follow the provider's remaining-count headers
 * (the provider's number is authoritative: budget spent by other processes is
 * respected), and pause the breached bucket for every worker on a 429: one
 * tenant scope of {@link scopedRateLimits}.
 */
export function bucketRateLimits<TName extends string>(
  options: BucketRateLimitsOptions<TName>,
): ApiRateLimits & { limiter: RateLimiter; scopeOf(tenant: string): string } {
  const limits = scopedRateLimits<'tenant', TName>({
    scopes: { tenant: { key: options.scope, buckets: options.limits } },
    ...(options.remainingHeaders ? { remainingHeaders: options.remainingHeaders } : {}),
    ...(options.onRateLimited ? { onRateLimited: options.onRateLimited } : {}),
    store: options.store,
    maxWaitMs: options.maxWaitMs,
    ...(options.packageName ? { packageName: options.packageName } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    run: (tenant, send, { signal }) => limits.run(tenant, send, { signal }),
    align: limits.align,
    rateLimited: limits.rateLimited,
    limiter: limits.limiters.tenant,
    scopeOf: (tenant) => limits.keyOf('tenant', tenant),
  };
}
