// Forwarding: applied events become outbox messages (in the sink's
// transaction where it can, through the outbox store otherwise), a replayed
// delivery forwards once, polls forward what changed, and createAct wires the
// dispatcher, `enqueue` and the tick route.
import { describe, expect, it } from 'vitest';
import {
  type ConnectorV1,
  createAct,
  createMemoryOutboxStore,
  createMemorySink,
  createMemoryStateStore,
  type OutboxDestinationV1,
  type OutboxForwardInputV1,
  type PendingOutboxMessageV1,
  type PollerV1,
  type ReconcilerV1,
  runPoller,
  runReconciliation,
  type SinkV1,
  sinkDestination,
} from '../src/internal';
import { createTestConnector, signedRequest, type TestBody, thing } from './helpers/test-connector';

/** A destination forwarding every event's payload, recording what it forwards and delivers. */
function recorder(name = 'recorder', options: { onlyIfChanged?: boolean } = {}) {
  const forwarded: OutboxForwardInputV1[] = [];
  const delivered: { key: string; payload: unknown }[] = [];
  const destination: OutboxDestinationV1 = {
    specificationVersion: 'v1',
    name,
    forward(input) {
      forwarded.push(input);
      return {
        payload: { id: input.event.entityId, triggeredBy: input.triggeredBy },
        ...(options.onlyIfChanged ? { onlyIfChanged: true } : {}),
      };
    },
    async deliver(message) {
      delivered.push({ key: message.key, payload: message.payload });
      return undefined;
    },
  };
  return { destination, forwarded, delivered };
}

const body = (id: string, name: string, deliveryId = `d-${id}-${name}`): TestBody => ({
  deliveryId,
  tenant: 't1',
  type: 'ThingUpsert',
  thing: thing(id, name),
});

describe('forwarding from the worker', () => {
  it('enqueues one message per applied event, delivered by act.outbox; a replayed delivery forwards once', async () => {
    const { connector } = createTestConnector();
    const target = recorder();
    const state = { store: createMemoryStateStore(), sink: createMemorySink(), outbox: createMemoryOutboxStore() };
    const act = createAct({
      state,
      connectors: [connector],
      prefix: '/webhooks',
      outbox: { destinations: [target.destination] },
    });

    expect((await act.handler(await signedRequest(body('a', 'first')))).status).toBe(200);
    await act.worker.drain();

    const [message] = await state.outbox.list();
    const [delivery] = await state.store.listDeliveries({ limit: 10 });
    expect(message).toMatchObject({
      destination: 'recorder',
      key: `${delivery?.id}:0`,
      source: 'test',
      tenant: 't1',
      deliveryId: delivery?.id,
      status: 'pending',
      payload: { id: 'a', triggeredBy: 'webhook' },
    });
    expect(target.forwarded[0]?.operations).toHaveLength(1);

    // The same delivery processed again (an operator's replay): nothing new is enqueued.
    await state.store.replay({ ids: [delivery?.id as string], statuses: ['done'] });
    await act.worker.drain();
    expect(await state.outbox.list()).toHaveLength(1);

    expect((await act.outbox.drain()).outcomes.done).toBe(1);
    expect(target.delivered).toEqual([{ key: `${delivery?.id}:0`, payload: { id: 'a', triggeredBy: 'webhook' } }]);
  });

  it('hands a forward the payload without the fields the policies block (a transformer without redact: top-level keys)', async () => {
    const { connector } = createTestConnector();
    const target = recorder();
    const state = { store: createMemoryStateStore(), sink: createMemorySink(), outbox: createMemoryOutboxStore() };
    const act = createAct({
      state,
      connectors: [connector],
      prefix: '/webhooks',
      outbox: { destinations: [target.destination] },
    });
    // The test connector's policy blocks `secret_note`.
    const leaky = { ...body('a', 'first'), thing: { ...thing('a', 'first'), secret_note: 'never leaves' } };
    expect((await act.handler(await signedRequest(leaky as TestBody))).status).toBe(200);
    await act.worker.drain();

    expect(target.forwarded).toHaveLength(1);
    expect(target.forwarded[0]?.event.payload).toMatchObject({ secret_note: 'never leaves' });
    expect(target.forwarded[0]?.payload).toEqual({ id: 'a', name: 'first', updatedAt: '2026-11-01T10:00:00.000Z' });
  });

  it('hands the messages to a sink that commits them with the rows, with each event operation index in the batch', async () => {
    const { connector } = createTestConnector();
    const target = recorder('changes', { onlyIfChanged: true });
    const memory = createMemorySink();
    const handed: (readonly PendingOutboxMessageV1[])[] = [];
    const sink: SinkV1 = {
      ...memory,
      supportsOutboxCommit: true,
      async apply(operations, options) {
        if (options?.outbox) handed.push(options.outbox);
        return memory.apply(operations, options);
      },
    };
    const outbox = createMemoryOutboxStore();
    const act = createAct({
      state: { store: createMemoryStateStore(), sink, outbox },
      connectors: [connector],
      prefix: '/webhooks',
      outbox: { destinations: [target.destination] },
    });
    await act.handler(await signedRequest(body('a', 'one')));
    await act.handler(await signedRequest(body('b', 'two')));
    await act.worker.drain();

    // One batch, two deliveries: each message points at its own event's operation.
    expect(handed).toHaveLength(1);
    expect(handed[0]?.map((message) => [message.payload, message.operation, message.onlyIfChanged])).toEqual([
      [{ id: 'a', triggeredBy: 'webhook' }, 0, true],
      [{ id: 'b', triggeredBy: 'webhook' }, 1, true],
    ]);
    // The sink committed them: the runtime enqueued nothing itself.
    expect(await outbox.list()).toEqual([]);
  });

  it('forwards only changes when the destination asks, enqueueing through the store for a sink that cannot', async () => {
    const { connector } = createTestConnector();
    const target = recorder('changes', { onlyIfChanged: true });
    const state = { store: createMemoryStateStore(), sink: createMemorySink(), outbox: createMemoryOutboxStore() };
    const act = createAct({
      state,
      connectors: [connector],
      prefix: '/webhooks',
      outbox: { destinations: [target.destination] },
    });
    await act.handler(await signedRequest(body('a', 'same', 'd1')));
    await act.worker.drain();
    // The same record at the same version again, in another delivery: the mirror does not change.
    await act.handler(await signedRequest(body('a', 'same', 'd2')));
    await act.worker.drain();

    expect(target.forwarded).toHaveLength(2);
    expect(await state.outbox.list()).toHaveLength(1);
  });

  it('forwards polled records that changed the mirror, keyed by record and version, marked triggeredBy poll', async () => {
    const { connector } = createTestConnector();
    const target = recorder('changes', { onlyIfChanged: true });
    const outbox = createMemoryOutboxStore();
    const listing = [thing('p1', 'one'), thing('p2', 'two')];
    const poller: PollerV1 = {
      specificationVersion: 'v1',
      stream: 'things',
      async *poll({ tenant }) {
        yield {
          cursor: 'end',
          events: listing.map((record) => ({
            source: 'test',
            tenant,
            type: 'ThingUpsert',
            entity: 'thing',
            entityId: record.id,
            version: Date.parse(record.updatedAt),
            payload: record,
          })),
        };
      },
    };
    const run = (store = createMemoryStateStore(), sink = createMemorySink()) =>
      runPoller({
        connector: { ...connector, pollers: [poller] } as ConnectorV1,
        tenant: 'acme',
        store,
        sink,
        outbox: { destinations: [target.destination], store: outbox },
      });
    const sink = createMemorySink();
    await run(createMemoryStateStore(), sink);
    const messages = await outbox.list();
    expect(messages.map((message) => message.key).sort()).toEqual([
      `test:acme:ThingUpsert:p1@${Date.parse(listing[0]?.updatedAt as string)}`,
      `test:acme:ThingUpsert:p2@${Date.parse(listing[1]?.updatedAt as string)}`,
    ]);
    expect(messages.every((message) => (message.payload as { triggeredBy: string }).triggeredBy === 'poll')).toBe(true);
    // Polled again from the start: nothing changed, nothing more is forwarded.
    await run(createMemoryStateStore(), sink);
    expect(await outbox.list()).toHaveLength(2);
  });
});

