import type { ErrorClassV1 } from '../spec/v1';
import { ActError, hasErrorMarker } from './act-error';

export interface ProviderApiErrorOptions {
  packageName: string;
  /** HTTP status the provider answered; 0 for network failures and timeouts. */
  status: number;
  /** Request method and URL (no query secrets). */
  method: string;
  url: string;
  /** Provider's error message or body excerpt. */
  detail?: string | undefined;
  /** From `Retry-After` or the provider's own headers, already in milliseconds. */
  retryAfterMs?: number | undefined;
  /**
   * Overrides the class the status gives, for a provider that signals a
   * rate limit with another status (Google's 403 `rateLimitExceeded`).
   */
  errorClass?: ErrorClassV1 | undefined;
  cause?: unknown;
}

/**
 * How a provider's HTTP status decides what the worker does next.
 * 401 → refresh and retry; 429 → wait `Retry-After`; 408, 409, 425, 5xx and
 * network failures (status 0) → retry on the schedule; any other 4xx → the
 * request itself is wrong, dead-letter.
 */
export function errorClassForStatus(status: number): ErrorClassV1 {
  if (status === 401) return 'auth';
  if (status === 429) return 'rate_limit';
  if (status === 0 || status === 408 || status === 409 || status === 425 || status >= 500) return 'transient';
  return 'validation';
}

const providerMarker = Symbol.for('act.error.provider-api');

/** A provider API call failed. Connector clients throw this so the worker can classify it. */
export class ProviderApiError extends ActError {
  /** Marker read by `isInstance`. */
  readonly [providerMarker] = true;
  readonly providerStatus: number;
  readonly retryAfterMs: number | undefined;
  readonly method: string;
  readonly url: string;

  constructor(options: ProviderApiErrorOptions) {
    const what = options.status === 0 ? 'network error' : `HTTP ${options.status}`;
    super({
      packageName: options.packageName,
      message: `${options.method} ${options.url} failed: ${what}${options.detail ? ` – ${options.detail}` : ''}`,
      errorClass: options.errorClass ?? errorClassForStatus(options.status),
      cause: options.cause,
    });
    this.name = 'ProviderApiError';
    this.providerStatus = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.method = options.method;
    this.url = options.url;
  }

  /** Recognises a `ProviderApiError` from any copy of `@act/core`, optionally with a given status. */
  static override isInstance(error: unknown, status?: number): error is ProviderApiError {
    if (!hasErrorMarker(error, providerMarker)) return false;
    return status === undefined || (error as ProviderApiError).providerStatus === status;
  }
}
