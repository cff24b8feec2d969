import { describe, expect, it } from 'vitest';
import { ACT_MIGRATIONS } from '../src';

// That each string equals its .sql file is checked for every package by tools/embed-sql.test.ts.
describe('embedded migrations', () => {
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
