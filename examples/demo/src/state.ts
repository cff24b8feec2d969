/**
 * Where the demo keeps its inbox, cursors and mirror. In-memory until
 * @act/sink-supabase lands; the rest of the demo only sees the contracts.
 */
import { createMemorySink, createMemoryStateStore, type SinkV1, type StateStoreV1 } from '@act/core';

export interface MirrorRow {
  key: Record<string, string | number>;
  values: Record<string, unknown>;
}

export interface DemoState {
  description: string;
  store: StateStoreV1;
  sink: SinkV1;
  migrate(migrations: readonly { name: string; sql: string }[]): Promise<void>;
  /** Live (not deleted) rows of a mirror table. */
  rows(table: string): Promise<MirrorRow[]>;
  close(): Promise<void>;
}

export async function openDemoState(): Promise<DemoState> {
  const store = createMemoryStateStore();
  const sink = createMemorySink();
  return {
    description: 'in memory (lost on exit)',
    store,
    sink,
    async migrate() {},
    async rows(table) {
      return sink.rows(table).map((row) => ({ key: { ...row.key }, values: row.values }));
    },
    async close() {},
  };
}
