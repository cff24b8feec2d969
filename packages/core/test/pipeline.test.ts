import { afterEach, describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError } from '../src/errors';
import { createWebhookHandler } from '../src/http/create-webhook-handler';
import { createMemorySink } from '../src/memory/memory-sink';
import { createMemoryStateStore } from '../src/memory/memory-state-store';
import { createWorker } from '../src/pipeline/worker';
import type { SinkV1, StateStoreV1 } from '../src/spec/v1';
import { createTestConnector, rateLimited, signedRequest, thing } from './helpers/test-connector';

/** A clock the test moves by hand, shared by store, worker and handler. */
function manualClock(start = Date.parse('2026-11-01T10:00:05.000Z')) {
  let current = start;
  return {
    now: () => new Date(current),
    advance(ms: number) {
      current += ms;
    },
  };
}

function setup(
  options: { sink?: SinkV1; store?: StateStoreV1; persistFailureStatus?: number; maxBodyBytes?: number } = {},
) {
  const clock = manualClock();
  const { connector, webhook, controls } = createTestConnector({
    ...(options.persistFailureStatus ? { persistFailureStatus: options.persistFailureStatus } : {}),
    ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
  });
  const store = options.store ?? createMemoryStateStore({ now: clock.now });
  const memorySink = createMemorySink({ now: clock.now });
  const sink = options.sink ?? memorySink;
  const handle = createWebhookHandler({ processor: webhook, store, now: clock.now });
  const worker = createWorker({
    connectors: [connector],
    store,
    sink,
    now: clock.now,
    jitter: 0,
    circuitBreaker: false,
  });
  return { clock, connector, controls, store, sink, memorySink, handle, worker };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('receive → inbox → worker → sink', () => {
  it('stores an accepted delivery before acknowledging, then applies it with an integration event', async () => {
    const { handle, worker, store, memorySink, clock } = setup();
    const response = await handle(
      await signedRequest({ deliveryId: 'd-1', tenant: 'acme', type: 'ThingUpsert', thing: thing('t1', 'Widget') }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ received: true, duplicate: false });
    expect((await store.listDeliveries({}))[0]?.status).toBe('pending');

    clock.advance(15);
    const round = await worker.runOnce();
    expect(round).toMatchObject({ claimed: 1, outcomes: { done: 1 } });
    const rows = memorySink.rows('things');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.key).toEqual({ tenant_id: 'acme', id: 't1' });
    expect(rows[0]?.values).toEqual({ name: 'Widget', stage: 'new' });
    const [event] = await store.listEvents({});
    expect(event).toMatchObject({
      source: 'test',
      tenant: 'acme',
      type: 'ThingUpsert',
      entity: 'thing',
      entityId: 't1',
      outcome: 'created',
      triggeredBy: 'webhook',
      table: 'things',
      latencyMs: 15,
    });
    expect(event?.providerLatencyMs).toBe(5_015);
    expect(event?.correlationId).toBeTruthy();
  });

  it('applies a duplicate delivery once', async () => {
    const { handle, worker, store, memorySink } = setup();
    const body = { deliveryId: 'dup-1', tenant: 'acme', type: 'ThingUpsert' as const, thing: thing('t1', 'Widget') };
    const first = await handle(await signedRequest(body));
    const second = await handle(await signedRequest(body));
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ duplicate: true });
    expect(await store.listDeliveries({})).toHaveLength(1);
    await worker.drain();
    expect(memorySink.rows('things')).toHaveLength(1);
    expect(await store.listEvents({})).toHaveLength(1);
  });

  it('dedupes on a body hash when the provider sends no delivery id', async () => {
    const { handle, store } = setup();
    const body = { tenant: 'acme', type: 'ThingUpsert' as const, thing: thing('t1', 'Widget') };
    await handle(await signedRequest(body));
    await handle(await signedRequest(body));
    await handle(await signedRequest({ ...body, thing: thing('t1', 'Widget 2') }));
    const stored = await store.listDeliveries({});
    expect(stored).toHaveLength(2);
    expect(stored.every((delivery) => delivery.dedupeKey.startsWith('test:sha256:'))).toBe(true);
  });

  it('answers 401 to a bad signature and stores nothing', async () => {
    const { handle, store } = setup();
    const response = await handle(
      await signedRequest({ tenant: 'acme', type: 'ThingUpsert', thing: thing('t1', 'x') }, { secret: 'wrong' }),
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: '[@act/test-connector] signature mismatch' });
    expect(await store.listDeliveries({})).toHaveLength(0);
  });

  it('fails closed when the webhook secret is not configured', async () => {
    const { webhook } = createTestConnector({ secret: undefined });
    const store = createMemoryStateStore();
    const errors: string[] = [];
    const handle = createWebhookHandler({
      processor: webhook,
      store,
      logger: { debug() {}, info() {}, warn() {}, error: (_fields, message) => errors.push(message ?? '') },
    });
    const response = await handle(
      await signedRequest({ tenant: 'acme', type: 'ThingUpsert', thing: thing('t1', 'x') }),
    );
    expect(response.status).toBe(401);
    expect(errors).toEqual(['[@act/test-connector] no webhook secret configured']);
    expect(await store.listDeliveries({})).toHaveLength(0);
  });

  it('answers 413 to an oversized body, declared or streamed', async () => {
    const { handle, store } = setup({ maxBodyBytes: 256 });
    const big = JSON.stringify({ tenant: 'acme', type: 'ThingUpsert', thing: thing('t1', 'x'.repeat(400)) });
    const declared = await handle(await signedRequest(big));
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ error: '[@act/test-connector] request body exceeds 256 bytes' });
    const bytes = new TextEncoder().encode(big);
    const streamed = await handle(
      new Request('http://localhost/webhooks/test', {
        method: 'POST',
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(bytes.slice(0, 200));
            controller.enqueue(bytes.slice(200));
            controller.close();
          },
        }),
        // @ts-expect-error -- `duplex` is required by undici for stream bodies but missing from the DOM types.
        duplex: 'half',
      }),
    );
    expect(streamed.status).toBe(413);
    expect(await store.listDeliveries({})).toHaveLength(0);
  });

  it('answers 400 with a clear message when the body cannot be parsed', async () => {
    const { handle, store } = setup();
    const response = await handle(await signedRequest('{"tenant": "acme", '));
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe('[@act/test-connector] body is not JSON');
    expect(await store.listDeliveries({})).toHaveLength(0);
  });

  it('asks the provider to retry (503 by default, the connector’s status otherwise) when the inbox cannot store', async () => {
    const failing: StateStoreV1 = {
      ...createMemoryStateStore(),
      enqueue: async () => {
        throw new StoreUnavailableError({ packageName: '@act/test-store', message: 'connection refused' });
      },
    };
    const body = { tenant: 'acme', type: 'ThingUpsert' as const, thing: thing('t1', 'x') };
    const defaults = setup({ store: failing });
    const response = await defaults.handle(await signedRequest(body));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('10');
    const ghlLike = setup({ store: failing, persistFailureStatus: 429 });
    expect((await ghlLike.handle(await signedRequest(body))).status).toBe(429);
  });

  it('acknowledges and stores unknown event types without applying them', async () => {
    const { handle, worker, store, memorySink } = setup();
    const response = await handle(await signedRequest({ tenant: 'acme', type: 'Unknown', thing: thing('t1', 'x') }));
    expect(response.status).toBe(200);
    await worker.drain();
    expect(memorySink.rows('things')).toHaveLength(0);
    expect((await store.listDeliveries({}))[0]?.status).toBe('done');
  });

  it('enforces field policies: blocked fields never reach the sink, preserved ones are never overwritten', async () => {
    const { handle, worker, memorySink } = setup();
    await handle(
      await signedRequest({
        deliveryId: 'p1',
        tenant: 'acme',
        type: 'ThingUpsert',
        thing: thing('t1', 'A', '2026-11-01T10:00:00Z'),
      }),
    );
    await worker.drain();
    await memorySink.apply([
      {
        kind: 'upsert',
        table: 'things',
        key: { tenant_id: 'acme', id: 't1' },
        values: { stage: 'qualified' },
        preserve: [],
      },
    ]);
    await handle(
      await signedRequest({
        deliveryId: 'p2',
        tenant: 'acme',
        type: 'ThingUpsert',
        thing: thing('t1', 'B', '2026-11-01T10:01:00Z'),
      }),
    );
    await worker.drain();
    expect(memorySink.rows('things')[0]?.values).toEqual({ name: 'B', stage: 'qualified' });
  });

  it('never lets an older update overwrite a newer one, nor an update resurrect a delete', async () => {
    const { handle, worker, memorySink } = setup();
    await handle(
      await signedRequest({
        deliveryId: 'n',
        tenant: 'acme',
        type: 'ThingUpsert',
        thing: thing('t1', 'newer', '2026-11-01T10:05:00Z'),
      }),
    );
    await handle(
      await signedRequest({
        deliveryId: 'o',
        tenant: 'acme',
        type: 'ThingUpsert',
        thing: thing('t1', 'older', '2026-11-01T10:01:00Z'),
      }),
    );
    await worker.drain();
    expect(memorySink.rows('things')[0]?.values.name).toBe('newer');
    await handle(
      await signedRequest({
        deliveryId: 'del',
        tenant: 'acme',
        type: 'ThingDelete',
        thing: thing('t1', 'newer', '2026-11-01T10:06:00Z'),
      }),
    );
    await handle(
      await signedRequest({
        deliveryId: 'late',
        tenant: 'acme',
        type: 'ThingUpsert',
        thing: thing('t1', 'late', '2026-11-01T10:07:00Z'),
      }),
    );
    await worker.drain();
    expect(memorySink.rows('things')).toHaveLength(0);
    expect(memorySink.row('things', { tenant_id: 'acme', id: 't1' })?.values.name).toBe('newer');
  });
});

