// Node-only (reads migrations/ with node:fs): kept out of vitest.edge.config.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TEMPLATE_MIGRATIONS } from '../src/template-migrations';

const migrationsDir = new URL('../migrations/', import.meta.url);

describe('Template migrations', () => {
  it('ships every .sql file in migrations/ as an identical string constant, in order', () => {
    const files = readdirSync(migrationsDir)
      .filter((file) => file.endsWith('.sql'))
      .sort();
    expect(TEMPLATE_MIGRATIONS.map((migration) => `${migration.name}.sql`)).toEqual(files);
    for (const migration of TEMPLATE_MIGRATIONS) {
      expect(migration.sql, `${migration.name}: src/template-migrations.ts differs from the .sql file`).toBe(
        readFileSync(new URL(`${migration.name}.sql`, migrationsDir), 'utf8'),
      );
    }
  });

  it('creates the table the transformer writes, keyed like its operations', () => {
    const sql = TEMPLATE_MIGRATIONS[0]?.sql ?? '';
    expect(sql).toContain('create table if not exists template_records');
    expect(sql).toContain('primary key (account_id, id)');
    for (const column of ['name', 'email', 'status', 'updated_at', 'raw'])
      expect(sql).toMatch(new RegExp(`^  ${column} `, 'm'));
  });
});
