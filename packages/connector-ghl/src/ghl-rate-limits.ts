/**
 * GoHighLevel's published rate limits and the headers that report them, as
 * configuration of `@act/connector-kit`'s `bucketRateLimits`.
 *
 * ```ts
 * GHL_RATE_LIMITS: { burst: TokenBucketLimitV1; daily: TokenBucketLimitV1 }
 * ghlRateLimits(options: { limits, scope, store?, dailyExhaustedWaitMs, now? }): ApiRateLimits
 * readGhlRateLimitHeaders(headers: Headers): GhlRateLimitHeaders
 * ghlRateLimitWaitMs(response: Response, headers: GhlRateLimitHeaders,
 *   options: { limits: GhlRateLimits; dailyExhaustedWaitMs: number; now?: number }): number
 * ```
 *
 * Source: https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/Authorization.md
 * ("What are current rate limits for API 2.0?"):
 * - burst: 100 requests / 10 s per Marketplace app (client) per resource (Location or Company);
 * - daily: 200,000 requests / day per app per resource;
 * - headers `X-RateLimit-Limit-Daily`, `X-RateLimit-Daily-Remaining`,
 *   `X-RateLimit-Interval-Milliseconds`, `X-RateLimit-Max`, `X-RateLimit-Remaining`.
 *
 * Not documented (so configurable or conservative here):
 * - whether Private Integration Tokens share the same accounting;
 * - a `Retry-After` header on 429 (honoured when present, never relied on);
 * - when the burst window and the daily window reset (no reset header is
 *   published): a 429 waits one burst interval, or `dailyExhaustedWaitMs`
 *   when the daily budget reads 0.
 */
import { type ApiRateLimits, bucketRateLimits, headerCount } from '@act/connector-kit';
import type { RateLimitStoreV1, TokenBucketLimitV1 } from '@act/core';
import { parseRetryAfter } from '@act/core/internal';
import { GHL_PACKAGE_NAME } from './ghl-error';

export interface GhlRateLimits {
  /** Default 100 per 10 s. */
  burst: TokenBucketLimitV1;
  /** Default 200,000 per day. */
  daily: TokenBucketLimitV1;
}

/** GHL's published limits, per app and location (or company). */
export const GHL_RATE_LIMITS: GhlRateLimits = Object.freeze({
  burst: Object.freeze({ capacity: 100, intervalMs: 10_000 }),
  daily: Object.freeze({ capacity: 200_000, intervalMs: 86_400_000 }),
});

/** How long a 429 with an exhausted daily budget is handed back to the worker for, by default. */
export const GHL_DEFAULT_DAILY_EXHAUSTED_WAIT_MS = 3_600_000;

/** The `X-RateLimit-*` headers of one response; a missing or unparsable header is `undefined`. */
export interface GhlRateLimitHeaders {
  /** `X-RateLimit-Limit-Daily`. */
  limitDaily?: number | undefined;
  /** `X-RateLimit-Daily-Remaining`. */
  dailyRemaining?: number | undefined;
  /** `X-RateLimit-Interval-Milliseconds`: the burst window. */
  intervalMs?: number | undefined;
  /** `X-RateLimit-Max`: requests allowed per burst window. */
  max?: number | undefined;
  /** `X-RateLimit-Remaining`: requests left in the current burst window. */
  remaining?: number | undefined;
}

/** Read GHL's rate-limit headers (names per the docs above; `Headers` matches them case-insensitively). */
export function readGhlRateLimitHeaders(headers: Headers): GhlRateLimitHeaders {
  return {
    limitDaily: headerCount(headers, 'x-ratelimit-limit-daily'),
    dailyRemaining: headerCount(headers, 'x-ratelimit-daily-remaining'),
    intervalMs: headerCount(headers, 'x-ratelimit-interval-milliseconds'),
    max: headerCount(headers, 'x-ratelimit-max'),
    remaining: headerCount(headers, 'x-ratelimit-remaining'),
  };
}

/**
 * How long to wait after a 429: `Retry-After` when GHL sends one; otherwise
 * `dailyExhaustedWaitMs` when `X-RateLimit-Daily-Remaining` is 0; otherwise one
 * burst window (`X-RateLimit-Interval-Milliseconds`, or the configured 10 s).
 */
export function ghlRateLimitWaitMs(
  response: Response,
  headers: GhlRateLimitHeaders,
  options: { limits: GhlRateLimits; dailyExhaustedWaitMs: number; now?: number },
): number {
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'), options.now);
  if (retryAfter !== undefined) return retryAfter;
  if (headers.dailyRemaining === 0) return options.dailyExhaustedWaitMs;
  return headers.intervalMs ?? options.limits.burst.intervalMs;
}

/**
 * The shared burst and daily buckets of a location, aligned with
 * `X-RateLimit-Remaining` and `X-RateLimit-Daily-Remaining` after every
 * response (GHL's count is authoritative: budget spent by other processes,
 * or another deployment of the same app, is respected); a 429 pauses the
 * exhausted bucket for every worker for `ghlRateLimitWaitMs`.
 */
export function ghlRateLimits(options: {
  limits: GhlRateLimits;
  scope: (tenant: string) => string;
  store?: RateLimitStoreV1 | undefined;
  dailyExhaustedWaitMs: number;
  now?: () => number;
}): ApiRateLimits {
  return bucketRateLimits({
    limits: { burst: options.limits.burst, daily: options.limits.daily },
    remainingHeaders: { burst: 'x-ratelimit-remaining', daily: 'x-ratelimit-daily-remaining' },
    scope: options.scope,
    store: options.store,
    packageName: GHL_PACKAGE_NAME,
    ...(options.now ? { now: options.now } : {}),
    onRateLimited: ({ response, now }) => {
      const headers = readGhlRateLimitHeaders(response.headers);
      return {
        retryAfterMs: ghlRateLimitWaitMs(response, headers, { ...options, now }),
        bucket: headers.dailyRemaining === 0 ? 'daily' : 'burst',
      };
    },
  });
}
