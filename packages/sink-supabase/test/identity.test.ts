import { describe, expect, it } from 'vitest';
import type { Migration } from '../src/migrate';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness, type TestState } from './helpers/harness';

/** Two sources' mirror tables, as connectors create and register them. */
const TABLES: Migration = {
  name: 'test/0001_identity_tables',
  sql: `
create table crm_people (
  org text not null, id text not null, email text, phone text, stripe_id text, status text,
  _version bigint, _version_order bigint[], _payload_hash text, _deleted_at timestamptz, _synced_at timestamptz,
  primary key (org, id)
);
create table books_contacts (
  tenant_id text not null, id text not null, email text, mobile text,
  _version bigint, _version_order bigint[], _payload_hash text, _deleted_at timestamptz, _synced_at timestamptz,
  primary key (tenant_id, id)
);
select act_identity_register('crm_people', 'crm', 'person', 'org', 'id', array['email'], array['phone'],
  '{"stripe_id": "stripe:customer"}', 'status is distinct from ''archived''');
select act_identity_register('books_contacts', 'books', 'contact', 'tenant_id', 'id', array['email'], array['mobile']);
`,
};

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
  const upsert = (table: string, key: Record<string, string>, values: Record<string, unknown>, version = 1) =>
    ({ kind: 'upsert', table, key, values, version }) as const;

  it(
    'links',
    withState(async (test) => {
      await test.state.sink.apply([
        upsert('crm_people', { org: 'o1', id: 'p1' }, { email: 'ada@example.com', phone: '+441234' }),
        upsert('books_contacts', { tenant_id: 't1', id: 'c1' }, { email: ' Ada@Example.com ' }),
      ]);
      console.log(await test.query(`select * from "${test.schema}".act_identities`));
      console.log(await test.query(`select * from "${test.schema}".act_identity_links`));
      console.log(await test.query(`select * from "${test.schema}".act_identity_matches('crm', 'p1', 'o1')`));
    }),
  );
}

describe('identity on PGlite', () => suite(pgliteHarness));
describe.skipIf(!DATABASE_URL)('identity on Postgres', () => suite(() => postgresHarness()));
