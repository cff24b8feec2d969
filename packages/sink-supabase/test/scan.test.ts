import {
  type ConnectorV1,
  type ReconcilerV1,
  runReconciliation,
  type SinkOperationV1,
  type SinkRowVersionV1,
  type SourceEventV1,
} from '@act/core';
import { TEST_SINK_TABLE } from '@act/core/testing';
import { describe, expect, it } from 'vitest';
import { PostgresError, type PostgresScanRequest, type PostgresSink } from '../src';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness, TEST_RECORDS_MIGRATION } from './helpers/harness';

async function collect(sink: PostgresSink, request: PostgresScanRequest): Promise<SinkRowVersionV1[][]> {
  const pages: SinkRowVersionV1[][] = [];
  for await (const page of sink.scan(request)) pages.push(page);
  return pages;
}

async function applyAll(sink: PostgresSink, operations: SinkOperationV1[]): Promise<void> {
  for (let start = 0; start < operations.length; start += 500) await sink.apply(operations.slice(start, start + 500));
}

const id = (index: number) => `r${String(index).padStart(5, '0')}`;

/** Mirror tables with awkward names and integer keys, for quoting and key types. */
const ODD_TABLES = {
  name: 'test/0002_odd_tables',
  sql: `create table "Odd ""Things"" Table" (
  "Tenant Id" text not null,
  "select" text not null,
  label text,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz,
  primary key ("Tenant Id", "select")
);
create table act_test_numbers (
  account integer not null,
  id bigint not null,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz,
  primary key (account, id)
);
`,
};