describe('failure handling', () => {
  it('dead-letters a transform error at once with the reason, and replay applies it', async () => {
    const { handle, worker, store, memorySink, controls } = setup();
    await handle(
      await signedRequest({ deliveryId: 'b1', tenant: 'acme', type: 'ThingUpsert', thing: thing('t9', 'broken') }),
    );
    const round = await worker.runOnce();
    expect(round.outcomes.dead).toBe(1);
    const [dead] = await store.listDeliveries({ status: 'dead' });
    expect(dead?.lastErrorClass).toBe('transform');
    expect(dead?.lastError).toBe('[@act/test-connector] thing t9 has an unusable name');
    expect(new TextDecoder().decode(dead?.body)).toContain('"broken"');
    expect((await store.listAttempts(dead?.id ?? '')).map((attempt) => attempt.outcome)).toEqual(['dead']);

    controls.rejectBroken = false;
    expect(await store.replay({ ids: [dead?.id ?? ''] })).toBe(1);
    await worker.drain();
    expect(memorySink.rows('things')).toHaveLength(1);
    expect((await store.getDelivery(dead?.id ?? ''))?.status).toBe('done');
    // Replaying a processed delivery again changes nothing: exactly once in effect.
    await store.replay({ ids: [dead?.id ?? ''], statuses: ['done'] });
    await worker.drain();
    expect(memorySink.rows('things')).toHaveLength(1);
    expect((await store.listEvents({})).map((event) => event.outcome)).toEqual(['skipped', 'created']);
  });

  it('retries a flaky sink on the schedule (1 m, 5 m, …) and then succeeds', async () => {
    const real = createMemorySink();
    let failures = 2;
    const flaky: SinkV1 = {
      ...real,
      apply: async (operations, options) => {
        if (failures-- > 0)
          throw new StoreUnavailableError({ packageName: '@act/test-sink', message: 'connection reset' });
        return real.apply(operations, options);
      },
    };
    const { handle, worker, store, clock } = setup({ sink: flaky });
    await handle(
      await signedRequest({ deliveryId: 'f1', tenant: 'acme', type: 'ThingUpsert', thing: thing('t1', 'x') }),
    );
    expect((await worker.runOnce()).outcomes.retrying).toBe(1);
    let delivery = (await store.listDeliveries({}))[0];
    expect(delivery?.attempts).toBe(1);
    expect(delivery?.nextAttemptAt.getTime()).toBe(clock.now().getTime() + 60_000);
    clock.advance(59_000);
    expect((await worker.runOnce()).claimed).toBe(0);
    clock.advance(1_000);
    expect((await worker.runOnce()).outcomes.retrying).toBe(1);
    delivery = (await store.listDeliveries({}))[0];
    expect(delivery?.nextAttemptAt.getTime()).toBe(clock.now().getTime() + 300_000);
    clock.advance(300_000);
    expect((await worker.runOnce()).outcomes.done).toBe(1);
    expect(real.rows('things')).toHaveLength(1);
    expect((await store.listAttempts(delivery?.id ?? '')).map((attempt) => attempt.outcome)).toEqual([
      'retry',
      'retry',
      'done',
    ]);
  });

  it('dead-letters when the schedule is exhausted, keeping every attempt', async () => {
    const failing: SinkV1 = {
      specificationVersion: 'v1',
      supportsCursorCommit: false,
      apply: async () => {
        throw new StoreUnavailableError({ packageName: '@act/test-sink', message: 'down' });
      },
    };
    const clock = manualClock();
    const { connector, webhook } = createTestConnector();
    const store = createMemoryStateStore({ now: clock.now });
    const handle = createWebhookHandler({ processor: webhook, store, now: clock.now });
    const worker = createWorker({
      connectors: [connector],
      store,
      sink: failing,
      now: clock.now,
      jitter: 0,
      circuitBreaker: false,
      retrySchedule: [1_000, 2_000],
    });
    await handle(
      await signedRequest({ deliveryId: 'x', tenant: 'acme', type: 'ThingUpsert', thing: thing('t1', 'x') }),
    );
    await worker.runOnce();
    clock.advance(1_000);
    await worker.runOnce();
    clock.advance(2_000);
    expect((await worker.runOnce()).outcomes.dead).toBe(1);
    const [dead] = await store.listDeliveries({ status: 'dead' });
    expect(dead?.lastError).toBe('retries exhausted after 3 attempts: [@act/test-sink] down');
    expect((await store.listAttempts(dead?.id ?? '')).map((attempt) => attempt.outcome)).toEqual([
      'retry',
      'retry',
      'dead',
    ]);
  });

  it('waits exactly as long as a 429’s Retry-After asks, without spending a retry', async () => {
    const { handle, worker, store, clock, controls, memorySink } = setup();
    controls.hydrateErrors.push(rateLimited(120_000));
    await handle(await signedRequest({ deliveryId: 'r1', tenant: 'acme', type: 'ThingPing', thing: thing('t1', 'x') }));
    expect((await worker.runOnce()).outcomes.retrying).toBe(1);
    const [delivery] = await store.listDeliveries({});
    expect(delivery).toMatchObject({ attempts: 0, lastErrorClass: 'rate_limit' });
    expect(delivery?.nextAttemptAt.getTime()).toBe(clock.now().getTime() + 120_000);
    clock.advance(119_999);
    expect((await worker.runOnce()).claimed).toBe(0);
    clock.advance(1);
    expect((await worker.runOnce()).outcomes.done).toBe(1);
    expect(memorySink.rows('things')).toHaveLength(1);
  });

  it('refreshes credentials after a 401 and retries at once', async () => {
    const { ProviderApiError } = await import('../src/errors');
    const { handle, worker, controls, memorySink } = setup();
    controls.hydrateErrors.push(
      new ProviderApiError({
        packageName: '@act/test-connector',
        status: 401,
        method: 'GET',
        url: 'https://api.example.test/things/1',
      }),
    );
    await handle(await signedRequest({ deliveryId: 'a1', tenant: 'acme', type: 'ThingPing', thing: thing('t1', 'x') }));
    expect((await worker.runOnce()).outcomes.done).toBe(1);
    expect(controls.refreshCalls).toBe(1);
    expect(controls.hydrateCalls).toBe(2);
    expect(memorySink.rows('things')).toHaveLength(1);
  });

  it('opens the sink breaker after 5 consecutive failures, holds deliveries without spending retries, and recovers', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-11-01T12:00:00Z') });
    const real = createMemorySink();
    let down = true;
    let calls = 0;
    const sink: SinkV1 = {
      ...real,
      apply: async (operations, options) => {
        calls += 1;
        if (down) throw new StoreUnavailableError({ packageName: '@act/test-sink', message: 'down' });
        return real.apply(operations, options);
      },
    };
    const { connector, webhook } = createTestConnector();
    const store = createMemoryStateStore();
    const handle = createWebhookHandler({ processor: webhook, store });
    const worker = createWorker({
      connectors: [connector],
      store,
      sink,
      jitter: 0,
      concurrency: 1,
      // A batch of one per round: one sink call per delivery, the breaker counts each.
      batchSize: 1,
      retrySchedule: [1_000, 1_000, 1_000, 1_000, 1_000],
    });
    for (let index = 0; index < 7; index++) {
      await handle(
        await signedRequest({
          deliveryId: `b${index}`,
          tenant: 'acme',
          type: 'ThingUpsert',
          thing: thing(`t${index}`, 'x'),
        }),
      );
    }
    let claimed = 0;
    for (let round = 0; round < 7; round++) claimed += (await worker.runOnce()).claimed;
    expect(claimed).toBe(7);
    expect(calls).toBe(5);
    expect(worker.breakers.get('sink')?.state).toBe('open');
    const held = (await store.listDeliveries({})).filter((delivery) => delivery.lastError?.includes('circuit'));
    expect(held).toHaveLength(2);
    expect(held.every((delivery) => delivery.attempts === 0)).toBe(true);

    down = false;
    vi.setSystemTime(Date.now() + 30_000);
    await worker.drain();
    expect(worker.breakers.get('sink')?.state).toBe('closed');
    expect(real.rows('things')).toHaveLength(7);
  });

  it('batched: a failed batch write falls back to one delivery at a time, and the breaker still holds the rest', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-11-01T12:00:00Z') });
    const real = createMemorySink();
    let down = true;
    let calls = 0;
    const sink: SinkV1 = {
      ...real,
      apply: async (operations, options) => {
        calls += 1;
        if (down) throw new StoreUnavailableError({ packageName: '@act/test-sink', message: 'down' });
        return real.apply(operations, options);
      },
    };
    const { connector, webhook } = createTestConnector();
    const store = createMemoryStateStore();
    const handle = createWebhookHandler({ processor: webhook, store });
    const worker = createWorker({
      connectors: [connector],
      store,
      sink,
      jitter: 0,
      concurrency: 1,
      retrySchedule: [1_000, 1_000, 1_000, 1_000, 1_000],
    });
    for (let index = 0; index < 7; index++) {
      await handle(
        await signedRequest({
          deliveryId: `b${index}`,
          tenant: 'acme',
          type: 'ThingUpsert',
          thing: thing(`t${index}`, 'x'),
        }),
      );
    }
    const first = await worker.runOnce();
    expect(first.claimed).toBe(7);
    expect(calls).toBe(5);
    expect(worker.breakers.get('sink')?.state).toBe('open');
    const held = (await store.listDeliveries({})).filter((delivery) => delivery.lastError?.includes('circuit'));
    // The batch write failed (1), then t0…t3 alone (4): the breaker opened and held t4…t6.
    expect(held).toHaveLength(3);
    expect(held.every((delivery) => delivery.attempts === 0)).toBe(true);

    down = false;
    vi.setSystemTime(Date.now() + 30_000);
    await worker.drain();
    expect(worker.breakers.get('sink')?.state).toBe('closed');
    expect(real.rows('things')).toHaveLength(7);
  });

  it('reclaims a delivery from a worker that died holding its lease', async () => {
    const { handle, store, connector, memorySink, clock } = setup();
    await handle(
      await signedRequest({ deliveryId: 'l1', tenant: 'acme', type: 'ThingUpsert', thing: thing('t1', 'x') }),
    );
    const [abandoned] = await store.claim({ owner: 'crashed', limit: 1, leaseMs: 60_000 });
    expect(abandoned).toBeDefined();
    const worker = createWorker({
      connectors: [connector],
      store,
      sink: memorySink,
      now: clock.now,
      circuitBreaker: false,
    });
    expect((await worker.runOnce()).claimed).toBe(0);
    clock.advance(60_000);
    expect((await worker.runOnce()).outcomes.done).toBe(1);
    expect(memorySink.rows('things')).toHaveLength(1);
  });

  it('calls the connector’s onApplied hook after the commit, with each event’s outcome', async () => {
    const { handle, store, connector, memorySink, clock } = setup();
    const seen: string[] = [];
    let rowsAtCall = -1;
    const hooked = {
      ...connector,
      onApplied: (applied: readonly { event: { entityId: string }; result: { outcome: string } }[]) => {
        rowsAtCall = memorySink.rows('things').length;
        for (const item of applied) seen.push(`${item.event.entityId}:${item.result.outcome}`);
        throw new Error('a failing hook must not fail the delivery');
      },
    };
    const worker = createWorker({
      connectors: [hooked],
      store,
      sink: memorySink,
      now: clock.now,
      circuitBreaker: false,
    });
    await handle(
      await signedRequest({
        deliveryId: 'h1',
        tenant: 'acme',
        type: 'ThingUpsert',
        thing: thing('t1', 'x', '2026-11-01T10:05:00Z'),
      }),
    );
    await handle(
      await signedRequest({
        deliveryId: 'h2',
        tenant: 'acme',
        type: 'ThingUpsert',
        thing: thing('t1', 'older', '2026-11-01T10:01:00Z'),
      }),
    );
    expect((await worker.drain()).outcomes.done).toBe(2);
    expect(rowsAtCall).toBe(1);
    expect(seen).toEqual(['t1:created', 't1:skipped']);
  });

  it('dead-letters a delivery whose leases keep expiring (it crashes its worker), with every lapse in its history', async () => {
    const clock = manualClock();
    const { connector, webhook } = createTestConnector();
    const store = createMemoryStateStore({ now: clock.now });
    const sink = createMemorySink({ now: clock.now });
    await createWebhookHandler({ processor: webhook, store, now: clock.now })(
      await signedRequest({ deliveryId: 'poison', tenant: 'acme', type: 'ThingUpsert', thing: thing('t1', 'x') }),
    );
    for (let lapse = 0; lapse < 3; lapse++) {
      // A worker claims it and dies without completing or failing it.
      expect(await store.claim({ owner: `doomed-${lapse}`, limit: 1, leaseMs: 1_000 })).toHaveLength(1);
      clock.advance(1_000);
    }
    const worker = createWorker({
      connectors: [connector],
      store,
      sink,
      now: clock.now,
      circuitBreaker: false,
      retrySchedule: [1_000, 1_000],
    });
    expect((await worker.runOnce()).outcomes.dead).toBe(1);
    const [dead] = await store.listDeliveries({ status: 'dead' });
    expect(dead?.lastError).toBe('retries exhausted after 3 attempts: lease expired: worker doomed-2 did not finish');
    expect((await store.listAttempts(dead?.id ?? '')).map((attempt) => attempt.outcome)).toEqual([
      'retry',
      'retry',
      'retry',
      'dead',
    ]);
    expect(sink.rows('things')).toHaveLength(0);
  });
});

