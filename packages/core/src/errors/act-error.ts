import type { ErrorClassV1 } from '../spec/v1';

const marker = 'act.error';
const symbol = Symbol.for(marker);

export interface ActErrorOptions {
  /** npm package raising the error; it prefixes the message: `[@act/connector-xero] …`. */
  packageName: string;
  message: string;
  /** How the worker treats it; see `ErrorClassV1`. */
  errorClass: ErrorClassV1;
  /** HTTP status for the receive path to answer with, where one fits. */
  status?: number;
  cause?: unknown;
}

/**
 * Base of every error @act packages throw. Recognised through a
 * `Symbol.for` marker rather than `instanceof`, so two installed copies of
 * `@act/core` (a connector pinned to another version) still agree.
 */
export class ActError extends Error {
  /** Marker read by `isInstance`; survives two installed copies of @act/core. */
  readonly [symbol] = true;
  readonly packageName: string;
  readonly errorClass: ErrorClassV1;
  readonly status: number | undefined;

  constructor({ packageName, message, errorClass, status, cause }: ActErrorOptions) {
    super(`[${packageName}] ${message}`, { cause });
    this.name = 'ActError';
    this.packageName = packageName;
    this.errorClass = errorClass;
    this.status = status;
  }

  /** Retried by the worker (on the schedule, after Retry-After, or after a token refresh). */
  get isRetryable(): boolean {
    return (
      this.errorClass === 'transient' ||
      this.errorClass === 'rate_limit' ||
      this.errorClass === 'auth' ||
      this.errorClass === 'unknown'
    );
  }

  /** Recognises an `ActError` (or any subclass) from any installed copy of `@act/core`. */
  static isInstance(value: unknown): value is ActError {
    return hasErrorMarker(value, symbol);
  }
}

/**
 * `true` when `value` carries `marker` (a `Symbol.for('act.error.<name>')`):
 * each error class sets its own, so `isInstance` works across two installed
 * copies of `@act/core`, where `instanceof` does not.
 */
export function hasErrorMarker(value: unknown, marker: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}
