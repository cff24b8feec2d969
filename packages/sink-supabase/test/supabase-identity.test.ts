import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresState, migrate } from '../src';
import { createPostgrestFetch, pgliteTransaction } from '../src/testing';

// state.identities (migration 0013_act_identity) through the supabase-js
// driver: rpc names, the set-returning results (text[] and jsonb columns) and
// the void one, against the PostgREST stand-in of @act/sink-supabase/testing,
// as service_role in a schema of its own on a PGlite with Supabase's roles.
// The mirror rows are written by the sink through the same driver, so the
// triggers run as service_role too.

const SUPABASE_URL = 'https://abcdefghijklmnopqrst.supabase.co';
function jwt(role: string): string {
  const part = (value: object) =>
    btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iss: 'supabase', role })}.c2lnbmF0dXJl`;
}

const TABLES = `
create table crm_people (
  org text not null, id text not null, email text, phone text,
  _version bigint, _version_order bigint[], _payload_hash text, _deleted_at timestamptz, _synced_at timestamptz,
  primary key (org, id)
);
create table books_contacts (
  tenant_id text not null, id text not null, email text,
  _version bigint, _version_order bigint[], _payload_hash text, _deleted_at timestamptz, _synced_at timestamptz,
  primary key (tenant_id, id)
);
select act_identity_register('crm_people', 'crm', 'person', 'org', 'id', array['email'], array['phone']);
select act_identity_register('books_contacts', 'books', 'contact', 'tenant_id', 'id', array['email']);
`;

describe('identities through supabase-js (PostgREST stand-in, service_role, schema of its own)', () => {
  let db: PGlite | undefined;
  afterAll(async () => db?.close());

  it('matches, lists conflicts and sets tenant groups; the mirror writes keep the map', async () => {
    db = await PGlite.create();
    await db.exec(
      'create role anon nologin; create role authenticated nologin; create role service_role nologin bypassrls;',
    );
    const schema = 'act_private';
    await migrate({ pglite: db }, { schema, migrations: [{ name: 'test/0001_tables', sql: TABLES }] });
    const fetchImpl = createPostgrestFetch(pgliteTransaction(db), { switchRole: true });
    const state = createPostgresState(
      { supabaseUrl: SUPABASE_URL, supabaseKey: jwt('service_role'), clientOptions: { global: { fetch: fetchImpl } } },
      { schema },
    );
    const upsert = (table: string, key: Record<string, string>, values: Record<string, unknown>) =>
      ({ kind: 'upsert', table, key, values, version: 1 }) as const;

    await state.sink.apply([
      upsert('crm_people', { org: 'o1', id: 'p1' }, { email: 'ada@example.com', phone: '+442071838750' }),
      upsert('books_contacts', { tenant_id: 't1', id: 'c1' }, { email: 'Ada@Example.com' }),
    ]);
    expect(await state.identities.matches({ source: 'crm', tenant: 'o1', recordId: 'p1' })).toEqual([
      {
        source: 'books',
        tenant: 't1',
        entity: 'contact',
        recordId: 'c1',
        rules: ['email'],
        values: [{ kind: 'email', value: 'ada@example.com' }],
        ambiguous: false,
      },
    ]);

    await state.sink.apply([upsert('books_contacts', { tenant_id: 't1', id: 'c2' }, { email: 'ada@example.com' })]);
    expect(await state.identities.matches({ source: 'crm', tenant: 'o1', recordId: 'p1' })).toEqual([]);
    expect(await state.identities.conflicts({ source: 'books' })).toEqual([
      {
        tenantGroup: 'default',
        source: 'books',
        entity: 'contact',
        kind: 'email',
        value: 'ada@example.com',
        records: [
          { tenant: 't1', recordId: 'c1' },
          { tenant: 't1', recordId: 'c2' },
        ],
      },
    ]);

    await state.identities.setTenantGroup({ source: 'books', tenant: 't1', group: 'other-team' });
    expect(await state.identities.conflicts({ source: 'books' })).toMatchObject([{ tenantGroup: 'other-team' }]);
    await state.close();
  }, 120_000);
});