function scanSuite(harness: () => Harness) {
  const h = harness();

  it('2,500 rows in two tenants: one tenant’s rows exactly once each, in key order, keyset pages, deleted flagged', async () => {
    const test = await h.create();
    try {
      const sink = test.state.sink;
      const operations: SinkOperationV1[] = [];
      for (let index = 0; index < 1_300; index++) {
        operations.push({
          kind: 'upsert',
          table: TEST_SINK_TABLE,
          key: { tenant_id: 'tenant-a', id: id(index) },
          values: { name: `a${index}` },
          ...(index % 7 === 0 ? {} : { version: 1_000 + index }),
        });
      }
      for (let index = 0; index < 1_200; index++) {
        operations.push({
          kind: 'upsert',
          table: TEST_SINK_TABLE,
          key: { tenant_id: 'tenant-b', id: id(index) },
          values: { name: `b${index}` },
          version: 1,
        });
      }
      await applyAll(sink, operations);
      const deleted = new Set([0, 13, 999, 1_000, 1_299].map(id));
      await sink.apply(
        [...deleted].map((key) => ({
          kind: 'delete',
          table: TEST_SINK_TABLE,
          key: { tenant_id: 'tenant-a', id: key },
        })),
      );

      const request = { table: TEST_SINK_TABLE, where: { tenant_id: 'tenant-a' }, keyColumns: ['tenant_id', 'id'] };
      const pages = await collect(sink, request);
      expect(pages.map((page) => page.length)).toEqual([1_000, 300]);
      const rows = pages.flat();
      expect(rows.map((row) => row.key.id)).toEqual(Array.from({ length: 1_300 }, (_, index) => id(index)));
      for (const [index, row] of rows.entries()) {
        expect(row).toEqual({
          key: { tenant_id: 'tenant-a', id: id(index) },
          version: index % 7 === 0 ? undefined : 1_000 + index,
          deleted: deleted.has(id(index)),
        });
      }

      // Small pages walk the same rows, each once.
      const small = await collect(sink, { ...request, pageSize: 97 });
      expect(small).toHaveLength(Math.ceil(1_300 / 97));
      expect(small.flat()).toEqual(rows);
      // The other tenant, and no scope at all.
      expect((await collect(sink, { ...request, where: { tenant_id: 'tenant-b' } })).flat()).toHaveLength(1_200);
      expect((await collect(sink, { ...request, where: {} })).flat()).toHaveLength(2_500);
      expect(await collect(sink, { ...request, where: { tenant_id: 'nobody' } })).toEqual([]);
    } finally {
      await test.destroy();
    }
  });

  it('pages by key, not by offset: rows written between pages never repeat or push a row out', async () => {
    const test = await h.create();
    try {
      const sink = test.state.sink;
      await applyAll(
        sink,
        Array.from({ length: 30 }, (_, index) => ({
          kind: 'upsert' as const,
          table: TEST_SINK_TABLE,
          key: { tenant_id: 't', id: id(index * 10) },
          values: { name: 'x' },
        })),
      );
      const seen: string[] = [];
      let page = 0;
      for await (const rows of sink.scan({
        table: TEST_SINK_TABLE,
        where: { tenant_id: 't' },
        keyColumns: ['tenant_id', 'id'],
        pageSize: 10,
      })) {
        seen.push(...rows.map((row) => String(row.key.id)));
        page += 1;
        if (page === 1) {
          // Before the cursor: an OFFSET would now repeat the page's last rows.
          await sink.apply(
            [1, 2, 3].map((n) => ({
              kind: 'upsert',
              table: TEST_SINK_TABLE,
              key: { tenant_id: 't', id: id(n) },
              values: {},
            })),
          );
        }
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(Array.from({ length: 30 }, (_, index) => id(index * 10)));
    } finally {
      await test.destroy();
    }
  });

  it('quotes identifiers, keeps key types, returns bigint keys past 2^53 exactly, pages through them', async () => {
    const test = await h.create({ migrations: [TEST_RECORDS_MIGRATION, ODD_TABLES] });
    try {
      const sink = test.state.sink;
      const odd = 'Odd "Things" Table';
      await sink.apply([
        {
          kind: 'upsert',
          table: odd,
          key: { 'Tenant Id': "o'brien", select: 'b' },
          values: { label: 'B' },
          version: 2,
        },
        { kind: 'upsert', table: odd, key: { 'Tenant Id': "o'brien", select: 'a' }, values: { label: 'A' } },
        { kind: 'upsert', table: odd, key: { 'Tenant Id': 'other', select: 'a' }, values: { label: 'X' } },
      ]);
      const oddRows = (
        await collect(sink, { table: odd, where: { 'Tenant Id': "o'brien" }, keyColumns: ['Tenant Id', 'select'] })
      ).flat();
      expect(oddRows).toEqual([
        { key: { 'Tenant Id': "o'brien", select: 'a' }, version: undefined, deleted: false },
        { key: { 'Tenant Id': "o'brien", select: 'b' }, version: 2, deleted: false },
      ]);

      const big = ['9007199254740993', '9007199254740995', '9223372036854775807'];
      await sink.apply([
        ...[3, 1, 2].map((n) => ({
          kind: 'upsert' as const,
          table: 'act_test_numbers',
          key: { account: 7, id: n },
          values: {},
        })),
        ...big.map((n) => ({
          kind: 'upsert' as const,
          table: 'act_test_numbers',
          key: { account: 7, id: n },
          values: {},
        })),
        { kind: 'upsert', table: 'act_test_numbers', key: { account: 8, id: 1 }, values: {} },
      ]);
      // The where value may be a number or its text, as with apply.
      for (const account of [7, '7']) {
        const pages = await collect(sink, {
          table: 'act_test_numbers',
          where: { account },
          keyColumns: ['account', 'id'],
          pageSize: 2,
        });
        expect(pages.map((page) => page.length)).toEqual([2, 2, 2]);
        expect(pages.flat().map((row) => row.key)).toEqual([
          { account: 7, id: 1 },
          { account: 7, id: 2 },
          { account: 7, id: 3 },
          ...big.map((n) => ({ account: 7, id: n })),
        ]);
      }
    } finally {
      await test.destroy();
    }
  });

  it('refuses what it cannot scan: a missing table, a table without bookkeeping columns, an unknown column', async () => {
    const test = await h.create();
    try {
      const sink = test.state.sink;
      const request = { table: TEST_SINK_TABLE, where: { tenant_id: 't' }, keyColumns: ['tenant_id', 'id'] };
      await expect(collect(sink, { ...request, table: 'no_such_table' })).rejects.toThrow(
        /act_sink_scan.*no_such_table does not exist.*have the migrations run/,
      );
      // Not a mirror table: the credentials, for one, are never listed through the sink.
      await expect(collect(sink, { ...request, table: 'act_credentials', keyColumns: ['value'] })).rejects.toThrow(
        /not a mirror table/,
      );
      await expect(collect(sink, { ...request, where: { nope: 'x' } })).rejects.toThrow(/has no column nope/);
      await expect(collect(sink, { ...request, keyColumns: ['tenant_id', 'nope'] })).rejects.toThrow(
        /has no key column nope/,
      );
      await expect(collect(sink, { ...request, keyColumns: ['_version'] })).rejects.toThrow(/cannot be a key column/);
      await expect(collect(sink, { ...request, keyColumns: [] })).rejects.toThrow(/no key columns/);
      const error = await collect(sink, { ...request, table: 'no_such_table' }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PostgresError);
    } finally {
      await test.destroy();
    }
  });

  it('stops between pages when the signal aborts', async () => {
    const test = await h.create();
    try {
      const sink = test.state.sink;
      await sink.apply(
        Array.from({ length: 5 }, (_, index) => ({
          kind: 'upsert' as const,
          table: TEST_SINK_TABLE,
          key: { tenant_id: 't', id: id(index) },
          values: {},
        })),
      );
      const controller = new AbortController();
      const request = {
        table: TEST_SINK_TABLE,
        where: { tenant_id: 't' },
        keyColumns: ['tenant_id', 'id'],
        pageSize: 2,
        signal: controller.signal,
      };
      const pages: SinkRowVersionV1[][] = [];
      await expect(
        (async () => {
          for await (const page of sink.scan(request)) {
            pages.push(page);
            controller.abort(new Error('stop here'));
          }
        })(),
      ).rejects.toThrow('stop here');
      expect(pages).toHaveLength(1);
      await expect(collect(sink, request)).rejects.toThrow('stop here');
    } finally {
      await test.destroy();
    }
  });

  it('runReconciliation end to end: finds missing, stale and deleted rows of one tenant and repairs them', async () => {
    const test = await h.create();
    try {
      const { sink, store } = test.state;
      const tenant = 'loc_1';
      // The mirror: r00000…r00009 at version 1 in our tenant, and a neighbour's rows.
      await sink.apply([
        ...Array.from({ length: 10 }, (_, index) => ({
          kind: 'upsert' as const,
          table: TEST_SINK_TABLE,
          key: { tenant_id: tenant, id: id(index) },
          values: { name: `old ${index}` },
          version: 1,
        })),
        { kind: 'upsert', table: TEST_SINK_TABLE, key: { tenant_id: 'loc_2', id: id(0) }, values: {}, version: 1 },
      ]);
      // The source: r00009 and r00008 are gone, r00003 changed, r00042 is new,
      // r00005 differs at the same version (drift versions alone cannot see).
      const listing = [0, 1, 2, 3, 4, 5, 6, 7, 42].map((index) => ({
        id: id(index),
        name: index === 3 ? 'changed' : index === 42 ? 'new' : index === 5 ? 'drifted' : `old ${index}`,
        version: index === 3 || index === 42 ? 2 : 1,
      }));
      type Listed = (typeof listing)[number];
      const reconciler: ReconcilerV1 = {
        specificationVersion: 'v1',
        table: TEST_SINK_TABLE,
        keyColumns: ['tenant_id', 'id'],
        scope: (scopeTenant) => ({ tenant_id: scopeTenant }),
        async *list() {
          for (let start = 0; start < listing.length; start += 4) {
            yield listing.slice(start, start + 4).map(
              (record): SourceEventV1<Listed> => ({
                source: 'test',
                tenant,
                type: 'record.listed',
                entity: 'record',
                entityId: record.id,
                version: record.version,
                payload: record,
              }),
            );
          }
        },
        keyOf: (event) => ({ tenant_id: event.tenant, id: event.entityId }),
      };
      const connector: ConnectorV1 = {
        specificationVersion: 'v1',
        source: 'test',
        packageName: '@act/test',
        reconcilers: [reconciler],
        transformer: {
          specificationVersion: 'v1',
          transform: (event) => [
            {
              kind: 'upsert',
              table: TEST_SINK_TABLE,
              key: { tenant_id: event.tenant, id: event.entityId },
              values: { name: (event.payload as Listed).name },
              ...(event.version !== undefined ? { version: event.version } : {}),
            },
          ],
        },
      };

      const [report] = await runReconciliation({ connector, tenant, store, sink });
      expect(report).toEqual({
        table: TEST_SINK_TABLE,
        tenant,
        listed: 9,
        missing: 1,
        stale: 1,
        drifted: 1,
        unchanged: 6,
        deleted: 2,
        deletesRefused: 0,
      });

      const rows = await test.query<{ tenant_id: string; id: string; name: string | null; deleted: boolean }>(
        `select tenant_id, id, name, _deleted_at is not null as deleted from "${test.schema}".${TEST_SINK_TABLE} order by tenant_id, id`,
      );
      const mine = rows.filter((row) => row.tenant_id === tenant);
      expect(mine.find((row) => row.id === id(3))).toMatchObject({ name: 'changed', deleted: false });
      expect(mine.find((row) => row.id === id(42))).toMatchObject({ name: 'new', deleted: false });
      expect(mine.find((row) => row.id === id(5))).toMatchObject({ name: 'drifted', deleted: false });
      expect(mine.filter((row) => row.deleted).map((row) => row.id)).toEqual([id(8), id(9)]);
      expect(rows.filter((row) => row.tenant_id === 'loc_2')).toEqual([
        { tenant_id: 'loc_2', id: id(0), name: null, deleted: false },
      ]);

      const events = await store.listEvents({ source: 'test', tenant });
      expect(events.every((event) => event.triggeredBy === 'reconciliation')).toBe(true);
      expect(events.filter((event) => event.type === 'reconciliation.deleted')).toHaveLength(2);
      expect(events.find((event) => event.type === 'reconciliation.completed')?.summary).toMatchObject({
        missing: 1,
        stale: 1,
        deleted: 2,
      });

      // A second run finds nothing left to repair.
      const [again] = await runReconciliation({ connector, tenant, store, sink });
      expect(again).toMatchObject({ listed: 9, missing: 0, stale: 0, unchanged: 9, deleted: 0 });
    } finally {
      await test.destroy();
    }
  });
}

describe('sink.scan on PGlite', () => scanSuite(pgliteHarness));
describe.skipIf(!DATABASE_URL)('sink.scan on Postgres (DATABASE_URL)', () => scanSuite(postgresHarness));