describe('forwarding from reconciliation', () => {
  it('forwards the records it repairs, marked triggeredBy reconciliation, and nothing for what was already right', async () => {
    const { connector } = createTestConnector();
    const target = recorder('changes', { onlyIfChanged: true });
    const outbox = createMemoryOutboxStore();
    const sink = createMemorySink();
    const listed = [thing('r1', 'one'), thing('r2', 'two')];
    const reconciler: ReconcilerV1 = {
      specificationVersion: 'v1',
      table: 'things',
      keyColumns: ['tenant_id', 'id'],
      scope: (tenant) => ({ tenant_id: tenant }),
      keyOf: (event) => ({ tenant_id: event.tenant, id: event.entityId }),
      async *list({ tenant }) {
        yield listed.map((record) => ({
          source: 'test',
          tenant,
          type: 'ThingUpsert',
          entity: 'thing',
          entityId: record.id,
          version: Date.parse(record.updatedAt),
          payload: record,
        }));
      },
    };
    // r1 is in the mirror already, at its version and with its content.
    await sink.apply([
      {
        kind: 'upsert',
        table: 'things',
        key: { tenant_id: 'acme', id: 'r1' },
        values: { name: 'one', stage: 'new' },
        version: Date.parse(listed[0]?.updatedAt as string),
      },
    ]);
    await runReconciliation({
      connector: { ...connector, reconcilers: [reconciler] } as ConnectorV1,
      tenant: 'acme',
      store: createMemoryStateStore(),
      sink,
      outbox: { destinations: [target.destination], store: outbox },
    });
    const messages = await outbox.list();
    expect(messages.map((message) => message.payload)).toEqual([{ id: 'r2', triggeredBy: 'reconciliation' }]);
  });
});

