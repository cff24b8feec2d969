import { type SinkOperationV1, StoreUnavailableError } from '@act/core';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { createPostgresState, type RowChange } from '../src';
import type { Migration } from '../src/migrate';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness, type TestState } from './helpers/harness';

// A connector mirror table: source `crm`, tenant column location_id, the sink's bookkeeping columns.
const CRM_CONTACTS: Migration = {
  name: 'crm/0001_crm_contacts',
  sql: `create table crm_contacts (
  location_id text not null,
  id text not null,
  name text,
  email text,
  stage text,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz,
  primary key (location_id, id)
);
create table crm_notes (location_id text not null, id text primary key, body text);
`,
};

const publish = (sql: string): Migration => ({ name: `app/${Math.random().toString(36).slice(2)}`, sql });

const NOTIFY_LIMIT_BYTES = 8000;

/** Waits for what the handlers should have received; "within a second" of the commit. */
const soon = (assertion: () => void, timeout = 1_000) => vi.waitFor(assertion, { timeout, interval: 5 });

const upsert = (id: string, values: Record<string, unknown>, version: number, location = 'l1'): SinkOperationV1 => ({
  kind: 'upsert',
  table: 'crm_contacts',
  key: { location_id: location, id },
  values,
  version,
});

function suite(harness: () => Harness) {
  const h = harness();

  async function withState(publishSql: string, fn: (test: TestState, changes: RowChange[]) => Promise<void>) {
    const test = await h.create({ migrations: [CRM_CONTACTS, publish(publishSql)] });
    const changes: RowChange[] = [];
    const errors: Error[] = [];
    const unsubscribe = await test.state.rowChanges.subscribe((change) => void changes.push(change), {
      onError: (error) => errors.push(error),
    });
    try {
      await fn(test, changes);
      expect(errors).toEqual([]);
    } finally {
      await unsubscribe();
      await test.destroy();
    }
  }

  it('publishes inserts, value changes and tombstones with their keys and changed columns, and nothing for bookkeeping-only writes', () =>
    withState(
      // The source's tenant column as migrate would have recorded it.
      `insert into act_source_access (source, tenant_column) values ('crm', 'location_id');
       select act_publish_row_changes('crm_contacts');`,
      async ({ state, query, schema }, changes) => {
        await state.sink.apply([
          upsert('c1', { name: 'Ada', email: 'ada@example.com', stage: 'lead' }, 1),
          upsert('c2', { name: 'Bob' }, 1, 'l2'),
        ]);
        await soon(() => expect(changes).toHaveLength(2));
        const byId = new Map(changes.map((change) => [change.key?.id, change]));
        expect(byId.get('c1')).toEqual({
          table: 'crm_contacts',
          source: 'crm',
          tenant: 'l1',
          op: 'INSERT',
          key: { location_id: 'l1', id: 'c1' },
          changed: ['email', 'id', 'location_id', 'name', 'stage'],
        });
        expect(byId.get('c2')).toMatchObject({ tenant: 'l2', op: 'INSERT', key: { location_id: 'l2', id: 'c2' } });
        changes.length = 0;

        // One value changes: only that column.
        await state.sink.apply([upsert('c1', { name: 'Ada L.', email: 'ada@example.com', stage: 'lead' }, 2)]);
        await soon(() => expect(changes).toHaveLength(1));
        expect(changes[0]).toEqual({
          table: 'crm_contacts',
          source: 'crm',
          tenant: 'l1',
          op: 'UPDATE',
          key: { location_id: 'l1', id: 'c1' },
          changed: ['name'],
        });

        // The same values again under a newer version (the sink bumps _version and
        // _synced_at), a same-version replay, and a bookkeeping write by hand: nothing.
        await state.sink.apply([upsert('c1', { name: 'Ada L.', email: 'ada@example.com', stage: 'lead' }, 3)]);
        await state.sink.apply([upsert('c1', { name: 'Ada L.', email: 'ada@example.com', stage: 'lead' }, 3)]);
        await query(`update "${schema}".crm_contacts set _synced_at = now(), _payload_hash = 'x'`);
        // Then a real change, which must be the next thing delivered.
        await state.sink.apply([upsert('c2', { name: 'Bob', stage: 'won' }, 2, 'l2')]);
        await soon(() => expect(changes).toHaveLength(2));
        expect(changes[1]).toMatchObject({ op: 'UPDATE', key: { id: 'c2' }, changed: ['stage'] });

        // The sink's delete leaves a tombstone: a DELETE. Deleting again, a late
        // upsert refused by the tombstone: nothing. A delete before the row: a DELETE.
        changes.length = 0;
        await state.sink.apply([
          { kind: 'delete', table: 'crm_contacts', key: { location_id: 'l1', id: 'c1' }, version: 4 },
        ]);
        await state.sink.apply([
          { kind: 'delete', table: 'crm_contacts', key: { location_id: 'l1', id: 'c1' }, version: 5 },
          upsert('c1', { name: 'Zombie' }, 6),
        ]);
        await state.sink.apply([
          { kind: 'delete', table: 'crm_contacts', key: { location_id: 'l1', id: 'c9' }, version: 1, hard: true },
        ]);
        await soon(() => expect(changes).toHaveLength(2));
        expect(changes).toEqual([
          {
            table: 'crm_contacts',
            source: 'crm',
            tenant: 'l1',
            op: 'DELETE',
            key: { location_id: 'l1', id: 'c1' },
            changed: [],
          },
          {
            table: 'crm_contacts',
            source: 'crm',
            tenant: 'l1',
            op: 'DELETE',
            key: { location_id: 'l1', id: 'c9' },
            changed: [],
          },
        ]);

        // A row removed outright is a DELETE too; a tombstone removed is nothing.
        changes.length = 0;
        await query(`delete from "${schema}".crm_contacts where id in ('c1', 'c2')`);
        await soon(() => expect(changes).toHaveLength(1));
        expect(changes[0]).toMatchObject({ op: 'DELETE', key: { location_id: 'l2', id: 'c2' }, tenant: 'l2' });

        // act.notify = 'off' silences; a changed key is a DELETE and an INSERT; a tombstone cleared is an INSERT.
        changes.length = 0;
        await state.sink.apply([upsert('k1', { name: 'K' }, 1)]);
        await query(
          `with quiet as (select set_config('act.notify', 'off', true) as off)
           update "${schema}".crm_contacts set name = 'quiet' where id = 'k1' and exists (select 1 from quiet)`,
        );
        await query(`update "${schema}".crm_contacts set id = 'k2' where id = 'k1'`);
        await query(`update "${schema}".crm_contacts set _deleted_at = null where id = 'c9'`);
        await soon(() => expect(changes).toHaveLength(4));
        expect(changes[0]).toMatchObject({ op: 'INSERT', key: { id: 'k1' } });
        expect(
          changes
            .slice(1, 3)
            .map((change) => `${change.op}:${change.key?.id}`)
            .sort(),
        ).toEqual(['DELETE:k1', 'INSERT:k2']);
        expect(changes[3]).toMatchObject({ op: 'INSERT', key: { location_id: 'l1', id: 'c9' } });
      },
    ));

  it('carries only the chosen columns’ values, and filters by table, source and tenant', () =>
    withState(
      `select act_publish_row_changes('crm_contacts', 'location_id', 'crm', p_values => array['name', 'stage']);
       select act_publish_row_changes('crm_notes', 'location_id', 'crm');`,
      async ({ state, query, schema }, changes) => {
        const l2: RowChange[] = [];
        const notes: RowChange[] = [];
        const other: RowChange[] = [];
        const unsubscribes = await Promise.all([
          state.rowChanges.subscribe((change) => void l2.push(change), { tenant: 'l2' }),
          state.rowChanges.subscribe((change) => void notes.push(change), { table: 'crm_notes' }),
          state.rowChanges.subscribe((change) => void other.push(change), { source: 'other' }),
        ]);
        await state.sink.apply([upsert('c1', { name: 'Ada', email: 'ada@example.com', stage: 'lead' }, 1)]);
        await state.sink.apply([upsert('c1', { name: 'Ada', email: 'new@example.com', stage: 'won' }, 2)]);
        await state.sink.apply([upsert('c2', { name: 'Bob', email: 'bob@example.com' }, 1, 'l2')]);
        await query(`insert into "${schema}".crm_notes (location_id, id, body) values ('l1', 'n1', 'hello')`);
        await state.sink.apply([
          { kind: 'delete', table: 'crm_contacts', key: { location_id: 'l1', id: 'c1' }, version: 3 },
        ]);
        await soon(() => expect(changes).toHaveLength(5));
        const [insert, update, , note, remove] = changes;
        expect(insert).toMatchObject({ op: 'INSERT', new: { name: 'Ada', stage: 'lead' } });
        expect(insert).not.toHaveProperty('old');
        // The email changed too: named in `changed`, its value never sent.
        expect(update).toMatchObject({ op: 'UPDATE', changed: ['email', 'stage'], new: { name: 'Ada', stage: 'won' } });
        expect(update?.old).toEqual({ stage: 'lead' });
        expect(note).toEqual({
          table: 'crm_notes',
          source: 'crm',
          tenant: 'l1',
          op: 'INSERT',
          key: { id: 'n1' },
          changed: ['body', 'id', 'location_id'],
        });
        expect(remove).toMatchObject({ op: 'DELETE', old: { name: 'Ada', stage: 'won' } });
        expect(remove).not.toHaveProperty('new');
        expect(JSON.stringify(changes)).not.toContain('@example.com');
        await soon(() => {
          expect(l2.map((change) => change.key?.id)).toEqual(['c2']);
          expect(notes.map((change) => change.key?.id)).toEqual(['n1']);
        });
        expect(other).toEqual([]);
        await Promise.all(unsubscribes.map((unsubscribe) => unsubscribe()));
      },
    ));

  it('leaves values out when the message would pass 7 KB, and stops with act_unpublish_row_changes', () =>
    withState(
      `select act_publish_row_changes('crm_contacts', 'location_id', 'crm', p_values => array['*']);`,
      async ({ state, query, schema }, changes) => {
        await state.sink.apply([upsert('big', { name: 'x'.repeat(20_000) }, 1)]);
        await soon(() => expect(changes).toHaveLength(1));
        expect(changes[0]).toEqual({
          table: 'crm_contacts',
          source: 'crm',
          tenant: 'l1',
          op: 'INSERT',
          key: { location_id: 'l1', id: 'big' },
          changed: ['email', 'id', 'location_id', 'name', 'stage'],
          truncated: true,
        });
        expect(Buffer.byteLength(JSON.stringify(changes[0]))).toBeLessThan(NOTIFY_LIMIT_BYTES);
        // A huge key: only what identifies the table and tenant.
        await state.sink.apply([upsert('k'.repeat(9_000), { name: 'n' }, 1)]);
        await soon(() => expect(changes).toHaveLength(2));
        expect(changes[1]).toEqual({
          table: 'crm_contacts',
          source: 'crm',
          tenant: 'l1',
          op: 'INSERT',
          truncated: true,
        });

        const [{ unpublished } = { unpublished: false }] = await query<{ unpublished: boolean }>(
          `select "${schema}".act_unpublish_row_changes('"${schema}".crm_contacts') as unpublished`,
        );
        expect(unpublished).toBe(true);
        await state.sink.apply([upsert('after', { name: 'n' }, 1)]);
        // A change published elsewhere arrives; the unpublished table's did not.
        await query(`select "${schema}".act_publish_row_changes('"${schema}".crm_notes', 'location_id', 'crm')`);
        await query(`insert into "${schema}".crm_notes (location_id, id) values ('l1', 'sentinel')`);
        await soon(() => expect(changes).toHaveLength(3));
        expect(changes[2]).toMatchObject({ table: 'crm_notes', key: { id: 'sentinel' } });
      },
    ));

  it('refuses a table it cannot publish, naming what is missing', async () => {
    const test = await h.create({ migrations: [CRM_CONTACTS] });
    try {
      const s = `"${test.schema}"`;
      const attempt = (sql: string) =>
        test.query(sql).then(
          () => 'published',
          (error: Error) => error.message,
        );
      expect(await attempt(`select ${s}.act_publish_row_changes('${s}.crm_contacts')`)).toMatch(
        /no connector source is known for .*crm_contacts/,
      );
      expect(await attempt(`select ${s}.act_publish_row_changes('${s}.crm_contacts', p_source => 'crm')`)).toMatch(
        /the tenant column of .*crm_contacts is not known/,
      );
      expect(await attempt(`select ${s}.act_publish_row_changes('${s}.crm_contacts', 'tenant', 'crm')`)).toMatch(
        /has no column tenant/,
      );
      expect(
        await attempt(
          `select ${s}.act_publish_row_changes('${s}.crm_contacts', 'location_id', 'crm', p_values => array['_version'])`,
        ),
      ).toMatch(/cannot carry values of _version/);
      expect(await attempt(`select ${s}.act_publish_row_changes('${s}.crm_contacts', 'location_id', 'crm')`)).toBe(
        'published',
      );
    } finally {
      await test.destroy();
    }
  });
}

