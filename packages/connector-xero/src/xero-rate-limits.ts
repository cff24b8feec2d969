/**
 * Xero's published rate limits, shared by every worker, and the headers that
 * report them.
 *
 * ```ts
 * createXeroRateLimiter(options?: XeroRateLimitOptions): XeroRateLimiter  // the kit's `ApiRateLimits`
 *
 * interface XeroRateLimitOptions {
 *   store?: RateLimitStoreV1;          // default: this process's memory; pass sink-supabase's state.rateLimits
 *   tier?: 'starter' | 'above-starter'; // daily cap 1,000 or 5,000 per tenant; default 'above-starter'
 *   dailyLimit?: number;               // overrides `tier`
 *   concurrent?: number;               // default 5 in flight per tenant
 *   perMinute?: number;                // default 60 per tenant, in any rolling minute
 *   appPerMinute?: number;             // default 10,000 per app (all tenants)
 *   scope?: (tenant: string) => string;// default `xero:<tenant>`
 *   appScope?: string;                 // default `xero:app` (one per OAuth app: e.g. `xero:app:<clientId>`)
 *   leaseMs?: number;                  // a concurrency slot's lease (a crashed worker's slot frees after it); default 60_000
 *   maxWaitMs?: number;                // longest in-process wait before a RateLimitError hands the call back; default 30_000
 *   dailyExhaustedWaitMs?: number;     // daily 429 without Retry-After: pause for this long; default 3_600_000
 *   concurrentRetryMs?: number;        // concurrent 429 (no Retry-After): retry after; default 1_000
 *   windowMarginMs?: number;           // minute-window slots held 60 s + this, for the call's trip to Xero; default 1_000
 *   now?: () => number; sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;  // inject for tests
 * }
 * readXeroRateLimitHeaders(headers: Headers, now?: number): XeroRateLimitHeaders
 * ```
 *
 * Facts ("API limits", https://developer.xero.com/documentation/guides/oauth2/limits/,
 * corroborated by https://developer.xero.com/faq/pricing-and-policy-updates):
 * - concurrent: 5 calls in progress per tenant;
 * - minute: 60 calls per minute per tenant;
 * - daily: 1,000 per tenant on the Starter tier, 5,000 on higher tiers (since
 *   2 March 2026) — configurable, as the tier is the app's;
 * - app-wide: 10,000 calls per minute across all tenants;
 * - every response carries `X-DayLimit-Remaining`, `X-MinLimit-Remaining`,
 *   `X-AppMinLimit-Remaining`; a breach answers 429 with `X-Rate-Limit-Problem`,
 *   and minute and daily breaches with `Retry-After` in seconds;
 *   concurrent-limit 429s may have no `Retry-After`;
 * - "Requests are counted against a fixed window which will reset at
 *   different times for each tenant": the phase of Xero's minute is unknown,
 *   so the minute limit is kept as a sliding window (never more than 60 in
 *   ANY minute), plus a token bucket that the header aligns;
 * - `X-Rate-Limit-Problem` values: `Daily|Minute` in the legacy docs
 *   (https://developer.xero.com/documentation/auth-and-limits/xero-api-limits);
 *   `minute`, `day`, `concurrent`, `appminute` seen in client code
 *   (third-party): compared case-insensitively, `day` and `daily` alike.
 *
 * How the limits are held (all in `store`, so every worker shares them):
 * - per tenant (`xero:<tenant>`): token buckets `daily` and `minute`
 *   (aligned from `X-DayLimit-Remaining` / `X-MinLimit-Remaining`), the
 *   sliding window `minuteWindow`, and the concurrency limit `concurrent`
 *   whose slot a call holds while its request is in flight;
 * - per app (`xero:app`): the bucket `appMinute` (aligned from
 *   `X-AppMinLimit-Remaining`). A bucket, not a window: 10,000 leased rows per
 *   minute would cost more than the limit protects (our choice).
 * - a 429 pauses the breached bucket for every worker (`RateLimiter.pause`)
 *   for `Retry-After`: minute → tenant `minute`; day → tenant `daily`;
 *   appminute → app `appMinute`; concurrent → nothing (the slot is short-lived).
 *
 * A call that would wait longer than `maxWaitMs` is not made: a
 * `RateLimitError` (class `rate_limit`, with `retryAfterMs`) hands it back,
 * and the worker reschedules the delivery without counting an attempt. So a
 * burst of events for one tenant queues in the inbox instead of failing or
 * holding worker leases for minutes.
 */
import { type ApiRateLimits, headerCount } from '@act/connector-kit';
import {
  createRateLimiter,
  parseRetryAfter,
  type RateLimiter,
  type RateLimitStoreV1,
  type TokenBucketLimitV1,
} from '@act/core/internal';
import { XERO_PACKAGE_NAME, XERO_SOURCE } from './xero-events';

