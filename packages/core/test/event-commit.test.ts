import { describe, expect, it } from 'vitest';
import { createMemorySink } from '../src/memory/memory-sink';
import { createMemoryStateStore } from '../src/memory/memory-state-store';
import { settleIntegrationEvent } from '../src/pipeline/apply-events';
import { runReconciliation } from '../src/pipeline/run-reconciliation';
import { syncStream } from '../src/pipeline/sync-stream';
import type {
  ConnectorV1,
  IntegrationEventV1,
  PendingIntegrationEventV1,
  PollerV1,
  ReconcilerV1,
  SinkV1,
  SourceEventV1,
  StateStoreV1,
} from '../src/spec/v1';
import { createTestConnector, type TestThing, thing } from './helpers/test-connector';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const now = () => NOW;

const event = (tenant: string, record: TestThing, occurredAt?: string): SourceEventV1 => ({
  source: 'test',
  tenant,
  type: 'ThingUpsert',
  entity: 'thing',
  entityId: record.id,
  version: Date.parse(record.updatedAt),
  ...(occurredAt ? { occurredAt } : {}),
  payload: record,
});

const records = Array.from({ length: 7 }, (_, index) => thing(`t${index}`, `name ${index}`));

/** 3 records a page; the cursor is the next offset. The first record says when it happened. */
const listing: PollerV1 = {
  specificationVersion: 'v1',
  stream: 'things',
  async *poll({ tenant, cursor }) {
    for (let offset = cursor ? Number(cursor) : 0; offset < records.length; offset += 3) {
      const slice = records.slice(offset, offset + 3);
      yield {
        events: slice.map((record, index) =>
          event(tenant, record, offset + index === 0 ? '2026-12-01T11:59:58.000Z' : undefined),
        ),
        cursor: String(offset + slice.length),
      };
    }
  },
};

/**
 * A state store whose `recordEvents` calls are logged, and a sink over the
 * memory sink that commits the events it is handed into that store's
 * underlying memory store (as a SQL sink does in its transaction), completing
 * them as `PendingIntegrationEventV1` says.
 */
function committingSetup() {
  const inner = createMemoryStateStore();
  const recordCalls: IntegrationEventV1[][] = [];
  const store: StateStoreV1 = {
    ...inner,
    async recordEvents(events) {
      recordCalls.push([...events]);
      return inner.recordEvents(events);
    },
  };
  const real = createMemorySink();
  const handed: PendingIntegrationEventV1[][] = [];
  const sink: SinkV1 = {
    ...real,
    supportsEventCommit: true,
    async apply(operations, options) {
      const result = await real.apply(operations, options);
      if (!options?.events) return result;
      handed.push([...options.events]);
      const committed = options.events
        .map((pending) =>
          settleIntegrationEvent(
            pending,
            pending.operation !== undefined ? result.outcomes[pending.operation] : undefined,
            NOW,
          ),
        )
        .filter(
          (settled, index) =>
            !options.events?.[index]?.onlyIfChanged || ['created', 'updated', 'deleted'].includes(settled.outcome),
        );
      await inner.recordEvents(committed);
      return { ...result, committedAt: NOW };
    },
  };
  return { store, inner, sink, real, handed, recordCalls };
}

