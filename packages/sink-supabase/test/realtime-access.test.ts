import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresState, type Migration, type PostgresState, REALTIME_ACCESS_MIGRATION } from '../src';
import { DATABASE_URL, randomSchema } from './helpers/harness';
import {
  openPgliteDatabase,
  openRandomPostgresDatabase,
  type RequestIdentity,
  type StubDatabase,
  supabaseSchemaDefaults,
} from './helpers/supabase-stub';

/**
 * The part of Supabase Realtime's schema the policies meet, as Realtime
 * creates it (supabase/realtime, lib/realtime/tenants/repo/migrations): the
 * messages table with row level security, realtime.topic() reading the
 * `realtime.topic` setting, realtime.send inserting a broadcast message, and
 * its grants to the API roles. Not partitioned, and no Realtime server: the
 * test does what Realtime does when a client joins a private topic (set the
 * role, `realtime.topic` and `request.jwt.claims`, read the topic's broadcast
 * messages back; https://supabase.com/docs/guides/realtime/authorization).
 */
const REALTIME_STAND_IN = `
create schema if not exists realtime;
create table realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp without time zone not null default now(),
  inserted_at timestamp without time zone not null default now(),
  id uuid not null default gen_random_uuid(),
  primary key (id, inserted_at)
);
alter table realtime.messages enable row level security;
create function realtime.topic() returns text language sql stable as $$
  select nullif(current_setting('realtime.topic', true), '')::text;
$$;
create function realtime.send(payload jsonb, event text, topic text, private boolean default true) returns void
language plpgsql as $$
begin
  execute format('set local realtime.topic to %L', topic);
  insert into realtime.messages (payload, event, topic, private, extension)
  values (payload, event, topic, private, 'broadcast');
end;
$$;
grant usage on schema realtime to anon, authenticated, service_role;
grant select, insert, update on realtime.messages to anon, authenticated, service_role;
`;

const CRM_CONTACTS = `create table crm_contacts (
  location_id text not null,
  id text not null,
  name text,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz,
  primary key (location_id, id)
);
`;
// Source and tenant column as migrate recorded them for the connector.
const PUBLISH: Migration = {
  name: 'app/0001_publish_crm_contacts',
  sql: `select act_publish_row_changes('crm_contacts');`,
};

const USER_A = '00000000-0000-4000-8000-00000000000a';
const UNMAPPED = '00000000-0000-4000-8000-00000000000c';
const PERMISSION_DENIED = '42501';

