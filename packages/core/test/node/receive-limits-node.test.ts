import { createServer, type RequestListener, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWebhookHandler } from '../../src/http/create-webhook-handler';
import { configureReceiveLimits, DEFAULT_RECEIVE_LIMITS, receiveLoad } from '../../src/http/receive-limits';
import { createMemoryStateStore } from '../../src/memory/memory-state-store';
import {
  applyServerTimeouts,
  DEFAULT_SERVER_TIMEOUTS,
  serverTimeouts,
  toNodeHandler,
  type WebHandler,
} from '../../src/node';
import { createTestConnector, signedRequest, thing } from '../helpers/test-connector';

// The Node adapter reads the body before the web handler sees it, so the
// process's receive limits must bind there: room reserved before the first
// byte, refusals answered without reading, a deadline that closes stalled
// connections, and the bytes counted once until the handler has answered.

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  configureReceiveLimits(DEFAULT_RECEIVE_LIMITS);
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

async function serve(listener: RequestListener): Promise<number> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

interface RawClient {
  socket: Socket;
  /** Resolves with everything received once the server closes the connection. */
  closed: Promise<{ text: string; at: number }>;
  /** Resolves with the status line's code once one arrives. */
  status: Promise<number>;
}

/** Headers declaring `declared` bytes, then `sent` of them, then nothing. */
function stall(port: number, declared: number, sent = 0): RawClient {
  const socket = connect({ port, host: '127.0.0.1' });
  sockets.push(socket);
  socket.on('error', () => {});
  let text = '';
  let onStatus: (status: number) => void = () => {};
  const status = new Promise<number>((resolve) => {
    onStatus = resolve;
  });
  socket.on('data', (data: Buffer) => {
    text += data.toString('latin1');
    const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
    if (match) onStatus(Number(match[1]));
  });
  const closed = new Promise<{ text: string; at: number }>((resolve) =>
    socket.on('close', () => resolve({ text, at: Date.now() })),
  );
  socket.write(
    `POST /webhooks/test HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`,
  );
  if (sent > 0) socket.write(Buffer.alloc(sent, 0x20));
  return { socket, closed, status };
}

const until = async (check: () => boolean, ms = 2_000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 5));
};

const delivery = (id: string) => ({
  deliveryId: id,
  tenant: 'acme',
  type: 'ThingUpsert' as const,
  thing: thing(id, id),
});

