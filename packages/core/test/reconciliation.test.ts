import { describe, expect, it } from 'vitest';
import { createMemorySink } from '../src/memory/memory-sink';
import { createMemoryStateStore } from '../src/memory/memory-state-store';
import { runReconciliation } from '../src/pipeline/run-reconciliation';
import type { ConnectorV1, ReconcilerV1, SourceEventV1 } from '../src/spec/v1';
import { createTestConnector, type TestThing, thing } from './helpers/test-connector';

const event = (tenant: string, record: TestThing): SourceEventV1 => ({
  source: 'test',
  tenant,
  type: 'ThingUpsert',
  entity: 'thing',
  entityId: record.id,
  version: Date.parse(record.updatedAt),
  payload: record,
});

function reconcilerOver(records: () => TestThing[], options: { failAfterPage?: number } = {}): ReconcilerV1 {
  return {
    specificationVersion: 'v1',
    table: 'things',
    keyColumns: ['tenant_id', 'id'],
    scope: (tenant) => ({ tenant_id: tenant }),
    keyOf: (listed) => ({ tenant_id: listed.tenant, id: listed.entityId }),
    async *list({ tenant }) {
      const all = records();
      for (let start = 0, page = 1; start < all.length; start += 2, page++) {
        if (options.failAfterPage !== undefined && page > options.failAfterPage) throw new Error('listing failed');
        yield all.slice(start, start + 2).map((record) => event(tenant, record));
      }
    },
  };
}

async function seededMirror() {
  const { connector } = createTestConnector();
  const store = createMemoryStateStore();
  const sink = createMemorySink();
  const source = [
    thing('a', 'A', '2026-11-01T10:00:00Z'),
    thing('b', 'B v2', '2026-11-01T11:00:00Z'),
    thing('c', 'C', '2026-11-01T10:00:00Z'),
    thing('d', 'D', '2026-11-01T10:00:00Z'),
  ];
  const key = (id: string) => ({ tenant_id: 'acme', id });
  await sink.apply([
    {
      kind: 'upsert',
      table: 'things',
      key: key('a'),
      values: { name: 'A' },
      version: Date.parse('2026-11-01T10:00:00Z'),
    },
    // stale: the mirror missed the 11:00 update
    {
      kind: 'upsert',
      table: 'things',
      key: key('b'),
      values: { name: 'B v1' },
      version: Date.parse('2026-11-01T09:00:00Z'),
    },
    // deleted at the source, still live here
    { kind: 'upsert', table: 'things', key: key('gone'), values: { name: 'Gone' }, version: 1 },
    {
      kind: 'upsert',
      table: 'things',
      key: key('d'),
      values: { name: 'D' },
      version: Date.parse('2026-11-01T10:00:00Z'),
    },
    // another tenant's row is out of scope
    { kind: 'upsert', table: 'things', key: { tenant_id: 'other', id: 'x' }, values: { name: 'X' }, version: 1 },
  ]);
  // 'c' is missing from the mirror (a lost webhook).
  return { connector, store, sink, source };
}

