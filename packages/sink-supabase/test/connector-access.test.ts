import { readdirSync } from 'node:fs';
import type { ConnectorV1 } from '@act/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresState, type PostgresState } from '../src';
import { DATABASE_URL, randomSchema } from './helpers/harness';
import {
  openPgliteDatabase,
  openRandomPostgresDatabase,
  type RequestIdentity,
  type RoleSession,
  type StubDatabase,
  supabaseSchemaDefaults,
} from './helpers/supabase-stub';

// Every connector of the repository (packages/connector-*), built: a new
// connector is covered without touching this file, unless its factory needs
// settings (add them below).
type Connector = Pick<ConnectorV1, 'source' | 'migrations' | 'tenantColumn'>;
const SETTINGS: Record<string, unknown> = { template: { apiToken: 'test-token', webhookSecrets: ['test-secret'] } };

async function repositoryConnectors(): Promise<Connector[]> {
  const packages = new URL('../../', import.meta.url);
  const connectors: Connector[] = [];
  for (const folder of readdirSync(packages)
    .filter((name) => name.startsWith('connector-') && name !== 'connector-kit')
    .sort()) {
    const id = folder.slice('connector-'.length);
    const module = (await import(new URL(`${folder}/dist/index.js`, packages).href)) as Record<string, unknown>;
    // Every connector of the package: one may hold several (Gmail's holds Gmail and Google Calendar).
    const factories = Object.entries(module).filter(
      ([name, value]) => /^create\w+Connector$/.test(name) && typeof value === 'function',
    );
    if (factories.length === 0) throw new Error(`${folder}: no create…Connector export`);
    for (const [, factory] of factories) {
      const connector = (factory as (settings: unknown) => Connector)(SETTINGS[id] ?? {});
      connectors.push({
        source: connector.source,
        migrations: connector.migrations,
        tenantColumn: connector.tenantColumn,
      });
    }
  }
  return connectors;
}

const USER_A = '00000000-0000-4000-8000-0000000000a1';
const USER_B = '00000000-0000-4000-8000-0000000000b1';
const UNMAPPED = '00000000-0000-4000-8000-0000000000c1';
const DENIED = '42501';

interface Relation {
  name: string;
  kind: string;
  source: string;
}

