import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookHandler } from '../src/http/create-webhook-handler';
import { configureReceiveLimits, DEFAULT_RECEIVE_LIMITS, receiveLoad } from '../src/http/receive-limits';
import { createMemoryStateStore } from '../src/memory/memory-state-store';
import { createTestConnector, signedRequest, thing } from './helpers/test-connector';

// Bodies are read before their signature can be checked, so what a process
// spends on them must be bounded before authentication: a per-process cap on
// bodies being read and on bytes held, and a deadline for a body to arrive.

afterEach(() => {
  configureReceiveLimits(DEFAULT_RECEIVE_LIMITS);
});

/** A request whose body sends `sent` bytes, then nothing more until cancelled; records whether it was read. */
function stalledRequest(options: { declared?: number; sent?: number } = {}) {
  const probe = { pulls: 0, cancelled: false };
  let sent = false;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        probe.pulls++;
        if (!sent && (options.sent ?? 0) > 0) {
          sent = true;
          controller.enqueue(new Uint8Array(options.sent ?? 0).fill(0x20));
        }
        // Never closes: the client stalls.
        return new Promise<void>(() => {});
      },
      cancel() {
        probe.cancelled = true;
      },
      // No pull before someone reads: `pulls` counts reads.
    },
    { highWaterMark: 0 },
  );
  const headers = new Headers({ 'content-type': 'application/json', 'x-test-signature': 'forged' });
  if (options.declared !== undefined) headers.set('content-length', String(options.declared));
  const request = new Request('http://localhost/webhooks/test', {
    method: 'POST',
    headers,
    body,
    duplex: 'half',
  } as RequestInit);
  return { request, probe };
}

const delivery = (id: string) => ({
  deliveryId: id,
  tenant: 'acme',
  type: 'ThingUpsert' as const,
  thing: thing(id, id),
});

