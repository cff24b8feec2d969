import { ActError, hasErrorMarker } from './act-error';

const marker = Symbol.for('act.error.payload');

/** The body cannot be understood. Answered with 400 at receipt; dead-lettered at once when processing. */
export class PayloadError extends ActError {
  /** Marker read by `isInstance`; survives two installed copies of @act/core. */
  readonly [marker] = true;
  constructor(options: { packageName: string; message: string; cause?: unknown }) {
    super({ ...options, errorClass: 'validation', status: 400 });
    this.name = 'PayloadError';
  }

  /** Recognises a `PayloadError` from any installed copy of `@act/core` (not `instanceof`). */
  static override isInstance(value: unknown): value is PayloadError {
    return hasErrorMarker(value, marker);
  }
}