describe('runReconciliation', () => {
  it('finds a missing row, a stale row and a deleted row, repairs them and reports the drift', async () => {
    const { connector, store, sink, source } = await seededMirror();
    const reports = await runReconciliation({
      connector: { ...connector, reconcilers: [reconcilerOver(() => source)] } as ConnectorV1,
      tenant: 'acme',
      store,
      sink,
    });
    expect(reports).toEqual([
      {
        table: 'things',
        tenant: 'acme',
        listed: 4,
        missing: 1,
        stale: 1,
        drifted: 0,
        unchanged: 2,
        deleted: 1,
        deletesRefused: 0,
      },
    ]);
    expect(
      sink
        .rows('things')
        .filter((row) => row.key.tenant_id === 'acme')
        .map((row) => [row.key.id, row.values.name])
        .sort(),
    ).toEqual([
      ['a', 'A'],
      ['b', 'B v2'],
      ['c', 'C'],
      ['d', 'D'],
    ]);
    expect(sink.row('things', { tenant_id: 'acme', id: 'gone' })?.deletedAt).not.toBeNull();
    expect(sink.row('things', { tenant_id: 'other', id: 'x' })?.deletedAt).toBeNull();
    const events = await store.listEvents({ tenant: 'acme', limit: 50 });
    expect(events.every((logged) => logged.triggeredBy === 'reconciliation')).toBe(true);
    expect(events.map((logged) => `${logged.type}:${logged.outcome}`).sort()).toEqual([
      'ThingUpsert:created',
      'ThingUpsert:updated',
      'reconciliation.completed:ignored',
      'reconciliation.deleted:deleted',
    ]);
    expect(events.find((logged) => logged.type === 'reconciliation.completed')?.summary).toMatchObject({
      missing: 1,
      stale: 1,
      deleted: 1,
    });
  });

  it('repairs a row held at the source version with other content (same-version drift)', async () => {
    const { connector, store, sink, source } = await seededMirror();
    // 'd' at the source: same updatedAt as the mirror's row, other content (a
    // copy that won a tie it should not have, say).
    const drifted = source.map((record) => (record.id === 'd' ? { ...record, name: 'D at the source' } : record));
    const [report] = await runReconciliation({
      connector: { ...connector, reconcilers: [reconcilerOver(() => drifted)] } as ConnectorV1,
      tenant: 'acme',
      store,
      sink,
    });
    expect(report).toMatchObject({ listed: 4, missing: 1, stale: 1, drifted: 1, unchanged: 1 });
    expect(sink.row('things', { tenant_id: 'acme', id: 'd' })?.values.name).toBe('D at the source');
    // Rows compared and found equal are not reported as events; the repair is.
    const events = await store.listEvents({ tenant: 'acme', limit: 50 });
    expect(
      events
        .filter((logged) => logged.type === 'ThingUpsert')
        .map((logged) => logged.outcome)
        .sort(),
    ).toEqual(['created', 'updated', 'updated']);
    // A second run finds nothing left to repair.
    const [again] = await runReconciliation({
      connector: { ...connector, reconcilers: [reconcilerOver(() => drifted)] } as ConnectorV1,
      tenant: 'acme',
      store,
      sink,
    });
    expect(again).toMatchObject({ missing: 0, stale: 0, drifted: 0, unchanged: 4 });
  });

  it('deletes nothing when the listing does not complete', async () => {
    const { connector, store, sink, source } = await seededMirror();
    await expect(
      runReconciliation({
        connector: { ...connector, reconcilers: [reconcilerOver(() => source, { failAfterPage: 1 })] } as ConnectorV1,
        tenant: 'acme',
        store,
        sink,
      }),
    ).rejects.toThrow('listing failed');
    expect(sink.row('things', { tenant_id: 'acme', id: 'gone' })?.deletedAt).toBeNull();
  });

  it('refuses to empty the mirror when the source suddenly lists (almost) nothing', async () => {
    const { connector, store, sink } = await seededMirror();
    const reports = await runReconciliation({
      connector: { ...connector, reconcilers: [reconcilerOver(() => [])] } as ConnectorV1,
      tenant: 'acme',
      store,
      sink,
    });
    expect(reports[0]).toMatchObject({ listed: 0, deleted: 0, deletesRefused: 4 });
    expect(sink.rows('things').filter((row) => row.key.tenant_id === 'acme')).toHaveLength(4);
    const forced = await runReconciliation({
      connector: { ...connector, reconcilers: [reconcilerOver(() => [])] } as ConnectorV1,
      tenant: 'acme',
      store,
      sink,
      maxDeleteFraction: 1,
    });
    expect(forced[0]?.deleted).toBe(4);
  });

  it('needs a sink that can scan', async () => {
    const { connector, store } = await seededMirror();
    const sink = { specificationVersion: 'v1' as const, supportsCursorCommit: false, apply: createMemorySink().apply };
    await expect(runReconciliation({ connector, tenant: 'acme', store, sink })).rejects.toThrow(
      '[@act/core] reconciliation needs a sink that can scan its rows',
    );
  });

  it('throws a ConfigurationError naming the variable for a connector created without API credentials (issue 11, finding 10)', async () => {
    const { connector, store, sink } = await seededMirror();
    const receiveOnly = { ...connector, reconcilers: [], missingApiCredentials: 'TEST_API_TOKEN (apiToken)' };
    await expect(runReconciliation({ connector: receiveOnly, tenant: 'acme', store, sink })).rejects.toMatchObject({
      name: 'ConfigurationError',
      message:
        '[@act/core] runReconciliation: the test connector was created without API credentials, so it has no reconcilers: set TEST_API_TOKEN (apiToken)',
    });
  });
});

describe('runReconciliation over a restorable table', () => {
  it('deletes as restorable, and restores a record the source lists again at a newer version', async () => {
    const { connector } = createTestConnector();
    // A connector whose records can come back marks its upserts `restore` (the kit's `restorable` tables do).
    const restoring = {
      ...connector,
      transformer: {
        ...connector.transformer,
        async transform(...args: Parameters<typeof connector.transformer.transform>) {
          const operations = await connector.transformer.transform(...args);
          return operations.map((operation) =>
            operation.kind === 'upsert' ? { ...operation, restore: true } : operation,
          );
        },
      },
    };
    const store = createMemoryStateStore();
    const sink = createMemorySink();
    const at = (hour: number) => `2026-11-01T${String(hour).padStart(2, '0')}:00:00Z`;
    let source = [thing('a', 'A', at(10)), thing('b', 'B', at(10)), thing('c', 'C', at(10))];
    const restorable: ReconcilerV1 = { ...reconcilerOver(() => source), restorable: true };
    const run = (reconciler: ReconcilerV1) =>
      runReconciliation({
        connector: { ...restoring, reconcilers: [reconciler] } as ConnectorV1,
        tenant: 'acme',
        store,
        sink,
      });

    await run(restorable);
    // 'c' went to the trash at the source.
    source = source.filter((record) => record.id !== 'c');
    const [removed] = await run(restorable);
    expect(removed?.deleted).toBe(1);
    expect(sink.row('things', { tenant_id: 'acme', id: 'c' })?.deletedAt).not.toBeNull();

    // Back, edited at 11:00: the tombstone yields to the newer version.
    source = [...source, thing('c', 'C restored', at(11))];
    const [restored] = await run(restorable);
    expect(restored?.stale).toBe(1);
    const row = sink.row('things', { tenant_id: 'acme', id: 'c' });
    expect(row?.deletedAt).toBeNull();
    expect(row?.values.name).toBe('C restored');

    // A table that is not restorable keeps its tombstones, whatever the source lists.
    source = source.filter((record) => record.id !== 'b');
    await run(reconcilerOver(() => source));
    source = [...source, thing('b', 'B again', at(12))];
    const [final] = await run(reconcilerOver(() => source));
    expect(final?.unchanged).toBeGreaterThanOrEqual(1);
    expect(sink.row('things', { tenant_id: 'acme', id: 'b' })?.deletedAt).not.toBeNull();
  });
});
