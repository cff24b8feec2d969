import { ActError, hasErrorMarker } from './act-error';

const marker = Symbol.for('act.error.transform');

/** A record cannot be mapped to rows. The delivery is dead-lettered at once with this reason. */
export class TransformError extends ActError {
  /** Marker read by `isInstance`; survives two installed copies of @act/core. */
  readonly [marker] = true;
  constructor(options: { packageName: string; message: string; cause?: unknown }) {
    super({ ...options, errorClass: 'transform' });
    this.name = 'TransformError';
  }

  /** Recognises a `TransformError` from any installed copy of `@act/core` (not `instanceof`). */
  static override isInstance(value: unknown): value is TransformError {
    return hasErrorMarker(value, marker);
  }
}
