import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ActError } from '@act/core';
import { migrate, type PostgresConnection } from './create-postgres-state';
import type { Migration } from './migrate';
import { VERSION } from './version';

export interface CliIo {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

const USAGE = `Usage: act-sink-supabase migrate [--schema <name>] [--dir <migrations directory>]... [--tenant-access]

Applies the @act/sink-supabase migrations (then every *.sql file of each --dir,
in file name order) to the database named by the environment:

  DATABASE_URL   a Postgres connection string (Supabase: the direct or pooler URL)
  ACT_DATA_DIR   a PGlite data directory (embedded Postgres), used when DATABASE_URL is unset

--tenant-access also applies the optional tenant-access migration (Supabase:
act_user_sources and row level security for dashboard users).

Safe to run again, and from several processes at once.`;

/** The CLI without process globals, for tests. Resolves the exit code. */
export async function runCli(io: CliIo): Promise<number> {
  const [command, ...rest] = io.argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (command === '--version' || command === '-v') {
    io.stdout(VERSION);
    return 0;
  }
  if (command !== 'migrate') {
    io.stderr(`act-sink-supabase: unknown command "${command}"\n\n${USAGE}`);
    return 1;
  }

  let schema: string | undefined;
  const dirs: string[] = [];
  let tenantAccess = false;
  for (let index = 0; index < rest.length; index++) {
    const flag = rest[index];
    if (flag === '--tenant-access') {
      tenantAccess = true;
      continue;
    }
    const value = rest[index + 1];
    if ((flag === '--schema' || flag === '--dir') && value !== undefined && !value.startsWith('--')) {
      if (flag === '--schema') schema = value;
      else dirs.push(value);
      index++;
      continue;
    }
    io.stderr(`act-sink-supabase: unexpected argument "${flag}"\n\n${USAGE}`);
    return 1;
  }

  const url = io.env.DATABASE_URL?.trim();
  const dataDir = io.env.ACT_DATA_DIR?.trim();
  if (!url && !dataDir) {
    io.stderr(
      'act-sink-supabase: set DATABASE_URL (a Postgres connection string) or ACT_DATA_DIR (a PGlite data directory) to say which database to migrate',
    );
    return 1;
  }
  const connection: PostgresConnection = url ? { connectionString: url } : { pglite: { dataDir: dataDir as string } };

  try {
    const migrations: Migration[] = [];
    for (const dir of dirs) {
      const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
      for (const file of files) {
        migrations.push({ name: file.replace(/\.sql$/, ''), sql: await readFile(join(dir, file), 'utf8') });
      }
    }
    const where = url ? 'DATABASE_URL' : `PGlite at ${dataDir}`;
    const result = await migrate(connection, {
      migrations,
      ...(tenantAccess ? { tenantAccess } : {}),
      ...(schema !== undefined ? { schema } : {}),
    });
    for (const name of result.applied) io.stdout(`applied  ${name}`);
    io.stdout(
      `${where}, schema ${schema ?? 'public'}: ${result.applied.length} migration(s) applied, ${result.skipped.length} already applied`,
    );
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(ActError.isInstance(error) ? message : `act-sink-supabase: ${message}`);
    return 1;
  }
}