function suite(open: () => Promise<StubDatabase>) {
  let db: StubDatabase;
  let state: PostgresState;
  let schema: string;
  let refusals: string[];

  beforeAll(async () => {
    db = await open();
    await db.installStub();
    schema = randomSchema('act_rt');
    await db.exec(supabaseSchemaDefaults(schema));
    state = createPostgresState(db.connection, { schema });
    const connectors = [
      { source: 'crm', tenantColumn: 'location_id', migrations: [{ name: '0001_crm_contacts', sql: CRM_CONTACTS }] },
    ];
    // Refused, saying what is missing: without tenant access, then without Realtime's schema.
    refusals = await Promise.all(
      [
        { migrations: [REALTIME_ACCESS_MIGRATION] },
        { tenantAccess: true, migrations: [REALTIME_ACCESS_MIGRATION] },
      ].map((options) =>
        state.migrate(options).then(
          () => 'applied',
          (error: Error) => error.message,
        ),
      ),
    );
    await db.exec(REALTIME_STAND_IN);
    // The connector, opened per tenant; then the app publishes its table and applies the policies.
    await state.migrate({ connectors, tenantAccess: ['crm'] });
    const { applied } = await state.migrate({ connectors, migrations: [PUBLISH, REALTIME_ACCESS_MIGRATION] });
    expect(applied).toEqual([PUBLISH.name, REALTIME_ACCESS_MIGRATION.name]);
    await db.query(`insert into "${schema}".act_user_sources (user_id, source, tenant) values ($1, 'crm', 'l1')`, [
      USER_A,
    ]);

    // Row changes and integration events of two tenants, broadcast by the triggers.
    await state.sink.apply(
      ['l1', 'l2'].map((location) => ({
        kind: 'upsert' as const,
        table: 'crm_contacts',
        key: { location_id: location, id: `c-${location}` },
        values: { name: 'Ada' },
        version: 1,
      })),
    );
    await state.store.recordEvents(
      ['l1', 'l2'].map((tenant) => ({
        source: 'crm',
        tenant,
        type: 'ContactUpdate',
        entity: 'contact',
        entityId: `c-${tenant}`,
        outcome: 'updated' as const,
        triggeredBy: 'webhook' as const,
        createdAt: new Date(),
      })),
    );
    // What Realtime inserts to check presence on a topic, and an app's own topic.
    await db.query(
      `insert into realtime.messages (topic, extension, payload) values ('act:crm:l1:rows', 'presence', '{}'), ('room:1', 'broadcast', '{}')`,
    );
  });

  afterAll(async () => {
    await state?.close();
    await db?.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
    await db?.close();
  });

  /** The broadcast messages a client joining `topic` may read, as Realtime checks it. */
  const receivable = (identity: RequestIdentity, topic: string, read = topic, extension = 'broadcast') =>
    db.as(identity, async (session) => {
      await session.query(`select set_config('realtime.topic', $1, true)`, [topic]);
      return session.query<{ event: string; payload: Record<string, unknown> }>(
        'select event, payload from realtime.messages where topic = $1 and extension = $2',
        [read, extension],
      );
    });
  const userA: RequestIdentity = { role: 'authenticated', sub: USER_A };

  it('refuses to apply without the tenant-access migration or without Supabase Realtime', () => {
    expect(refusals).toEqual([
      expect.stringMatching(/realtime access needs the tenant-access migration \(act_user_sources, act_can_read\)/),
      expect.stringMatching(
        /realtime access needs Supabase Realtime: the table realtime.messages and the function realtime.topic\(\)/,
      ),
    ]);
  });

  it('lets a signed-in user receive the row changes and events of a tenant they are mapped to', async () => {
    const rows = await receivable(userA, 'act:crm:l1:rows');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      event: 'act_row',
      payload: {
        table: 'crm_contacts',
        source: 'crm',
        tenant: 'l1',
        op: 'INSERT',
        key: { location_id: 'l1', id: 'c-l1' },
      },
    });
    const events = await receivable(userA, 'crm:l1');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event: 'act_event',
      payload: { source: 'crm', tenant: 'l1', entity_id: 'c-l1' },
    });
  });

  it("gives nothing of another tenant's topics, nothing to an unmapped user, nothing to anon", async () => {
    // The other tenant's messages exist.
    expect(await db.query(`select 1 from realtime.messages where topic = 'act:crm:l2:rows'`)).toHaveLength(1);
    expect(await receivable(userA, 'act:crm:l2:rows')).toEqual([]);
    expect(await receivable(userA, 'crm:l2')).toEqual([]);
    expect(await receivable(userA, 'act:other:l1:rows')).toEqual([]);
    // Joined to a topic of their own, reading another's messages.
    expect(await receivable(userA, 'act:crm:l1:rows', 'act:crm:l2:rows')).toEqual([]);
    // Presence on a row-change topic: never.
    expect(await receivable(userA, 'act:crm:l1:rows', 'act:crm:l1:rows', 'presence')).toEqual([]);
    for (const identity of [{ role: 'authenticated', sub: UNMAPPED }, { role: 'anon' }] as RequestIdentity[]) {
      for (const topic of ['act:crm:l1:rows', 'crm:l1', 'act:crm:l2:rows']) {
        expect(await receivable(identity, topic)).toEqual([]);
      }
    }
  });

  it("holds against an app's open policies: the act: topics stay per tenant and nobody sends on them", async () => {
    // What Realtime's quickstart suggests: every signed-in user (and here anon) may read and send everything.
    await db.exec(`
      create policy "app read all" on realtime.messages for select to anon, authenticated using (true);
      create policy "app send all" on realtime.messages for insert to anon, authenticated with check (true);
    `);
    try {
      expect(await receivable({ role: 'anon' }, 'act:crm:l1:rows')).toEqual([]);
      expect(await receivable(userA, 'act:crm:l2:rows')).toEqual([]);
      expect(await receivable({ role: 'authenticated', sub: UNMAPPED }, 'act:crm:l1:rows')).toEqual([]);
      expect(await receivable(userA, 'act:crm:l1:rows')).toHaveLength(1);
      // The app's own topics are the app's business.
      expect(await receivable({ role: 'anon' }, 'room:1')).toHaveLength(1);

      const send = (identity: RequestIdentity, topic: string) =>
        db.as(identity, (session) =>
          session.attempt(
            `insert into realtime.messages (topic, extension, event, payload) values ($1, 'broadcast', 'act_row', '{"op":"DELETE"}')`,
            [topic],
          ),
        );
      expect(await send(userA, 'act:crm:l1:rows')).toEqual({ code: PERMISSION_DENIED });
      expect(await send({ role: 'anon' }, 'act:crm:l1:rows')).toEqual({ code: PERMISSION_DENIED });
      expect(await send(userA, 'room:1')).toEqual({ rows: [] });
    } finally {
      await db.exec(`
        drop policy "app read all" on realtime.messages;
        drop policy "app send all" on realtime.messages;
      `);
    }
  });
}

describe('PGlite', () => suite(openPgliteDatabase));

describe.skipIf(!DATABASE_URL)('Postgres (DATABASE_URL)', () =>
  suite(() => openRandomPostgresDatabase(DATABASE_URL as string)),
);
