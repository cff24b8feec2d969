import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Migration } from '@act/sink-supabase';
import { type CliIo, EXIT, line, usageError } from '../cli-io';
import { SOURCES, sourceById } from '../cli-sources';
import { STATE_OPTIONS, withState } from '../cli-state';

export const MIGRATE_USAGE = `Usage: act migrate [--source <id>]... [--no-connectors] [--dir <directory>]... [--tenant-access]
                   [--pglite <dir>] [--schema <name>]

Applies @act/sink-supabase's migrations (inbox, cursors, dead letters, …), then
the mirror tables of every known connector (ghl, xero), or only of --source.
Idempotent, and safe from several processes at once. Needs a SQL connection
(DATABASE_URL, ACT_DATA_DIR or --pglite): over supabase-js, PostgREST cannot run DDL.

  --dir <directory>  also every *.sql file of the directory, in file name order, recorded under its file name
                     (without .sql); repeatable. They run after the sink's migrations, before the connectors'
  --no-connectors    no connector's migrations: only the sink's (and --dir, --tenant-access)
  --tenant-access    also the optional tenant-access migration (Supabase), and open each connector's tables
                     to signed-in users per tenant (act_grant_tenant_access); without it they stay closed`;

const OPTIONS = {
  ...STATE_OPTIONS,
  source: { type: 'string', multiple: true },
  dir: { type: 'string', multiple: true },
  'no-connectors': { type: 'boolean' },
  'tenant-access': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function migrate(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true });
  if (values.help) {
    line(io.stdout, MIGRATE_USAGE);
    return EXIT.ok;
  }
  if (values['no-connectors'] && values.source) throw usageError('--no-connectors and --source exclude each other');
  const sources = values['no-connectors']
    ? []
    : values.source
      ? values.source.map((id) => sourceById(id, 'migrate'))
      : SOURCES;
  const connectors = sources.map((source) => source.receiver());
  const migrations = await readDirectories(values.dir ?? [], io.cwd ?? process.cwd());
  return withState(values, io, async (state, description) => {
    // @act/sink-supabase's own migrate(): one transaction under an advisory lock per schema.
    const result = await state.migrate({
      connectors,
      migrations,
      ...(values['tenant-access'] ? { tenantAccess: true } : {}),
    });
    for (const name of result.applied) line(io.stdout, `applied  ${name}`);
    const names = sources.length > 0 ? sources.map((source) => source.id).join(', ') : 'no connectors';
    line(
      io.stdout,
      `${description}: ${result.applied.length} migration(s) applied, ${result.skipped.length} already applied (${names})`,
    );
    return EXIT.ok;
  });
}

/** The *.sql files of each directory, in file name order, named after the file (without .sql). */
async function readDirectories(dirs: readonly string[], cwd: string): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const dir of dirs) {
    const absolute = resolve(cwd, dir);
    const files = await readdir(absolute).catch((error: NodeJS.ErrnoException) => {
      throw usageError(`--dir ${dir}: ${error.code === 'ENOENT' ? 'no such directory' : error.message}`);
    });
    for (const file of files.filter((name) => name.endsWith('.sql')).sort()) {
      migrations.push({ name: file.replace(/\.sql$/, ''), sql: await readFile(join(absolute, file), 'utf8') });
    }
  }
  return migrations;
}
