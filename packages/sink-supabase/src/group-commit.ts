/**
 * Group commit for the receive path: `enqueue` calls made while others are
 * waiting are coalesced into one database call (one statement, one
 * transaction, one commit), and every caller's promise settles only when
 * that call has committed or failed. A failed batch rejects every caller in
 * it, so each answers the provider's retry status; nothing is acknowledged
 * that is not stored.
 *
 * When to send: a batch leaves at the next turn of the event loop after its
 * first call (or `windowMs` later), or at once when `maxBatch` calls wait.
 * At most `maxConcurrentBatches` are in flight; calls arriving meanwhile wait
 * for one to finish and leave together. A lone call at low load therefore
 * waits for nothing but one event-loop turn, and under load the batches grow
 * by themselves (the commit itself is the window).
 */

export interface GroupCommitOptions {
  /** Most calls in one batch. Default 100. */
  maxBatch?: number;
  /**
   * Milliseconds a batch waits for company after its first call. Default 0:
   * the next turn of the event loop (calls made in the same turn, such as the
   * requests read in one I/O poll, share a batch).
   */
  windowMs?: number;
  /** Batches in flight at once (each holds one connection while it commits). Default 4. */
  maxConcurrentBatches?: number;
}

export const DEFAULT_GROUP_COMMIT: Required<GroupCommitOptions> = Object.freeze({
  maxBatch: 100,
  windowMs: 0,
  maxConcurrentBatches: 4,
});

interface Waiting<I, O> {
  input: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

export interface Batcher<I, O> {
  submit(input: I): Promise<O>;
}

const positive = (value: number | undefined, fallback: number): number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;

type Defer = (fn: () => void) => void;
const nextTurn: Defer =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (fn) => (globalThis as unknown as { setImmediate: (f: () => void) => void }).setImmediate(fn)
    : (fn) => void setTimeout(fn, 0);

/**
 * `run` gets the inputs in call order and must resolve one output per input,
 * in the same order (or reject, which rejects every caller of the batch).
 */
export function createBatcher<I, O>(
  run: (inputs: readonly I[]) => Promise<readonly O[]>,
  options: GroupCommitOptions = {},
): Batcher<I, O> {
  const maxBatch = positive(options.maxBatch, DEFAULT_GROUP_COMMIT.maxBatch);
  const maxConcurrent = positive(options.maxConcurrentBatches, DEFAULT_GROUP_COMMIT.maxConcurrentBatches);
  const windowMs =
    typeof options.windowMs === 'number' && Number.isFinite(options.windowMs) && options.windowMs > 0
      ? options.windowMs
      : 0;

  let queue: Waiting<I, O>[] = [];
  let inFlight = 0;
  let scheduled = false;

  const send = (batch: Waiting<I, O>[]): void => {
    inFlight++;
    let outputs: Promise<readonly O[]>;
    try {
      outputs = run(batch.map((waiting) => waiting.input));
    } catch (error) {
      outputs = Promise.reject(error);
    }
    outputs
      .then(
        (results) => {
          if (results.length !== batch.length) {
            const error = new Error(`group commit: ${results.length} results for ${batch.length} calls`);
            for (const waiting of batch) waiting.reject(error);
          } else {
            for (const [index, waiting] of batch.entries()) waiting.resolve(results[index] as O);
          }
        },
        (error: unknown) => {
          for (const waiting of batch) waiting.reject(error);
        },
      )
      .finally(() => {
        inFlight--;
        // Calls that waited for a free slot leave now, together.
        if (queue.length > 0 && !scheduled) flush();
      });
  };

  const flush = (): void => {
    scheduled = false;
    while (queue.length > 0 && inFlight < maxConcurrent) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
      send(batch);
    }
  };

  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    if (windowMs > 0) setTimeout(flush, windowMs);
    else nextTurn(flush);
  };

  return {
    submit(input: I): Promise<O> {
      return new Promise<O>((resolve, reject) => {
        queue.push({ input, resolve, reject });
        if (queue.length >= maxBatch && inFlight < maxConcurrent) {
          // A full batch need not wait for its window.
          const batch = queue.slice(0, maxBatch);
          queue = queue.slice(maxBatch);
          send(batch);
        } else if (inFlight < maxConcurrent) {
          schedule();
        }
        // Otherwise a batch in flight sends the queue when it finishes.
      });
    },
  };
}
