// Cross-source identity (0013_act_identity): identities written by triggers in
// the transaction of the mirror write, links between sources, conflicts within
// one, tombstones, tenant groups, and the closed-by-default access.
import type { SinkOperationV1 } from '@act/core';
import { describe, expect, it } from 'vitest';
import type { Migration } from '../src/migrate';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness, type TestState } from './helpers/harness';

/** Two sources' mirror tables, as connectors create and register them. */
const TABLES: Migration = {
  name: 'test/0001_identity_tables',
  sql: `
create table crm_people (
  org text not null, id text not null, email text, work_email text, phone text, stripe_id text, status text,
  _version bigint, _version_order bigint[], _payload_hash text, _deleted_at timestamptz, _synced_at timestamptz,
  primary key (org, id)
);
create table books_contacts (
  tenant_id text not null, id text not null, email text, mobile text, stripe_customer text,
  _version bigint, _version_order bigint[], _payload_hash text, _deleted_at timestamptz, _synced_at timestamptz,
  primary key (tenant_id, id)
);
insert into books_contacts (tenant_id, id, email) values ('t1', 'before', 'early@example.com');
select act_identity_register('crm_people', 'crm', 'person', 'org', 'id', array['email', 'work_email'], array['phone'],
  '{"stripe_id": "stripe:customer"}', 'status is distinct from ''archived''');
select act_identity_register('books_contacts', 'books', 'contact', 'tenant_id', 'id', array['email'], array['mobile'],
  '{"stripe_customer": "stripe:customer"}');
`,
};

const person = (id: string, values: Record<string, unknown>, version = 1, org = 'o1'): SinkOperationV1 => ({
  kind: 'upsert',
  table: 'crm_people',
  key: { org, id },
  values,
  version,
});
const contact = (id: string, values: Record<string, unknown>, version = 1, tenant = 't1'): SinkOperationV1 => ({
  kind: 'upsert',
  table: 'books_contacts',
  key: { tenant_id: tenant, id },
  values,
  version,
});