describe('createAct outbox', () => {
  it("takes the connectors' destinations too, and refuses two with one name", () => {
    const { connector } = createTestConnector();
    const own = recorder('shared').destination;
    const withDestination = { ...connector, destinations: [recorder('shared').destination] } as ConnectorV1;
    const state = { store: createMemoryStateStore(), sink: createMemorySink() };
    expect(() => createAct({ state, connectors: [withDestination], outbox: { destinations: [own] } })).toThrow(
      /two outbox destinations are named "shared"/,
    );
    const act = createAct({ state, connectors: [withDestination] });
    expect(act.outbox.destinations.map((destination) => destination.name)).toEqual(['shared']);
  });

  it('enqueue() refuses a destination that is not configured, and delivers the ones that are', async () => {
    const { connector } = createTestConnector();
    const target = recorder('writeback');
    const act = createAct({
      state: { store: createMemoryStateStore(), sink: createMemorySink() },
      connectors: [connector],
      outbox: { destinations: [target.destination] },
    });
    await expect(act.outbox.enqueue([{ destination: 'nowhere', key: 'k', payload: {} }])).rejects.toThrow(
      '[@act/core] no outbox destination "nowhere"',
    );
    const [first] = await act.outbox.enqueue([{ destination: 'writeback', key: 'k', payload: { set: 1 } }]);
    const [again] = await act.outbox.enqueue([{ destination: 'writeback', key: 'k', payload: { set: 1 } }]);
    expect(first?.duplicate).toBe(false);
    expect(again).toEqual({ id: first?.id, duplicate: true });
    await act.outbox.drain();
    expect(target.delivered).toEqual([{ key: 'k', payload: { set: 1 } }]);
  });

  it('the tick route drains the outbox after the scheduler round', async () => {
    const { connector } = createTestConnector();
    const target = recorder('writeback');
    const secret = 'a-tick-secret-of-enough-length';
    const act = createAct({
      state: { store: createMemoryStateStore(), sink: createMemorySink() },
      connectors: [connector],
      outbox: { destinations: [target.destination] },
      tick: { secret },
    });
    await act.outbox.enqueue([{ destination: 'writeback', key: 'k', payload: {} }]);
    const response = await act.handler(
      new Request('http://localhost/_act/tick', { method: 'POST', headers: { authorization: `Bearer ${secret}` } }),
    );
    expect(response.status).toBe(200);
    const result = (await response.json()) as { outbox: { claimed: number; outcomes: { done: number } } };
    expect(result.outbox).toMatchObject({ claimed: 1, outcomes: { done: 1 } });
    expect(target.delivered).toHaveLength(1);
  });
});

describe('sinkDestination: the mirror written on to another store', () => {
  it('applies each change to the destination sink once, blocked columns already gone, versions guarding order', async () => {
    const { connector } = createTestConnector();
    const downstream = createMemorySink();
    let failNext = true;
    const flaky: SinkV1 = {
      ...downstream,
      async apply(operations, options) {
        if (failNext) {
          failNext = false;
          throw new Error('destination unavailable');
        }
        return downstream.apply(operations, options);
      },
    };
    let time = Date.parse('2026-11-01T12:00:00.000Z');
    const outbox = createMemoryOutboxStore({ now: () => new Date(time) });
    const state = { store: createMemoryStateStore(), sink: createMemorySink(), outbox };
    const destination = sinkDestination({ name: 'crm', sink: flaky, tables: { things: 'crm_things' } });
    const act = createAct({
      state,
      connectors: [connector],
      prefix: '/webhooks',
      outbox: { destinations: [destination], dispatcher: { now: () => new Date(time) } },
    });
    await act.handler(await signedRequest(body('a', 'first')));
    await act.worker.drain();
    // The same record again at the same version: the mirror does not change, nothing more is queued.
    await act.handler(await signedRequest(body('a', 'first', 'again')));
    await act.worker.drain();
    expect(await state.outbox.list()).toHaveLength(1);

    // The first attempt fails and is retried on the schedule.
    expect((await act.outbox.drain()).outcomes.retrying).toBe(1);
    time += 60 * 60 * 1000;
    expect((await act.outbox.drain()).outcomes.done).toBe(1);

    const [row] = downstream.rows('crm_things');
    expect(row?.values).toMatchObject({ name: 'first', stage: 'new' });
    // The test connector's policy blocks secret_note: it never reaches the destination either.
    expect(row?.values).not.toHaveProperty('secret_note');
    const [message] = await state.outbox.list();
    expect(message).toMatchObject({ status: 'done', result: { created: 1, updated: 0 } });
  });

  it('refuses a message that is not operations as a validation error (dead at once)', async () => {
    const destination = sinkDestination({ name: 'crm', sink: createMemorySink() });
    const outbox = createMemoryOutboxStore();
    await outbox.enqueue([{ destination: 'crm', key: 'bad', payload: { rows: [] } }]);
    const act = createAct({
      state: { store: createMemoryStateStore(), sink: createMemorySink(), outbox },
      connectors: [createTestConnector().connector],
      outbox: { destinations: [destination] },
    });
    expect((await act.outbox.drain()).outcomes.dead).toBe(1);
    const [message] = await outbox.list();
    expect(message?.lastError).toContain('sinkDestination "crm": message');
    expect(message?.lastErrorClass).toBe('validation');
  });
});
