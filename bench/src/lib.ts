/**
 * Shared pieces of the benchmarks: the machine and versions record, the
 * result writer (bench/results/<name>.json), the table printer, percentiles
 * and a scratch Postgres schema per run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
export const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchContext {
  quick: boolean;
  databaseUrl: string;
}

export interface Target {
  metric: string;
  value: number;
  target: number;
  comparison: '>=' | '<=';
  met: boolean;
  /** What the figure is measured against, in words. */
  note?: string;
}

export interface BenchResult {
  /** Row objects, printed as a table and written as `figures`. */
  figures: Record<string, unknown>[];
  /** Anything else worth keeping (settings, sizes). */
  parameters: Record<string, unknown>;
  targets: Target[];
  notes?: string[];
}

export function target(metric: string, value: number, comparison: '>=' | '<=', goal: number, note?: string): Target {
  const rounded = round(value, 4);
  const met = Number.isFinite(value) && (comparison === '>=' ? value >= goal : value <= goal);
  return { metric, value: rounded, target: goal, comparison, met, ...(note ? { note } : {}) };
}

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Nearest-rank percentile of unsorted numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

function readVersion(path: string): string | null {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export async function machine(databaseUrl: string): Promise<Record<string, unknown>> {
  const cpus = os.cpus();
  const client = new pg.Client({ connectionString: databaseUrl });
  let postgres: Record<string, unknown> = {};
  try {
    await client.connect();
    const settings = await client.query<{ name: string; setting: string }>(
      `select name, setting from pg_settings where name in
        ('server_version', 'synchronous_commit', 'fsync', 'wal_sync_method', 'commit_delay', 'shared_buffers', 'max_connections')`,
    );
    postgres = Object.fromEntries(settings.rows.map((row) => [row.name, row.setting]));
  } catch (error) {
    postgres = { error: error instanceof Error ? error.message : String(error) };
  } finally {
    await client.end().catch(() => undefined);
  }
  const packages = [
    'core',
    'sink-supabase',
    'connector-ghl',
    'connector-gmail',
    'connector-template',
    'connector-xero',
  ];
  const versions: Record<string, string | null> = { node: process.versions.node, v8: process.versions.v8 };
  for (const name of packages) versions[`@act/${name}`] = readVersion(`${ROOT_DIR}/packages/${name}/package.json`);
  for (const name of ['autocannon', 'pg', 'pg-boss', 'pg-copy-streams', 'standardwebhooks']) {
    versions[name] = readVersion(`${BENCH_DIR}/node_modules/${name}/package.json`);
  }
  const dirty = git(['status', '--porcelain']);
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    loadAverage: os.loadavg().map((value) => round(value, 2)),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    postgres,
    versions,
    git: { commit: git(['rev-parse', 'HEAD']), dirty: dirty === null ? null : dirty.length > 0 },
  };
}

/** Print rows as an aligned text table. */
export function printTable(title: string, rows: readonly Record<string, unknown>[]): void {
  console.log(`\n${title}`);
  if (rows.length === 0) {
    console.log('  (no rows)');
    return;
  }
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (value: unknown): string =>
    value === undefined || value === null
      ? ''
      : typeof value === 'number'
        ? Number.isInteger(value)
          ? value.toLocaleString('en-US')
          : value.toLocaleString('en-US', { maximumFractionDigits: 2 })
        : typeof value === 'boolean'
          ? value
            ? 'yes'
            : 'NO'
          : String(value);
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column]).length)));
  const line = (values: string[]) =>
    `  ${values.map((value, index) => value.padEnd(widths[index] as number)).join('  ')}`.trimEnd();
  console.log(line(columns));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) console.log(line(columns.map((column) => cell(row[column]))));
}

export async function writeResult(name: string, context: BenchContext, result: BenchResult): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = `${RESULTS_DIR}${name}.json`;
  const document = {
    benchmark: name,
    mode: context.quick ? 'quick' : 'full',
    finishedAt: new Date().toISOString(),
    machine: await machine(context.databaseUrl),
    parameters: result.parameters,
    figures: result.figures,
    targets: result.targets,
    allTargetsMet: result.targets.every((entry) => entry.met),
    ...(result.notes ? { notes: result.notes } : {}),
  };
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  return path;
}

export function printTargets(targets: readonly Target[]): void {
  printTable(
    'targets',
    targets.map((entry) => ({
      metric: entry.metric,
      value: entry.value,
      target: `${entry.comparison} ${entry.target}`,
      met: entry.met,
    })),
  );
}

/** A fresh schema for one run, dropped by `drop()`. */
export async function scratchSchema(databaseUrl: string, prefix: string) {
  const schema = `bench_${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  // An idle connection dropped by the server (57P01 on a restart) must not crash the process.
  admin.on('error', (error) => console.error(`postgres pool: ${error.message}`));
  await admin.query(`drop schema if exists "${schema}" cascade`);
  await admin.query(`create schema "${schema}"`);
  return {
    schema,
    admin,
    async drop() {
      await admin.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
      await admin.end();
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A mirror table shaped like connectors' (natural key, version, hash, tombstone, sync time). */
export const BENCH_RECORDS_SQL = `create table bench_records (
  tenant_id text not null,
  id text not null,
  name text,
  email text,
  status text,
  amount double precision,
  notes text,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz,
  primary key (tenant_id, id)
);`;
