import type { IBreaker } from 'cockatiel';
import { CircuitState, circuitBreaker, handleWhen, isBrokenCircuitError } from 'cockatiel';
import { CircuitOpenError, ConfigurationError, classifyError } from '../errors';

const packageName = '@act/core';

/** Where a breaker stands: calls pass (`closed`), are refused (`open`), or one trial call is running (`half_open`). */
export type CircuitStateName = 'closed' | 'open' | 'half_open';

/** Options of {@link createCircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Names the protected dependency in errors and logs, e.g. `xero-api`. */
  name: string;
  /** Consecutive failures that open the circuit; default 5. */
  failureThreshold?: number;
  /**
   * Default 300_000. The `failureThreshold` consecutive failures must also
   * fall within this window, first to last, so a trickle of failures spread
   * over hours (each followed by silence, never a success) does not trip it.
   */
  windowMs?: number;
  /** How long the circuit stays open before one trial call is let through; default 30_000. */
  halfOpenAfterMs?: number;
  /**
   * Called on every transition, for logging and metrics. An exception it
   * throws is ignored, so a faulty logger cannot wedge the breaker.
   */
  onStateChange?: (state: CircuitStateName) => void;
  /**
   * Which errors count as the dependency failing. Defaults to transient and
   * unknown errors: a 404 for a deleted record or a 429 says nothing about
   * the dependency's health, and must not open the circuit for everyone.
   */
  isFailure?: (error: unknown) => boolean;
}

/** Stops calling a dependency that keeps failing, then probes it with one trial call. */
export interface CircuitBreaker {
  readonly name: string;
  /**
   * The current state. An open circuit reports `open` until a call arrives
   * after `halfOpenAfterMs`; that call is the trial and the state is
   * `half_open` while it runs.
   */
  readonly state: CircuitStateName;
  /**
   * Run `fn` through the breaker. Its own errors are rethrown unchanged (and
   * counted); while open, rejects with {@link CircuitOpenError} without
   * calling `fn`. Calls that arrive while the trial runs wait for its outcome.
   */
  execute<T>(fn: () => Promise<T>): Promise<T>;
  /** ms until a trial call will be let through; 0 unless open. */
  retryAfterMs(): number;
}

/**
 * Opens after `threshold` consecutive failures whose first and last lie at
 * most `windowMs` apart. Keeps only the last `threshold` failure times of the
 * current streak: any success clears them. (Cockatiel's ConsecutiveBreaker has
 * no time window; its CountBreaker is not about consecutive failures.)
 */
class ConsecutiveWithinWindowBreaker implements IBreaker {
  private streak: number[] = [];

  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
  ) {}

  get state(): unknown {
    return { streak: [...this.streak] };
  }

  set state(value: unknown) {
    const streak = (value as { streak?: unknown } | null)?.streak;
    this.streak = Array.isArray(streak) ? streak.filter((t): t is number => typeof t === 'number') : [];
  }

  success(): void {
    this.streak = [];
  }

  failure(state: CircuitState): boolean {
    // A failed half-open trial reopens the circuit regardless of the count.
    if (state === CircuitState.HalfOpen) return true;
    const now = Date.now();
    this.streak.push(now);
    if (this.streak.length > this.threshold) this.streak.shift();
    const first = this.streak[0];
    return this.streak.length >= this.threshold && first !== undefined && now - first <= this.windowMs;
  }
}

function toStateName(state: CircuitState): CircuitStateName {
  switch (state) {
    case CircuitState.Closed:
      return 'closed';
    case CircuitState.HalfOpen:
      return 'half_open';
    default:
      // Isolated is never entered (isolate() is not exposed) but refuses calls like Open.
      return 'open';
  }
}

function positive(value: number, name: string, integer: boolean): number {
  if (!(Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value)))) {
    throw new ConfigurationError({
      packageName,
      message: `createCircuitBreaker: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`,
    });
  }
  return value;
}

/**
 * Create a circuit breaker for one dependency (share it across calls — a
 * breaker per call never sees a streak). Every error `fn` throws counts as a
 * failure. Time comes from `Date.now()`, so fake timers move it in tests.
 *
 * @throws ConfigurationError for an empty name or non-positive thresholds.
 */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const { name, onStateChange } = options;
  if (typeof name !== 'string' || name === '') {
    throw new ConfigurationError({ packageName, message: 'createCircuitBreaker: name must be a non-empty string' });
  }
  const failureThreshold = positive(options.failureThreshold ?? 5, 'failureThreshold', true);
  const windowMs = positive(options.windowMs ?? 300_000, 'windowMs', false);
  const halfOpenAfterMs = positive(options.halfOpenAfterMs ?? 30_000, 'halfOpenAfterMs', false);

  const isFailure =
    options.isFailure ??
    ((error: unknown) => {
      const { errorClass } = classifyError(error);
      return errorClass === 'transient' || errorClass === 'unknown';
    });
  const policy = circuitBreaker(handleWhen(isFailure), {
    halfOpenAfter: halfOpenAfterMs,
    breaker: new ConsecutiveWithinWindowBreaker(failureThreshold, windowMs),
  });
  // Cockatiel stamps `openedAt = Date.now()` and emits synchronously in the
  // same tick, so this matches its own clock for computing retryAfterMs.
  let openedAt = 0;
  policy.onStateChange((state) => {
    if (state === CircuitState.Open || state === CircuitState.Isolated) openedAt = Date.now();
    try {
      onStateChange?.(toStateName(state));
    } catch {
      // Deliberately ignored: see CircuitBreakerOptions.onStateChange.
    }
  });

  const retryAfterMs = (): number =>
    policy.state === CircuitState.Open || policy.state === CircuitState.Isolated
      ? Math.max(0, openedAt + halfOpenAfterMs - Date.now())
      : 0;

  return {
    name,
    get state() {
      return toStateName(policy.state);
    },
    retryAfterMs,
    async execute<T>(fn: () => Promise<T>): Promise<T> {
      try {
        return await policy.execute(() => fn());
      } catch (error) {
        if (isBrokenCircuitError(error)) {
          // Point at what broke the circuit; cockatiel's own error says nothing more.
          const last = policy.lastFailure;
          const cause = last && 'error' in last ? last.error : error;
          throw new CircuitOpenError({ name, retryAfterMs: retryAfterMs(), cause });
        }
        throw error;
      }
    },
  };
}

/** Breakers made on first use, one per key, all with the same options (the worker's per source, the scheduler's). */
export interface CircuitBreakerRegistry {
  /** The key's breaker, made now if it is the first call; `undefined` when breakers are off. */
  get(key: string): CircuitBreaker | undefined;
  /** Every breaker made so far, by key, for health pages. */
  readonly all: ReadonlyMap<string, CircuitBreaker>;
}

export function createCircuitBreakerRegistry(settings: {
  /** The options every breaker gets; `false` turns breakers off. */
  options: Omit<CircuitBreakerOptions, 'name' | 'onStateChange'> | false | undefined;
  /** The breaker's name for a key (defaults to the key). */
  nameOf?: (key: string) => string;
  onStateChange: (key: string, state: CircuitStateName) => void;
}): CircuitBreakerRegistry {
  const all = new Map<string, CircuitBreaker>();
  return {
    all,
    get(key) {
      if (settings.options === false) return undefined;
      let breaker = all.get(key);
      if (!breaker) {
        breaker = createCircuitBreaker({
          ...settings.options,
          name: settings.nameOf?.(key) ?? key,
          onStateChange: (state) => settings.onStateChange(key, state),
        });
        all.set(key, breaker);
      }
      return breaker;
    },
  };
}