describe('toNodeHandler under the receive limits', () => {
  it('answers the webhook handler’s retry status at once, without reading, when no body fits; the client sees the answer', async () => {
    configureReceiveLimits({ maxConcurrentBodies: 1, bodyTimeoutMs: 5_000 });
    const { webhook } = createTestConnector({ persistFailureStatus: 429 });
    const store = createMemoryStateStore();
    const port = await serve(toNodeHandler(createWebhookHandler({ processor: webhook, store })));
    const holder = stall(port, 1_000, 10);
    await until(() => receiveLoad().bodies === 1);

    // A real delivery, sent whole: refused before its body is read, and the 429 reaches the sender (no reset).
    const request = await signedRequest(delivery('d1'));
    const startedAt = Date.now();
    const response = await fetch(`http://127.0.0.1:${port}/webhooks/test`, {
      method: 'POST',
      headers: request.headers,
      body: new Uint8Array(await request.arrayBuffer()),
    });
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('10');
    expect(await response.json()).toEqual({
      error: '[@act/test-connector] too many request bodies are being received: not read, retry later',
    });
    expect(await store.listDeliveries({})).toHaveLength(0);

    holder.socket.destroy();
    await until(() => receiveLoad().bodies === 0);
    const retried = await fetch(`http://127.0.0.1:${port}/webhooks/test`, {
      method: 'POST',
      headers: request.headers,
      body: new Uint8Array(await (await signedRequest(delivery('d1'))).arrayBuffer()),
    });
    expect(retried.status).toBe(200);
    expect(receiveLoad()).toMatchObject({ bodies: 0, bufferedBytes: 0 });
  });

  it('closes a stalled body at bodyTimeoutMs with the provider’s retry status, and lets its memory go', async () => {
    configureReceiveLimits({ bodyTimeoutMs: 300 });
    const { webhook } = createTestConnector({ persistFailureStatus: 429 });
    const onError = vi.fn();
    const port = await serve(
      toNodeHandler(createWebhookHandler({ processor: webhook, store: createMemoryStateStore() }), { onError }),
    );
    const startedAt = Date.now();
    const client = stall(port, 100_000, 50_000);
    await until(() => receiveLoad().bufferedBytes === 100_000);
    const { text, at } = await client.closed;
    expect(at - startedAt).toBeGreaterThanOrEqual(250);
    expect(at - startedAt).toBeLessThan(3_000);
    expect(text).toMatch(/^HTTP\/1\.1 429 /);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(text).toContain('the request body did not arrive in time');
    expect(receiveLoad()).toMatchObject({ bodies: 0, bufferedBytes: 0 });
    expect(onError).not.toHaveBeenCalled();
  });

  it('gives any other handler 503 with Retry-After when busy and 408 when too slow', async () => {
    configureReceiveLimits({ maxConcurrentBodies: 1, bodyTimeoutMs: 300 });
    const handler = vi.fn<WebHandler>(async () => new Response('ok'));
    const port = await serve(toNodeHandler(handler));
    const slow = stall(port, 1_000, 1);
    await until(() => receiveLoad().bodies === 1);
    const busy = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x' });
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('10');
    const { text } = await slow.closed;
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(handler).not.toHaveBeenCalled();
  });

  it('counts an adapter-read body once, and holds it until the handler has answered', async () => {
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
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
    const port = await serve(toNodeHandler(createWebhookHandler({ processor: webhook, store: slowStore })));
    const request = await signedRequest(delivery('d2'));
    const bytes = new Uint8Array(await request.arrayBuffer());
    const answered = fetch(`http://127.0.0.1:${port}/webhooks/test`, {
      method: 'POST',
      headers: request.headers,
      body: bytes,
    });
    await until(() => receiveLoad().bufferedBytes > 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(receiveLoad()).toMatchObject({ bodies: 0, bufferedBytes: bytes.byteLength });
    open();
    expect((await answered).status).toBe(200);
    await until(() => receiveLoad().bufferedBytes === 0);
    expect(receiveLoad()).toMatchObject({ bodies: 0, bufferedBytes: 0 });
  });

  it('lets go quietly of a client that leaves mid-body', async () => {
    const onError = vi.fn();
    const handler = vi.fn<WebHandler>(async () => new Response('ok'));
    const port = await serve(toNodeHandler(handler, { onError }));
    const client = stall(port, 10_000, 100);
    await until(() => receiveLoad().bodies === 1);
    client.socket.destroy();
    await until(() => receiveLoad().bodies === 0);
    expect(receiveLoad()).toMatchObject({ bodies: 0, bufferedBytes: 0 });
    expect(onError).not.toHaveBeenCalled();
    expect(handler).not.toHaveBeenCalled();
  });
});

describe('serverTimeouts / applyServerTimeouts', () => {
  it('documents its defaults and sets them on a server', () => {
    expect(DEFAULT_SERVER_TIMEOUTS).toEqual({
      headersTimeout: 10_000,
      requestTimeout: 30_000,
      connectionsCheckingInterval: 1_000,
    });
    const server = createServer(serverTimeouts({ headersTimeout: 5_000 }));
    expect(server.headersTimeout).toBe(5_000);
    expect(server.requestTimeout).toBe(30_000);
    const express = applyServerTimeouts(createServer());
    expect([express.headersTimeout, express.requestTimeout]).toEqual([10_000, 30_000]);
  });

  it('closes a connection that stalls inside its headers', async () => {
    const server = createServer(serverTimeouts({ headersTimeout: 300, connectionsCheckingInterval: 100 }), () => {});
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const socket = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1' });
    sockets.push(socket);
    socket.on('error', () => {});
    socket.resume(); // read, so the server's close is seen
    const startedAt = Date.now();
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
    socket.write('POST /webhooks/test HTTP/1.1\r\nHost: x\r\n');
    expect((await closed) - startedAt).toBeLessThan(2_000);
    server.closeAllConnections();
  });
});