/** Xero's published limits (https://developer.xero.com/documentation/guides/oauth2/limits/). */
export const XERO_RATE_LIMITS = Object.freeze({
  /** Calls in progress at once per tenant. */
  concurrent: 5,
  /** Calls per minute per tenant. */
  perMinute: 60,
  /** Calls per day per tenant on the Starter tier (since 2 March 2026). */
  dailyStarter: 1_000,
  /** Calls per day per tenant on tiers above Starter. */
  dailyAboveStarter: 5_000,
  /** Calls per minute per app, all tenants together. */
  appPerMinute: 10_000,
});

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** The headers of one response; a missing or unparsable header is `undefined`. */
export interface XeroRateLimitHeaders {
  /** `X-DayLimit-Remaining`. */
  dayRemaining?: number | undefined;
  /** `X-MinLimit-Remaining`. */
  minuteRemaining?: number | undefined;
  /** `X-AppMinLimit-Remaining`. */
  appMinuteRemaining?: number | undefined;
  /** `X-Rate-Limit-Problem`, lower case with `daily` → `day`: `minute`, `day`, `concurrent`, `appminute`, or another word. */
  problem?: string | undefined;
  /** `Retry-After` in ms (seconds or an HTTP date). */
  retryAfterMs?: number | undefined;
}

/** Normalise `X-Rate-Limit-Problem`: case-insensitive, `Daily` → `day`, `AppMinute`/`app-minute` → `appminute`. */
export function normaliseXeroRateLimitProblem(value: string | null | undefined): string | undefined {
  const word = value
    ?.trim()
    .toLowerCase()
    .replace(/[^a-z]/g, '');
  if (!word) return undefined;
  if (word === 'daily' || word === 'day') return 'day';
  return word;
}

/** Read Xero's rate-limit headers (`Headers` matches names case-insensitively). */
export function readXeroRateLimitHeaders(headers: Headers, now?: number): XeroRateLimitHeaders {
  return {
    dayRemaining: headerCount(headers, 'x-daylimit-remaining'),
    minuteRemaining: headerCount(headers, 'x-minlimit-remaining'),
    appMinuteRemaining: headerCount(headers, 'x-appminlimit-remaining'),
    problem: normaliseXeroRateLimitProblem(headers.get('x-rate-limit-problem')),
    retryAfterMs: parseRetryAfter(headers.get('retry-after'), now),
  };
}

