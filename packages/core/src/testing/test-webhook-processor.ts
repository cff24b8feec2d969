import { describe, expect, it } from 'vitest';
import { createWebhookHandler } from '../http/create-webhook-handler';
import { createMemoryStateStore } from '../memory/memory-state-store';
import type { WebhookProcessorV1, WebhookRequestV1 } from '../spec/v1';

/** A sample delivery, usually a provider's documented payload from `test/fixtures/`. */
export interface WebhookFixture {
  name: string;
  /** Raw body exactly as the provider sends it. */
  body: string | Uint8Array;
  /** Headers besides the signature (event type headers, say). */
  headers?: Record<string, string>;
  url?: string;
  /** What parsing it must give. */
  expected: { events: number; tenant?: string; deliveryId?: string; types?: string[] };
}

export interface TestWebhookProcessorOptions {
  processor: WebhookProcessorV1;
  fixtures: readonly WebhookFixture[];
  /** Produce the signature headers (and any URL change) the provider would send for this body. */
  sign: (body: Uint8Array, fixture: WebhookFixture) => Promise<Record<string, string>> | Record<string, string>;
  /** A processor built the same way but with no key configured: it must fail closed. */
  unconfigured?: WebhookProcessorV1;
}

const toBytes = (body: string | Uint8Array) => (typeof body === 'string' ? new TextEncoder().encode(body) : body);

/**
 * The behaviour every `WebhookProcessorV1` must have, checked on the
 * connector's fixtures: signed fixtures verify and parse; tampered bodies,
 * missing signatures and missing keys are rejected; through the handler a
 * delivery is stored once, acknowledged, and duplicates are not stored twice.
 */
export function testWebhookProcessor(options: TestWebhookProcessorOptions): void {
  const { processor } = options;
  const build = async (
    fixture: WebhookFixture,
    body = toBytes(fixture.body),
    signed = true,
  ): Promise<WebhookRequestV1> => {
    const signature = signed ? await options.sign(toBytes(fixture.body), fixture) : {};
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const [name, value] of Object.entries({ ...fixture.headers, ...signature }))
      headers[name.toLowerCase()] = value;
    return { method: 'POST', url: fixture.url ?? 'http://localhost/webhooks', headers, body, receivedAt: new Date() };
  };
  const toRequest = (request: WebhookRequestV1) =>
    new Request(request.url, { method: request.method, headers: request.headers, body: request.body as BodyInit });

  describe(`WebhookProcessorV1 contract (${processor.source})`, () => {
    it('declares specificationVersion v1, its source and package name', () => {
      expect(processor.specificationVersion).toBe('v1');
      expect(processor.source).toMatch(/^[a-z0-9-]+$/);
      expect(processor.packageName).toMatch(/^@/);
      expect(options.fixtures.length).toBeGreaterThan(0);
    });

    for (const fixture of options.fixtures) {
      describe(fixture.name, () => {
        it('verifies when signed and parses to the expected events', async () => {
          const request = await build(fixture);
          expect(await processor.verify(request)).toMatchObject({ valid: true });
          const parsed = await processor.parse(request);
          expect(parsed.events).toHaveLength(fixture.expected.events);
          if (fixture.expected.tenant !== undefined) expect(parsed.tenant).toBe(fixture.expected.tenant);
          if (fixture.expected.deliveryId !== undefined) expect(parsed.deliveryId).toBe(fixture.expected.deliveryId);
          if (fixture.expected.types) expect(parsed.events.map((event) => event.type)).toEqual(fixture.expected.types);
          for (const event of parsed.events) {
            expect(event.source).toBe(processor.source);
            expect(event.tenant).toBeTruthy();
            expect(event.entityId).toBeTruthy();
          }
        });

        it('rejects a tampered body', async () => {
          const original = toBytes(fixture.body);
          const tampered = new Uint8Array(original.byteLength + 1);
          tampered.set(original);
          tampered[original.byteLength] = 0x20;
          const result = await processor.verify(await build(fixture, tampered));
          expect(result.valid).toBe(false);
        });

        it('rejects a request without a signature', async () => {
          const result = await processor.verify(await build(fixture, toBytes(fixture.body), false));
          expect(result.valid).toBe(false);
        });

        if (options.unconfigured)
          it('fails closed when no key is configured', async () => {
            const result = await options.unconfigured?.verify(await build(fixture));
            expect(result?.valid).toBe(false);
          });

        it('is stored once and acknowledged through the handler; a redelivery is not stored again', async () => {
          const store = createMemoryStateStore();
          const handle = createWebhookHandler({ processor, store });
          const request = await build(fixture);
          const first = await handle(toRequest(request));
          const second = await handle(toRequest(request));
          expect(first.status).toBeLessThan(300);
          expect(second.status).toBeLessThan(300);
          const stored = await store.listDeliveries({});
          expect(stored).toHaveLength(1);
          expect([...(stored[0]?.body ?? [])]).toEqual([...toBytes(fixture.body)]);
        });

        it('answers 401 to a bad signature through the handler and stores nothing', async () => {
          const store = createMemoryStateStore();
          const handle = createWebhookHandler({ processor, store });
          const request = await build(fixture);
          const body = new Uint8Array([...request.body, 0x20]);
          const response = await handle(toRequest({ ...request, body }));
          expect(response.status).toBe(401);
          expect(await store.listDeliveries({})).toHaveLength(0);
        });
      });
    }
  });
}