describe('PGlite', () => suite(pgliteHarness));

describe.skipIf(!DATABASE_URL)('Postgres (DATABASE_URL)', () => {
  suite(postgresHarness);

  const h = postgresHarness();

  it('sends each change on the schema channel to any LISTEN client, in commit order, never for a rollback', async () => {
    const test = await h.create({
      migrations: [CRM_CONTACTS, publish(`select act_publish_row_changes('crm_contacts', 'location_id', 'crm');`)],
    });
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const s = `"${test.schema}"`;
      const [{ channel } = { channel: '' }] = await test.query<{ channel: string }>(
        `select ${s}.act_row_changes_channel() as channel`,
      );
      expect(channel).toBe(`act_rows:${test.schema}`);
      const payloads: string[] = [];
      client.on('notification', (message) => {
        if (message.channel === channel) payloads.push(message.payload ?? '');
      });
      await client.query(`listen "${channel}"`);
      await test.query(
        `begin; insert into ${s}.crm_contacts (location_id, id, name) values ('l1', 'rolled-back', 'n'); rollback;`,
      );
      await test.query(
        `insert into ${s}.crm_contacts (location_id, id, name) values ('l1', 'a', 'n'), ('l1', 'b', 'n')`,
      );
      await test.query(`update ${s}.crm_contacts set name = 'm' where id = 'b'`);
      await soon(() => expect(payloads).toHaveLength(3));
      expect(payloads.map((payload) => JSON.parse(payload) as RowChange).map((c) => `${c.op}:${c.key?.id}`)).toEqual([
        expect.stringMatching(/^INSERT:[ab]$/),
        expect.stringMatching(/^INSERT:[ab]$/),
        'UPDATE:b',
      ]);
    } finally {
      await client.end();
      await test.destroy();
    }
  });
});

