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

  static isInstance(error: unknown): error is ActError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[symbol] === true;
  }
}
