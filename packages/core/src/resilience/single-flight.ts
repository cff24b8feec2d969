/** Collapses concurrent calls for the same key into one. */
export interface SingleFlight<T> {
  /**
   * Call `fn` unless a call for `key` is already running, in which case
   * return that call's promise (its result or its rejection). Once it
   * settles, the next `run` for `key` calls `fn` again — results are not
   * cached, so a failure is not remembered and a later value is not missed.
   */
  run(key: string, fn: () => Promise<T>): Promise<T>;
  /** Keys with a call running. */
  readonly inFlight: number;
}

/**
 * Create a single-flight group, e.g. so concurrent deliveries needing a fresh
 * OAuth token trigger one refresh instead of one each (which providers that
 * rotate refresh tokens would answer by revoking all but one).
 */
export function createSingleFlight<T>(): SingleFlight<T> {
  const running = new Map<string, Promise<T>>();
  return {
    run(key, fn) {
      const existing = running.get(key);
      if (existing) return existing;
      let promise: Promise<T>;
      try {
        promise = Promise.resolve(fn());
      } catch (error) {
        // A synchronous throw is shared and settled like a rejection.
        promise = Promise.reject(error);
      }
      running.set(key, promise);
      // Registered before any caller can await `promise`, so the key is free
      // again by the time a caller resumes. Both handlers: a `finally` would
      // create a second promise whose rejection nobody handles.
      const release = () => {
        if (running.get(key) === promise) running.delete(key);
      };
      promise.then(release, release);
      return promise;
    },
    get inFlight() {
      return running.size;
    },
  };
}