function suite(open: () => Promise<StubDatabase>) {
  let db: StubDatabase;
  let schema: string;
  let s: string;
  let connectors: Connector[];
  let state: PostgresState;
  let objects: Relation[];
  const q = (name: string) => `${s}."${name}"`;

  /** Every relation of the schema except the act_ ones, with the connector it belongs to (by name). */
  async function connectorObjects(): Promise<Relation[]> {
    const rows = await db.query<{ name: string; kind: string }>(
      `select c.relname as name, c.relkind::text as kind from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and c.relname not like 'act\\_%' order by 1`,
      [schema],
    );
    return rows.map((row) => {
      const owner = connectors.find((connector) => row.name.startsWith(`${connector.source}_`));
      // Anything else in the schema would be an object no connector owns, hence never closed.
      expect(owner, `${row.name} belongs to no connector`).toBeDefined();
      return { ...row, source: owner?.source as string };
    });
  }

  const tenantColumn = (relation: Relation) =>
    connectors.find((connector) => connector.source === relation.source)?.tenantColumn as string;
  const tables = () => objects.filter((relation) => relation.kind === 'r' || relation.kind === 'p');
  const readable = () => objects.filter((relation) => relation.kind !== 'S');

  /** Rows of tenants t1 (two) and t2 (one) in every table: NOT NULL columns filled, jsonb as a one-element array. */
  async function seed(relation: Relation) {
    const columns = await db.query<{ name: string; type: string; required: boolean }>(
      `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, (a.attnotnull and not a.atthasdef) as required
       from pg_attribute a where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum`,
      [`${s}."${relation.name}"`],
    );
    const tenant = tenantColumn(relation);
    const filled = columns.filter((column) => column.name === tenant || column.required || column.type === 'jsonb');
    for (const [tenantId, id] of [
      ['t1', '1'],
      ['t1', '2'],
      ['t2', '3'],
    ]) {
      const values = filled.map((column) =>
        column.name === tenant ? tenantId : column.type === 'jsonb' ? '[{"Description": "x"}]' : id,
      );
      await db.query(
        `insert into ${q(relation.name)} (${filled.map((column) => `"${column.name}"`).join(', ')}) values (${filled
          .map((column, index) => `$${index + 1}::text::${column.type}`)
          .join(', ')})`,
        values,
      );
    }
  }

  const as = <T>(identity: RequestIdentity, fn: (session: RoleSession) => Promise<T>) => db.as(identity, fn);

  /** The tenants the session sees in a relation, sorted (or the SQLSTATE). */
  async function tenantsSeen(session: RoleSession, relation: Relation) {
    const result = await session.attempt<{ tenant: string }>(
      `select "${tenantColumn(relation)}"::text as tenant from ${q(relation.name)} order by 1`,
    );
    return 'code' in result ? result.code : result.rows.map((row) => row.tenant);
  }

  beforeAll(async () => {
    db = await open();
    await db.installStub();
    schema = randomSchema('act_conn_rls');
    s = `"${schema}"`;
    // Supabase's defaults BEFORE migrate: every table, function and sequence created in the schema is granted to all three API roles.
    await db.exec(supabaseSchemaDefaults(schema));
    connectors = await repositoryConnectors();
    expect(connectors.map((connector) => connector.source)).toEqual(
      expect.arrayContaining(['calendar', 'ghl', 'gmail', 'template', 'xero']),
    );
    state = createPostgresState(db.connection, { schema });
    await state.migrate({ connectors });
    objects = await connectorObjects();
    for (const relation of tables()) await seed(relation);
  });

  afterAll(async () => {
    await state?.close();
    await db?.query(`drop schema if exists ${s} cascade`).catch(() => undefined);
    await db?.close();
  });

  it('finds every connector table and view in the catalog', () => {
    const names = objects.map((relation) => relation.name);
    for (const name of ['ghl_contacts', 'ghl_notes', 'xero_payments', 'xero_invoice_line_items', 'template_records']) {
      expect(names).toContain(name);
    }
    for (const connector of connectors) {
      expect(
        tables().filter((relation) => relation.source === connector.source).length,
        connector.source,
      ).toBeGreaterThan(0);
    }
  });

  it('closed by default: row level security on every table, security_invoker on every view, no privilege for anon or authenticated', async () => {
    for (const relation of objects) {
      const [row] = await db.query<{ rls: boolean; options: string[] | null }>(
        'select relrowsecurity as rls, reloptions as options from pg_class where oid = $1::regclass',
        [`${s}."${relation.name}"`],
      );
      if (relation.kind === 'r' || relation.kind === 'p') expect(row?.rls, relation.name).toBe(true);
      if (relation.kind === 'v') expect(row?.options, relation.name).toContain('security_invoker=true');
      const privileges =
        relation.kind === 'S'
          ? ['usage', 'select', 'update']
          : ['select', 'insert', 'update', 'delete', 'truncate', 'references', 'trigger'];
      for (const role of ['anon', 'authenticated']) {
        for (const privilege of privileges) {
          const check = relation.kind === 'S' ? 'has_sequence_privilege' : 'has_table_privilege';
          const [held] = await db.query<{ ok: boolean }>(`select ${check}($1, $2, $3) as ok`, [
            role,
            `${s}."${relation.name}"`,
            privilege,
          ]);
          expect(held?.ok, `${role} ${privilege} on ${relation.name}`).toBe(false);
        }
      }
    }
  });

  it('anon and a signed-in user read and write nothing before tenant access is opened; service_role reads everything', async () => {
    for (const identity of [{ role: 'anon' }, { role: 'authenticated', sub: USER_A }] as RequestIdentity[]) {
      await as(identity, async (session) => {
        for (const relation of readable()) {
          expect(
            await session.attempt(`select * from ${q(relation.name)}`),
            `${identity.role} ${relation.name}`,
          ).toEqual({ code: DENIED });
        }
        for (const relation of tables()) {
          const column = `"${tenantColumn(relation)}"`;
          for (const sql of [
            `update ${q(relation.name)} set ${column} = ${column}`,
            `delete from ${q(relation.name)}`,
            `insert into ${q(relation.name)} (${column}) values ('t2')`,
            `truncate ${q(relation.name)}`,
          ]) {
            expect(await session.attempt(sql), `${identity.role}: ${sql}`).toEqual({ code: DENIED });
          }
        }
      });
    }
    await as({ role: 'service_role' }, async (session) => {
      for (const relation of tables()) {
        expect(await tenantsSeen(session, relation), relation.name).toEqual(['t1', 't1', 't2']);
      }
    });
  });

  describe('with tenant access opened (migrate({ connectors, tenantAccess: true }))', () => {
    beforeAll(async () => {
      await state.migrate({ connectors, tenantAccess: true });
      for (const connector of connectors) {
        await db.query(
          `insert into ${s}.act_user_sources (user_id, source, tenant) values ($1, $3, 't1'), ($2, $3, 't2')`,
          [USER_A, USER_B, connector.source],
        );
      }
    });

    it('user A reads only tenant t1, user B only t2, in every table and view; an unmapped user and anon nothing', async () => {
      for (const [sub, tenant] of [
        [USER_A, 't1'],
        [USER_B, 't2'],
      ] as const) {
        await as({ role: 'authenticated', sub }, async (session) => {
          for (const relation of readable()) {
            const seen = await tenantsSeen(session, relation);
            expect(Array.isArray(seen), `${relation.name}: ${String(seen)}`).toBe(true);
            expect(new Set(seen as string[]), `${sub} ${relation.name}`).toEqual(new Set([tenant]));
          }
        });
      }
      await as({ role: 'authenticated', sub: UNMAPPED }, async (session) => {
        for (const relation of readable()) expect(await tenantsSeen(session, relation), relation.name).toEqual([]);
      });
      await as({ role: 'anon' }, async (session) => {
        for (const relation of readable()) expect(await tenantsSeen(session, relation), relation.name).toBe(DENIED);
      });
    });

    it("user A can neither update, delete nor insert B's rows, even where an app granted writes; migrate takes such grants back", async () => {
      for (const relation of tables()) {
        await db.query(`grant insert, update, delete on ${q(relation.name)} to authenticated`);
      }
      await as({ role: 'authenticated', sub: USER_A }, async (session) => {
        for (const relation of tables()) {
          const column = `"${tenantColumn(relation)}"`;
          const table = q(relation.name);
          expect(await session.attempt(`update ${table} set ${column} = ${column} returning 1`), relation.name).toEqual(
            {
              rows: [],
            },
          );
          expect(await session.attempt(`delete from ${table} returning 1`), relation.name).toEqual({ rows: [] });
          expect(await session.attempt(`insert into ${table} (${column}) values ('t2')`), relation.name).toEqual({
            code: DENIED,
          });
        }
      });
      for (const relation of tables()) {
        expect(await db.query(`select count(*)::int as n from ${q(relation.name)}`), relation.name).toEqual([{ n: 3 }]);
      }
      await state.migrate({ connectors });
      for (const relation of tables()) {
        const [held] = await db.query<{ select: boolean; update: boolean }>(
          `select has_table_privilege('authenticated', $1, 'select') as select, has_table_privilege('authenticated', $1, 'update') as update`,
          [`${s}."${relation.name}"`],
        );
        expect(held, relation.name).toEqual({ select: true, update: false });
      }
    });

    it('service_role and the owner still read every tenant', async () => {
      await as({ role: 'service_role' }, async (session) => {
        for (const relation of tables()) {
          expect(await tenantsSeen(session, relation), relation.name).toEqual(['t1', 't1', 't2']);
        }
      });
      for (const relation of tables()) {
        expect(await db.query(`select count(*)::int as n from ${q(relation.name)}`)).toEqual([{ n: 3 }]);
      }
    });

    it('a table a newer connector version adds is closed, then opened per tenant, by a plain migrate', async () => {
      const ghl = connectors.find((connector) => connector.source === 'ghl') as Connector;
      const newer: Connector = {
        ...ghl,
        migrations: [
          ...(ghl.migrations ?? []),
          {
            name: '9999_ghl_later',
            sql: 'create table ghl_later (location_id text not null, id text not null, body text, primary key (location_id, id));',
          },
        ],
      };
      await state.migrate({ connectors: [newer] });
      await db.query(`insert into ${s}.ghl_later (location_id, id) values ('t1', '1'), ('t2', '2')`);
      const later: Relation = { name: 'ghl_later', kind: 'r', source: 'ghl' };
      await as({ role: 'anon' }, async (session) => expect(await tenantsSeen(session, later)).toBe(DENIED));
      await as({ role: 'authenticated', sub: USER_A }, async (session) =>
        expect(await tenantsSeen(session, later)).toEqual(['t1']),
      );
      await as({ role: 'service_role' }, async (session) =>
        expect(await tenantsSeen(session, later)).toEqual(['t1', 't2']),
      );
    });

    it('refuses a connector migration that creates an object outside its source prefix (it would stay open)', async () => {
      const rogue: Connector = {
        source: 'ghl',
        tenantColumn: 'location_id',
        migrations: [{ name: '9998_rogue', sql: 'create table contacts_copy (location_id text, email text);' }],
      };
      await expect(state.migrate({ connectors: [rogue] })).rejects.toThrow(
        /connector migration "ghl\/9998_rogue" created "contacts_copy", not named "ghl_…"/,
      );
      expect(await db.query('select to_regclass($1) as found', [`${s}.contacts_copy`])).toEqual([{ found: null }]);
    });
  });
}

