import { ActError, hasErrorMarker } from './act-error';

const marker = Symbol.for('act.error.signature');

/** The request is not authentic (or cannot be checked). Answered with 401, never retried. */
export class SignatureError extends ActError {
  /** Marker read by `isInstance`; survives two installed copies of @act/core. */
  readonly [marker] = true;
  constructor(options: { packageName: string; message: string; cause?: unknown }) {
    super({ ...options, errorClass: 'signature', status: 401 });
    this.name = 'SignatureError';
  }

  /** Recognises a `SignatureError` from any installed copy of `@act/core` (not `instanceof`). */
  static override isInstance(value: unknown): value is SignatureError {
    return hasErrorMarker(value, marker);
  }
}
