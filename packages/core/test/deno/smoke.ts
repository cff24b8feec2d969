/**
 * Deno smoke test of the BUILT `@act/core` (dist/): the web-standard receive
 * path served by `Deno.serve`, exercised with `fetch`. Run by
 * `deno-smoke.test.ts`; on its own, from packages/core:
 *
 *   deno run --allow-net --allow-read --allow-env --no-prompt --node-modules-dir=manual test/deno/smoke.ts
 *
 * Prints one JSON line with the statuses seen and exits 1 on any failure.
 */
import type { SourceEventV1, WebhookProcessorV1 } from '../../src/spec/v1';

// Deno's global, declared for the Node type-check of this repository (Deno
// itself does not type-check under `deno run`).
declare const Deno: {
  serve(
    options: { port: number; hostname: string; onListen?: (address: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { finished: Promise<void>; shutdown(): Promise<void> };
  exit(code: number): never;
  version: { deno: string };
};

// The built package, typed from its source. A runtime import of dist keeps
// this file type-checkable before anything is built.
type Core = typeof import('../../src/index');
const { createWebhookHandler, createMemoryStateStore } = (await import(
  new URL('../../dist/index.js', import.meta.url).href
)) as Core;

const SECRET = 'smoke-secret';
const encoder = new TextEncoder();

const keyPromise = crypto.subtle.importKey('raw', encoder.encode(SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, [
  'sign',
  'verify',
]);

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> | null {
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index++)
    bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  return bytes;
}

async function sign(body: Uint8Array<ArrayBuffer>): Promise<string> {
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', await keyPromise, body));
  return Array.from(signature, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

const processor: WebhookProcessorV1 = {
  specificationVersion: 'v1',
  source: 'smoke',
  packageName: '@act/smoke',
  persistedHeaders: ['x-smoke-signature'],
  maxBodyBytes: 1024,
  async verify(request) {
    const header = request.headers['x-smoke-signature'];
    if (!header) return { valid: false, reason: 'missing x-smoke-signature header' };
    const signature = hexToBytes(header);
    if (!signature) return { valid: false, reason: 'signature mismatch' };
    // crypto.subtle.verify compares in constant time.
    const valid = await crypto.subtle.verify('HMAC', await keyPromise, signature, request.body.slice());
    return valid ? { valid: true } : { valid: false, reason: 'signature mismatch' };
  },
  parse(request) {
    const body = JSON.parse(new TextDecoder().decode(request.body)) as {
      id?: unknown;
      tenant?: unknown;
      type?: unknown;
    };
    if (typeof body.id !== 'string' || typeof body.tenant !== 'string' || typeof body.type !== 'string') {
      throw new Error('expected string id, tenant and type');
    }
    const event: SourceEventV1 = {
      source: 'smoke',
      tenant: body.tenant,
      type: body.type,
      entity: 'thing',
      entityId: body.id,
      payload: body,
    };
    return { deliveryId: body.id, tenant: body.tenant, events: [event] };
  },
};

const store = createMemoryStateStore();
const handler = createWebhookHandler({ processor, store });

let onListen!: (address: { port: number }) => void;
const listening = new Promise<{ port: number }>((resolve) => {
  onListen = resolve;
});
const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen }, handler);
const { port } = await listening;
const url = `http://127.0.0.1:${port}/webhooks/smoke`;

async function post(body: Uint8Array<ArrayBuffer>, signature: string): Promise<number> {
  const response = await fetch(url, { method: 'POST', headers: { 'x-smoke-signature': signature }, body });
  await response.body?.cancel();
  return response.status;
}

const failures: string[] = [];
const results: Record<string, unknown> = { deno: Deno.version.deno };

try {
  const delivery = encoder.encode(JSON.stringify({ id: 'evt_1', tenant: 'tenant_1', type: 'thing.updated' }));
  results.signed = await post(delivery, await sign(delivery));
  results.duplicate = await post(delivery, await sign(delivery));
  results.storedAfterDuplicate = (await store.listDeliveries({})).length;

  const forged = encoder.encode(JSON.stringify({ id: 'evt_2', tenant: 'tenant_1', type: 'thing.updated' }));
  results.badSignature = await post(forged, await sign(encoder.encode('something else')));
  results.storedAfterBadSignature = (await store.listDeliveries({})).length;

  const tooLarge = encoder.encode(
    JSON.stringify({ id: 'evt_3', tenant: 'tenant_1', type: 'x', pad: 'x'.repeat(1100) }),
  );
  results.tooLarge = await post(tooLarge, await sign(tooLarge));

  const malformed = encoder.encode('{"id": "evt_4", "tenant": ');
  results.malformed = await post(malformed, await sign(malformed));
  results.storedAtEnd = (await store.listDeliveries({})).length;

  const expect = (name: string, ok: boolean) => {
    if (!ok) failures.push(`${name}: got ${JSON.stringify(results[name])}`);
  };
  const is2xx = (value: unknown) => typeof value === 'number' && value >= 200 && value < 300;
  expect('signed', is2xx(results.signed));
  expect('duplicate', is2xx(results.duplicate));
  expect('storedAfterDuplicate', results.storedAfterDuplicate === 1);
  expect('badSignature', results.badSignature === 401);
  expect('storedAfterBadSignature', results.storedAfterBadSignature === 1);
  expect('tooLarge', results.tooLarge === 413);
  expect('malformed', results.malformed === 400);
  expect('storedAtEnd', results.storedAtEnd === 1);
} catch (error) {
  failures.push(`threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await server.shutdown();
}

console.log(JSON.stringify({ ok: failures.length === 0, results, failures }));
Deno.exit(failures.length === 0 ? 0 : 1);