describe('receive limits (per process, before authentication)', () => {
  it('documents its defaults: 256 bodies, 64 MiB, 10 s, Retry-After 10', () => {
    expect(DEFAULT_RECEIVE_LIMITS).toEqual({
      maxConcurrentBodies: 256,
      maxBufferedBytes: 64 * 1024 * 1024,
      bodyTimeoutMs: 10_000,
      retryAfterSeconds: 10,
    });
    expect(receiveLoad().limits).toEqual(DEFAULT_RECEIVE_LIMITS);
    expect(() => configureReceiveLimits({ maxConcurrentBodies: 0 })).toThrow(
      '[@act/core] receive limit maxConcurrentBodies must be a positive number, got 0',
    );
  });

  it('answers the provider’s retry status with Retry-After, without reading, beyond the concurrent bodies', async () => {
    configureReceiveLimits({ maxConcurrentBodies: 2, bodyTimeoutMs: 300, retryAfterSeconds: 7 });
    const { webhook } = createTestConnector({ persistFailureStatus: 429 });
    const store = createMemoryStateStore();
    const handle = createWebhookHandler({ processor: webhook, store });
    const first = stalledRequest({ declared: 100, sent: 10 });
    const second = stalledRequest({ declared: 100 });
    const pending = [handle(first.request), handle(second.request)];
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(receiveLoad().bodies).toBe(2);

    const third = stalledRequest({ declared: 100, sent: 10 });
    const refusedAt = Date.now();
    const response = await handle(third.request);
    expect(Date.now() - refusedAt).toBeLessThan(1_000);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toEqual({
      error: '[@act/test-connector] too many request bodies are being received: not read, retry later',
    });
    expect(third.probe.pulls).toBe(0);

    // A refusal never holds anything; a delivery goes through once the stalled bodies are abandoned.
    expect((await Promise.all(pending)).map((answer) => answer.status)).toEqual([429, 429]);
    expect((await handle(await signedRequest(delivery('d1')))).status).toBe(200);
    expect(await store.listDeliveries({})).toHaveLength(1);
    expect(receiveLoad()).toMatchObject({ bodies: 0, bufferedBytes: 0 });
  });

  it('reserves a declared Content-Length up front and refuses what does not fit in the buffered bytes', async () => {
    configureReceiveLimits({ maxBufferedBytes: 1_000, bodyTimeoutMs: 300 });
    const { webhook } = createTestConnector();
    const handle = createWebhookHandler({ processor: webhook, store: createMemoryStateStore() });
    const big = stalledRequest({ declared: 800, sent: 1 });
    const held = handle(big.request);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(receiveLoad()).toMatchObject({ bodies: 1, bufferedBytes: 800 });

    const tooBig = stalledRequest({ declared: 300 });
    const refused = await handle(tooBig.request);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(tooBig.probe.pulls).toBe(0);

    // A small delivery (no Content-Length, counted as read: about 120 bytes) still fits beside the 800 held.
    const small = await signedRequest(delivery('d2'));
    expect((await small.clone().arrayBuffer()).byteLength).toBeLessThan(200);
    expect((await handle(small)).status).toBe(200);

    expect((await held).status).toBe(503);
    expect(receiveLoad()).toMatchObject({ bodies: 0, bufferedBytes: 0 });
  });

  it('counts a chunked body (no Content-Length) as it arrives and refuses it once it no longer fits', async () => {
    configureReceiveLimits({ maxBufferedBytes: 1_000, bodyTimeoutMs: 300 });
    const { webhook } = createTestConnector({ persistFailureStatus: 429 });
    const handle = createWebhookHandler({ processor: webhook, store: createMemoryStateStore() });
    const holder = stalledRequest({ declared: 900, sent: 1 });
    const held = handle(holder.request);
    await new Promise((resolve) => setTimeout(resolve, 20));

    const chunked = stalledRequest({ sent: 200 });
    const response = await handle(chunked.request);
    expect(response.status).toBe(429);
    expect(chunked.probe.cancelled).toBe(true);
    expect(receiveLoad()).toMatchObject({ bodies: 1, bufferedBytes: 900 });

    expect((await held).status).toBe(429);
    expect(receiveLoad()).toMatchObject({ bodies: 0, bufferedBytes: 0 });
  });

  it('abandons a body that does not arrive within bodyTimeoutMs: retry status, stream cancelled, memory released', async () => {
    configureReceiveLimits({ bodyTimeoutMs: 100 });
    const { webhook } = createTestConnector({ persistFailureStatus: 429 });
    const store = createMemoryStateStore();
    const handle = createWebhookHandler({ processor: webhook, store });
    const before = receiveLoad().timedOut;
    const stalled = stalledRequest({ declared: 50_000, sent: 40_000 });
    const startedAt = Date.now();
    const response = await handle(stalled.request);
    const waited = Date.now() - startedAt;
    expect(waited).toBeGreaterThanOrEqual(90);
    expect(waited).toBeLessThan(2_000);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('10');
    expect(await response.json()).toEqual({
      error: '[@act/test-connector] the request body did not arrive in time: abandoned, retry later',
    });
    expect(stalled.probe.cancelled).toBe(true);
    expect(receiveLoad()).toMatchObject({ bodies: 0, bufferedBytes: 0, timedOut: before + 1 });
    expect(await store.listDeliveries({})).toHaveLength(0);
  });

  it('holds a body’s bytes until the handler has answered, then releases them', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const store = createMemoryStateStore();
    const slowStore = {
      ...store,
      async enqueue(...args: Parameters<typeof store.enqueue>) {
        await gate;
        return store.enqueue(...args);
      },
    };
    const { webhook } = createTestConnector();
    const handle = createWebhookHandler({ processor: webhook, store: slowStore });
    const request = await signedRequest(delivery('d3'));
    const size = (await request.clone().arrayBuffer()).byteLength;
    const answered = handle(request);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Read (no longer counted as being read), but still held while the store works.
    expect(receiveLoad()).toMatchObject({ bodies: 0, bufferedBytes: size });
    release();
    expect((await answered).status).toBe(200);
    expect(receiveLoad()).toMatchObject({ bodies: 0, bufferedBytes: 0 });
  });
});