function suite(harness: () => Harness) {
  const h = harness();
  const withState = (fn: (test: TestState) => Promise<void>) => async () => {
    const test = await h.create({ migrations: [TABLES] });
    try {
      await fn(test);
    } finally {
      await test.destroy();
    }
  };
  const matchesOf = async (test: TestState, source: string, tenant: string, recordId: string) =>
    (await test.state.identities.matches({ source, tenant, recordId })).map((match) => ({
      record: `${match.source}/${match.tenant}/${match.recordId}`,
      rules: match.rules,
      ambiguous: match.ambiguous,
    }));

  it(
    'links records of two sources by email written in the same apply, whatever the case and spaces',
    withState(async (test) => {
      await test.state.sink.apply([
        person('p1', { email: 'ada@example.com', phone: '+442071838750' }),
        contact('c1', { email: ' Ada@Example.COM ' }),
      ]);
      expect(await matchesOf(test, 'crm', 'o1', 'p1')).toEqual([
        { record: 'books/t1/c1', rules: ['email'], ambiguous: false },
      ]);
      const [match] = await test.state.identities.matches({ source: 'books', tenant: 't1', recordId: 'c1' });
      expect(match).toMatchObject({
        source: 'crm',
        entity: 'person',
        recordId: 'p1',
        values: [{ kind: 'email', value: 'ada@example.com' }],
      });
      const links = await test.query(
        `select rule, source_a, record_id_a, source_b, record_id_b from "${test.schema}".act_identity_links`,
      );
      expect(links).toEqual([
        { rule: 'email', source_a: 'books', record_id_a: 'c1', source_b: 'crm', record_id_b: 'p1' },
      ]);
    }),
  );

  it(
    'links by phone and by provider id, and reports every rule that matched',
    withState(async (test) => {
      await test.state.sink.apply([
        person('p1', { email: 'a@example.com', phone: '+442071838750', stripe_id: 'cus_1' }),
        contact('c1', { email: 'a@example.com', mobile: '+442071838750', stripe_customer: 'cus_1' }),
      ]);
      expect(await matchesOf(test, 'crm', 'o1', 'p1')).toEqual([
        { record: 'books/t1/c1', rules: ['email', 'id', 'phone'], ambiguous: false },
      ]);
    }),
  );

  it(
    'fills identities of rows a table held before it was registered',
    withState(async (test) => {
      await test.state.sink.apply([person('p1', { email: 'early@example.com' })]);
      expect(await matchesOf(test, 'crm', 'o1', 'p1')).toEqual([
        { record: 'books/t1/before', rules: ['email'], ambiguous: false },
      ]);
    }),
  );

  it(
    'a value two records of one source hold is a conflict, not a link; resolving it restores the link',
    withState(async (test) => {
      await test.state.sink.apply([
        person('p1', { email: 'ada@example.com' }),
        contact('c1', { email: 'ada@example.com' }),
        contact('c2', { email: 'ADA@example.com' }),
      ]);
      expect(await matchesOf(test, 'crm', 'o1', 'p1')).toEqual([]);
      expect(await test.state.identities.conflicts()).toEqual([
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
      expect(await test.state.identities.conflicts({ source: 'crm' })).toEqual([]);
      expect(await test.state.identities.conflicts({ tenant: 't1' })).toHaveLength(1);
      expect(await test.state.identities.conflicts({ tenant: 'o1' })).toEqual([]);

      // c2's email is corrected upstream: the conflict is gone and the link is back.
      await test.state.sink.apply([contact('c2', { email: 'other@example.com' }, 2)]);
      expect(await test.state.identities.conflicts()).toEqual([]);
      expect(await matchesOf(test, 'crm', 'o1', 'p1')).toEqual([
        { record: 'books/t1/c1', rules: ['email'], ambiguous: false },
      ]);
    }),
  );

  it(
    'a record linked to two records of one source by different rules is ambiguous',
    withState(async (test) => {
      await test.state.sink.apply([
        person('p1', { email: 'ada@example.com', phone: '+442071838750' }),
        contact('c1', { email: 'ada@example.com' }),
        contact('c2', { mobile: '+442071838750' }),
      ]);
      expect(await matchesOf(test, 'crm', 'o1', 'p1')).toEqual([
        { record: 'books/t1/c1', rules: ['email'], ambiguous: true },
        { record: 'books/t1/c2', rules: ['phone'], ambiguous: true },
      ]);
    }),
  );

  it(
    'a tombstone, a filtered-out row, a changed email and a deleted row take their identities with them',
    withState(async (test) => {
      await test.state.sink.apply([
        person('p1', { email: 'ada@example.com' }),
        contact('c1', { email: 'ada@example.com' }),
        person('p2', { email: 'bob@example.com' }),
        contact('c2', { email: 'bob@example.com' }),
      ]);
      await test.state.sink.apply([
        { kind: 'delete', table: 'books_contacts', key: { tenant_id: 't1', id: 'c1' }, version: 2 },
      ]);
      expect(await matchesOf(test, 'crm', 'o1', 'p1')).toEqual([]);
      // The registration's filter: archived people have no identities.
      await test.state.sink.apply([person('p2', { status: 'archived' }, 2)]);
      expect(await matchesOf(test, 'crm', 'o1', 'p2')).toEqual([]);
      await test.state.sink.apply([person('p2', { status: 'active', email: 'bobby@example.com' }, 3)]);
      expect(await matchesOf(test, 'crm', 'o1', 'p2')).toEqual([]);
      await test.state.sink.apply([contact('c2', { email: 'bobby@example.com' }, 2)]);
      expect(await matchesOf(test, 'crm', 'o1', 'p2')).toHaveLength(1);
      await test.query(`delete from "${test.schema}".books_contacts where id = 'c2'`);
      expect(await matchesOf(test, 'crm', 'o1', 'p2')).toEqual([]);
      const left = await test.query<{ record_id: string; value: string }>(
        `select record_id, value from "${test.schema}".act_identities order by 1, 2`,
      );
      expect(left).toEqual([
        { record_id: 'before', value: 'early@example.com' },
        { record_id: 'p1', value: 'ada@example.com' },
        { record_id: 'p2', value: 'bobby@example.com' },
      ]);
    }),
  );

  it(
    'matches only within a tenant group',
    withState(async (test) => {
      await test.state.sink.apply([
        person('p1', { email: 'ada@example.com' }, 1, 'team-a-crm'),
        contact('c1', { email: 'ada@example.com' }, 1, 'team-b-books'),
      ]);
      expect(await matchesOf(test, 'crm', 'team-a-crm', 'p1')).toHaveLength(1);
      await test.state.identities.setTenantGroup({ source: 'crm', tenant: 'team-a-crm', group: 'a' });
      await test.state.identities.setTenantGroup({ source: 'books', tenant: 'team-b-books', group: 'b' });
      expect(await matchesOf(test, 'crm', 'team-a-crm', 'p1')).toEqual([]);
      await test.state.identities.setTenantGroup({ source: 'books', tenant: 'team-b-books', group: 'a' });
      expect(await matchesOf(test, 'crm', 'team-a-crm', 'p1')).toHaveLength(1);
      await test.state.identities.setTenantGroup({ source: 'books', tenant: 'team-b-books', group: null });
      expect(await matchesOf(test, 'crm', 'team-a-crm', 'p1')).toEqual([]);
    }),
  );

  it(
    'a failed batch leaves no identities behind (same transaction as the rows)',
    withState(async (test) => {
      await expect(
        test.state.sink.apply([person('p1', { email: 'ada@example.com' }), contact('c1', { no_such_column: 1 })]),
      ).rejects.toThrow();
      expect(await test.query(`select * from "${test.schema}".act_identities where record_id = 'p1'`)).toEqual([]);
    }),
  );

  it(
    'refuses to register a column the table lacks',
    withState(async (test) => {
      await expect(
        test.query(
          `select "${test.schema}".act_identity_register('crm_people', 'crm', 'person', 'org', 'id', array['mail']::name[])`,
        ),
      ).rejects.toThrow(/no column mail/);
    }),
  );
}

describe('identity on PGlite', () => suite(pgliteHarness));
describe.skipIf(!DATABASE_URL)('identity on Postgres', () => suite(() => postgresHarness()));
