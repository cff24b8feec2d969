// Poison deliveries (issue 11, finding 5): authentic deliveries that can never be stored or applied
// are answered so the provider stops (never a 503/429 loop) and dead-lettered at once with the
// reason (never retried for hours). Through the real handler and worker on the memory store.
import { describe, expect, it } from 'vitest';
import { ActError, classifyError, StoreUnavailableError } from '../src/errors';
import { createWebhookHandler } from '../src/http/create-webhook-handler';
import { DEFAULT_MAX_JSON_DEPTH, ID_LIMITS, parseJson } from '../src/input-limits';
import { createMemorySink } from '../src/memory/memory-sink';
import { createMemoryStateStore } from '../src/memory/memory-state-store';
import { createWorker } from '../src/pipeline/worker';
import type { StateStoreV1, WebhookProcessorV1 } from '../src/spec/v1';
import { createTestConnector, signedRequest, thing } from './helpers/test-connector';

const deep = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}1${close.repeat(depth)}`;
const options = { packageName: '@act/x' };

describe('parseJson', () => {
  it(`accepts nesting up to ${DEFAULT_MAX_JSON_DEPTH} levels and refuses deeper, before parsing`, () => {
    expect(parseJson(deep(DEFAULT_MAX_JSON_DEPTH), options)).toBeInstanceOf(Array);
    expect(() => parseJson(deep(DEFAULT_MAX_JSON_DEPTH + 1), options)).toThrow(
      '[@act/x] body is JSON nested deeper than 128 levels (the JSON depth limit)',
    );
    expect(() => parseJson(deep(100_000, '{"a":', '}'), options)).toThrow('nested deeper than 128 levels');
    expect(() => parseJson(deep(3, '{"a":', '}'), { ...options, maxDepth: 2 })).toThrow('deeper than 2 levels');
  });

  it('counts brackets outside strings only, escaped quotes included', () => {
    const text = JSON.stringify({ a: '['.repeat(500), b: `\\"${'{'.repeat(500)}`, c: [[['"]]]']]] });
    expect(parseJson(text, options)).toEqual(JSON.parse(text));
    expect(parseJson(new TextEncoder().encode(text), options)).toEqual(JSON.parse(text));
  });

  it('refuses invalid UTF-8 and invalid JSON as PayloadErrors (class validation)', () => {
    for (const input of [new Uint8Array([0x7b, 0xff, 0x7d]), '{"a": ', '']) {
      let caught: unknown;
      try {
        parseJson(input, options);
      } catch (error) {
        caught = error;
      }
      expect(ActError.isInstance(caught) && caught.errorClass).toBe('validation');
      expect((caught as Error).message).toMatch(/^\[@act\/x\] body is not UTF-8 JSON/);
    }
  });

  it('scans a 1 MiB body in a few milliseconds', () => {
    const text = JSON.stringify(Array.from({ length: 20_000 }, (_, i) => ({ id: `r${i}`, tags: ['a', 'b'], n: i })));
    const started = performance.now();
    for (let round = 0; round < 5; round++) parseJson(text, options);
    expect(text.length).toBeGreaterThan(500_000);
    expect((performance.now() - started) / 5).toBeLessThan(100);
  });
});

describe('classifyError', () => {
  it('dead-letters a stack overflow (a RangeError is decided by its input) instead of retrying it', () => {
    let overflow: unknown;
    try {
      JSON.stringify(JSON.parse(deep(200_000)));
    } catch (error) {
      overflow = error;
    }
    expect(overflow).toBeInstanceOf(RangeError);
    expect(classifyError(overflow)).toMatchObject({
      errorClass: 'validation',
      message: expect.stringContaining('a stack overflow: the input is nested too deeply'),
    });
    expect(classifyError(new RangeError('Invalid time value')).errorClass).toBe('validation');
  });
});

function pipeline(options: { storeUnparseable?: boolean; store?: StateStoreV1 } = {}) {
  const { connector, webhook } = createTestConnector();
  const processor: WebhookProcessorV1 = { ...webhook, ...(options.storeUnparseable ? { storeUnparseable: true } : {}) };
  const store = options.store ?? createMemoryStateStore();
  const handler = createWebhookHandler({ processor, store });
  const worker = createWorker({
    connectors: [{ ...connector, webhooks: { default: processor } }],
    store,
    sink: createMemorySink(),
    circuitBreaker: false,
  });
  return { handler, worker, store };
}