describe('batched rounds', () => {
  function counting(store: StateStoreV1, sink: SinkV1) {
    const calls = { apply: [] as number[], completeMany: 0, complete: 0 };
    const countedSink: SinkV1 = {
      ...sink,
      apply: (operations, options) => {
        calls.apply.push(operations.length);
        return sink.apply(operations, options);
      },
    };
    const countedStore: StateStoreV1 = {
      ...store,
      complete: (request) => {
        calls.complete += 1;
        return store.complete(request);
      },
      completeMany: (requests) => {
        calls.completeMany += 1;
        return store.completeMany(requests);
      },
    };
    return { calls, countedSink, countedStore };
  }

  it('applies a claimed batch in one sink call and completes it in one store call; a broken delivery fails alone', async () => {
    const { handle, store, memorySink, connector, clock } = setup();
    const { calls, countedSink, countedStore } = counting(store, memorySink);
    for (let index = 0; index < 5; index++) {
      await handle(
        await signedRequest({
          deliveryId: `m${index}`,
          tenant: 'acme',
          type: 'ThingUpsert',
          thing: thing(`t${index}`, index === 2 ? 'broken' : `n${index}`),
        }),
      );
    }
    const worker = createWorker({
      connectors: [connector],
      store: countedStore,
      sink: countedSink,
      now: clock.now,
      circuitBreaker: false,
    });
    const round = await worker.runOnce();
    expect(round).toMatchObject({ claimed: 5, outcomes: { done: 4, dead: 1 } });
    expect(calls).toEqual({ apply: [4], completeMany: 1, complete: 0 });
    expect(memorySink.rows('things').map((row) => row.key.id)).toEqual(['t0', 't1', 't3', 't4']);
    const events = await store.listEvents({});
    expect(events).toHaveLength(4);
    expect(new Set(events.map((event) => event.deliveryId)).size).toBe(4);
    expect(events.every((event) => event.outcome === 'created')).toBe(true);
  });

  it('writes deliveries of the same row in claim order, with the outcomes one-by-one processing gives', async () => {
    const { handle, store, memorySink, connector, clock } = setup();
    const { calls, countedSink, countedStore } = counting(store, memorySink);
    // t1 twice (newer, then older), then deleted; t2 once.
    const bodies = [
      { deliveryId: 's1', type: 'ThingUpsert' as const, thing: thing('t1', 'new', '2026-11-01T10:00:02.000Z') },
      { deliveryId: 's2', type: 'ThingUpsert' as const, thing: thing('t2', 'other') },
      { deliveryId: 's3', type: 'ThingUpsert' as const, thing: thing('t1', 'old', '2026-11-01T10:00:01.000Z') },
      { deliveryId: 's4', type: 'ThingDelete' as const, thing: thing('t1', 'old', '2026-11-01T10:00:03.000Z') },
    ];
    for (const body of bodies) await handle(await signedRequest({ tenant: 'acme', ...body }));
    const worker = createWorker({
      connectors: [connector],
      store: countedStore,
      sink: countedSink,
      now: clock.now,
      circuitBreaker: false,
    });
    expect(await worker.runOnce()).toMatchObject({ claimed: 4, outcomes: { done: 4 } });
    // s1 and s2 together, then s3, then s4.
    expect(calls.apply).toEqual([2, 1, 1]);
    expect(calls.completeMany).toBe(1);
    const byDelivery = new Map<string, string>();
    const deliveries = await store.listDeliveries({});
    for (const event of await store.listEvents({})) {
      const delivery = deliveries.find((entry) => entry.id === event.deliveryId);
      byDelivery.set(
        delivery?.dedupeKey.replace('test:', '') ?? '',
        `${event.outcome}${event.summary?.skipped ? `:${event.summary.skipped}` : ''}`,
      );
    }
    expect(Object.fromEntries(byDelivery)).toEqual({
      s1: 'created',
      s2: 'created',
      s3: 'skipped:stale',
      s4: 'deleted',
    });
    expect(memorySink.row('things', { tenant_id: 'acme', id: 't1' })?.deletedAt).not.toBeNull();
  });

  it('falls back to one delivery at a time when the batched write fails, so one poison delivery blocks nothing', async () => {
    const { handle, store, memorySink, connector, clock } = setup();
    const sink: SinkV1 = {
      ...memorySink,
      apply: async (operations, options) => {
        if (operations.some((operation) => operation.kind === 'upsert' && operation.values.name === 'poison')) {
          throw new StoreUnavailableError({ packageName: '@act/test-sink', message: 'row rejected' });
        }
        return memorySink.apply(operations, options);
      },
    };
    for (const [index, name] of ['a', 'poison', 'c'].entries()) {
      await handle(
        await signedRequest({
          deliveryId: `p${index}`,
          tenant: 'acme',
          type: 'ThingUpsert',
          thing: thing(`t${index}`, name),
        }),
      );
    }
    const worker = createWorker({
      connectors: [connector],
      store,
      sink,
      now: clock.now,
      jitter: 0,
      circuitBreaker: false,
    });
    expect(await worker.runOnce()).toMatchObject({ claimed: 3, outcomes: { done: 2, retrying: 1 } });
    expect(memorySink.rows('things').map((row) => row.key.id)).toEqual(['t0', 't2']);
    const failed = (await store.listDeliveries({ status: 'pending' }))[0];
    expect(failed?.lastError).toContain('row rejected');
  });

  it('writes and completes a delivery on its own once preparing the batch has used half the lease', async () => {
    const { handle, store, memorySink, connector, clock } = setup();
    const { calls, countedSink, countedStore } = counting(store, memorySink);
    for (let index = 0; index < 5; index++) {
      await handle(
        await signedRequest({
          deliveryId: `s${index}`,
          tenant: 'acme',
          type: 'ThingUpsert',
          thing: thing(`t${index}`, 'x'),
        }),
      );
    }
    // Each preparation takes 10 s (a rate limiter's wait, say); the lease is 60 s.
    const slow = {
      ...connector,
      transformer: {
        ...connector.transformer,
        transform: async (...args: Parameters<typeof connector.transformer.transform>) => {
          clock.advance(10_000);
          return connector.transformer.transform(...args);
        },
      },
    };
    const worker = createWorker({
      connectors: [slow],
      store: countedStore,
      sink: countedSink,
      now: clock.now,
      circuitBreaker: false,
      concurrency: 1,
      leaseMs: 60_000,
    });
    expect(await worker.runOnce()).toMatchObject({ claimed: 5, outcomes: { done: 5, 'lease-lost': 0 } });
    // Prepared at 10, 20, 30 s: one batch write; at 40 and 50 s (past 30 s): written alone, at once.
    expect(calls.apply).toEqual([1, 1, 3]);
    expect(memorySink.rows('things')).toHaveLength(5);
  });

  it('a batch of one is the one-delivery path: one apply and one completion per delivery', async () => {
    const { handle, store, memorySink, connector, clock } = setup();
    const { calls, countedSink, countedStore } = counting(store, memorySink);
    for (let index = 0; index < 3; index++) {
      await handle(
        await signedRequest({
          deliveryId: `o${index}`,
          tenant: 'acme',
          type: 'ThingUpsert',
          thing: thing(`t${index}`, 'x'),
        }),
      );
    }
    const worker = createWorker({
      connectors: [connector],
      store: countedStore,
      sink: countedSink,
      now: clock.now,
      circuitBreaker: false,
      batchSize: 1,
    });
    expect(await worker.drain()).toMatchObject({ claimed: 3, outcomes: { done: 3 } });
    expect(calls).toEqual({ apply: [1, 1, 1], completeMany: 3, complete: 0 });
  });
});

