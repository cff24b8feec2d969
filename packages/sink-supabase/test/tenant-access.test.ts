import { makeTestDelivery } from '@act/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACT_MIGRATIONS,
  createPostgresState,
  type MigrateOptions,
  type Migration,
  migrate,
  type PostgresState,
  TENANT_ACCESS_IDENTITY_MIGRATION,
  TENANT_ACCESS_MIGRATION,
} from '../src';
import { migrationPlan } from '../src/migrate';
import { DATABASE_URL, randomSchema } from './helpers/harness';
import {
  openPgliteDatabase,
  openRandomPostgresDatabase,
  type RequestIdentity,
  type RoleSession,
  type StubDatabase,
  supabaseSchemaDefaults,
} from './helpers/supabase-stub';

// A connector mirror table, shaped like @act/connector-template's: tenant column account_id.
const TEMPLATE_RECORDS: Migration = {
  name: 'template/0001_template_records',
  sql: `create table template_records (
  account_id text not null,
  id text not null,
  name text,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz,
  primary key (account_id, id)
);
`,
};
// What the README tells users to run once per mirror table, after the connector's migrations.
const ENABLE_TEMPLATE_RLS: Migration = {
  name: 'app/0001_template_records_rls',
  sql: `select act_enable_tenant_rls('template_records', 'template', 'account_id');`,
};

const USER_A = '00000000-0000-4000-8000-00000000000a';
const USER_B = '00000000-0000-4000-8000-00000000000b';
const UNMAPPED = '00000000-0000-4000-8000-00000000000c';

const PERMISSION_DENIED = '42501';

type Pair = [source: string, tenant: string];

/** Apply the package's migrations with tenant access, the mirror table, then act_enable_tenant_rls for it. */
type MigrateWithTenantAccess = (db: StubDatabase, schema: string) => Promise<string[]>;

const throughApi: MigrateWithTenantAccess = async (db, schema) => {
  const state = createPostgresState(db.connection, { schema });
  try {
    return (await state.migrate({ tenantAccess: true, migrations: [TEMPLATE_RECORDS, ENABLE_TEMPLATE_RLS] })).applied;
  } finally {
    await state.close();
  }
};

// The standalone migrate() (what `act migrate --tenant-access` of @act/cli calls), on its own connection.
const throughStandaloneMigrate: MigrateWithTenantAccess = async (db, schema) =>
  (await migrate(db.connection, { schema, tenantAccess: true, migrations: [TEMPLATE_RECORDS, ENABLE_TEMPLATE_RLS] }))
    .applied;

