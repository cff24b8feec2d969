import {
  createRateLimiter,
  parseRetryAfter,
  type RateLimiter,
  type RateLimitStoreV1,
  type TokenBucketLimitV1,
} from '@act/core/internal';

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
 * respected), and pause the breached bucket for every worker on a 429.
 */
export function bucketRateLimits<TName extends string>(
  options: BucketRateLimitsOptions<TName>,
): ApiRateLimits & { limiter: RateLimiter; scopeOf(tenant: string): string } {
  const names = Object.keys(options.limits) as TName[];
  const now = options.now ?? Date.now;
  const scopeOf =
    typeof options.scope === 'function' ? options.scope : (tenant: string) => `${options.scope as string}:${tenant}`;
  const limiter = createRateLimiter({
    ...(options.store ? { store: options.store } : {}),
    limits: options.limits,
    ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}),
    ...(options.packageName ? { packageName: options.packageName } : {}),
    now,
  });
  const remaining = (headers: Headers) => {
    const counts: Partial<Record<TName, number>> = {};
    for (const name of names) {
      const header = options.remainingHeaders?.[name];
      const value = header ? headerCount(headers, header) : undefined;
      if (value !== undefined) counts[name] = value;
    }
    return counts;
  };
  const defaultOnRateLimited = ({
    response,
    remaining: counts,
    now: at,
  }: {
    response: Response;
    remaining: Partial<Record<TName, number>>;
    now: number;
  }) => ({
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), at),
    bucket: names.find((name) => counts[name] === 0) ?? (names[0] as TName),
  });
  return {
    limiter,
    scopeOf,
    async run(tenant, send, { signal }) {
      await limiter.acquire(scopeOf(tenant), { signal });
      return send();
    },
    async align(tenant, response) {
      const scope = scopeOf(tenant);
      for (const [name, value] of Object.entries(remaining(response.headers)))
        await limiter.update(scope, name, value as number);
    },
    async rateLimited(tenant, response) {
      const scope = scopeOf(tenant);
      const counts = remaining(response.headers);
      const { retryAfterMs, bucket } = (options.onRateLimited ?? defaultOnRateLimited)({
        response,
        remaining: counts,
        now: now(),
      });
      // Every worker shares the buckets: pause the exhausted one for the whole
      // wait, not just this call (an emptied bucket refills within ms).
      if (retryAfterMs !== undefined && retryAfterMs > 0) await limiter.pause(scope, bucket, retryAfterMs);
      else if (counts[bucket] === undefined) await limiter.update(scope, bucket, 0);
      return { retryAfterMs };
    },
  };
}
