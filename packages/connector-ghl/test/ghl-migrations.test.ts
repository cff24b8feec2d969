// That each string equals its .sql file is checked for every package by tools/embed-sql.test.ts.
import { describe, expect, it } from 'vitest';
import { GHL_MIGRATIONS } from '../src/generated/migrations';
import { GHL_TABLES } from '../src/ghl-transform';

const sql = GHL_MIGRATIONS[0]?.sql ?? '';

/** The column lines of one `create table` statement. */
function columnsOf(table: string): string[] {
  const match = new RegExp(`create table if not exists ${table} \\(\\n([\\s\\S]*?)\\n\\);`).exec(sql);
  if (!match) throw new Error(`no create table for ${table}`);
  return (match[1] as string)
    .split('\n')
    .map((line) => line.trim().replace(/,$/, ''))
    .filter((line) => !line.startsWith('primary key'));
}

describe('GHL migrations', () => {
  it.each(Object.values(GHL_TABLES))('%s: keyed by (location_id, id), with the sink’s bookkeeping columns', (table) => {
    expect(sql).toMatch(
      new RegExp(`create table if not exists ${table} \\([\\s\\S]*?primary key \\(location_id, id\\)\\n\\);`),
    );
    const columns = columnsOf(table);
    expect(columns.slice(0, 2)).toEqual(['location_id text not null', 'id text not null']);
    expect(columns.slice(-5)).toEqual([
      'raw jsonb',
      '_version bigint',
      '_payload_hash text',
      '_deleted_at timestamptz',
      '_synced_at timestamptz not null default now()',
    ]);
    // Every other column is nullable: a delete that arrives first leaves a key-only tombstone.
    for (const column of columns.slice(2, -1)) expect(column).not.toMatch(/not null/);
  });
});
