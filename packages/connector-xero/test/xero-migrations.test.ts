// That each string equals its .sql file is checked for every package by tools/embed-sql.test.ts.
import { describe, expect, it } from 'vitest';
import { XERO_MIGRATIONS } from '../src/generated/migrations';
import { XERO_TABLES } from '../src/xero-transform';

const sql = XERO_MIGRATIONS[0]?.sql ?? '';

/** The column lines of one `create table` statement. */
function columnsOf(table: string): string[] {
  const match = new RegExp(`create table if not exists ${table} \\(\\n([\\s\\S]*?)\\n\\);`).exec(sql);
  if (!match) throw new Error(`no create table for ${table}`);
  return (match[1] as string)
    .split('\n')
    .map((line) => line.trim().replace(/,$/, ''))
    .filter((line) => !line.startsWith('primary key'));
}

describe('Xero migrations', () => {
  it.each(Object.values(XERO_TABLES))('%s: keyed by (tenant_id, id), with the sink’s bookkeeping columns', (table) => {
    expect(sql).toMatch(
      new RegExp(`create table if not exists ${table} \\([\\s\\S]*?primary key \\(tenant_id, id\\)\\n\\);`),
    );
    const columns = columnsOf(table);
    expect(columns.slice(0, 2)).toEqual(['tenant_id text not null', 'id text not null']);
    expect(columns.slice(-5)).toEqual([
      'raw jsonb',
      '_version bigint',
      '_payload_hash text',
      '_deleted_at timestamptz',
      '_synced_at timestamptz not null default now()',
    ]);
    // Every other column is nullable: records write only the fields they carry.
    for (const column of columns.slice(2, -1)) expect(column).not.toMatch(/not null/);
  });
});
