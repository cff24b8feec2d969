import { ConfigurationError, type ConnectorV1 } from '@act/core';
import { sha256Hex } from '@act/core/internal';
import { PACKAGE_NAME, toActError } from './errors';
import { ACT_MIGRATIONS, TENANT_ACCESS_IDENTITY_MIGRATION, TENANT_ACCESS_MIGRATION } from './generated/migrations';
import { quoteIdent, type SqlDriver, type SqlSession } from './sql/driver';

/** A migration: a name unique in its schema and the SQL to run once. */
export interface Migration {
  name: string;
  sql: string;
}

export interface MigrateOptions {
  /** More migrations to apply after this package's own, in order (names as given). */
  migrations?: readonly Migration[];
  /**
   * Connectors whose `migrations` to apply after this package's own, in the
   * order given. Their names are recorded as `<source>/<name>` so two
   * connectors' `0001_…` never collide.
   */
  connectors?: readonly Pick<ConnectorV1, 'source' | 'migrations' | 'tenantColumn'>[];
  /**
   * Also apply the optional tenant-access migration (after this package's
   * own, before the rest): `act_user_sources`, `act_can_read()`,
   * `act_enable_tenant_rls()` and row level security so Supabase
   * `authenticated` users read only the sources and tenants they are mapped
   * to; then open the mirror of every connector given (`true`) or of the
   * sources named, per tenant on each connector's `tenantColumn`
   * (`act_grant_tenant_access`). Needs Supabase Auth (its roles and
   * `auth.uid()`). Off by default: connector objects are closed to `anon` and
   * `authenticated`.
   */
  tenantAccess?: boolean | readonly string[];
}

export interface MigrateResult {
  /** Names applied by this call, in order. */
  applied: string[];
  /** Names that were already applied (by an earlier run or another process). */
  skipped: string[];
}

/** Name under which this package's own migrations are recorded. */
export const CORE_MIGRATION_PREFIX = `${PACKAGE_NAME}/`;

/** This package's migrations (and the optional ones asked for), then the given ones, then each connector's. */
export function migrationPlan(options: MigrateOptions = {}): Migration[] {
  const plan: Migration[] = ACT_MIGRATIONS.map((migration) => ({
    name: `${CORE_MIGRATION_PREFIX}${migration.name}`,
    sql: migration.sql,
  }));
  if (options.tenantAccess === true || Array.isArray(options.tenantAccess)) {
    plan.push({ ...TENANT_ACCESS_MIGRATION }, { ...TENANT_ACCESS_IDENTITY_MIGRATION });
  }
  for (const migration of options.migrations ?? []) plan.push({ name: migration.name, sql: migration.sql });
  for (const connector of options.connectors ?? []) {
    for (const migration of connector.migrations ?? []) {
      plan.push({ name: `${connector.source}/${migration.name}`, sql: migration.sql });
    }
  }
  const seen = new Set<string>();
  for (const migration of plan) {
    if (typeof migration.name !== 'string' || migration.name === '' || typeof migration.sql !== 'string') {
      throw new ConfigurationError({
        packageName: PACKAGE_NAME,
        message: `migrate: every migration needs a non-empty name and SQL text, got ${JSON.stringify(migration.name)}`,
      });
    }
    if (seen.has(migration.name)) {
      throw new ConfigurationError({
        packageName: PACKAGE_NAME,
        message: `migrate: two migrations are named "${migration.name}"; names must be unique`,
      });
    }
    seen.add(migration.name);
  }
  return plan;
}

const MIGRATIONS_TABLE = `create table if not exists act_migrations (
  name text primary key,
  checksum text not null,
  applied_at timestamptz not null default now()
)`;

/**
 * Apply the plan in one transaction, under a transaction-scoped advisory lock
 * per schema, so several processes starting at once apply each migration
 * exactly once (the others wait, then find them applied). Every statement runs
 * with the schema first on the search_path. An applied migration whose SQL
 * changed is refused: add a new migration instead.
 */
