// The outbox dispatcher: delivery, the retry schedule, dead letters, rate
// limits, the per-destination breaker and lost leases, against the memory
// outbox store and destinations that do what each test needs.
import { describe, expect, it } from 'vitest';
import {
  createMemoryOutboxStore,
  createOutboxDispatcher,
  type OutboxDestinationV1,
  type OutboxMessageV1,
  ProviderApiError,
  RateLimitError,
} from '../src/internal';

/** A clock the test moves. */
function clock(start = Date.parse('2026-03-01T12:00:00Z')) {
  let time = start;
  return { now: () => new Date(time), advance: (ms: number) => (time += ms) };
}

/** A destination answering with `behaviour` per call, recording what it was handed. */
function destination(
  name: string,
  behaviour: (message: OutboxMessageV1, attempt: number) => Promise<Readonly<Record<string, unknown>> | undefined>,
  maxAttempts?: number,
) {
  const calls: { key: string; attempt: number }[] = [];
  const value: OutboxDestinationV1 = {
    specificationVersion: 'v1',
    name,
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
    async deliver(message, context) {
      calls.push({ key: message.key, attempt: context.attempt });
      return behaviour(message, context.attempt);
    },
  };
  return { destination: value, calls };
}

const serverError = () =>
  new ProviderApiError({ packageName: '@test', status: 503, method: 'POST', url: 'http://receiver/hook' });

