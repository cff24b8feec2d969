import { ConfigurationError, type SinkOperationV1, type SinkUpsertV1 } from '@act/core';
import { describe, expect, it } from 'vitest';
import { PostgresError } from '../src';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness, type TestState } from './helpers/harness';

const table = 'act_test_records';
const key = (id: string) => ({ tenant_id: 'tenant', id });
const upsert = (
  id: string,
  values: Record<string, unknown>,
  version?: number,
  preserve?: string[],
): SinkOperationV1 => ({
  kind: 'upsert',
  table,
  key: key(id),
  values,
  ...(version !== undefined ? { version } : {}),
  ...(preserve ? { preserve } : {}),
});

async function row(test: TestState, id: string) {
  const [found] = await test.query<Record<string, unknown>>(
    `select * from "${test.schema}".${table} where tenant_id = 'tenant' and id = $1`,
    [id],
  );
  return found;
}

function suite(harness: () => Harness) {
  const h = harness();
  const withState = (fn: (test: TestState) => Promise<void>) => async () => {
    const test = await h.create();
    try {
      await fn(test);
    } finally {
      await test.destroy();
    }
  };

  it(
    'writes only the columns an operation names; others keep their values',
    withState(async (test) => {
      await test.state.sink.apply([upsert('a', { name: 'Ada', email: 'ada@example.com', amount: 1.5 }, 1)]);
      const partial = await test.state.sink.apply([upsert('a', { name: 'Ada L' }, 2)]);
      expect(partial.outcomes[0]).toEqual({ outcome: 'updated' });
      expect(await row(test, 'a')).toMatchObject({ name: 'Ada L', email: 'ada@example.com', amount: 1.5 });
      // A partial write with the values already there is unchanged, not rewritten.
      const same = await test.state.sink.apply([upsert('a', { email: 'ada@example.com' }, 3)]);
      expect(same.outcomes[0]).toEqual({ outcome: 'skipped', reason: 'unchanged' });
      expect(Number((await row(test, 'a'))?._version)).toBe(3);
    }),
  );

  it(
    'keeps bookkeeping: version, sync time, and a payload hash that ignores key order and preserved columns',
    withState(async (test) => {
      await test.state.sink.apply([
        upsert('a', { name: 'A', email: 'e', stage: 'lead' }, 7, ['stage']),
        upsert('b', { email: 'e', name: 'A' }, 7),
      ]);
      const a = await row(test, 'a');
      const b = await row(test, 'b');
      expect(Number(a?._version)).toBe(7);
      expect(a?._synced_at).toBeInstanceOf(Date);
      expect(a?._deleted_at).toBeNull();
      expect(a?._payload_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(a?._payload_hash).toBe(b?._payload_hash);
    }),
  );

  it(
    'a version-less write always wins over live rows and keeps the stored version',
    withState(async (test) => {
      await test.state.sink.apply([upsert('a', { name: 'v5' }, 5)]);
      expect((await test.state.sink.apply([upsert('a', { name: 'manual' })])).outcomes[0]).toEqual({
        outcome: 'updated',
      });
      expect(await row(test, 'a')).toMatchObject({ name: 'manual' });
      expect(Number((await row(test, 'a'))?._version)).toBe(5);
      expect((await test.state.sink.apply([upsert('a', { name: 'old' }, 4)])).outcomes[0]).toMatchObject({
        reason: 'stale',
      });
    }),
  );

  it(
    'treats a numeric key like its text, so one batch cannot touch a row twice',
    withState(async (test) => {
      const result = await test.state.sink.apply([
        { kind: 'upsert', table, key: { tenant_id: 'tenant', id: 7 }, values: { name: 'number' }, version: 1 },
        { kind: 'upsert', table, key: { tenant_id: 'tenant', id: '7' }, values: { name: 'text' }, version: 2 },
      ]);
      expect(result.outcomes.map((outcome) => outcome.outcome)).toEqual(['skipped', 'created']);
      expect(await row(test, '7')).toMatchObject({ name: 'text' });
    }),
  );

  it(
    'is all or nothing: a failing operation leaves no rows and no cursor',
    withState(async (test) => {
      const cursor = { source: 'test', tenant: 'tenant', stream: 'things', cursor: 'page-2' };
      const failing = test.state.sink.apply(
        [
          upsert('ok', { name: 'fine' }, 1),
          { kind: 'upsert', table, key: key('bad'), values: { amount: 'not a number' }, version: 1 },
        ],
        { cursor },
      );
      await expect(failing).rejects.toBeInstanceOf(PostgresError);
      await expect(failing).rejects.toMatchObject({ code: '22P02', errorClass: 'validation' });
      expect(await row(test, 'ok')).toBeUndefined();
      expect(await test.state.store.getCursor(cursor)).toBeNull();
      // An empty page still commits its cursor.
      expect(await test.state.sink.apply([], { cursor })).toMatchObject({ created: 0, outcomes: [] });
      expect(await test.state.store.getCursor(cursor)).toBe('page-2');
    }),
  );

  it(
    'names unknown tables, unknown columns and bookkeeping misuse',
    withState(async (test) => {
      await expect(test.state.sink.apply([{ ...upsert('a', { name: 'x' }), table: 'nope' }])).rejects.toThrow(
        /table nope does not exist in schema .*run the connector's migrations/,
      );
      await expect(test.state.sink.apply([upsert('a', { nickname: 'x' })])).rejects.toThrow(
        /has no writable column nickname/,
      );
      await expect(test.state.sink.apply([upsert('a', { _version: 3 })])).rejects.toBeInstanceOf(ConfigurationError);
      await expect(test.state.sink.apply([upsert('a', { name: 'x' }, 1.5)])).rejects.toThrow(
        /version must be an integer/,
      );
      await expect(
        test.state.sink.apply([{ kind: 'upsert', table, key: { id: 'a' }, values: { name: 'x' } }]),
      ).rejects.toThrow(/primary key or a unique index/);
    }),
  );

  it(
    'explains mirror tables it cannot use: missing bookkeeping, NOT NULL columns without a default',
    withState(async (test) => {
      const s = `"${test.schema}"`;
      await test.query(`create table ${s}.plain (id text primary key, name text)`);
      await expect(
        test.state.sink.apply([{ kind: 'upsert', table: 'plain', key: { id: 'a' }, values: { name: 'x' } }]),
      ).rejects.toThrow(/lacks the bookkeeping columns _version, _payload_hash, _deleted_at, _synced_at/);
      await test.query(
        `create table ${s}.strict (id text primary key, name text not null, _version bigint, _payload_hash text, _deleted_at timestamptz, _synced_at timestamptz)`,
      );
      await expect(
        test.state.sink.apply([{ kind: 'delete', table: 'strict', key: { id: 'early' }, version: 1 }]),
      ).rejects.toThrow(/cannot leave a tombstone in strict: column name is NOT NULL without a default/);
    }),
  );

  it(
    'hard delete resets values to their defaults and keeps the key as the tombstone',
    withState(async (test) => {
      const s = `"${test.schema}"`;
      await test.query(
        `create table ${s}.defaults (id text primary key, name text not null default '', tags text[] not null default '{}', n integer generated always as (length(name)) stored,
        _version bigint, _payload_hash text, _deleted_at timestamptz, _synced_at timestamptz not null default now())`,
      );
      const ops = (kind: 'upsert' | 'delete'): SinkOperationV1 =>
        kind === 'upsert'
          ? { kind, table: 'defaults', key: { id: 'x' }, values: { name: 'Xavier', tags: ['a', 'b'] }, version: 1 }
          : { kind, table: 'defaults', key: { id: 'x' }, version: 2, hard: true };
      expect((await test.state.sink.apply([ops('upsert')])).created).toBe(1);
      expect((await test.state.sink.apply([ops('delete')])).deleted).toBe(1);
      const [purged] = await test.query<Record<string, unknown>>(`select * from ${s}.defaults`);
      expect(purged).toMatchObject({ id: 'x', name: '', tags: [], n: 0, _payload_hash: null });
      expect(Number(purged?._version)).toBe(2);
      expect(purged?._deleted_at).toBeInstanceOf(Date);
      expect((await test.state.sink.apply([{ ...ops('delete'), key: { id: 'never-seen' } }])).deleted).toBe(1);
    }),
  );

  it(
    'write rules in SQL: odd list values, numeric columns, and the version bump of rows they leave unchanged',
    withState(async (test) => {
      // List values that need quoting in SQL (a quote, a comma, braces, a per cent sign).
      const forwardOnly = { stage: ["l'ead", 'a,b', '{c}', '100%'] };
      const staged = (id: string, stage: string, version: number): SinkUpsertV1 => ({
        ...(upsert(id, { stage, amount: 2 }, version) as SinkUpsertV1),
        forwardOnly,
        preserveIfSet: ['amount'],
      });
      await test.state.sink.apply([upsert('a', { stage: 'a,b' }, 1)]);
      expect((await test.state.sink.apply([staged('a', "l'ead", 2)])).outcomes[0]).toEqual({ outcome: 'updated' });
      // The stage stayed; the empty amount was filled.
      expect(await row(test, 'a')).toMatchObject({ stage: 'a,b', amount: 2 });
      const same = await test.state.sink.apply([staged('a', "l'ead", 3)]);
      expect(same.outcomes[0]).toEqual({ outcome: 'skipped', reason: 'unchanged' });
      // Unchanged under the rules still remembers the newer version (the locked second statement).
      expect(Number((await row(test, 'a'))?._version)).toBe(3);
      expect((await test.state.sink.apply([staged('a', '100%', 4)])).outcomes[0]).toEqual({ outcome: 'updated' });
      expect(await row(test, 'a')).toMatchObject({ stage: '100%', amount: 2 });
      // A restore of a live row with the same values is an ordinary unchanged upsert, bumped too.
      const restore: SinkUpsertV1 = { ...(upsert('a', { stage: '100%' }, 5) as SinkUpsertV1), restore: true };
      expect((await test.state.sink.apply([restore])).outcomes[0]).toEqual({ outcome: 'skipped', reason: 'unchanged' });
      expect(Number((await row(test, 'a'))?._version)).toBe(5);
      // A restorable delete keeps the tie-break it was written with.
      await test.state.sink.apply([
        { kind: 'delete', table, key: key('a'), version: 6, order: [7, 8], restorable: true },
      ]);
      expect(((await row(test, 'a'))?._version_order as unknown[] | undefined)?.map(Number)).toEqual([7, 8]);
    }),
  );

  it(
    'honours an abort signal before writing',
    withState(async (test) => {
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      await expect(test.state.sink.apply([upsert('a', { name: 'x' })], { signal: controller.signal })).rejects.toThrow(
        'stop',
      );
      expect(await row(test, 'a')).toBeUndefined();
    }),
  );
}

describe('sink details on PGlite', () => suite(pgliteHarness));
describe.skipIf(!DATABASE_URL)('sink details on Postgres', () => suite(postgresHarness));
