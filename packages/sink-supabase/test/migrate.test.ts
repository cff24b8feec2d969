import { ConfigurationError } from '@act/core';
import { describe, expect, it } from 'vitest';
import { ACT_MIGRATIONS, createPostgresState, migrate } from '../src';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness, randomSchema } from './helpers/harness';

const core = ACT_MIGRATIONS.map((migration) => `@act/sink-supabase/${migration.name}`);

function suite(harness: () => Harness) {
  const h = harness();

  it('is idempotent: a second run applies nothing', async () => {
    const test = await h.create({ migrate: false });
    try {
      const first = await test.state.migrate();
      expect(first.applied).toEqual(core);
      const second = await test.state.migrate();
      expect(second).toEqual({ applied: [], skipped: core });
      const rows = await test.query<{ name: string }>(`select name from "${test.schema}".act_migrations order by name`);
      expect(rows.map((row) => row.name)).toEqual([...core].sort());
      expect(await test.state.health()).toMatchObject({ ok: true, pendingMigrations: [], schema: test.schema });
    } finally {
      await test.destroy();
    }
  });

  it('applies connector migrations after its own, in order, namespaced by source', async () => {
    const test = await h.create({ migrate: false });
    try {
      const first = {
        source: 'alpha',
        migrations: [
          { name: '0001_init', sql: 'create table alpha_things (id text primary key);' },
          { name: '0002_more', sql: 'alter table alpha_things add column name text;' },
        ],
      };
      const second = {
        source: 'beta',
        migrations: [{ name: '0001_init', sql: 'create table beta_things (id text primary key);' }],
      };
      const result = await test.state.migrate({ connectors: [first, second] });
      expect(result.applied).toEqual([...core, 'alpha/0001_init', 'alpha/0002_more', 'beta/0001_init']);
      const columns = await test.query<{ column_name: string }>(
        `select column_name from information_schema.columns where table_schema = $1 and table_name = 'alpha_things' order by ordinal_position`,
        [test.schema],
      );
      expect(columns.map((column) => column.column_name)).toEqual(['id', 'name']);
    } finally {
      await test.destroy();
    }
  });

  it('refuses an applied migration whose SQL changed, naming it', async () => {
    const test = await h.create({ migrate: false });
    try {
      await test.state.migrate({
        migrations: [{ name: 'app/0001', sql: 'create table app_one (id text primary key);' }],
      });
      const changed = test.state.migrate({
        migrations: [{ name: 'app/0001', sql: 'create table app_one (id bigint primary key);' }],
      });
      await expect(changed).rejects.toBeInstanceOf(ConfigurationError);
      await expect(changed).rejects.toThrow(
        /\[@act\/sink-supabase\] migrate: migration "app\/0001" was applied .* checksum/,
      );
    } finally {
      await test.destroy();
    }
  });

  it('rolls a failing migration back entirely and names it', async () => {
    const test = await h.create({ migrate: false });
    try {
      const failing = test.state.migrate({
        migrations: [
          { name: 'app/0001', sql: 'create table app_ok (id text primary key);' },
          { name: 'app/0002', sql: 'create table app_broken (id nosuchtype);' },
        ],
      });
      await expect(failing).rejects.toThrow(/migration app\/0002 failed/);
      expect(await test.state.health()).toMatchObject({ ok: false, pendingMigrations: core });
    } finally {
      await test.destroy();
    }
  });

  it('refuses two migrations with one name', async () => {
    const test = await h.create({ migrate: false });
    try {
      await expect(
        test.state.migrate({
          migrations: [
            { name: 'x', sql: 'select 1' },
            { name: 'x', sql: 'select 2' },
          ],
        }),
      ).rejects.toThrow(/two migrations are named "x"/);
    } finally {
      await test.destroy();
    }
  });
}

describe('migrate on PGlite', () => suite(pgliteHarness));

describe.skipIf(!DATABASE_URL)('migrate on Postgres (DATABASE_URL)', () => {
  suite(postgresHarness);

  it('runs from 3 clients at once: no error, each migration applied once', async () => {
    const schema = randomSchema();
    const states = Array.from({ length: 3 }, () =>
      createPostgresState({ connectionString: DATABASE_URL as string }, { schema }),
    );
    try {
      const results = await Promise.all(states.map((state) => state.migrate()));
      expect(results.flatMap((result) => result.applied).sort()).toEqual([...core].sort());
      expect(results.filter((result) => result.applied.length > 0)).toHaveLength(1);
      const rows = await states[0]?.store.listDeliveries({});
      expect(rows).toEqual([]);
    } finally {
      await Promise.all(states.map((state) => state.close()));
      await migrateDrop(schema);
    }
  });

  it('the standalone migrate() connects, migrates and disconnects', async () => {
    const schema = randomSchema();
    try {
      expect((await migrate({ connectionString: DATABASE_URL as string }, { schema })).applied).toEqual(core);
      expect((await migrate({ connectionString: DATABASE_URL as string }, { schema })).applied).toEqual([]);
    } finally {
      await migrateDrop(schema);
    }
  });
});

async function migrateDrop(schema: string) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
