import { ActError, hasErrorMarker } from './act-error';

const marker = Symbol.for('act.error.reconnect-required');

/** Raised when a connection's refresh token was refused: a person must reconnect it. */
export class ReconnectRequiredError extends ActError {
  /** Marker read by `isInstance`; survives two installed copies of @act/core. */
  readonly [marker] = true;
  readonly credentialKey: string;
  constructor(options: { packageName: string; key: string; reason: string }) {
    super({
      packageName: options.packageName,
      message: `connection "${options.key}" must be reconnected: ${options.reason}`,
      // Retrying cannot help until someone reconnects, so the delivery is dead-lettered
      // with this reason and can be replayed afterwards.
      errorClass: 'validation',
      status: 401,
    });
    this.name = 'ReconnectRequiredError';
    this.credentialKey = options.key;
  }

  /** Recognises a `ReconnectRequiredError` from any installed copy of `@act/core` (not `instanceof`). */
  static override isInstance(value: unknown): value is ReconnectRequiredError {
    return hasErrorMarker(value, marker);
  }
}
