import type { IBackoff, IRetryBackoffContext } from 'cockatiel';
import { retry as cockatielRetry, handleWhen } from 'cockatiel';
import { ConfigurationError, classifyError } from '../errors';

const packageName = '@act/core';

/**
 * The worker's delivery retry schedule: 1 min, 5 min, 15 min, 1 h, 6 h.
 * Entry `n - 1` is the wait after the `n`th failure; once it is used up the
 * delivery is dead-lettered. Spread over ~7.5 h so a provider outage of a
 * few hours heals on its own without an operator replaying anything.
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = Object.freeze([
  60_000, 300_000, 900_000, 3_600_000, 21_600_000,
]);

/** Inputs of {@link computeRetryDelay}. */
export interface RetryDelayOptions {
  /** Failures so far, 1-based: attempt 1 → `schedule[0]`. */
  attempt: number;
  /** Waits in ms, one per retry; defaults to {@link DEFAULT_RETRY_SCHEDULE_MS}. */
  schedule?: readonly number[] | undefined;
  /**
   * Fraction in `[0, 1]`, default 0.2: the delay is uniform in
   * `[base * (1 - jitter), base * (1 + jitter)]`, so deliveries that failed
   * together (a provider outage) do not all come back in the same second.
   */
  jitter?: number | undefined;
  /** Source of randomness in `[0, 1)`; defaults to `Math.random` (inject for tests). */
  random?: () => number;
  /** Provider-requested minimum wait (`Retry-After`); the result is never below it. */
  retryAfterMs?: number | undefined;
}

/**
 * When to retry a failed delivery, in whole milliseconds from now, or `null`
 * when the schedule is exhausted and the delivery should be dead-lettered.
 *
 * @throws ConfigurationError when `attempt` is not a positive integer or
 *   `jitter` is outside `[0, 1]` — both are programming errors, and guessing
 *   would silently retry forever or never.
 */
export function computeRetryDelay(options: RetryDelayOptions): number | null {
  const { attempt, schedule = DEFAULT_RETRY_SCHEDULE_MS, jitter = 0.2, random = Math.random, retryAfterMs } = options;
  if (!Number.isSafeInteger(attempt) || attempt < 1) {
    throw new ConfigurationError({
      packageName,
      message: `computeRetryDelay: attempt must be a positive integer (failures so far), got ${String(attempt)}`,
    });
  }
  if (!(jitter >= 0 && jitter <= 1)) {
    throw new ConfigurationError({
      packageName,
      message: `computeRetryDelay: jitter must be between 0 and 1, got ${String(jitter)}`,
    });
  }
  const base = schedule[attempt - 1];
  if (base === undefined) return null;
  if (!Number.isFinite(base) || base < 0) {
    throw new ConfigurationError({
      packageName,
      message: `computeRetryDelay: schedule[${attempt - 1}] must be a non-negative number of ms, got ${String(base)}`,
    });
  }
  // Clamp the random draw: a custom `random` returning 1 (or slightly out of
  // range) must not push the delay outside the documented bounds.
  const r = Math.min(1, Math.max(0, random()));
  const delay = Math.round(base * (1 - jitter) + r * 2 * jitter * base);
  const floor = usableWait(retryAfterMs);
  return floor !== undefined && floor > delay ? floor : delay;
}

/** A provider wait that can be honoured: finite and non-negative, rounded up to whole ms. */
function usableWait(ms: number | undefined): number | undefined {
  // Garbage (NaN, negative, Infinity) comes from a misparsed header; ignoring
  // it beats sleeping forever or retrying immediately on its say-so.
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? Math.ceil(ms) : undefined;
}

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const LONG_DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

