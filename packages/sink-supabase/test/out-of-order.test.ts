import type { SinkOperationV1 } from '@act/core';
import { describe, expect, it } from 'vitest';
import { BENCH_MIGRATION, seededRandom, shuffle } from './helpers/bench-connector';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness, type TestState } from './helpers/harness';

const ENTITIES = 24;
const VERSIONS = 8;
const table = 'bench_things';

interface Plan {
  operations: SinkOperationV1[];
  /** Entities that get a delete, and its version. */
  deletes: Map<string, number>;
}

/** Every version of every entity, a delete for every third one, each op 1–3 times, shuffled. */
function plan(seed: number): Plan {
  const random = seededRandom(seed);
  const operations: SinkOperationV1[] = [];
  const deletes = new Map<string, number>();
  for (let entity = 0; entity < ENTITIES; entity++) {
    const id = `e${entity}`;
    const key = { tenant_id: 'ooo', id };
    const own: SinkOperationV1[] = [];
    for (let version = 1; version <= VERSIONS; version++) {
      own.push({ kind: 'upsert', table, key, values: { name: `v${version}` }, version });
    }
    if (entity % 3 === 0) {
      const version = 2 + Math.floor(random() * VERSIONS);
      deletes.set(id, version);
      own.push({ kind: 'delete', table, key, version, hard: entity % 6 === 0 });
    }
    for (const operation of own) {
      const copies = 1 + Math.floor(random() * 3);
      for (let copy = 0; copy < copies; copy++) operations.push(operation);
    }
  }
  return { operations: shuffle(operations, random), deletes };
}

function batches<T>(items: T[], random: () => number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; ) {
    const size = 1 + Math.floor(random() * 12);
    result.push(items.slice(start, start + size));
    start += size;
  }
  return result;
}

async function readAll(test: TestState) {
  const rows = await test.query<{
    id: string;
    name: string | null;
    _version: string | number | null;
    _deleted_at: Date | null;
  }>(`select id, name, _version, _deleted_at from "${test.schema}".${table} where tenant_id = 'ooo'`);
  return new Map(rows.map((row) => [row.id, row]));
}

function suite(harness: () => Harness, concurrent: boolean) {
  const h = harness();
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: shuffled, repeated versions end at the newest; deletes are never resurrected${concurrent ? ' (batches in parallel)' : ''}`, async () => {
      const test = await h.create({ migrations: [BENCH_MIGRATION] });
      try {
        const { operations, deletes } = plan(seed);
        const groups = batches(operations, seededRandom(seed * 7919));
        const created = new Map<string, number>();
        const deletedSeen = new Set<string>();
        const apply = async (batch: SinkOperationV1[]) => {
          const result = await test.state.sink.apply(batch);
          expect(result.outcomes).toHaveLength(batch.length);
          batch.forEach((operation, index) => {
            const id = String(operation.key.id);
            if (result.outcomes[index]?.outcome === 'created') created.set(id, (created.get(id) ?? 0) + 1);
            if (operation.kind === 'delete') deletedSeen.add(id);
          });
        };
        if (concurrent) {
          for (let start = 0; start < groups.length; start += 6)
            await Promise.all(groups.slice(start, start + 6).map(apply));
        } else {
          for (const batch of groups) {
            await apply(batch);
            // Once a delete is in, the row stays deleted whatever comes later.
            const rows = await readAll(test);
            for (const id of deletedSeen) expect(rows.get(id)?._deleted_at, `${id} resurrected`).not.toBeNull();
          }
        }
        const rows = await readAll(test);
        expect(rows.size).toBe(ENTITIES);
        for (let entity = 0; entity < ENTITIES; entity++) {
          const id = `e${entity}`;
          const row = rows.get(id);
          expect(created.get(id) ?? 0, `${id} created more than once`).toBeLessThanOrEqual(1);
          if (deletes.has(id)) {
            expect(row?._deleted_at, `${id} should be deleted`).not.toBeNull();
            if (entity % 6 === 0) expect(row?.name, `${id} hard-deleted values`).toBeNull();
          } else {
            expect(row?._deleted_at).toBeNull();
            expect(row?.name).toBe(`v${VERSIONS}`);
            expect(Number(row?._version)).toBe(VERSIONS);
          }
        }
      } finally {
        await test.destroy();
      }
    });
  }
}

describe('out of order and duplicated, on PGlite', () => suite(pgliteHarness, false));
describe.skipIf(!DATABASE_URL)('out of order and duplicated, on Postgres', () => {
  suite(postgresHarness, false);
  suite(postgresHarness, true);
});
