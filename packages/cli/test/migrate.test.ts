// act migrate: the one CLI for migrations (the sink ships no bin of its own).
// In-process, on PGlite (always) and Postgres (with DATABASE_URL).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACT_MIGRATIONS } from '@act/sink-supabase';
import { afterEach, describe, expect, it } from 'vitest';
import { act, TARGETS, type Target } from './helpers';

const core = ACT_MIGRATIONS.map((migration) => `@act/sink-supabase/${migration.name}`);
const appliedNames = (stdout: string) =>
  stdout
    .split('\n')
    .filter((text) => text.startsWith('applied'))
    .map((text) => text.split(/\s+/)[1]);

describe('act migrate usage', () => {
  it('documents --dir, --no-connectors and --tenant-access', async () => {
    const help = await act(['migrate', '--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--dir', '--no-connectors', '--tenant-access', '--source', '--schema', '--pglite'])
      expect(help.stdout).toContain(flag);
  });

  it('refuses a missing --dir and --no-connectors with --source (exit code 2)', async () => {
    const missing = await act([
      'migrate',
      '--dir',
      '/nonexistent-act-migrations',
      '--pglite',
      '/nonexistent-never-opened',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--dir /nonexistent-act-migrations: no such directory');
    const both = await act(['migrate', '--no-connectors', '--source', 'ghl']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--no-connectors and --source exclude each other');
  });
});

for (const { name, create } of TARGETS) {
  describe(`act migrate on ${name}`, () => {
    let target: Target | undefined;
    let dir: string | undefined;
    afterEach(async () => {
      await target?.destroy();
      target = undefined;
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    });

    it('applies the sink, then every *.sql of --dir in file name order, then nothing; --no-connectors skips connectors', async () => {
      target = await create();
      dir = mkdtempSync(join(tmpdir(), 'act-migrate-dir-'));
      writeFileSync(join(dir, '0002_b.sql'), 'alter table cli_things add column name text;');
      writeFileSync(join(dir, '0001_a.sql'), 'create table cli_things (id text primary key);');
      writeFileSync(join(dir, 'README.md'), 'not a migration');
      const first = await act(['migrate', '--no-connectors', '--dir', dir, ...target.args], { env: target.env });
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(appliedNames(first.stdout)).toEqual([...core, '0001_a', '0002_b']);
      expect(first.stdout).toContain(`${core.length + 2} migration(s) applied, 0 already applied (no connectors)`);
      const columns = await target.query<{ column_name: string }>(
        "select column_name from information_schema.columns where table_name = 'cli_things' and table_schema = current_schema() order by ordinal_position",
      );
      expect(columns.map((row) => row.column_name)).toEqual(['id', 'name']);

      const again = await act(['migrate', '--no-connectors', '--dir', dir, ...target.args], { env: target.env });
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`0 migration(s) applied, ${core.length + 2} already applied`);

      // With the connectors (the default), theirs come after the sink's and the directory's.
      const withConnectors = await act(['migrate', '--source', 'ghl', '--dir', dir, ...target.args], {
        env: target.env,
      });
      expect(withConnectors.code).toBe(0);
      expect(appliedNames(withConnectors.stdout)[0]).toMatch(/^ghl\/0001/);
    });
  });
}