// The three HTTP-date forms recipients must accept (RFC 9110 §5.6.7).
// Date.parse is not used: it accepts garbage ("1" parses as a year) and reads
// asctime dates in local time.
const IMF_FIXDATE = /^([A-Za-z]{3}), (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850_DATE = /^([A-Za-z]{6,9}), (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME_DATE = /^([A-Za-z]{3}) ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * Parse a `Retry-After` header (RFC 9110 §10.2.3) into a wait in ms from `now`.
 * Accepts delay-seconds (`120`) and all three HTTP-date forms; a date in the
 * past gives 0. Returns `undefined` for a missing or malformed value, so the
 * caller falls back to its own schedule instead of trusting garbage.
 *
 * @param now Epoch ms the date is measured from; defaults to `Date.now()`.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  const at = parseHttpDate(text, now);
  return at === undefined ? undefined : Math.max(0, at - now);
}

function parseHttpDate(text: string, now: number): number | undefined {
  let m = IMF_FIXDATE.exec(text);
  if (m) {
    const [, day, dd, mon, yyyy, hh, mi, ss] = m;
    if (!DAY_NAMES.includes(day as (typeof DAY_NAMES)[number])) return undefined;
    return utc(Number(yyyy), mon, Number(dd), Number(hh), Number(mi), Number(ss));
  }
  m = RFC850_DATE.exec(text);
  if (m) {
    const [, day, dd, mon, yy, hh, mi, ss] = m;
    if (!LONG_DAY_NAMES.includes(day as (typeof LONG_DAY_NAMES)[number])) return undefined;
    // RFC 9110 §5.6.7: a two-digit year that would be more than 50 years in
    // the future means the most recent past year with those digits.
    const currentYear = new Date(now).getUTCFullYear();
    let year = Math.floor(currentYear / 100) * 100 + Number(yy);
    if (year > currentYear + 50) year -= 100;
    return utc(year, mon, Number(dd), Number(hh), Number(mi), Number(ss));
  }
  m = ASCTIME_DATE.exec(text);
  if (m) {
    const [, day, mon, dd, hh, mi, ss, yyyy] = m;
    if (!DAY_NAMES.includes(day as (typeof DAY_NAMES)[number])) return undefined;
    return utc(Number(yyyy), mon, Number((dd ?? '').trim()), Number(hh), Number(mi), Number(ss));
  }
  return undefined;
}

function utc(year: number, monthName: string | undefined, day: number, hour: number, minute: number, second: number) {
  const month = MONTH_NAMES.indexOf(monthName as (typeof MONTH_NAMES)[number]);
  if (month < 0 || hour > 23 || minute > 59 || second > 60) return undefined;
  // HTTP allows a leap second (60); Date cannot hold one, so it becomes :59.
  const at = Date.UTC(year, month, day, hour, minute, Math.min(second, 59));
  // Date.UTC rolls "Feb 30" over into March; reject it instead.
  return new Date(at).getUTCDate() === day ? at : undefined;
}

/** Options of {@link retry}. */
export interface RetryOptions {
  /** Total attempts including the first; default 3. */
  maxAttempts?: number;
  /** Cap of the first retry's wait; doubles per retry. Default 500. */
  baseDelayMs?: number;
  /** Cap of any computed wait (a provider's `retryAfterMs` may exceed it). Default 30_000. */
  maxDelayMs?: number;
  /**
   * Whether a failure is worth another attempt. Default: `classifyError`
   * says `transient`, `rate_limit` or `unknown` — `auth` is left out because
   * repeating a request with the same expired token cannot succeed.
   */
  isRetryable?: (error: unknown) => boolean;
  /**
   * The longest provider-requested wait (`Retry-After`) worth sleeping
   * through in process. A failure asking for longer is not retried here but
   * thrown, so the worker reschedules the delivery instead of holding a lease
   * and a connection for minutes. Default: `maxDelayMs`.
   */
  maxRetryAfterMs?: number;
  /** Stops further attempts and cuts a pending wait short; `retry` rejects with `signal.reason`. */
  signal?: AbortSignal;
  /**
   * Called before each wait. `attempt` is the 1-based attempt that just
   * failed; `delayMs` is how long until the next one starts.
   */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

function defaultIsRetryable(error: unknown): boolean {
  const { errorClass } = classifyError(error);
  return errorClass === 'transient' || errorClass === 'rate_limit' || errorClass === 'unknown';
}

/**
 * Exponential backoff with full jitter: a uniform draw in `[0, cap)` with
 * `cap = min(maxDelayMs, baseDelayMs * 2^(failures-1))`, so concurrent
 * callers that failed together spread out. Raised to the failure's
 * `retryAfterMs` when it carries one: a 429's Retry-After is a floor, and
 * retrying earlier only burns more of the budget.
 */
function backoffDelayMs(failures: number, baseDelayMs: number, maxDelayMs: number, error: unknown): number {
  const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** (failures - 1));
  const jittered = Math.floor(Math.random() * cap);
  const floor = usableWait(classifyError(error).retryAfterMs);
  return floor !== undefined && floor > jittered ? floor : jittered;
}

/**
 * Run `fn` until it succeeds, retrying retryable failures with jittered
 * exponential backoff. For short in-process calls (a provider API request),
 * not for deliveries — those go back to the inbox on
 * {@link DEFAULT_RETRY_SCHEDULE_MS}.
 *
 * `fn` receives the 1-based attempt number and the signal to pass to `fetch`.
 * Rejects with the last error once attempts run out or a failure is not
 * retryable, and with `signal.reason` as soon as the signal aborts.
 *
 * @throws ConfigurationError for a `maxAttempts` that is not a positive
 *   integer or a negative/non-finite delay option.
 */
export async function retry<T>(
  fn: (context: { attempt: number; signal: AbortSignal }) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const {
    maxAttempts = 3,
    baseDelayMs = 500,
    maxDelayMs = 30_000,
    isRetryable = defaultIsRetryable,
    onRetry,
  } = options;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? maxDelayMs;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
    throw new ConfigurationError({
      packageName,
      message: `retry: maxAttempts must be a positive integer (total attempts), got ${String(maxAttempts)}`,
    });
  }
  for (const [name, value] of [
    ['baseDelayMs', baseDelayMs],
    ['maxDelayMs', maxDelayMs],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) {
      throw new ConfigurationError({
        packageName,
        message: `retry: ${name} must be a non-negative number, got ${String(value)}`,
      });
    }
  }
  const signal = options.signal ?? new AbortController().signal;
  if (signal.aborted) throw signal.reason;

  // Cockatiel sleeps between attempts with a plain setTimeout that ignores the
  // AbortSignal, so an abort (worker shutdown) would wait out the backoff and
  // keep the timer alive. Instead this backoff reports 0 ms to cockatiel and
  // the real, abortable wait happens at the start of the next attempt.
  let pendingDelayMs = 0;
  const backoff: IBackoff<IRetryBackoffContext<unknown>> = {
    duration: 0,
    next(context) {
      // context.attempt counts failures so far (1 after the first call failed).
      const error = 'error' in context.result ? context.result.error : undefined;
      pendingDelayMs = backoffDelayMs(context.attempt, baseDelayMs, maxDelayMs, error);
      onRetry?.({ attempt: context.attempt, delayMs: pendingDelayMs, error });
      return backoff;
    },
  };
  // Cockatiel's maxAttempts counts retries after the first call, ours counts
  // every call.
  const policy = cockatielRetry(
    handleWhen(
      (error) => !signal.aborted && isRetryable(error) && (classifyError(error).retryAfterMs ?? 0) <= maxRetryAfterMs,
    ),
    { maxAttempts: maxAttempts - 1, backoff },
  );

  try {
    return await policy.execute(async ({ attempt }) => {
      if (attempt > 0) await sleep(pendingDelayMs, signal);
      if (signal.aborted) throw signal.reason;
      return fn({ attempt: attempt + 1, signal });
    }, signal);
  } catch (error) {
    // Whatever `fn` threw after the abort (often a fetch AbortError) is a
    // consequence of it; callers match on the reason they aborted with.
    if (signal.aborted) throw signal.reason;
    throw error;
  }
}

/**
 * Resolve after `ms`, or reject with `signal.reason` (clearing the timer, so
 * nothing keeps the process alive) when it aborts.
 *
 * @internal Shared with the rate limiter; not part of the public API.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
