import { ActError, hasErrorMarker } from './act-error';

const marker = Symbol.for('act.error.rate-limit');

/**
 * A rate limit would make the caller wait longer than it allowed
 * (`RateLimiter.acquire`'s `maxWaitMs`). Nothing was sent. The worker
 * reschedules the delivery after `retryAfterMs` without counting an attempt,
 * instead of holding its lease (and a connection) while it waits.
 */
export class RateLimitError extends ActError {
  /** Marker read by `isInstance`; survives two installed copies of @act/core. */
  readonly [marker] = true;
  /** How long until the limit is expected to allow the call, in ms. */
  readonly retryAfterMs: number;
  /** The limiter scope (`xero:<tenant>`) and the limit that refused. */
  readonly scope: string;
  readonly limitName: string;
  constructor(options: {
    packageName: string;
    scope: string;
    limitName: string;
    retryAfterMs: number;
    waitedMs?: number;
  }) {
    super({
      packageName: options.packageName,
      message: `rate limit "${options.limitName}" of ${options.scope} needs another ${Math.ceil(options.retryAfterMs)} ms${
        options.waitedMs ? ` after waiting ${Math.ceil(options.waitedMs)} ms` : ''
      }; handed back to be retried later`,
      errorClass: 'rate_limit',
      status: 429,
    });
    this.name = 'RateLimitError';
    this.retryAfterMs = Math.max(0, Math.ceil(options.retryAfterMs));
    this.scope = options.scope;
    this.limitName = options.limitName;
  }

  /** Recognises a `RateLimitError` from any installed copy of `@act/core` (not `instanceof`). */
  static override isInstance(value: unknown): value is RateLimitError {
    return hasErrorMarker(value, marker);
  }
}
