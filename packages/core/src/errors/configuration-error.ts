import { ActError, hasErrorMarker } from './act-error';

const marker = Symbol.for('act.error.configuration');

/** A setting is missing or invalid. Names the setting or environment variable. */
export class ConfigurationError extends ActError {
  /** Marker read by `isInstance`; survives two installed copies of @act/core. */
  readonly [marker] = true;
  constructor(options: { packageName: string; message: string; cause?: unknown }) {
    super({ ...options, errorClass: 'validation' });
    this.name = 'ConfigurationError';
  }

  /** Recognises a `ConfigurationError` from any installed copy of `@act/core` (not `instanceof`). */
  static override isInstance(value: unknown): value is ConfigurationError {
    return hasErrorMarker(value, marker);
  }
}