const LONG = 'é'.repeat(300); // 300 characters, 600 UTF-8 bytes
const idCases = [
  {
    name: 'a NUL in the tenant',
    body: { deliveryId: 'd1', tenant: 'acme\u0000', type: 'ThingUpsert' as const, thing: thing('t1', 'x') },
    reason: 'tenant "acme\\u0000" contains a NUL character',
  },
  {
    name: 'a NUL in the delivery id',
    body: { deliveryId: 'd\u00001', tenant: 'acme', type: 'ThingUpsert' as const, thing: thing('t1', 'x') },
    reason: 'delivery id "d\\u00001" contains a NUL character',
  },
  {
    name: `a tenant over ${ID_LIMITS.tenantBytes} UTF-8 bytes`,
    body: { deliveryId: 'd1', tenant: LONG, type: 'ThingUpsert' as const, thing: thing('t1', 'x') },
    reason: `tenant "${'é'.repeat(40)}…" (300 characters) is longer than ${ID_LIMITS.tenantBytes} UTF-8 bytes`,
  },
  {
    name: `a delivery id over ${ID_LIMITS.deliveryIdBytes} UTF-8 bytes`,
    body: { deliveryId: LONG, tenant: 'acme', type: 'ThingUpsert' as const, thing: thing('t1', 'x') },
    reason: `delivery id "${'é'.repeat(40)}…" (300 characters) is longer than ${ID_LIMITS.deliveryIdBytes} UTF-8 bytes`,
  },
  {
    name: 'a 3,000-character entity id',
    body: { deliveryId: 'd1', tenant: 'acme', type: 'ThingUpsert' as const, thing: thing('x'.repeat(3_000), 'x') },
    reason: `thing id "${'x'.repeat(40)}…" (3000 characters) is longer than ${ID_LIMITS.entityIdBytes} UTF-8 bytes`,
  },
  {
    name: 'a lone surrogate in the entity id',
    body: { deliveryId: 'd1', tenant: 'acme', type: 'ThingUpsert' as const, thing: thing('t\ud800', 'x') },
    reason: 'thing id "t\\ud800" contains a lone surrogate',
  },
];

describe('ids checked at receipt', () => {
  for (const poison of idCases) {
    it(`${poison.name}: 400 with the reason, nothing stored (a provider that retries 4xx is not asked to)`, async () => {
      const { handler, store } = pipeline();
      const response = await handler(await signedRequest(poison.body));
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toContain(poison.reason);
      expect(await store.listDeliveries({})).toEqual([]);
    });

    it(`${poison.name}: with storeUnparseable, kept as received (202) and dead-lettered at once with the reason`, async () => {
      const { handler, worker, store } = pipeline({ storeUnparseable: true });
      expect((await handler(await signedRequest(poison.body))).status).toBe(202);
      const [kept] = await store.listDeliveries({});
      // Storable whatever the ids: tenant `unknown`, deduped on the body's hash.
      expect(kept).toMatchObject({ tenant: 'unknown', dedupeKey: expect.stringMatching(/^test:sha256:/) });
      expect(await worker.drain()).toMatchObject({ outcomes: { dead: 1, retrying: 0, done: 0 } });
      const [dead] = await store.listDeliveries({});
      expect(dead).toMatchObject({ status: 'dead', lastErrorClass: 'validation', attempts: 1 });
      expect(dead?.lastError).toContain(`[@act/test-connector] undeliverable: ${poison.reason}`);
    });
  }

  it('accepts ids at the limits', async () => {
    const { handler, worker, store } = pipeline();
    const body = {
      deliveryId: 'é'.repeat(ID_LIMITS.deliveryIdBytes / 2),
      tenant: '😀'.repeat(ID_LIMITS.tenantBytes / 4),
      type: 'ThingUpsert' as const,
      thing: thing('x'.repeat(ID_LIMITS.entityIdBytes), 'ok'),
    };
    expect((await handler(await signedRequest(body))).status).toBe(200);
    expect(await worker.drain()).toMatchObject({ outcomes: { done: 1, dead: 0 } });
    expect(await store.listDeliveries({})).toHaveLength(1);
  });
});

describe('a store that refuses the content itself (class validation)', () => {
  /** A store whose enqueue refuses rows matching `refuse` with a validation-class error, like SQLSTATE 54000. */
  function refusingStore(refuse: (row: { tenant: string; dedupeKey: string }) => boolean, errorClass = 'validation') {
    const inner = createMemoryStateStore();
    const store: StateStoreV1 = Object.create(inner);
    store.enqueue = async (row) => {
      if (refuse(row)) {
        throw new ActError({
          packageName: '@act/sink-x',
          message: 'enqueue failed (SQLSTATE 54000): index row size 3056 exceeds btree version 4 maximum 2704',
          errorClass: errorClass as 'validation',
        });
      }
      return inner.enqueue(row);
    };
    return store;
  }
  const body = { deliveryId: 'd1', tenant: 'acme', type: 'ThingUpsert' as const, thing: thing('t1', 'x') };

  it('answers 400 with the reason instead of asking for a retry that can never succeed', async () => {
    const { handler } = pipeline({ store: refusingStore(() => true) });
    const response = await handler(await signedRequest(body));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toContain('delivery cannot be stored as received');
  });

  it('with storeUnparseable, keeps it under tenant unknown and the body hash (202), and the worker still applies it', async () => {
    const store = refusingStore((row) => row.tenant !== 'unknown');
    const { handler, worker } = pipeline({ storeUnparseable: true, store });
    expect((await handler(await signedRequest(body))).status).toBe(202);
    const [kept] = await store.listDeliveries({});
    expect(kept).toMatchObject({ tenant: 'unknown', dedupeKey: expect.stringMatching(/^test:sha256:/) });
    expect(await worker.drain()).toMatchObject({ outcomes: { done: 1 } });
  });

  it('still asks for a retry when the store is merely unavailable', async () => {
    const inner = createMemoryStateStore();
    const store: StateStoreV1 = Object.create(inner);
    store.enqueue = async () => {
      throw new StoreUnavailableError({ packageName: '@act/sink-x', message: 'connection refused' });
    };
    const { handler } = pipeline({ storeUnparseable: true, store });
    const response = await handler(await signedRequest(body));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('10');
  });
});
