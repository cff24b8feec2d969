import type { SinkRowKeyV1, SinkV1, StateStoreV1 } from '@act/core';
import { TEST_SINK_TABLE, testSink, testStateStore } from '@act/core/testing';
import { describe } from 'vitest';
import { BOOKKEEPING_COLUMNS } from '../src';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness, type TestState } from './helpers/harness';

const bookkeeping = new Set<string>(BOOKKEEPING_COLUMNS);

function contract(harness: () => Harness) {
  const h = harness();
  const byStore = new Map<StateStoreV1, TestState>();
  const bySink = new Map<SinkV1, TestState>();

  describe('store', () => {
    testStateStore({
      async create() {
        const test = await h.create();
        byStore.set(test.state.store, test);
        return test.state.store;
      },
      async destroy(store) {
        await byStore.get(store)?.destroy();
        byStore.delete(store);
      },
    });
  });

  describe('sink', () => {
    testSink({
      async create() {
        const test = await h.create();
        bySink.set(test.state.sink, test);
        return test.state.sink;
      },
      async destroy(sink) {
        await bySink.get(sink)?.destroy();
        bySink.delete(sink);
      },
      async read(sink, key: SinkRowKeyV1) {
        const test = bySink.get(sink) as TestState;
        const [row] = await test.query<Record<string, unknown>>(
          `select * from "${test.schema}".${TEST_SINK_TABLE} where tenant_id = $1 and id = $2`,
          [key.tenant_id, key.id],
        );
        if (!row) return undefined;
        // Values as the mirror holds them; a hard delete leaves nulls, read as absent.
        const values = Object.fromEntries(
          Object.entries(row).filter(([column, value]) => !bookkeeping.has(column) && value !== null),
        );
        return { values, deleted: row._deleted_at !== null };
      },
      async readCursor(sink, key) {
        return (bySink.get(sink) as TestState).state.store.getCursor(key);
      },
      // SinkV1.scan (act_sink_scan, migration 0007), for reconciliation.
      scan: true,
    });
  });
}

describe('PGlite', () => contract(pgliteHarness));
describe.skipIf(!DATABASE_URL)('Postgres (DATABASE_URL)', () => contract(postgresHarness));
