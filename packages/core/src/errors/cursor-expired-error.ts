import { ActError, hasErrorMarker } from './act-error';

const marker = Symbol.for('act.error.cursor-expired');

/**
 * The provider no longer accepts a stream's stored cursor (Gmail answers 404
 * to `history.list` with a history id too old; Google Calendar answers 410 to
 * an expired sync token). A poller throws it from `poll`; the runtime then
 * resyncs the stream in full from a `null` cursor and runs the stream's
 * reconcilers, so nothing changed or deleted in the gap is missed.
 */
export class CursorExpiredError extends ActError {
  /** Marker read by `isInstance`; survives two installed copies of @act/core. */
  readonly [marker] = true;
  readonly stream: string;
  constructor(options: { packageName: string; stream: string; reason: string; cause?: unknown }) {
    super({
      packageName: options.packageName,
      message: `the cursor of stream "${options.stream}" expired: ${options.reason}`,
      // Escaping the sync runner (it handles it), a retry resyncs from scratch.
      errorClass: 'transient',
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = 'CursorExpiredError';
    this.stream = options.stream;
  }

  /** Recognises a `CursorExpiredError` from any installed copy of `@act/core` (not `instanceof`). */
  static override isInstance(value: unknown): value is CursorExpiredError {
    return hasErrorMarker(value, marker);
  }
}
