// createAct: one router over every connector's webhook processors, the worker
// over all of them, migrate, and the contract-version checks.
import { describe, expect, it, vi } from 'vitest';
import {
  type Act,
  type ConnectorV1,
  createAct,
  createMemoryCredentialStore,
  createMemorySink,
  createMemoryStateStore,
  createMemorySyncStore,
  type PollerV1,
  PROCESSOR_HEADER,
  type WebhookProcessorV1,
} from '../src/internal';
import { createTestConnector, signedRequest, type TestBody, thing } from './helpers/test-connector';

/** The test connector with a second processor, `bulk`, that takes a different secret and tags its events. */
function twoProcessorConnector() {
  const { connector, webhook } = createTestConnector();
  const bulk: WebhookProcessorV1 = {
    ...webhook,
    async verify(request) {
      return request.headers['x-bulk-secret'] === 'bulk'
        ? { valid: true }
        : { valid: false, reason: 'bulk secret mismatch' };
    },
    async parse(request) {
      const parsed = await webhook.parse(request);
      return { ...parsed, events: parsed.events.map((event) => ({ ...event, type: `Bulk${event.type}` })) };
    },
  };
  return { ...connector, webhooks: { default: webhook, bulk } } satisfies ConnectorV1;
}

function memoryState() {
  return { store: createMemoryStateStore(), sink: createMemorySink() };
}

const body = (id: string, name: string): TestBody => ({
  deliveryId: `d-${id}-${name}`,
  tenant: 't1',
  type: 'ThingUpsert',
  thing: thing(id, name),
});

function at(path: string, request: Request, headers: Record<string, string> = {}): Request {
  const merged = new Headers(request.headers);
  for (const [name, value] of Object.entries(headers)) merged.set(name, value);
  return new Request(new URL(path, 'http://localhost'), {
    method: request.method,
    headers: merged,
    body: request.body,
    duplex: 'half',
  } as RequestInit);
}