export interface XeroRateLimitOptions {
  store?: RateLimitStoreV1;
  /** `starter`: 1,000 calls per tenant per day; `above-starter` (default): 5,000 (https://developer.xero.com/faq/pricing-and-policy-updates). */
  tier?: 'starter' | 'above-starter';
  /** Calls per tenant per day; overrides `tier`. */
  dailyLimit?: number;
  concurrent?: number;
  perMinute?: number;
  appPerMinute?: number;
  scope?: (tenant: string) => string;
  appScope?: string;
  leaseMs?: number;
  maxWaitMs?: number;
  dailyExhaustedWaitMs?: number;
  concurrentRetryMs?: number;
  /**
   * Extra time each minute-window slot is held beyond 60 s; default 1,000 ms.
   * A slot is taken when a call leaves this process and Xero counts the call
   * when it arrives: without a margin, network and scheduling delay let the
   * 61st call of a rolling minute reach Xero a few ms early (the chaos suite
   * measured 14–64 ms). The cost is 60 calls per 61 s at full speed.
   */
  windowMarginMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * The kit's `ApiRateLimits` for Xero: `createApiClient` runs every call
 * through `run`, aligns the buckets with each response's headers (`align`)
 * and asks `rateLimited` on a 429.
 */
export interface XeroRateLimiter extends ApiRateLimits {
  /**
   * Run one API call under every limit: an app token, then the tenant's
   * daily and minute tokens, then (all at once) a concurrency slot and a
   * sliding-window slot. The concurrency slot is held while `fn` runs.
   * Rejects with `RateLimitError` instead of waiting past `maxWaitMs`.
   */
  run<T>(tenant: string, fn: () => Promise<T>, options?: { signal?: AbortSignal; maxWaitMs?: number }): Promise<T>;
  /** Align the buckets with the three `X-*Limit-Remaining` headers of a response. */
  align(tenant: string, response: Response): Promise<void>;
  /**
   * After a 429: pause the breached bucket for every worker, and resolve how
   * long this call should wait (`Retry-After`, or the configured default for
   * the problem), with the problem for the error message.
   */
  rateLimited(tenant: string, response: Response): Promise<{ retryAfterMs: number; detail: string }>;
  /** The limiter scope of a tenant (`xero:<tenant>`). */
  scopeOf(tenant: string): string;
  /** The underlying core limiters, for inspection. */
  readonly tenantLimiter: RateLimiter;
  readonly appLimiter: RateLimiter;
}

/** Create the shared Xero limiter. @throws ConfigurationError for an invalid limit. */
export function createXeroRateLimiter(options: XeroRateLimitOptions = {}): XeroRateLimiter {
  const dailyLimit =
    options.dailyLimit ??
    (options.tier === 'starter' ? XERO_RATE_LIMITS.dailyStarter : XERO_RATE_LIMITS.dailyAboveStarter);
  const perMinute = options.perMinute ?? XERO_RATE_LIMITS.perMinute;
  const maxWaitMs = options.maxWaitMs ?? 30_000;
  const scopeOf = options.scope ?? ((tenant: string) => `${XERO_SOURCE}:${tenant}`);
  const appScope = options.appScope ?? `${XERO_SOURCE}:app`;
  const dailyExhaustedWaitMs = options.dailyExhaustedWaitMs ?? 3_600_000;
  const concurrentRetryMs = options.concurrentRetryMs ?? 1_000;
  const shared = {
    ...(options.store ? { store: options.store } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    packageName: XERO_PACKAGE_NAME,
    maxWaitMs,
  };
  const minuteBucket: TokenBucketLimitV1 = { capacity: perMinute, intervalMs: MINUTE_MS };
  const tenantLimiter = createRateLimiter({
    ...shared,
    // The daily cap first: when it is spent, the call is handed back at once.
    limits: { daily: { capacity: dailyLimit, intervalMs: DAY_MS }, minute: minuteBucket },
    concurrency: {
      concurrent: {
        limit: options.concurrent ?? XERO_RATE_LIMITS.concurrent,
        leaseMs: options.leaseMs ?? 60_000,
      },
    },
    windows: { minuteWindow: { limit: perMinute, windowMs: MINUTE_MS + (options.windowMarginMs ?? 1_000) } },
  });
  const appLimiter = createRateLimiter({
    ...shared,
    limits: { appMinute: { capacity: options.appPerMinute ?? XERO_RATE_LIMITS.appPerMinute, intervalMs: MINUTE_MS } },
  });
  const now = options.now ?? Date.now;

  // Pause the breached bucket for every worker; resolve this call's wait.
  const pauseFor = async (tenant: string, headers: XeroRateLimitHeaders): Promise<number> => {
    const scope = scopeOf(tenant);
    switch (headers.problem) {
      case 'concurrent':
        return headers.retryAfterMs ?? concurrentRetryMs;
      case 'day': {
        const wait = headers.retryAfterMs ?? dailyExhaustedWaitMs;
        await tenantLimiter.pause(scope, 'daily', wait);
        return wait;
      }
      case 'appminute': {
        const wait = headers.retryAfterMs ?? MINUTE_MS;
        await appLimiter.pause(appScope, 'appMinute', wait);
        return wait;
      }
      default: {
        // `minute`, or a problem this connector does not know: treat it as the
        // tenant's minute limit (the commonest breach), for Retry-After or a minute.
        const wait = headers.retryAfterMs ?? MINUTE_MS;
        await tenantLimiter.pause(scope, 'minute', wait);
        return wait;
      }
    }
  };

  return {
    tenantLimiter,
    appLimiter,
    scopeOf,
    async run(tenant, fn, { signal, maxWaitMs: budget = maxWaitMs } = {}) {
      const started = now();
      await appLimiter.acquire(appScope, { ...(signal ? { signal } : {}), maxWaitMs: budget });
      const left = Math.max(0, budget - (now() - started));
      return tenantLimiter.run(scopeOf(tenant), fn, { ...(signal ? { signal } : {}), maxWaitMs: left });
    },
    async align(tenant, response) {
      const headers = readXeroRateLimitHeaders(response.headers, now());
      const scope = scopeOf(tenant);
      if (headers.minuteRemaining !== undefined) await tenantLimiter.update(scope, 'minute', headers.minuteRemaining);
      if (headers.dayRemaining !== undefined) await tenantLimiter.update(scope, 'daily', headers.dayRemaining);
      if (headers.appMinuteRemaining !== undefined) {
        await appLimiter.update(appScope, 'appMinute', headers.appMinuteRemaining);
      }
    },
    async rateLimited(tenant, response) {
      const headers = readXeroRateLimitHeaders(response.headers, now());
      return {
        retryAfterMs: await pauseFor(tenant, headers),
        detail: `X-Rate-Limit-Problem: ${headers.problem ?? '(none)'}`,
      };
    },
  };
}
