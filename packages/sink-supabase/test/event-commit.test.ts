import type { SinkOperationV1, SourceEventV1 } from '@act/core';
import { describeApplied, type PreparedEvents, pendingIntegrationEvents } from '@act/core/internal';
import { describe, expect, it, vi } from 'vitest';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness, type TestState } from './helpers/harness';

// A poll page's rows, cursor and integration events commit in one
// act_sink_apply call (0010_act_sync.sql), so a crash cannot keep the page
// and lose its events. What the sink stores must be what @act/core's
// describeApplied reports for the same batch.

const table = 'act_test_records';
const TENANT = 'tenant';
const key = (id: string) => ({ tenant_id: TENANT, id });
const upsert = (id: string, values: Record<string, unknown>, version: number, target = table): SinkOperationV1 => ({
  kind: 'upsert',
  table: target,
  key: key(id),
  values,
  version,
});
const sourceEvent = (id: string, version: number, occurredAt?: string): SourceEventV1 => ({
  source: 'feed',
  tenant: TENANT,
  type: 'ItemUpdate',
  entity: 'item',
  entityId: id,
  version,
  ...(occurredAt ? { occurredAt } : {}),
  payload: {},
});
const cursor = { source: 'feed', tenant: TENANT, stream: 'items', cursor: '7' };