describe('waking on new work', () => {
  it('claims at once when the store announces a delivery, instead of sleeping idleDelayMs', async () => {
    const { connector, webhook } = createTestConnector();
    const store = createMemoryStateStore();
    const sink = createMemorySink();
    const handle = createWebhookHandler({ processor: webhook, store });
    const worker = createWorker({ connectors: [connector], store, sink, idleDelayMs: 60_000, circuitBreaker: false });
    worker.start();
    try {
      // Let the first (empty) round finish and the worker fall asleep.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await handle(
        await signedRequest({ deliveryId: 'w1', tenant: 'acme', type: 'ThingUpsert', thing: thing('t1', 'x') }),
      );
      await vi.waitFor(() => expect(sink.rows('things')).toHaveLength(1), { timeout: 1_000, interval: 5 });
    } finally {
      await worker.stop();
    }
  });

  it('uses the given wakeOn, unsubscribes on stop, and polls only with wakeOn: false', async () => {
    const { connector, webhook } = createTestConnector();
    const store = createMemoryStateStore();
    const sink = createMemorySink();
    const handle = createWebhookHandler({ processor: webhook, store });
    let wakeUp: (() => void) | undefined;
    let unsubscribed = 0;
    const worker = createWorker({
      connectors: [connector],
      store,
      sink,
      idleDelayMs: 60_000,
      circuitBreaker: false,
      wakeOn: (wake) => {
        wakeUp = wake;
        return () => {
          unsubscribed += 1;
        };
      },
    });
    worker.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await handle(
      await signedRequest({ deliveryId: 'g1', tenant: 'acme', type: 'ThingUpsert', thing: thing('t1', 'x') }),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    // The store's own announcement is not used when wakeOn is given.
    expect(sink.rows('things')).toHaveLength(0);
    wakeUp?.();
    await vi.waitFor(() => expect(sink.rows('things')).toHaveLength(1), { timeout: 1_000, interval: 5 });
    await worker.stop();
    expect(unsubscribed).toBe(1);

    const polling = createWorker({
      connectors: [connector],
      store,
      sink,
      idleDelayMs: 60_000,
      circuitBreaker: false,
      wakeOn: false,
    });
    polling.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await handle(
      await signedRequest({ deliveryId: 'g2', tenant: 'acme', type: 'ThingUpsert', thing: thing('t2', 'x') }),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(sink.rows('things')).toHaveLength(1);
    await polling.stop();
  });
});