describe('connector tables and views on PGlite, with Supabase roles and default privileges', () =>
  suite(openPgliteDatabase));

describe.skipIf(!DATABASE_URL)(
  'connector tables and views on Postgres (a random database), with Supabase roles and default privileges',
  () => suite(() => openRandomPostgresDatabase(DATABASE_URL as string)),
);

describe('an existing database, its connector tables created open before this release', () => {
  let db: StubDatabase;
  afterAll(async () => db?.close());

  it('is closed by the next migrate; a table opened earlier with act_enable_tenant_rls stays open per tenant, now for the whole connector', async () => {
    db = await openPgliteDatabase();
    await db.installStub();
    const schema = randomSchema('act_conn_upgrade');
    const s = `"${schema}"`;
    await db.exec(supabaseSchemaDefaults(schema));
    const connectors = await repositoryConnectors();
    const ghl = connectors.find((connector) => connector.source === 'ghl') as Connector;
    // As before: the tables created with Supabase's default grants, one opened by hand.
    await createPostgresState(db.connection, { schema }).migrate({ tenantAccess: true });
    await db.exec(
      `set search_path = ${s}, public; ${(ghl.migrations ?? []).map((migration) => migration.sql).join('\n')}
       select act_enable_tenant_rls('ghl_contacts', 'ghl', 'location_id'); reset search_path;`,
    );
    await db.query(`insert into ${s}.ghl_notes (location_id, id) values ('t1', '1'), ('t2', '2')`);
    await db.query(`insert into ${s}.act_user_sources (user_id, source, tenant) values ($1, 'ghl', 't1')`, [USER_A]);
    const notes = (identity: RequestIdentity) =>
      db.as(identity, (session) => session.attempt<{ id: string }>(`select id from ${s}.ghl_notes order by 1`));
    expect(await notes({ role: 'anon' })).toEqual({ rows: [{ id: '1' }, { id: '2' }] });

    const state = createPostgresState(db.connection, { schema });
    await state.migrate({ connectors });
    expect(await notes({ role: 'anon' })).toEqual({ code: DENIED });
    expect(await notes({ role: 'authenticated', sub: USER_A })).toEqual({ rows: [{ id: '1' }] });
    expect(await notes({ role: 'service_role' })).toEqual({ rows: [{ id: '1' }, { id: '2' }] });
    await state.close();
  });
});
