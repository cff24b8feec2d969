import { ActError, hasErrorMarker } from './act-error';

const marker = Symbol.for('act.error.payload-too-large');

/** The body is larger than the processor accepts. Answered with 413. */
export class PayloadTooLargeError extends ActError {
  /** Marker read by `isInstance`; survives two installed copies of @act/core. */
  readonly [marker] = true;
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

  /** Recognises a `PayloadTooLargeError` from any installed copy of `@act/core` (not `instanceof`). */
  static override isInstance(value: unknown): value is PayloadTooLargeError {
    return hasErrorMarker(value, marker);
  }
}
