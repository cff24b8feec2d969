/**
 * Xero's rate limits and headers as a table for the kit's `scopedRateLimits`
 * (https://developer.xero.com/documentation/guides/oauth2/limits/): per tenant 5 calls in flight, 60 a
 * minute and a daily cap (1,000 on Starter, 5,000 above: https://developer.xero.com/faq/pricing-and-policy-updates);
 * 10,000 a minute per app. Responses carry `X-DayLimit-Remaining`, `X-MinLimit-Remaining` and
 * `X-AppMinLimit-Remaining`; a 429 carries `X-Rate-Limit-Problem` (`Daily|Minute` in
 * https://developer.xero.com/documentation/auth-and-limits/xero-api-limits; `concurrent`, `appminute` in
 * third-party clients) and `Retry-After` (none for concurrent). Xero's minutes are fixed windows "which will
 * reset at different times for each tenant", so the minute is also a sliding window (never 61 in ANY minute)
 * whose slots are held a margin longer for the trip to Xero (without it the chaos suite measured calls 14–64 ms
 * early). The app minute is only a bucket: 10,000 leased slots a minute cost more than they protect.
 */
import { headerCount, type ScopedRateLimits, type ScopedRateLimitsOptions, scopedRateLimits } from '@act/connector-kit';
import { parseRetryAfter } from '@act/core/internal';
import { XERO_PACKAGE_NAME, XERO_SOURCE } from './xero-events';

export const XERO_RATE_LIMITS = Object.freeze({
  concurrent: 5,
  perMinute: 60,
  dailyStarter: 1_000,
  dailyAboveStarter: 5_000,
  appPerMinute: 10_000,
});
const MINUTE_MS = 60_000;
// Each bucket's remaining-count header, in the order a response aligns them.
const HEADERS = { minute: 'x-minlimit-remaining', daily: 'x-daylimit-remaining', appMinute: 'x-appminlimit-remaining' };

/** `X-Rate-Limit-Problem`, case-insensitive: `Daily` → `day`, `AppMinute`/`app-minute` → `appminute`. */
export function normaliseXeroRateLimitProblem(value: string | null | undefined): string | undefined {
  const word = value?.toLowerCase().replace(/[^a-z]/g, '');
  return word === 'daily' ? 'day' : word || undefined;
}

/** The rate-limit headers of one response; a missing or unparsable header is `undefined`. */
export const readXeroRateLimitHeaders = (headers: Headers, now?: number) => ({
  dayRemaining: headerCount(headers, HEADERS.daily),
  minuteRemaining: headerCount(headers, HEADERS.minute),
  appMinuteRemaining: headerCount(headers, HEADERS.appMinute),
  problem: normaliseXeroRateLimitProblem(headers.get('x-rate-limit-problem')),
  retryAfterMs: parseRetryAfter(headers.get('retry-after'), now),
});
export type XeroRateLimitHeaders = ReturnType<typeof readXeroRateLimitHeaders>;

/**
 * Defaults: `tier` above-starter (`dailyLimit` overrides it); `concurrent`, `perMinute`, `appPerMinute` as
 * published; `scope` `xero:<tenant>`; `appScope` `xero:app` (one per OAuth app, e.g. `xero:app:<clientId>`);
 * `leaseMs` 60 s (a crashed worker's slot frees after it); `maxWaitMs` 30 s (then a `RateLimitError` hands the
 * call back to the worker); a 429 without `Retry-After` waits `dailyExhaustedWaitMs` 1 h (day),
 * `concurrentRetryMs` 1 s (concurrent); minute-window slots are held 60 s + `windowMarginMs` 1 s.
 */
export interface XeroRateLimitOptions extends Pick<ScopedRateLimitsOptions<string, string>, 'store' | 'now' | 'sleep'> {
  tier?: 'starter' | 'above-starter';
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
  windowMarginMs?: number;
}
export type XeroRateLimiter = ScopedRateLimits<'app' | 'tenant'>;

/** Xero's limits, shared by every worker through `store`. @throws ConfigurationError for an invalid limit. */
export function createXeroRateLimiter(options: XeroRateLimitOptions = {}): XeroRateLimiter {
  const perMinute = options.perMinute ?? XERO_RATE_LIMITS.perMinute;
  const daily =
    options.dailyLimit ?? XERO_RATE_LIMITS[options.tier === 'starter' ? 'dailyStarter' : 'dailyAboveStarter'];
  // A problem maps to the bucket it pauses and the wait without `Retry-After`;
  // an unknown one is treated as the tenant's minute (the commonest breach).
  const problems: Record<string, [bucket: 'daily' | 'minute' | 'appMinute' | undefined, waitMs: number]> = {
    concurrent: [undefined, options.concurrentRetryMs ?? 1_000],
    day: ['daily', options.dailyExhaustedWaitMs ?? 3_600_000],
    appminute: ['appMinute', MINUTE_MS],
  };
  return scopedRateLimits({
    ...options,
    maxWaitMs: options.maxWaitMs ?? 30_000,
    packageName: XERO_PACKAGE_NAME,
    scopes: {
      app: {
        key: () => options.appScope ?? `${XERO_SOURCE}:app`,
        buckets: {
          appMinute: { capacity: options.appPerMinute ?? XERO_RATE_LIMITS.appPerMinute, intervalMs: MINUTE_MS },
        },
      },
      tenant: {
        key: options.scope ?? XERO_SOURCE,
        // The daily cap first: when it is spent, the call is handed back at once.
        buckets: {
          daily: { capacity: daily, intervalMs: 86_400_000 },
          minute: { capacity: perMinute, intervalMs: MINUTE_MS },
        },
        windows: { minuteWindow: { limit: perMinute, windowMs: MINUTE_MS, marginMs: options.windowMarginMs ?? 1_000 } },
        concurrency: {
          concurrent: { limit: options.concurrent ?? XERO_RATE_LIMITS.concurrent, leaseMs: options.leaseMs ?? 60_000 },
        },
      },
    },
    remainingHeaders: HEADERS,
    onRateLimited: ({ response, retryAfterMs }) => {
      const problem = normaliseXeroRateLimitProblem(response.headers.get('x-rate-limit-problem'));
      const [bucket, waitMs] = problems[problem ?? ''] ?? ['minute', MINUTE_MS];
      return { retryAfterMs: retryAfterMs ?? waitMs, bucket, detail: `X-Rate-Limit-Problem: ${problem ?? '(none)'}` };
    },
  });
}
