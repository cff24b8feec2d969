import type { ConnectorV1, SourceEventV1 } from '@act/core';
import { email, mirrorTable, mirrorTransformer, text } from '../src/mirror/index';
import { testConnector, testReconciler } from '../src/testing/index';

const event = (id: string, version: number, name = `Name ${id}`): SourceEventV1 => ({
  source: 'acme',
  tenant: 'T1',
  type: 'person.updated',
  entity: 'person',
  entityId: id,
  version,
  payload: { id, name, email: `${id}@Example.com` },
});

const people = mirrorTable({
  table: 'acme_people',
  keys: ['account_id', 'id'],
  columns: { name: text('name'), email: email('email') },
});

const migration = `create table if not exists acme_people (
  account_id text not null,
  id text not null,
  name text,
  email text,
  raw jsonb,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (account_id, id)
);
alter table acme_people add column if not exists _version_order bigint[];
`;

const listing = [event('p1', 2), event('p2', 2)];
const reconciler = people.reconciler(async function* () {
  yield listing;
});

const connector: ConnectorV1 = {
  specificationVersion: 'v1',
  source: 'acme',
  packageName: '@act/connector-acme',
  transformer: mirrorTransformer({ packageName: '@act/connector-acme', tables: [people], route: () => people }),
  reconcilers: [reconciler],
  migrations: [{ name: '0001_acme', sql: migration }],
  tenantColumn: 'account_id',
};

testConnector(connector, { events: listing });

testReconciler({
  connector,
  reconciler,
  tenant: 'T1',
  // p1 is stale, p2 missing, p3 gone at the provider.
  mirror: [event('p1', 1, 'old'), event('p3', 1)],
  expected: { listed: 2, missing: 1, stale: 1, deleted: 1 },
});
