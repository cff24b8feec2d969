import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACT_MIGRATIONS } from '../src';

// Node only: edge runtimes have no file system, which is why the SQL is embedded.
describe('embedded migrations', () => {
  const dir = new URL('../migrations/', import.meta.url);
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort();

  it('ship one string per migrations/*.sql file, in file order', () => {
    expect(ACT_MIGRATIONS.map((migration) => `${migration.name}.sql`)).toEqual(files);
  });

  it('are identical to the files (run `node scripts/embed-migrations.mjs` after editing one)', () => {
    for (const migration of ACT_MIGRATIONS) {
      expect(migration.sql, `${migration.name}.sql differs from src/act-migrations.ts`).toBe(
        readFileSync(new URL(`${migration.name}.sql`, dir), 'utf8'),
      );
    }
  });

  it('name every object act_ and never qualify a schema', () => {
    for (const migration of ACT_MIGRATIONS) {
      const created = [
        ...migration.sql.matchAll(
          /create (?:or replace )?(?:table|index|view|function)(?: if not exists)? ([\w."]+)/gi,
        ),
      ].map((match) => match[1] as string);
      expect(created.length).toBeGreaterThan(0);
      for (const name of created) expect(name, `${migration.name}: ${name}`).toMatch(/^act_\w+$/);
    }
  });
});