function suite(open: () => Promise<StubDatabase>, migrateWithTenantAccess: MigrateWithTenantAccess) {
  let db: StubDatabase;
  let state: PostgresState;
  let schema: string;
  let s: string;
  let withoutSupabaseAuth: unknown;

  beforeAll(async () => {
    db = await open();
    // Before the stub: no auth.uid() in this database (PGlite: no API roles either).
    // The check is the migration's first statement, so the script alone shows it.
    withoutSupabaseAuth = await db.exec(TENANT_ACCESS_MIGRATION.sql).catch((error: unknown) => error);
    await db.installStub();

    schema = randomSchema('act_rls');
    s = `"${schema}"`;
    await db.exec(supabaseSchemaDefaults(schema));
    expect(await migrateWithTenantAccess(db, schema)).toContain(TENANT_ACCESS_MIGRATION.name);
    state = createPostgresState(db.connection, { schema });

    // template:t1 and template:t2 are the tenants under test; other:t1 proves the source matters too.
    const tenants: Pair[] = [
      ['template', 't1'],
      ['template', 't2'],
      ['other', 't1'],
    ];
    for (const [source, tenant] of tenants) {
      await state.store.enqueue(makeTestDelivery({ source, tenant, dedupeKey: `${source}:${tenant}:d1` }));
      await state.store.setCursor({ source, tenant, stream: 'records', cursor: `secret-cursor-${tenant}` });
      await state.store.recordEvents([
        {
          source,
          tenant,
          type: 'RecordUpdate',
          entity: 'record',
          entityId: `${tenant}-r1`,
          outcome: 'updated',
          triggeredBy: 'webhook',
          latencyMs: 12,
          createdAt: new Date(),
        },
      ]);
    }
    const applied = await state.sink.apply(
      [
        ['t1', 'r1'],
        ['t1', 'r2'],
        ['t2', 'r1'],
      ].map(([account, id]) => ({
        kind: 'upsert' as const,
        table: 'template_records',
        key: { account_id: account as string, id: id as string },
        values: { name: `${account}/${id}` },
        version: 1,
      })),
    );
    expect(applied.created).toBe(3);
    await db.query(
      `insert into ${s}.act_user_sources (user_id, source, tenant) values ($1, 'template', 't1'), ($2, 'template', 't2')`,
      [USER_A, USER_B],
    );
  });

  afterAll(async () => {
    await state?.close();
    await db?.query(`drop schema if exists ${s} cascade`).catch(() => undefined);
    await db?.close();
  });

  const as = <T>(identity: RequestIdentity, fn: (session: RoleSession) => Promise<T>) => db.as(identity, fn);

  it('refuses a database without Supabase Auth, naming what is missing', async () => {
    expect(withoutSupabaseAuth).toBeInstanceOf(Error);
    expect((withoutSupabaseAuth as Error).message).toBe(
      'tenant access needs Supabase Auth: the roles anon, authenticated and service_role, and the function auth.uid()',
    );
  });

  /** What the session sees of each tenant-scoped object, as sorted "source:tenant" lists (or the SQLSTATE). */
  async function visible(session: RoleSession) {
    const pairs = async (sql: string) => {
      const result = await session.attempt<{ pair: string }>(sql);
      return 'code' in result ? result.code : result.rows.map((row) => row.pair);
    };
    return {
      events: await pairs(`select source || ':' || tenant as pair from ${s}.act_integration_events order by 1`),
      health: await pairs(`select source || ':' || tenant as pair from ${s}.act_source_health order by 1`),
      freshness: await pairs(`select source || ':' || tenant as pair from ${s}.act_freshness order by 1`),
      records: await pairs(`select account_id || '/' || id as pair from ${s}.template_records order by 1`),
    };
  }

  it('user A, mapped to template:t1, reads t1 rows only: events, health and freshness views, mirror table', async () => {
    await as({ role: 'authenticated', sub: USER_A }, async (session) => {
      expect(await visible(session)).toEqual({
        events: ['template:t1'],
        health: ['template:t1'],
        freshness: ['template:t1'],
        records: ['t1/r1', 't1/r2'],
      });
      // Even when asking for t2 by name.
      expect(await session.query(`select * from ${s}.template_records where account_id = 't2'`)).toEqual([]);
      expect(await session.query(`select * from ${s}.act_integration_events where tenant = 't2'`)).toEqual([]);
      // Their own mappings, and nobody else's.
      expect(await session.query(`select user_id, source, tenant from ${s}.act_user_sources`)).toEqual([
        { user_id: USER_A, source: 'template', tenant: 't1' },
      ]);
      expect(
        await session.query(
          `select ${s}.act_can_read('template', 't1') as t1, ${s}.act_can_read('template', 't2') as t2`,
        ),
      ).toEqual([{ t1: true, t2: false }]);
      // The health view counts their pending delivery.
      expect(await session.query(`select pending from ${s}.act_source_health`)).toEqual([{ pending: 1 }]);
    });
  });

  it('user B, mapped to template:t2, reads t2 rows only (user id in the legacy request.jwt.claim.sub)', async () => {
    await as({ role: 'authenticated', sub: USER_B, legacyClaim: true }, async (session) => {
      expect(await visible(session)).toEqual({
        events: ['template:t2'],
        health: ['template:t2'],
        freshness: ['template:t2'],
        records: ['t2/r1'],
      });
    });
  });

  it('an unmapped user, and a session without a user, read nothing', async () => {
    const nothing = { events: [], health: [], freshness: [], records: [] };
    await as({ role: 'authenticated', sub: UNMAPPED }, async (session) => {
      expect(await visible(session)).toEqual(nothing);
      expect(await session.query(`select * from ${s}.act_user_sources`)).toEqual([]);
    });
    await as({ role: 'authenticated' }, async (session) => {
      expect(await visible(session)).toEqual(nothing);
    });
  });

  it('anon reads nothing: the act_ objects are closed to it, the mirror table shows it no rows', async () => {
    await as({ role: 'anon' }, async (session) => {
      expect(await visible(session)).toEqual({
        events: PERMISSION_DENIED,
        health: PERMISSION_DENIED,
        freshness: PERMISSION_DENIED,
        records: [],
      });
      expect(await session.attempt(`select * from ${s}.act_user_sources`)).toEqual({ code: PERMISSION_DENIED });
    });
  });

  it('the identity map: a user reads the identities and tenant groups of tenants they may read, anon none', async () => {
    await db.query(
      `insert into ${s}.act_identities (source, tenant, entity, record_id, kind, value) values
         ('template', 't1', 'record', 'r1', 'email', 'ana@example.com'),
         ('template', 't2', 'record', 'r1', 'email', 'bo@example.com')`,
    );
    await db.query(`select ${s}.act_identity_set_tenant_group('template', 't2', 'team-b')`);
    try {
      const read = (session: RoleSession) =>
        session.attempt<{ tenant: string; value: string; tenant_group: string }>(
          `select tenant, value, tenant_group from ${s}.act_identity_values order by tenant`,
        );
      await as({ role: 'authenticated', sub: USER_A }, async (session) => {
        expect(await read(session)).toEqual({
          rows: [{ tenant: 't1', value: 'ana@example.com', tenant_group: 'default' }],
        });
      });
      await as({ role: 'authenticated', sub: USER_B }, async (session) => {
        expect(await read(session)).toEqual({
          rows: [{ tenant: 't2', value: 'bo@example.com', tenant_group: 'team-b' }],
        });
        // Links and conflicts stay the server's.
        expect(await session.attempt(`select * from ${s}.act_identity_links`)).toEqual({ code: PERMISSION_DENIED });
        expect(
          await session.attempt(`insert into ${s}.act_identities (source, tenant, entity, record_id, kind, value)
          values ('template', 't2', 'record', 'x', 'email', 'x@example.com')`),
        ).toEqual({ code: PERMISSION_DENIED });
      });
      await as({ role: 'anon' }, async (session) => {
        expect(await read(session)).toEqual({ code: PERMISSION_DENIED });
      });
    } finally {
      await db.query(`delete from ${s}.act_identities where source = 'template'`);
      await db.query(`delete from ${s}.act_identity_tenant_groups where source = 'template'`);
    }
  });

  it('service_role reads every tenant (BYPASSRLS, as on Supabase)', async () => {
    await as({ role: 'service_role' }, async (session) => {
      expect(await visible(session)).toEqual({
        events: ['other:t1', 'template:t1', 'template:t2'],
        health: ['other:t1', 'template:t1', 'template:t2'],
        freshness: ['other:t1', 'template:t1', 'template:t2'],
        records: ['t1/r1', 't1/r2', 't2/r1'],
      });
      expect(await session.query(`select count(*)::int as n from ${s}.act_user_sources`)).toEqual([{ n: 2 }]);
    });
  });

  it('a user cannot grant themselves access, write the mirror, or read raw deliveries and cursor values', async () => {
    await as({ role: 'authenticated', sub: USER_A }, async (session) => {
      const denied = { code: PERMISSION_DENIED };
      expect(
        await session.attempt(
          `insert into ${s}.act_user_sources (user_id, source, tenant) values ($1, 'template', 't2')`,
          [USER_A],
        ),
      ).toEqual(denied);
      expect(await session.attempt(`update ${s}.act_user_sources set tenant = 't2'`)).toEqual(denied);
      expect(await session.attempt(`delete from ${s}.act_user_sources`)).toEqual(denied);
      expect(
        await session.attempt(`select ${s}.act_enable_tenant_rls('${schema}.template_records', 'template', 'id')`),
      ).toEqual(denied);
      // Supabase's defaults grant the mirror table to authenticated; row level
      // security still refuses every write (no write policy), TRUNCATE is revoked.
      expect(
        await session.attempt(`insert into ${s}.template_records (account_id, id, name) values ('t1', 'r9', 'x')`),
      ).toEqual(denied);
      expect(await session.attempt(`update ${s}.template_records set name = 'x' returning id`)).toEqual({ rows: [] });
      expect(await session.attempt(`delete from ${s}.template_records returning id`)).toEqual({ rows: [] });
      expect(await session.attempt(`truncate ${s}.template_records`)).toEqual(denied);
      // Only the columns the views need: never a body, headers or a cursor value.
      expect(await session.attempt(`select body from ${s}.act_deliveries`)).toEqual(denied);
      expect(await session.attempt(`select headers from ${s}.act_deliveries`)).toEqual(denied);
      expect(await session.attempt(`select cursor from ${s}.act_cursors`)).toEqual(denied);
      expect(await session.attempt(`select source, tenant, status from ${s}.act_deliveries`)).toEqual({
        rows: [{ source: 'template', tenant: 't1', status: 'pending' }],
      });
      // And none of the queue functions.
      expect(await session.attempt(`select * from ${s}.act_claim('me', 10, 1000)`)).toEqual(denied);
    });
    // Nothing changed.
    expect(await db.query(`select count(*)::int as n from ${s}.act_user_sources`)).toEqual([{ n: 2 }]);
    expect(await db.query(`select count(*)::int as n from ${s}.template_records`)).toEqual([{ n: 3 }]);
  });

  it('act_enable_tenant_rls is idempotent and names a missing tenant column', async () => {
    await db.query(`select ${s}.act_enable_tenant_rls('${schema}.template_records', 'template', 'account_id')`);
    const policies = await db.query<{ policyname: string; cmd: string; roles: string }>(
      `select policyname, cmd, roles::text from pg_policies where schemaname = $1 and tablename = 'template_records'`,
      [schema],
    );
    expect(policies).toEqual([{ policyname: 'act_tenant_read', cmd: 'SELECT', roles: '{authenticated}' }]);
    await expect(
      db.query(`select ${s}.act_enable_tenant_rls('${schema}.template_records', 'template', 'tenant_id')`),
    ).rejects.toThrow(/has no column tenant_id/);
  });
}

