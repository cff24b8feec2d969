import type { SinkUpsertV1 } from '@act/core';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DATABASE_URL, postgresHarness } from './helpers/harness';

const table = 'act_test_records';
const upsert = (id: string, name: string, version: number): SinkUpsertV1 => ({
  kind: 'upsert',
  table,
  key: { tenant_id: 'tenant', id },
  values: { name },
  version,
});

// act_sink_apply (migration 0013) reads the mirror without locks to sort a
// batch, then inserts the keys it did not find with a plain INSERT. These
// check the two races that design has to get right, on a real server.
describe.skipIf(!DATABASE_URL)('sink races on Postgres', () => {
  const h = postgresHarness();

  it('a key another transaction inserts meanwhile goes through the version guard, not a unique violation', async () => {
    const test = await h.create();
    const other = new pg.Client({ connectionString: DATABASE_URL });
    await other.connect();
    try {
      const s = `"${test.schema}"`;
      await other.query('begin');
      await other.query(
        `insert into ${s}.${table} (tenant_id, id, name, _version) values ('tenant', 'new', 'theirs', 5), ('tenant', 'old', 'theirs', 9)`,
      );
      // Both keys are absent for the batch's join; its INSERT waits on the open transaction.
      const applying = test.state.sink.apply([upsert('new', 'ours', 7), upsert('old', 'ours', 7)]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await other.query('commit');
      const result = await applying;
      expect(result.outcomes).toEqual([{ outcome: 'updated' }, { outcome: 'skipped', reason: 'stale' }]);
      const rows = await test.query<{ id: string; name: string; _version: string }>(
        `select id, name, _version from ${s}.${table} order by id`,
      );
      expect(rows.map((row) => [row.id, row.name, Number(row._version)])).toEqual([
        ['new', 'ours', 7],
        ['old', 'theirs', 9],
      ]);
    } finally {
      await other.end();
      await test.destroy();
    }
  });

  it('refuses unchanged, stale and tombstoned rows without waiting for a lock another transaction holds', async () => {
    const test = await h.create();
    const other = new pg.Client({ connectionString: DATABASE_URL });
    await other.connect();
    try {
      const s = `"${test.schema}"`;
      await test.state.sink.apply([upsert('a', 'A', 5), upsert('b', 'B', 5), upsert('c', 'C', 5)]);
      await test.state.sink.apply([{ kind: 'delete', table, key: { tenant_id: 'tenant', id: 'c' }, version: 6 }]);
      await other.query('begin');
      await other.query(`select 1 from ${s}.${table} for update`);
      const result = await test.state.sink.apply([upsert('a', 'A', 5), upsert('b', 'B old', 4), upsert('c', 'C', 9)]);
      expect(result.outcomes).toEqual([
        { outcome: 'skipped', reason: 'unchanged' },
        { outcome: 'skipped', reason: 'stale' },
        { outcome: 'skipped', reason: 'deleted' },
      ]);
      await other.query('commit');
    } finally {
      await other.end();
      await test.destroy();
    }
  });

  it('refuses rows the write rules leave unchanged, and restores below a tombstone, without waiting for a lock', async () => {
    const test = await h.create();
    const other = new pg.Client({ connectionString: DATABASE_URL });
    await other.connect();
    try {
      const s = `"${test.schema}"`;
      const key = (id: string) => ({ tenant_id: 'tenant', id });
      await test.state.sink.apply([
        { kind: 'upsert', table, key: key('a'), values: { name: 'A', stage: 'replied' }, version: 5 },
        { kind: 'upsert', table, key: key('b'), values: { name: 'B', stage: 'won' }, version: 5 },
        { kind: 'delete', table, key: key('c'), version: 9, restorable: true },
      ]);
      await other.query('begin');
      await other.query(`select 1 from ${s}.${table} for update`);
      const result = await test.state.sink.apply([
        { ...upsert('a', 'A', 5), values: { name: 'A', stage: 'lead' }, forwardOnly: { stage: ['lead', 'replied'] } },
        { ...upsert('b', 'B', 5), values: { name: 'B', stage: 'lost' }, preserveIfSet: ['stage'] },
        { ...upsert('c', 'C', 7), restore: true },
      ]);
      expect(result.outcomes).toEqual([
        { outcome: 'skipped', reason: 'unchanged' },
        { outcome: 'skipped', reason: 'unchanged' },
        { outcome: 'skipped', reason: 'deleted' },
      ]);
      await other.query('commit');
    } finally {
      await other.end();
      await test.destroy();
    }
  });

  it.each([
    ['changes the values (v6 B)', "name = 'B', _version = 6", [{ outcome: 'updated' }], ['A', 7]],
    ['moves past our version (v9 B)', "name = 'B', _version = 9", [{ outcome: 'skipped', reason: 'stale' }], ['B', 9]],
  ])(
    'an unchanged row taking a newer version is decided again under the lock when another transaction %s meanwhile',
    async (_what, change, outcomes, expected) => {
      const test = await h.create();
      const other = new pg.Client({ connectionString: DATABASE_URL });
      await other.connect();
      try {
        const s = `"${test.schema}"`;
        await test.state.sink.apply([upsert('a', 'A', 5)]);
        // The other writer holds the row; our batch reads v5 A without a lock: same values, newer version.
        await other.query('begin');
        await other.query(`update ${s}.${table} set ${change} where id = 'a'`);
        const applying = test.state.sink.apply([upsert('a', 'A', 7)]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await other.query('commit');
        expect((await applying).outcomes).toEqual(outcomes);
        // Never a newer version tag on someone else's values, never a version moved backwards.
        const [row] = await test.query<{ name: string; _version: string }>(
          `select name, _version from ${s}.${table} where id = 'a'`,
        );
        expect([row?.name, Number(row?._version)]).toEqual(expected);
      } finally {
        await other.end();
        await test.destroy();
      }
    },
  );

  it.each([
    [
      'deletes it at v6, below our restore',
      '_deleted_at = now(), _version = 6',
      [{ outcome: 'updated' }],
      [false, 'A', 7],
    ],
    [
      'deletes it at v9, above our restore',
      '_deleted_at = now(), _version = 9',
      [{ outcome: 'skipped', reason: 'deleted' }],
      [true, 'A', 9],
    ],
  ])(
    'a restore the first statement left undecided is decided again under the lock when another transaction %s',
    async (_what, change, outcomes, expected) => {
      const test = await h.create();
      const other = new pg.Client({ connectionString: DATABASE_URL });
      await other.connect();
      try {
        const s = `"${test.schema}"`;
        await test.state.sink.apply([upsert('a', 'A', 5)]);
        // Our restore reads v5 A live without a lock (same values, newer version: undecided); the other deletes it.
        await other.query('begin');
        await other.query(`update ${s}.${table} set ${change} where id = 'a'`);
        const applying = test.state.sink.apply([{ ...upsert('a', 'A', 7), restore: true }]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await other.query('commit');
        expect((await applying).outcomes).toEqual(outcomes);
        const [row] = await test.query<{ deleted: boolean; name: string; _version: string }>(
          `select _deleted_at is not null as deleted, name, _version from ${s}.${table} where id = 'a'`,
        );
        expect([row?.deleted, row?.name, Number(row?._version)]).toEqual(expected);
      } finally {
        await other.end();
        await test.destroy();
      }
    },
  );
});
