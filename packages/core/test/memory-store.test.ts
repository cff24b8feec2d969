import { describe } from 'vitest';
import type { MemorySink } from '../src/memory/memory-sink';
import { createMemorySink } from '../src/memory/memory-sink';
import { createMemoryStateStore } from '../src/memory/memory-state-store';
import { TEST_SINK_TABLE, testSink, testStateStore } from '../src/testing';

describe('memory state store', () => {
  testStateStore({ create: () => createMemoryStateStore() });
});

describe('memory sink', () => {
  testSink({
    create: () => createMemorySink(),
    scan: true,
    async read(sink, key) {
      const row = (sink as MemorySink).row(TEST_SINK_TABLE, key);
      return row ? { values: row.values, deleted: row.deletedAt !== null || row.purged } : undefined;
    },
  });
});