function suite(harness: () => Harness) {
  const h = harness();
  const withState = (fn: (test: TestState) => Promise<void>) => async () => {
    const test = await h.create();
    try {
      await fn(test);
    } finally {
      await test.destroy();
    }
  };

  it(
    'commits the rows, the cursor and the events together; the stored events are what describeApplied reports',
    withState(async (test) => {
      const { sink, store } = test.state;
      expect(sink.supportsEventCommit).toBe(true);
      await sink.apply([upsert('b', { name: 'B' }, 5), upsert('c', { name: 'C' }, 3)]);

      // One event per operation, except 'd' (two copies in the page: the older collapses) and one that wrote nothing.
      const prepared: PreparedEvents = {
        operations: [
          upsert('a', { name: 'A' }, 1), // created
          upsert('b', { name: 'B old' }, 4), // stale (the stored row is newer)
          upsert('c', { name: 'C' }, 3), // unchanged: a same-version match, recorded only if changed
          upsert('d', { name: 'D1' }, 2), // stale within the batch (collapsed by the sink before SQL)
          upsert('d', { name: 'D2' }, 3), // created
        ],
        spans: [
          { event: sourceEvent('a', 1, '2026-12-01T09:59:57.500Z'), start: 0, count: 1 },
          { event: sourceEvent('b', 4), start: 1, count: 1 },
          { event: sourceEvent('c', 3), start: 2, count: 1 },
          { event: sourceEvent('d', 2), start: 3, count: 1 },
          { event: sourceEvent('d', 3), start: 4, count: 1 },
          { event: sourceEvent('nothing', 9), start: 5, count: 0 },
        ],
      };
      const input = {
        triggeredBy: 'poll' as const,
        receivedAt: new Date(Date.now() - 1_234),
        correlationId: 'corr-1',
        onlyIfChanged: (index: number) => index === 2,
      };
      const pending = pendingIntegrationEvents(prepared, input);
      const result = await sink.apply(prepared.operations, { cursor, events: pending });
      expect(result.outcomes).toEqual([
        { outcome: 'created' },
        { outcome: 'skipped', reason: 'stale' },
        { outcome: 'skipped', reason: 'unchanged' },
        { outcome: 'skipped', reason: 'stale' },
        { outcome: 'created' },
      ]);
      expect(result.committedAt).toBeInstanceOf(Date);

      const described = describeApplied(prepared, result, input, result.committedAt as Date);
      const expected = described.integrationEvents.filter((_, index) => described.recordable[index]);
      expect(expected.map((event) => `${event.entityId}:${event.outcome}`)).toEqual([
        'a:created',
        'b:skipped',
        'd:skipped',
        'd:created',
        'nothing:ignored',
      ]);
      expect(expected[0]).toMatchObject({ latencyMs: expect.any(Number), providerLatencyMs: expect.any(Number) });
      expect(expected[1]?.summary).toEqual({ operations: 1, version: 4, skipped: 'stale' });
      // Oldest first, as the page's order.
      const stored = (await store.listEvents({ source: 'feed', limit: 100 })).reverse();
      expect(stored).toEqual(expected);

      expect(await store.getCursor({ source: 'feed', tenant: TENANT, stream: 'items' })).toBe('7');
      const rows = await test.query<{ id: string; name: string }>(
        `select id, name from "${test.schema}".${table} order by id`,
      );
      expect(rows).toEqual([
        { id: 'a', name: 'A' },
        { id: 'b', name: 'B' },
        { id: 'c', name: 'C' },
        { id: 'd', name: 'D2' },
      ]);
    }),
  );

  it(
    'the events go out live on commit (NOTIFY), as every integration event does',
    withState(async (test) => {
      const { state } = test;
      const { sink } = state;
      const received: string[] = [];
      const unsubscribe = await state.subscribe((live) => void received.push(`${live.entityId}:${live.outcome}`), {
        source: 'feed',
      });
      try {
        const operations = [upsert('a', { name: 'A' }, 1), upsert('b', { name: 'B' }, 1)];
        const prepared: PreparedEvents = {
          operations,
          spans: [
            { event: sourceEvent('a', 1), start: 0, count: 1 },
            { event: sourceEvent('b', 1), start: 1, count: 1 },
          ],
        };
        await sink.apply(operations, {
          cursor,
          events: pendingIntegrationEvents(prepared, { triggeredBy: 'poll', receivedAt: new Date() }),
        });
        await vi.waitFor(() => expect(received).toEqual(['a:created', 'b:created']), { timeout: 2_000, interval: 5 });
      } finally {
        await unsubscribe();
      }
    }),
  );

  it(
    'a failing apply writes none of them: no rows, no cursor, no events',
    withState(async (test) => {
      const { sink, store } = test.state;
      // act_test_records is written first (tables in name order), then the missing table fails the call.
      const operations = [upsert('a', { name: 'A' }, 1), upsert('z', { name: 'Z' }, 1, 'act_missing_table')];
      const prepared: PreparedEvents = {
        operations,
        spans: [
          { event: sourceEvent('a', 1), start: 0, count: 1 },
          { event: sourceEvent('z', 1), start: 1, count: 1 },
        ],
      };
      const pending = pendingIntegrationEvents(prepared, { triggeredBy: 'poll', receivedAt: new Date() });
      await expect(sink.apply(operations, { cursor, events: pending })).rejects.toThrow(/act_missing_table/);
      expect(await test.query(`select id from "${test.schema}".${table}`)).toEqual([]);
      expect(await store.getCursor({ source: 'feed', tenant: TENANT, stream: 'items' })).toBeNull();
      expect(await store.listEvents({ limit: 100 })).toEqual([]);
    }),
  );

  it(
    'events for a batch with no operations are recorded as ignored with the cursor',
    withState(async (test) => {
      const { sink, store } = test.state;
      const prepared: PreparedEvents = { operations: [], spans: [{ event: sourceEvent('x', 1), start: 0, count: 0 }] };
      const input = { triggeredBy: 'poll' as const, receivedAt: new Date() };
      const result = await sink.apply([], { cursor, events: pendingIntegrationEvents(prepared, input) });
      const described = describeApplied(prepared, result, input, result.committedAt as Date);
      expect(await store.listEvents({ limit: 100 })).toEqual(described.integrationEvents);
      expect(described.integrationEvents[0]?.outcome).toBe('ignored');
      expect(await store.getCursor({ source: 'feed', tenant: TENANT, stream: 'items' })).toBe('7');
    }),
  );
}

describe('integration events committed with the rows on PGlite', () => suite(pgliteHarness));
describe.skipIf(!DATABASE_URL)('integration events committed with the rows on Postgres', () => suite(postgresHarness));