export async function runMigrations(
  driver: SqlDriver,
  schema: string,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const plan = migrationPlan(options);
  const checksums = await Promise.all(plan.map((migration) => sha256Hex(migration.sql)));
  const result: MigrateResult = { applied: [], skipped: [] };
  let current = 'migrate';
  try {
    await driver.transaction(async (session) => {
      await session.query('select pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
        `${PACKAGE_NAME}:migrate`,
        schema,
      ]);
      const [exists] = await session.query('select 1 as found from pg_namespace where nspname = $1', [schema]);
      if (!exists) await session.exec(`create schema ${quoteIdent(schema)}`);
      // First on the path so unqualified names land in the schema; the rest of
      // the path stays so extensions (Supabase keeps them in `extensions`) resolve.
      await session.query(`select set_config('search_path', $1 || ', ' || current_setting('search_path'), true)`, [
        quoteIdent(schema),
      ]);
      await session.exec(MIGRATIONS_TABLE);
      const applied = new Map(
        (await session.query<{ name: string; checksum: string }>('select name, checksum from act_migrations')).map(
          (row) => [row.name, row.checksum],
        ),
      );
      const owners = connectorOfMigration(options);
      for (const [index, migration] of plan.entries()) {
        const checksum = checksums[index] as string;
        const recorded = applied.get(migration.name);
        if (recorded !== undefined) {
          if (recorded !== checksum) {
            throw new ConfigurationError({
              packageName: PACKAGE_NAME,
              message:
                `migrate: migration "${migration.name}" was applied to schema "${schema}" with checksum ${recorded}, ` +
                `but its SQL now has checksum ${checksum}. Applied migrations must never change: add a new migration instead.`,
            });
          }
          result.skipped.push(migration.name);
          continue;
        }
        current = `migration ${migration.name}`;
        const source = owners.get(migration.name);
        const before = source === undefined ? undefined : await relationNames(session, schema);
        await session.exec(migration.sql);
        if (source !== undefined) {
          const escaped = [...(await relationNames(session, schema))].filter(
            (name) => !before?.has(name) && !name.startsWith(`${source}_`),
          );
          if (escaped.length > 0) {
            throw new ConfigurationError({
              packageName: PACKAGE_NAME,
              message:
                `migrate: connector migration "${migration.name}" created ${escaped.map((name) => `"${name}"`).join(', ')}, ` +
                `not named "${source}_…": every table, view and sequence of a connector must start with its source id, ` +
                'so that migrate closes it to anon and authenticated (and opens it only through act_grant_tenant_access)',
            });
          }
        }
        await session.query('insert into act_migrations (name, checksum) values ($1, $2)', [migration.name, checksum]);
        result.applied.push(migration.name);
      }
      current = 'securing connector tables';
      await secureConnectors(session, options);
    });
  } catch (error) {
    throw toActError(error, current);
  }
  return result;
}

/** Which connector (source id) each connector migration of the plan belongs to, by its recorded name. */
function connectorOfMigration(options: MigrateOptions): Map<string, string> {
  const owners = new Map<string, string>();
  for (const connector of options.connectors ?? []) {
    for (const migration of connector.migrations ?? [])
      owners.set(`${connector.source}/${migration.name}`, connector.source);
  }
  return owners;
}

/** Tables, views, materialized views, foreign tables and sequences of the schema (what act_source_objects covers). */
async function relationNames(session: SqlSession, schema: string): Promise<Set<string>> {
  const rows = await session.query<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')`,
    [schema],
  );
  return new Set(rows.map((row) => row.name));
}

/**
 * Close every connector's objects to anon and authenticated (0009_act_source_access's
 * act_secure_source): those given, with their tenant column, and those
 * recorded by earlier runs; a source opened with act_grant_tenant_access gets
 * its tenant policy again on every table, new ones included. Then open the
 * sources `tenantAccess` names. Runs on every migrate, in its transaction, so
 * an object a new connector version creates is never committed open.
 */
async function secureConnectors(session: SqlSession, options: MigrateOptions): Promise<void> {
  const connectors = options.connectors ?? [];
  for (const connector of connectors) {
    await session.query('select count(*) from act_secure_source($1, $2)', [
      connector.source,
      connector.tenantColumn ?? null,
    ]);
  }
  const given = new Set(connectors.map((connector) => connector.source));
  for (const { source } of await session.query<{ source: string }>('select source from act_source_access order by 1')) {
    if (!given.has(source)) await session.query('select count(*) from act_secure_source($1)', [source]);
  }
  const open =
    options.tenantAccess === true
      ? connectors.map((connector) => connector.source)
      : Array.isArray(options.tenantAccess)
        ? (options.tenantAccess as readonly string[])
        : [];
  for (const source of open) {
    await session.query('select count(*) from act_grant_tenant_access($1)', [source]);
  }
}

/** Names in the plan not yet recorded in the schema (all of them when it has no act_migrations table). */
export async function pendingMigrations(
  driver: SqlDriver,
  schema: string,
  options: MigrateOptions = {},
): Promise<string[]> {
  const plan = migrationPlan(options);
  const [table] = await driver.query<{ found: string | null }>('select to_regclass($1)::text as found', [
    `${quoteIdent(schema)}.act_migrations`,
  ]);
  if (!table?.found) return plan.map((migration) => migration.name);
  const rows = await driver.query<{ name: string }>(`select name from ${quoteIdent(schema)}.act_migrations`);
  const applied = new Set(rows.map((row) => row.name));
  return plan.map((migration) => migration.name).filter((name) => !applied.has(name));
}
