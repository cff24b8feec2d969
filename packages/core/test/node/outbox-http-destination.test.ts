// httpDestination against a real local HTTP receiver that verifies every
// request with the `standardwebhooks` package (Svix's reference library), so
// the signing is checked independently of our own code.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMemoryOutboxStore,
  createOutboxDispatcher,
  httpDestination,
  type OutboxForwardInputV1,
  SignatureError,
  signStandardWebhook,
  verifyStandardWebhook,
} from '../../src/internal';

const OLD_SECRET = `whsec_${Buffer.from('o'.repeat(32)).toString('base64')}`;
const NEW_SECRET = `whsec_${Buffer.from('n'.repeat(32)).toString('base64')}`;

interface Received {
  id: string;
  verified: boolean;
  body: unknown;
  headers: Record<string, string>;
}

/** A receiver answering `answers` in turn (then 200), verifying with `secret`. */
async function receiver(secret: string, answers: { status: number; headers?: Record<string, string> }[] = []) {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
      ) as Record<string, string>;
      let verified = false;
      try {
        new Webhook(secret).verify(body, headers);
        verified = true;
      } catch {
        verified = false;
      }
      received.push({ id: headers['webhook-id'] ?? '', verified, body: JSON.parse(body), headers });
      const answer = answers.shift() ?? { status: verified ? 200 : 401 };
      response.writeHead(answer.status, answer.headers ?? {});
      response.end(answer.status >= 400 ? 'no' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks`, received };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

const input = (overrides: Partial<OutboxForwardInputV1> = {}): OutboxForwardInputV1 => ({
  source: 'ghl',
  event: {
    source: 'ghl',
    tenant: 'loc_1',
    type: 'ContactCreate',
    entity: 'contact',
    entityId: 'c1',
    occurredAt: '2026-03-01T12:00:00.000Z',
    version: 1_772_366_400_000,
    payload: { id: 'c1', email: 'a@example.com', dateOfBirth: '1990-01-01' },
  },
  // What the runtime hands a forward: the payload without blocked fields.
  payload: { id: 'c1', email: 'a@example.com' },
  operations: [],
  triggeredBy: 'webhook',
  deliveryId: '42',
  ...overrides,
});

function clock(start = Date.now()) {
  let time = start;
  return { now: () => new Date(time), advance: (ms: number) => (time += ms) };
}

describe('httpDestination', () => {
  it('POSTs the envelope signed per Standard Webhooks, with the message key as webhook-id', async () => {
    const target = await receiver(NEW_SECRET);
    const destination = httpDestination({
      name: 'verity',
      url: target.url,
      secret: NEW_SECRET,
      headers: { 'x-api-key': 'k' },
    });
    const forward = destination.forward?.(input());
    expect(forward?.onlyIfChanged).toBe(false);
    const store = createMemoryOutboxStore();
    await store.enqueue([{ destination: 'verity', key: '42:0', payload: forward?.payload }]);
    const dispatcher = createOutboxDispatcher({ store, destinations: [destination] });

    expect((await dispatcher.drain()).outcomes.done).toBe(1);

    expect(target.received).toHaveLength(1);
    const [request] = target.received;
    expect(request).toMatchObject({ id: '42:0', verified: true });
    expect(request?.headers['x-api-key']).toBe('k');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body).toEqual({
      type: 'ContactCreate',
      timestamp: '2026-03-01T12:00:00.000Z',
      data: {
        source: 'ghl',
        tenant: 'loc_1',
        type: 'ContactCreate',
        entity: 'contact',
        entityId: 'c1',
        version: 1_772_366_400_000,
        occurredAt: '2026-03-01T12:00:00.000Z',
        triggeredBy: 'webhook',
        deliveryId: '42',
        payload: { id: 'c1', email: 'a@example.com' },
      },
    });
    const [message] = await store.list();
    expect(message).toMatchObject({ status: 'done', result: { status: 200 } });
  });

  it('signs with every secret while rotating, so receivers holding either verify', async () => {
    const old = await receiver(OLD_SECRET);
    const renewed = await receiver(NEW_SECRET);
    const store = createMemoryOutboxStore();
    const destinations = [
      httpDestination({ name: 'old', url: old.url, secrets: [OLD_SECRET, NEW_SECRET] }),
      httpDestination({ name: 'new', url: renewed.url, secrets: [OLD_SECRET, NEW_SECRET] }),
    ];
    await store.enqueue([
      { destination: 'old', key: 'm1', payload: { a: 1 } },
      { destination: 'new', key: 'm1', payload: { a: 1 } },
    ]);
    await createOutboxDispatcher({ store, destinations }).drain();

    expect(old.received.map((request) => request.verified)).toEqual([true]);
    expect(renewed.received.map((request) => request.verified)).toEqual([true]);
    expect(old.received[0]?.headers['webhook-signature']?.split(' ')).toHaveLength(2);
  });

  it('retries a 503 with the same webhook-id, waits out a 429 uncounted, and dead-letters a 400', async () => {
    const time = clock();
    const target = await receiver(NEW_SECRET, [
      { status: 503 },
      { status: 429, headers: { 'retry-after': '30' } },
      { status: 200 },
    ]);
    const refusing = await receiver(NEW_SECRET, [{ status: 400 }]);
    const store = createMemoryOutboxStore({ now: time.now });
    const dispatcher = createOutboxDispatcher({
      store,
      destinations: [
        httpDestination({ name: 'flaky', url: target.url, secret: NEW_SECRET }),
        httpDestination({ name: 'strict', url: refusing.url, secret: NEW_SECRET }),
      ],
      retrySchedule: [1_000],
      jitter: 0,
      now: time.now,
    });
    await store.enqueue([
      { destination: 'flaky', key: 'same-id', payload: { n: 1 } },
      { destination: 'strict', key: 'refused', payload: { n: 2 } },
    ]);

    expect((await dispatcher.runOnce()).outcomes).toMatchObject({ retrying: 1, dead: 1 });
    const [strict] = await store.list({ destination: 'strict' });
    expect(strict).toMatchObject({ status: 'dead', lastErrorClass: 'validation' });
    expect(strict?.lastError).toContain('HTTP 400');

    time.advance(1_000);
    expect((await dispatcher.runOnce()).outcomes.retrying).toBe(1);
    let [flaky] = await store.list({ destination: 'flaky' });
    // The 503 counted, the 429 did not; Retry-After: 30 decides the wait.
    expect(flaky).toMatchObject({ status: 'pending', attempts: 1, lastErrorClass: 'rate_limit' });
    expect(flaky?.availableAt.getTime()).toBe(time.now().getTime() + 30_000);

    time.advance(30_000);
    expect((await dispatcher.runOnce()).outcomes.done).toBe(1);
    [flaky] = await store.list({ destination: 'flaky' });
    expect(flaky?.status).toBe('done');
    expect(target.received.map((request) => [request.id, request.verified])).toEqual([
      ['same-id', true],
      ['same-id', true],
      ['same-id', true],
    ]);
  });

  it('retries when nothing answers (connection refused)', async () => {
    const store = createMemoryOutboxStore();
    const dispatcher = createOutboxDispatcher({
      store,
      destinations: [httpDestination({ name: 'down', url: 'http://127.0.0.1:9/hooks', secret: NEW_SECRET })],
    });
    await store.enqueue([{ destination: 'down', key: 'k', payload: {} }]);
    expect((await dispatcher.runOnce()).outcomes.retrying).toBe(1);
    const [message] = await store.list();
    expect(message).toMatchObject({ status: 'pending', attempts: 1, lastErrorClass: 'transient' });
  });

  it('forwards only the named sources and types; polled and reconciled records only when they changed the mirror', () => {
    const destination = httpDestination({
      name: 'verity',
      url: 'https://example.com/hooks',
      secret: NEW_SECRET,
      sources: ['ghl'],
      types: ['ContactCreate'],
    });
    expect(destination.forward?.(input())).toBeDefined();
    expect(destination.forward?.(input({ source: 'xero' }))).toBeUndefined();
    expect(destination.forward?.(input({ event: { ...input().event, type: 'NoteCreate' } }))).toBeUndefined();
    const polled = destination.forward?.(input({ triggeredBy: 'poll' }));
    expect(polled?.onlyIfChanged).toBe(true);
    expect(polled?.payload).toMatchObject({ data: { triggeredBy: 'poll' } });
  });

  it('refuses a missing or malformed secret', () => {
    expect(() => httpDestination({ name: 'x', url: 'https://example.com' })).toThrow(/signing secret/);
    expect(() => httpDestination({ name: 'x', url: 'https://example.com', secret: 'whsec_!!' })).toThrow(
      /"whsec_" followed by base64/,
    );
    expect(() => httpDestination({ name: 'x', url: 'https://example.com', secret: 'whsec_c2hvcnQ=' })).toThrow(
      /24 to 64 bytes/,
    );
  });
});

describe('verifyStandardWebhook', () => {
  it("accepts the standardwebhooks package's signature and ours, and refuses tampered or stale requests", async () => {
    const body = JSON.stringify({ type: 'x', data: { n: 1 } });
    const at = new Date();
    const theirs = new Webhook(NEW_SECRET).sign('msg_1', at, body);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': theirs,
    };
    expect(await verifyStandardWebhook({ body, headers, secret: NEW_SECRET })).toBe('msg_1');
    // Rotation on the receiving side: either secret verifies.
    expect(await verifyStandardWebhook({ body, headers, secrets: [OLD_SECRET, NEW_SECRET] })).toBe('msg_1');

    const ours = await signStandardWebhook({ id: 'msg_2', body, secrets: [NEW_SECRET] });
    expect(await verifyStandardWebhook({ body, headers: new Headers(ours), secret: NEW_SECRET })).toBe('msg_2');

    await expect(verifyStandardWebhook({ body: `${body} `, headers, secret: NEW_SECRET })).rejects.toSatisfy(
      SignatureError.isInstance,
    );
    await expect(verifyStandardWebhook({ body, headers, secret: OLD_SECRET })).rejects.toThrow(/no webhook-signature/);
    await expect(
      verifyStandardWebhook({ body, headers, secret: NEW_SECRET, now: Math.floor(at.getTime() / 1000) + 301 }),
    ).rejects.toThrow(/too old/);
  });
});
