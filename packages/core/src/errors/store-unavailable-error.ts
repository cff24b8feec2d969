import { ActError, hasErrorMarker } from './act-error';

const marker = Symbol.for('act.error.store-unavailable');

/** The state store or sink could not be reached or refused the write. Retried. */
export class StoreUnavailableError extends ActError {
  /** Marker read by `isInstance`; survives two installed copies of @act/core. */
  readonly [marker] = true;
  constructor(options: { packageName: string; message: string; cause?: unknown }) {
    super({ ...options, errorClass: 'transient', status: 503 });
    this.name = 'StoreUnavailableError';
  }

  /** Recognises a `StoreUnavailableError` from any installed copy of `@act/core` (not `instanceof`). */
  static override isInstance(value: unknown): value is StoreUnavailableError {
    return hasErrorMarker(value, marker);
  }
}
