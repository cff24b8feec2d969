// That each string equals its .sql file is checked for every package by tools/embed-sql.test.ts.
import { describe, expect, it } from 'vitest';
import { GMAIL_MIGRATIONS } from '../src/generated/migrations';

describe('Gmail migrations', () => {
  it('creates the table the transformer writes, keyed like its operations', () => {
    const sql = GMAIL_MIGRATIONS[0]?.sql ?? '';
    expect(sql).toContain('create table if not exists gmail_records');
    expect(sql).toContain('primary key (account_id, id)');
    for (const column of ['name', 'email', 'status', 'updated_at', 'raw'])
      expect(sql).toMatch(new RegExp(`^  ${column} `, 'm'));
  });
});