describe('integration events committed by the sink (SinkV1.supportsEventCommit)', () => {
  it('a poll page hands its events to the sink with the rows and cursor, and never records them itself', async () => {
    const { connector } = createTestConnector();
    const full = { ...connector, pollers: [listing] } as ConnectorV1;
    const committing = committingSetup();
    const result = await syncStream({
      connector: full,
      poller: listing,
      tenant: 'acme',
      store: committing.store,
      sink: committing.sink,
      correlationId: 'corr-1',
      now,
    });
    expect(result).toMatchObject({ pages: 3, events: 7, created: 7 });
    expect(committing.recordCalls).toEqual([]);
    // One apply per page, each carrying that page's events, pointing at their operations.
    expect(committing.handed.map((events) => events.map((pending) => [pending.entityId, pending.operation]))).toEqual([
      [
        ['t0', 0],
        ['t1', 1],
        ['t2', 2],
      ],
      [
        ['t3', 0],
        ['t4', 1],
        ['t5', 2],
      ],
      [['t6', 0]],
    ]);
    expect(committing.handed[0]?.[0]).toMatchObject({
      triggeredBy: 'poll',
      receivedAt: NOW,
      occurredAt: new Date('2026-12-01T11:59:58.000Z'),
      correlationId: 'corr-1',
      table: 'things',
    });

    // What the sink stored is what the runtime records itself with a sink that cannot commit events.
    const plainStore = createMemoryStateStore();
    await syncStream({
      connector: full,
      poller: listing,
      tenant: 'acme',
      store: plainStore,
      sink: createMemorySink(),
      correlationId: 'corr-1',
      now,
    });
    const expected = await plainStore.listEvents({ limit: 100 });
    expect(expected).toHaveLength(7);
    expect(expected.find((logged) => logged.entityId === 't0')).toMatchObject({
      latencyMs: 0,
      providerLatencyMs: 2_000,
    });
    expect(await committing.inner.listEvents({ limit: 100 })).toEqual(expected);
  });

  it('a sink without event commit gets no events, and the runtime records them after the page', async () => {
    const { connector } = createTestConnector();
    const store = createMemoryStateStore();
    const real = createMemorySink();
    const handed: unknown[] = [];
    const sink: SinkV1 = {
      ...real,
      async apply(operations, options) {
        handed.push(options?.events);
        return real.apply(operations, options);
      },
    };
    await syncStream({
      connector: { ...connector, pollers: [listing] } as ConnectorV1,
      poller: listing,
      tenant: 'acme',
      store,
      sink,
      now,
    });
    expect(handed).toEqual([undefined, undefined, undefined]);
    expect(await store.listEvents({ limit: 100 })).toHaveLength(7);
  });

  it('reconciliation commits its repairs and deletes with their events; same-version matches stay unrecorded', async () => {
    const { connector } = createTestConnector();
    const source = [thing('a', 'A', '2026-11-01T10:00:00Z'), thing('b', 'B v2', '2026-11-01T11:00:00Z')];
    const reconciler: ReconcilerV1 = {
      specificationVersion: 'v1',
      table: 'things',
      keyColumns: ['tenant_id', 'id'],
      scope: (tenant) => ({ tenant_id: tenant }),
      keyOf: (listed) => ({ tenant_id: listed.tenant, id: listed.entityId }),
      async *list({ tenant }) {
        yield source.map((record) => event(tenant, record));
      },
    };
    const full = { ...connector, reconcilers: [reconciler] } as ConnectorV1;
    const key = (id: string) => ({ tenant_id: 'acme', id });
    const seed = async (sink: SinkV1) => {
      await sink.apply([
        // Held at its source version with the same content: a match, no news.
        {
          kind: 'upsert',
          table: 'things',
          key: key('a'),
          values: { name: 'A' },
          version: Date.parse('2026-11-01T10:00:00Z'),
        },
        { kind: 'upsert', table: 'things', key: key('b'), values: { name: 'B v1' }, version: 1 },
        { kind: 'upsert', table: 'things', key: key('gone'), values: { name: 'Gone' }, version: 1 },
        { kind: 'upsert', table: 'things', key: key('kept'), values: { name: 'Kept' }, version: 1 },
        { kind: 'upsert', table: 'things', key: key('also'), values: { name: 'Also' }, version: 1 },
      ]);
    };
    const committing = committingSetup();
    await seed(committing.real);
    const run = (store: StateStoreV1, sink: SinkV1) =>
      runReconciliation({ connector: full, tenant: 'acme', store, sink, maxDeleteFraction: 1, now });
    const [report] = await run(committing.store, committing.sink);
    expect(report).toMatchObject({ listed: 2, stale: 1, unchanged: 1, deleted: 3 });
    // Only the run's closing summary goes through the state store: it has no write to ride on.
    expect(committing.recordCalls.flat().map((logged) => logged.type)).toEqual(['reconciliation.completed']);
    const handedTypes = committing.handed.map((events) => events.map((pending) => pending.type));
    expect(handedTypes).toEqual([
      ['ThingUpsert', 'ThingUpsert'],
      ['reconciliation.deleted', 'reconciliation.deleted', 'reconciliation.deleted'],
    ]);
    expect(committing.handed[0]?.[0]).toMatchObject({ entityId: 'a', onlyIfChanged: true });

    const plainStore = createMemoryStateStore();
    const plainSink = createMemorySink();
    await seed(plainSink);
    await run(plainStore, plainSink);
    const stored = await committing.inner.listEvents({ limit: 100 });
    expect(stored.map((logged) => `${logged.type}:${logged.entityId}:${logged.outcome}`).sort()).toEqual([
      'ThingUpsert:b:updated',
      'reconciliation.completed:acme:ignored',
      'reconciliation.deleted:also:deleted',
      'reconciliation.deleted:gone:deleted',
      'reconciliation.deleted:kept:deleted',
    ]);
    expect(stored).toEqual(await plainStore.listEvents({ limit: 100 }));
  });
});