describe.skipIf(!DATABASE_URL)('Postgres, a lost LISTEN connection', () => {
  const h = postgresHarness();

  it('reports the loss, listens again, calls onReconnect, and delivers what commits after', async () => {
    const test = await h.create({
      migrations: [CRM_CONTACTS, publish(`select act_publish_row_changes('crm_contacts', 'location_id', 'crm');`)],
    });
    try {
      const s = `"${test.schema}"`;
      const seen: string[] = [];
      const errors: Error[] = [];
      let reconnects = 0;
      const unsubscribe = await test.state.rowChanges.subscribe((change) => void seen.push(String(change.key?.id)), {
        onError: (error) => errors.push(error),
        onReconnect: () => {
          reconnects += 1;
        },
      });
      const [{ channel } = { channel: '' }] = await test.query<{ channel: string }>(
        `select ${s}.act_row_changes_channel() as channel`,
      );
      const listeners = () =>
        test.query<{ pid: number }>(
          `select pid from pg_stat_activity where pid <> pg_backend_pid() and query = $1 and state = 'idle'`,
          [`listen "${channel}"`],
        );
      const [listener] = await listeners();
      await test.query('select pg_terminate_backend($1)', [listener?.pid]);
      await soon(() => expect(reconnects).toBe(1), 10_000);
      expect(errors.some((error) => error instanceof StoreUnavailableError)).toBe(true);
      await test.query(`insert into ${s}.crm_contacts (location_id, id) values ('l1', 'after')`);
      await soon(() => expect(seen).toEqual(['after']));
      await unsubscribe();
      // The last unsubscribe released the listening connection.
      await soon(async () => expect(await listeners()).toHaveLength(0));
    } finally {
      await test.destroy();
    }
  });
});

describe('with the supabase-js driver', () => {
  it('rowChanges.subscribe() says to use Supabase Realtime channels', async () => {
    const rpc = vi.fn();
    const state = createPostgresState({
      supabase: { schema: () => ({ rpc, from: () => ({ select: vi.fn() }) }) },
    });
    await expect(state.rowChanges.subscribe(() => {})).rejects.toThrow(
      /Supabase Realtime.*supabase\.channel\('act:<source>:<tenant>:rows'/,
    );
    expect(rpc).not.toHaveBeenCalled();
    await state.close();
  });
});