describe('createOutboxDispatcher', () => {
  it('delivers due messages and keeps what the destination reported', async () => {
    const time = clock();
    const store = createMemoryOutboxStore({ now: time.now });
    const target = destination('receiver', async () => ({ status: 202 }));
    const dispatcher = createOutboxDispatcher({ store, destinations: [target.destination], now: time.now });
    const [enqueued] = await store.enqueue([{ destination: 'receiver', key: 'd1:0', payload: { hello: 1 } }]);

    const round = await dispatcher.drain();

    expect(round).toEqual({ claimed: 1, outcomes: { done: 1, retrying: 0, dead: 0, 'lease-lost': 0 } });
    expect(target.calls).toEqual([{ key: 'd1:0', attempt: 1 }]);
    const stored = await store.get(enqueued?.id as string);
    expect(stored).toMatchObject({ status: 'done', result: { status: 202 }, attempts: 0 });
  });

  it('retries a transient failure on the schedule and dead-letters it after maxAttempts', async () => {
    const time = clock();
    const store = createMemoryOutboxStore({ now: time.now });
    const target = destination(
      'receiver',
      async () => {
        throw serverError();
      },
      3,
    );
    const dispatcher = createOutboxDispatcher({
      store,
      destinations: [target.destination],
      retrySchedule: [1_000, 5_000, 60_000],
      jitter: 0,
      circuitBreaker: false,
      now: time.now,
    });
    const [enqueued] = await store.enqueue([{ destination: 'receiver', key: 'k', payload: {} }]);
    const id = enqueued?.id as string;

    expect((await dispatcher.runOnce()).outcomes.retrying).toBe(1);
    let stored = await store.get(id);
    expect(stored).toMatchObject({ status: 'pending', attempts: 1, lastErrorClass: 'transient' });
    expect(stored?.availableAt.getTime()).toBe(time.now().getTime() + 1_000);
    // Not due yet: nothing is claimed.
    expect((await dispatcher.runOnce()).claimed).toBe(0);

    time.advance(1_000);
    expect((await dispatcher.runOnce()).outcomes.retrying).toBe(1);
    stored = await store.get(id);
    expect(stored?.availableAt.getTime()).toBe(time.now().getTime() + 5_000);

    time.advance(5_000);
    // maxAttempts 3: the third failure is the last.
    expect((await dispatcher.runOnce()).outcomes.dead).toBe(1);
    stored = await store.get(id);
    expect(stored).toMatchObject({ status: 'dead', attempts: 3 });
    expect(stored?.lastError).toMatch(/retries exhausted after 3 attempts/);
    expect(target.calls.map((call) => call.attempt)).toEqual([1, 2, 3]);
  });

  it('dead-letters a refused message (a 4xx) at once', async () => {
    const time = clock();
    const store = createMemoryOutboxStore({ now: time.now });
    const target = destination('receiver', async () => {
      throw new ProviderApiError({ packageName: '@test', status: 422, method: 'POST', url: 'http://receiver/hook' });
    });
    const dispatcher = createOutboxDispatcher({ store, destinations: [target.destination], now: time.now });
    const [enqueued] = await store.enqueue([{ destination: 'receiver', key: 'k', payload: {} }]);

    expect((await dispatcher.drain()).outcomes.dead).toBe(1);
    expect(await store.get(enqueued?.id as string)).toMatchObject({ status: 'dead', lastErrorClass: 'validation' });
    expect(target.calls).toHaveLength(1);
  });

  it('waits out a rate limit without using up an attempt', async () => {
    const time = clock();
    const store = createMemoryOutboxStore({ now: time.now });
    let limited = true;
    const target = destination('receiver', async () => {
      if (!limited) return undefined;
      limited = false;
      throw new RateLimitError({ packageName: '@test', scope: 'receiver', limitName: '429', retryAfterMs: 7_000 });
    });
    const dispatcher = createOutboxDispatcher({ store, destinations: [target.destination], now: time.now });
    const [enqueued] = await store.enqueue([{ destination: 'receiver', key: 'k', payload: {} }]);
    const id = enqueued?.id as string;

    expect((await dispatcher.runOnce()).outcomes.retrying).toBe(1);
    const waiting = await store.get(id);
    expect(waiting).toMatchObject({ status: 'pending', attempts: 0, lastErrorClass: 'rate_limit' });
    expect(waiting?.availableAt.getTime()).toBe(time.now().getTime() + 7_000);

    time.advance(7_000);
    expect((await dispatcher.runOnce()).outcomes.done).toBe(1);
    expect(target.calls.map((call) => call.attempt)).toEqual([1, 1]);
  });

  it('opens a breaker per destination: its messages are rescheduled without calling it or counting, others flow', async () => {
    const time = clock();
    const store = createMemoryOutboxStore({ now: time.now });
    const dead = destination('dead', async () => {
      throw serverError();
    });
    const alive = destination('alive', async () => undefined);
    const dispatcher = createOutboxDispatcher({
      store,
      destinations: [dead.destination, alive.destination],
      circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 30_000 },
      retrySchedule: [0, 0, 0, 0],
      jitter: 0,
      now: time.now,
    });
    await store.enqueue([
      { destination: 'dead', key: 'a', payload: {} },
      { destination: 'dead', key: 'b', payload: {} },
    ]);
    // Two failures open the breaker.
    await dispatcher.runOnce();
    expect(dead.calls).toHaveLength(2);
    expect(dispatcher.breakers.get('dead')?.state).toBe('open');

    await store.enqueue([
      { destination: 'dead', key: 'c', payload: {} },
      { destination: 'alive', key: 'x', payload: {} },
    ]);
    const round = await dispatcher.runOnce();
    // The dead destination is not called again while open; the live one delivers.
    expect(dead.calls).toHaveLength(2);
    expect(alive.calls).toHaveLength(1);
    expect(round.outcomes).toMatchObject({ done: 1, retrying: 3 });
    const waiting = await store.list({ destination: 'dead', status: 'pending' });
    expect(waiting).toHaveLength(3);
    // The open circuit used up no attempt: a and b failed once each, c never.
    expect(waiting.map((message) => [message.key, message.attempts]).sort()).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 0],
    ]);
    for (const message of waiting) expect(message.availableAt.getTime()).toBeGreaterThan(time.now().getTime());
  });

  it('reports a lease lost when the message was claimed again while it was being sent', async () => {
    const time = clock();
    const store = createMemoryOutboxStore({ now: time.now });
    const target = destination('receiver', async () => {
      // Another dispatcher claims the message once this one's lease lapsed.
      time.advance(61_000);
      await store.claim({ owner: 'other', limit: 10, leaseMs: 60_000 });
      return undefined;
    });
    const dispatcher = createOutboxDispatcher({ store, destinations: [target.destination], now: time.now });
    const [enqueued] = await store.enqueue([{ destination: 'receiver', key: 'k', payload: {} }]);

    expect((await dispatcher.runOnce()).outcomes['lease-lost']).toBe(1);
    // The other dispatcher holds it: it is sent again with the same key, for the receiver to dedupe.
    expect(await store.get(enqueued?.id as string)).toMatchObject({ status: 'processing' });
  });

  it('dead-letters a message for a destination this process does not know, naming it', async () => {
    const store = createMemoryOutboxStore();
    const dispatcher = createOutboxDispatcher({ store, destinations: [] });
    const [enqueued] = await store.enqueue([{ destination: 'gone', key: 'k', payload: {} }]);

    expect((await dispatcher.drain()).outcomes.dead).toBe(1);
    const stored = await store.get(enqueued?.id as string);
    expect(stored).toMatchObject({ status: 'dead', lastErrorClass: 'validation' });
    expect(stored?.lastError).toContain('[@act/core] no outbox destination "gone"');
  });

  it('refuses two destinations with one name', () => {
    const store = createMemoryOutboxStore();
    const one = destination('same', async () => undefined).destination;
    expect(() => createOutboxDispatcher({ store, destinations: [one, { ...one }] })).toThrow(
      /two outbox destinations are named "same"/,
    );
  });

  it('runs in the background and stops, aborting a delivery in flight without counting it', async () => {
    const store = createMemoryOutboxStore();
    let seenSignal: AbortSignal | undefined;
    let announce = () => {};
    const started = new Promise<void>((resolve) => {
      announce = resolve;
    });
    const hanging: OutboxDestinationV1 = {
      specificationVersion: 'v1',
      name: 'slow',
      async deliver(_message, context) {
        seenSignal = context.signal;
        announce();
        await new Promise((_, reject) =>
          context.signal?.addEventListener('abort', () => reject(context.signal?.reason)),
        );
        return undefined;
      },
    };
    const dispatcher = createOutboxDispatcher({ store, destinations: [hanging], idleDelayMs: 10 });
    await store.enqueue([{ destination: 'slow', key: 'k', payload: {} }]);
    dispatcher.start();
    await started;
    await dispatcher.stop();
    expect(seenSignal?.aborted).toBe(true);
    const [message] = await store.list({ destination: 'slow' });
    // Cut short by us, not failed by the destination: no attempt used up.
    expect(message).toMatchObject({ status: 'pending', attempts: 0 });
  });
});
