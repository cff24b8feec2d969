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