describe('tenant access on PGlite (migrate({ tenantAccess: true }))', () => suite(openPgliteDatabase, throughApi));

describe.skipIf(!DATABASE_URL)('tenant access on Postgres (a random database; the standalone migrate())', () =>
  suite(() => openRandomPostgresDatabase(DATABASE_URL as string), throughStandaloneMigrate),
);

describe('the tenant-access migration', () => {
  it('is opt-in: applied after the package migrations only when asked for', () => {
    const names = (options: MigrateOptions) => migrationPlan(options).map((migration) => migration.name);
    expect(names({})).not.toContain(TENANT_ACCESS_MIGRATION.name);
    expect(names({})).not.toContain(TENANT_ACCESS_IDENTITY_MIGRATION.name);
    const core = ACT_MIGRATIONS.map((migration) => `@act/sink-supabase/${migration.name}`);
    // The identity map opens per tenant with tenant access (connector views over it work for app users).
    expect(names({ tenantAccess: true, migrations: [TEMPLATE_RECORDS] })).toEqual([
      ...core,
      TENANT_ACCESS_MIGRATION.name,
      TENANT_ACCESS_IDENTITY_MIGRATION.name,
      TEMPLATE_RECORDS.name,
    ]);
  });

  // That the string equals migrations/optional/tenant_access.sql is checked by tools/embed-sql.test.ts.
  it('is recorded under the package name, and names every object act_', () => {
    expect(TENANT_ACCESS_MIGRATION.name).toBe('@act/sink-supabase/optional/tenant_access');
    const created = [
      ...TENANT_ACCESS_MIGRATION.sql.matchAll(
        /create (?:or replace )?(?:table|function|policy)(?: if not exists)? (\w+)/gi,
      ),
    ].map((match) => match[1]);
    expect(created.length).toBeGreaterThan(3);
    for (const name of created) expect(name).toMatch(/^act_\w+$/);
  });
});
