/**
 * GoHighLevel's published rate limits and the headers that report them.
 *
 * ```ts
 * GHL_RATE_LIMITS: { burst: TokenBucketLimitV1; daily: TokenBucketLimitV1 }
 * readGhlRateLimitHeaders(headers: Headers): GhlRateLimitHeaders
 * alignGhlBudgets(limiter: RateLimiter, scope: string, headers: GhlRateLimitHeaders): Promise<void>
 * ghlRateLimitWaitMs(response: Response, headers: GhlRateLimitHeaders,
 *   options: { limits: GhlRateLimits; dailyExhaustedWaitMs: number; now?: number }): number
 * ```
 *
 * Source: https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/Authorization.md
 * ("What are current rate limits for API 2.0?"), fact sheet A3 [G3]:
 * - burst: 100 requests / 10 s per Marketplace app (client) per resource (Location or Company);
 * - daily: 200,000 requests / day per app per resource;
 * - headers `X-RateLimit-Limit-Daily`, `X-RateLimit-Daily-Remaining`,
 *   `X-RateLimit-Interval-Milliseconds`, `X-RateLimit-Max`, `X-RateLimit-Remaining`.
 *
 * Not documented (so configurable or conservative here):
 * - whether Private Integration Tokens share the same accounting [UNVERIFIED];
 * - a `Retry-After` header on 429 (honoured when present, never relied on);
 * - when the burst window and the daily window reset (no reset header is
 *   published): a 429 waits one burst interval, or `dailyExhaustedWaitMs`
 *   when the daily budget reads 0.
 */
import { parseRetryAfter, type RateLimiter, type TokenBucketLimitV1 } from '@act/core';

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

function count(headers: Headers, name: string): number | undefined {
  const value = headers.get(name)?.trim();
  if (!value || !/^\d+$/.test(value)) return undefined;
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) ? parsed : undefined;
}

/** Read GHL's rate-limit headers (names per the docs above; `Headers` matches them case-insensitively). */
export function readGhlRateLimitHeaders(headers: Headers): GhlRateLimitHeaders {
  return {
    limitDaily: count(headers, 'x-ratelimit-limit-daily'),
    dailyRemaining: count(headers, 'x-ratelimit-daily-remaining'),
    intervalMs: count(headers, 'x-ratelimit-interval-milliseconds'),
    max: count(headers, 'x-ratelimit-max'),
    remaining: count(headers, 'x-ratelimit-remaining'),
  };
}

/**
 * Align the shared buckets with GHL's own counts, so budget spent by other
 * processes (or by another deployment using the same app) is respected: the
 * provider's number is authoritative.
 */
export async function alignGhlBudgets(
  limiter: RateLimiter,
  scope: string,
  headers: GhlRateLimitHeaders,
): Promise<void> {
  if (headers.remaining !== undefined) await limiter.update(scope, 'burst', headers.remaining);
  if (headers.dailyRemaining !== undefined) await limiter.update(scope, 'daily', headers.dailyRemaining);
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
