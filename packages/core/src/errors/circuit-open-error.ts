import { ActError, hasErrorMarker } from './act-error';

const packageName = '@act/core';
const marker = Symbol.for('act.error.circuit-open');

/**
 * Thrown by {@link CircuitBreaker.execute} while the circuit is open.
 * Classified `transient` and carries `retryAfterMs`, so the worker (and
 * `retry`) wait until the trial window instead of hammering the dependency.
 */
export class CircuitOpenError extends ActError {
  /** Marker read by `isInstance`; survives two installed copies of @act/core. */
  readonly [marker] = true;
  /** ms until the breaker lets a trial call through. */
  readonly retryAfterMs: number;
  /** The breaker's `name`. */
  readonly circuitName: string;

  constructor(options: { name: string; retryAfterMs: number; cause?: unknown }) {
    super({
      packageName,
      message: `circuit "${options.name}" is open`,
      errorClass: 'transient',
      status: 503,
      cause: options.cause,
    });
    this.name = 'CircuitOpenError';
    this.retryAfterMs = options.retryAfterMs;
    this.circuitName = options.name;
  }

  /** Recognises a `CircuitOpenError` from any installed copy of `@act/core` (not `instanceof`). */
  static override isInstance(value: unknown): value is CircuitOpenError {
    return hasErrorMarker(value, marker);
  }
}