describe('createAct', () => {
  it('routes /<source> to the default processor and /<source>/<name> to each, and records which one accepted the delivery', async () => {
    const state = memoryState();
    const act = createAct({ state, connectors: [twoProcessorConnector()], prefix: '/webhooks' });
    expect(act.routes).toEqual([
      { source: 'test', processor: 'default', paths: ['/webhooks/test', '/webhooks/test/default'] },
      { source: 'test', processor: 'bulk', paths: ['/webhooks/test/bulk'] },
    ]);

    const viaDefault = await act.handler(at('/webhooks/test', await signedRequest(body('a', 'one'))));
    expect(viaDefault.status).toBe(200);
    const viaBulk = await act.handler(
      at('/webhooks/test/bulk/', await signedRequest(body('b', 'two')), { 'x-bulk-secret': 'bulk' }),
    );
    expect(viaBulk.status).toBe(200);
    // The bulk route checks its own secret, not the default processor's signature.
    const refused = await act.handler(at('/webhooks/test/bulk', await signedRequest(body('c', 'three'))));
    expect(refused.status).toBe(401);

    const stored = await state.store.listDeliveries({ source: 'test' });
    expect(
      Object.fromEntries(stored.map((delivery) => [delivery.dedupeKey, delivery.headers[PROCESSOR_HEADER]])),
    ).toEqual({
      'test:d-a-one': 'default',
      'test:d-b-two': 'bulk',
    });

    // The worker re-parses each with the processor that accepted it.
    const round = await act.worker.drain();
    expect(round.outcomes.done).toBe(2);
    const events = await state.store.listEvents({ source: 'test' });
    expect(events.map((event) => event.type).sort()).toEqual(['BulkThingUpsert', 'ThingUpsert']);
    expect(
      state.sink
        .rows('things')
        .map((row) => row.values.name)
        .sort(),
    ).toEqual(['one', 'two']);
  });

  it('never takes x-act-processor from the request', async () => {
    const state = memoryState();
    const act = createAct({ state, connectors: [twoProcessorConnector()] });
    const response = await act.handler(
      at('/test', await signedRequest(body('a', 'one')), { [PROCESSOR_HEADER]: 'bulk' }),
    );
    expect(response.status).toBe(200);
    const [stored] = await state.store.listDeliveries({ source: 'test' });
    expect(stored?.headers[PROCESSOR_HEADER]).toBe('default');
  });

  it('answers 404 naming @act/core and the sources for an unknown source or processor, 405 with Allow for a GET', async () => {
    const act = createAct({ state: memoryState(), connectors: [twoProcessorConnector()], prefix: 'webhooks/' });
    for (const path of ['/webhooks/nope', '/webhooks/test/nope', '/test', '/webhooks', '/webhooks/test/bulk/extra']) {
      const response = await act.handler(
        new Request(new URL(path, 'http://localhost'), { method: 'POST', body: '{}' }),
      );
      expect(response.status, path).toBe(404);
      const { error } = (await response.json()) as { error: string };
      expect(error, path).toMatch(/^\[@act\/core\] no webhook endpoint at /);
      expect(error).toContain('/webhooks/test');
    }
    const get = await act.handler(new Request('http://localhost/webhooks/test'));
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it("answers a body refused unread (toNodeHandler's receive limits) with the status of the route's provider", () => {
    const { connector } = createTestConnector({ persistFailureStatus: 429 });
    const act = createAct({ state: memoryState(), connectors: [connector], prefix: '/webhooks' });
    const refuse = (
      act.handler as unknown as Record<symbol, (request: Request, reason: 'busy' | 'timeout') => Response>
    )[Symbol.for('@act/core.refuse-unread')];
    const busy = refuse?.(new Request('http://localhost/webhooks/test', { method: 'POST' }), 'busy');
    expect(busy?.status).toBe(429);
    expect(busy?.headers.get('retry-after')).toBeTruthy();
    expect(refuse?.(new Request('http://localhost/webhooks/nope', { method: 'POST' }), 'busy').status).toBe(404);
  });

  it('serves a lone processor at /<source> whatever its name', async () => {
    const { connector, webhook } = createTestConnector();
    const act = createAct({ state: memoryState(), connectors: [{ ...connector, webhooks: { signed: webhook } }] });
    expect(act.routes[0]?.paths).toEqual(['/test', '/test/signed']);
    expect((await act.handler(at('/test', await signedRequest(body('a', 'one'))))).status).toBe(200);
  });

  it('builds connector factories with the state stores, logger and fetch', async () => {
    const credentials = createMemoryCredentialStore();
    const state = { ...memoryState(), credentials };
    const logger = { debug() {}, info() {}, warn() {}, error() {} };
    const fetch = vi.fn();
    const factory = vi.fn(() => createTestConnector().connector);
    const act = createAct({ state, connectors: [factory], logger, fetch: fetch as never });
    expect(factory).toHaveBeenCalledWith({ oauth: { credentials }, logger, fetch });
    expect(act.connectors.map((connector) => connector.source)).toEqual(['test']);
  });

  it('migrates the state with every connector', async () => {
    const migrate = vi.fn(async () => {});
    const { connector } = createTestConnector();
    const act = createAct({ state: { ...memoryState(), migrate }, connectors: [connector] });
    await act.migrate();
    expect(migrate).toHaveBeenCalledWith({ connectors: [connector] });
    // In-memory state has nothing to migrate.
    await expect(createAct({ state: memoryState(), connectors: [connector] }).migrate()).resolves.toBeUndefined();
  });

  it('refuses parts of another contract version, duplicate sources and bad names', () => {
    const { connector, webhook } = createTestConnector();
    const v2 = (part: object) => ({ ...part, specificationVersion: 'v2' }) as never;
    expect(() =>
      createAct({ state: { ...memoryState(), store: v2(createMemoryStateStore()) }, connectors: [] }),
    ).toThrow('[@act/core] state.store: specificationVersion "v2" is not supported; this @act/core supports "v1"');
    expect(() => createAct({ state: memoryState(), connectors: [v2(connector)] })).toThrow(
      'connectors[0]: specificationVersion "v2" is not supported',
    );
    expect(() =>
      createAct({ state: memoryState(), connectors: [{ ...connector, webhooks: { default: v2(webhook) } }] }),
    ).toThrow('test.webhooks.default: specificationVersion "v2" is not supported');
    expect(() => createAct({ state: memoryState(), connectors: [connector, connector] })).toThrow(
      'two connectors have the source "test"',
    );
    expect(() =>
      createAct({ state: memoryState(), connectors: [{ ...connector, webhooks: { 'a/b': webhook } }] }),
    ).toThrow('is not a URL path segment');
    expect(() =>
      createAct({
        state: memoryState(),
        connectors: [{ ...connector, webhooks: { default: { ...webhook, source: 'other' } } }],
      }),
    ).toThrow('test.webhooks.default is a processor of source "other"');
  });

  it('dead-letters a delivery recorded by a processor the worker does not know', async () => {
    const state = memoryState();
    const act = createAct({ state, connectors: [twoProcessorConnector()] });
    await act.handler(at('/test/bulk', await signedRequest(body('a', 'one')), { 'x-bulk-secret': 'bulk' }));
    const { connector } = createTestConnector();
    const other = createAct({ state, connectors: [connector], worker: { circuitBreaker: false } });
    const round = await other.worker.drain();
    expect(round.outcomes.dead).toBe(1);
    const [stored] = await state.store.listDeliveries({ source: 'test' });
    expect(stored?.lastError).toContain('source "test" has no webhook processor "bulk"');
  });
});

describe('createAct: the scheduler', () => {
  const poller: PollerV1 = {
    specificationVersion: 'v1',
    stream: 'things',
    async *poll({ tenant }) {
      yield { events: [], cursor: `${tenant}-1` };
    },
  };

  it('runs over the connectors with the state sync store, and the state cleanup as its retention job', async () => {
    const { connector } = createTestConnector();
    const state = {
      ...memoryState(),
      sync: createMemorySyncStore(),
      cleanup: vi.fn(async () => ({ deliveries: 2, events: 1 })),
    };
    const act = createAct({ state, connectors: [{ ...connector, pollers: [poller] }], scheduler: { owner: 'app-1' } });
    await act.scheduler.connect({ source: 'test', tenant: 't1' });
    const { leader, ran } = await act.scheduler.tick();
    expect(leader).toBe(true);
    expect(ran.map((run) => [run.key, run.outcome]).sort()).toEqual([
      ['poll:test:t1:things', 'ok'],
      ['retention:::', 'ok'],
    ]);
    expect(state.cleanup).toHaveBeenCalledTimes(1);
    expect((await state.sync.listJobRuns({ kind: 'retention' }))[0]).toMatchObject({
      owner: 'app-1',
      counts: { deliveries: 2, events: 1 },
    });
    expect(await state.store.getCursor({ source: 'test', tenant: 't1', stream: 'things' })).toBe('t1-1');
  });

  it('keeps its jobs in memory when the state has no sync store', async () => {
    const { connector } = createTestConnector();
    const act = createAct({ state: memoryState(), connectors: [{ ...connector, pollers: [poller] }] });
    await act.scheduler.connect({ source: 'test', tenant: 't1' });
    expect((await act.scheduler.tick()).ran.map((run) => run.key)).toEqual(['poll:test:t1:things']);
  });

  it('mounts POST <prefix>/_act/tick behind the tick secret only when asked', async () => {
    const { connector } = createTestConnector();
    const tick = (act: Act, authorization?: string, method = 'POST') =>
      act.handler(
        new Request('http://localhost/webhooks/_act/tick', {
          method,
          ...(authorization ? { headers: { authorization } } : {}),
        }),
      );
    const act = createAct({
      state: memoryState(),
      connectors: [connector],
      prefix: '/webhooks',
      tick: { secret: ['a-0123456789abcdef', 'b-0123456789abcdef'] },
    });
    expect((await tick(act)).status).toBe(401);
    expect((await tick(act, 'Bearer wrong')).status).toBe(401);
    const response = await tick(act, 'Bearer b-0123456789abcdef');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ leader: true, ran: [] });
    expect((await tick(act, 'Bearer a-0123456789abcdef', 'GET')).status).toBe(405);
    // Not a webhook endpoint: the routes list only the sources'.
    expect(act.routes.map((route) => route.source)).toEqual(['test']);

    const without = createAct({ state: memoryState(), connectors: [connector], prefix: '/webhooks' });
    expect((await tick(without, 'Bearer a')).status).toBe(404);
  });
});
