import { ActError } from './act-error';

/** The request is not authentic (or cannot be checked). Answered with 401, never retried. */
export class SignatureError extends ActError {
  constructor(options: { packageName: string; message: string; cause?: unknown }) {
    super({ ...options, errorClass: 'signature', status: 401 });
    this.name = 'SignatureError';
  }
}

/** The body cannot be understood. Answered with 400 at receipt; dead-lettered at once when processing. */
export class PayloadError extends ActError {
  constructor(options: { packageName: string; message: string; cause?: unknown }) {
    super({ ...options, errorClass: 'validation', status: 400 });
    this.name = 'PayloadError';
  }
}

/** The body is larger than the processor accepts. Answered with 413. */
export class PayloadTooLargeError extends ActError {
  readonly limitBytes: number;
  constructor(options: { packageName: string; limitBytes: number }) {
    super({
      packageName: options.packageName,
      message: `request body exceeds ${options.limitBytes} bytes`,
      errorClass: 'validation',
      status: 413,
    });
    this.name = 'PayloadTooLargeError';
    this.limitBytes = options.limitBytes;
  }
}

/** A setting is missing or invalid. Names the setting or environment variable. */
export class ConfigurationError extends ActError {
  constructor(options: { packageName: string; message: string; cause?: unknown }) {
    super({ ...options, errorClass: 'validation' });
    this.name = 'ConfigurationError';
  }
}

/** A record cannot be mapped to rows. The delivery is dead-lettered at once with this reason. */
export class TransformError extends ActError {
  constructor(options: { packageName: string; message: string; cause?: unknown }) {
    super({ ...options, errorClass: 'transform' });
    this.name = 'TransformError';
  }
}

/** The state store or sink could not be reached or refused the write. Retried. */
export class StoreUnavailableError extends ActError {
  constructor(options: { packageName: string; message: string; cause?: unknown }) {
    super({ ...options, errorClass: 'transient', status: 503 });
    this.name = 'StoreUnavailableError';
  }
}

/**
 * A rate limit would make the caller wait longer than it allowed
 * (`RateLimiter.acquire`'s `maxWaitMs`). Nothing was sent. The worker
 * reschedules the delivery after `retryAfterMs` without counting an attempt,
 * instead of holding its lease (and a connection) while it waits.
 */
export class RateLimitError extends ActError {
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
}
