// The columns a connector's migrations create, read from their SQL, to check
// them against the mirror definitions without a database.
import type { MirrorTable } from './mirror-table';

/**
 * The bookkeeping columns the Postgres sink maintains on every mirror table
 * (version guard, unchanged detection, tombstones, sync time, tie-break order).
 */
export const MIRROR_BOOKKEEPING_COLUMNS = Object.freeze([
  '_version',
  '_payload_hash',
  '_deleted_at',
  '_synced_at',
  '_version_order',
]);

/**
 * Table → its columns, from `create table [if not exists] t (…)` and
 * `alter table t add column [if not exists] c …` statements. Comments are
 * ignored; constraints (`primary key (…)`, `unique`, `check`) are not columns.
 */
export function sqlColumns(sql: string | readonly string[]): Map<string, Set<string>> {
  const text = (typeof sql === 'string' ? sql : sql.join('\n')).replace(/--[^\n]*/g, '');
  const tables = new Map<string, Set<string>>();
  const columnsOf = (table: string) => {
    const name = table.replace(/^public\./i, '').replace(/"/g, '');
    let set = tables.get(name);
    if (!set) {
      set = new Set();
      tables.set(name, set);
    }
    return set;
  };
  const create = /create\s+table\s+(?:if\s+not\s+exists\s+)?([\w."]+)\s*\(/gi;
  for (let match = create.exec(text); match; match = create.exec(text)) {
    const set = columnsOf(match[1] as string);
    // The body up to the matching close parenthesis.
    let depth = 1;
    let index = create.lastIndex;
    const start = index;
    while (index < text.length && depth > 0) {
      if (text[index] === '(') depth++;
      else if (text[index] === ')') depth--;
      index++;
    }
    for (const part of splitTopLevel(text.slice(start, index - 1))) {
      const name = /^\s*"?(\w+)"?/.exec(part)?.[1];
      if (name && !/^(primary|unique|check|constraint|foreign|exclude)$/i.test(name)) set.add(name.toLowerCase());
    }
  }
  const alter = /alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?([\w."]+)\s+([^;]*);/gi;
  for (let match = alter.exec(text); match; match = alter.exec(text)) {
    const set = columnsOf(match[1] as string);
    const add = /add\s+column\s+(?:if\s+not\s+exists\s+)?"?(\w+)"?/gi;
    for (let column = add.exec(match[2] as string); column; column = add.exec(match[2] as string)) {
      set.add((column[1] as string).toLowerCase());
    }
  }
  return tables;
}

function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of body) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  if (current.trim()) parts.push(current);
  return parts;
}

export interface MirrorTableDrift {
  readonly table: string;
  /** Columns the transformer writes (or the sink keeps) that the migrations do not create. */
  readonly missing: readonly string[];
}

/** What `sql` (the connector's migrations, in order) lacks for `definition`; `missing: []` when nothing. */
export function mirrorTableDrift(
  definition: Pick<MirrorTable, 'table' | 'columnNames'>,
  sql: string | readonly string[],
): MirrorTableDrift {
  const columns = sqlColumns(sql).get(definition.table) ?? new Set<string>();
  const wanted = [...definition.columnNames, ...MIRROR_BOOKKEEPING_COLUMNS];
  return { table: definition.table, missing: wanted.filter((name) => !columns.has(name)) };
}
