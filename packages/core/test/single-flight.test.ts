import { describe, expect, it, vi } from 'vitest';
import { createSingleFlight } from '../src/resilience/single-flight';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('createSingleFlight', () => {
  it('shares one call between concurrent runs of the same key', async () => {
    const flight = createSingleFlight<string>();
    const gate = deferred<string>();
    const fn = vi.fn(() => gate.promise);
    const a = flight.run('token:acme', fn);
    const b = flight.run('token:acme', fn);
    expect(b).toBe(a);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(flight.inFlight).toBe(1);
    gate.resolve('fresh-token');
    await expect(Promise.all([a, b])).resolves.toEqual(['fresh-token', 'fresh-token']);
    expect(flight.inFlight).toBe(0);
  });

  it('runs different keys independently', async () => {
    const flight = createSingleFlight<string>();
    const fn = vi.fn(async () => 'x');
    await Promise.all([flight.run('a', fn), flight.run('b', fn)]);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('calls fn again once the previous call has resolved — nothing is cached', async () => {
    const flight = createSingleFlight<number>();
    let n = 0;
    const fn = vi.fn(async () => ++n);
    expect(await flight.run('k', fn)).toBe(1);
    expect(flight.inFlight).toBe(0);
    expect(await flight.run('k', fn)).toBe(2);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('shares a rejection with every waiter, then retries on the next run', async () => {
    const flight = createSingleFlight<string>();
    const error = new Error('refresh failed');
    const failing = vi.fn(() => Promise.reject(error));
    const a = flight.run('k', failing);
    const b = flight.run('k', failing);
    await expect(a).rejects.toBe(error);
    await expect(b).rejects.toBe(error);
    expect(failing).toHaveBeenCalledTimes(1);
    expect(flight.inFlight).toBe(0);
    await expect(flight.run('k', async () => 'recovered')).resolves.toBe('recovered');
  });

  it('treats a synchronous throw like a rejection and frees the key', async () => {
    const flight = createSingleFlight<string>();
    const error = new Error('sync');
    await expect(
      flight.run('k', () => {
        throw error;
      }),
    ).rejects.toBe(error);
    expect(flight.inFlight).toBe(0);
    await expect(flight.run('k', async () => 'ok')).resolves.toBe('ok');
  });

  it('lets a run started after settlement but before waiters resume make a new call', async () => {
    const flight = createSingleFlight<number>();
    let calls = 0;
    const first = flight.run('k', async () => ++calls);
    // Chained on the shared promise: by the time this runs, the key is free.
    const second = first.then(() => flight.run('k', async () => ++calls));
    await expect(second).resolves.toBe(2);
  });
});
