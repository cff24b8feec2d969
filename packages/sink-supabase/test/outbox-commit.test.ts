import type { PendingOutboxMessageV1, SinkOperationV1 } from '@act/core';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresState, migrate } from '../src';
import { createPostgrestFetch, pgliteTransaction } from '../src/testing';
import {
  DATABASE_URL,
  type Harness,
  pgliteHarness,
  postgresHarness,
  randomSchema,
  TEST_RECORDS_MIGRATION,
  type TestState,
} from './helpers/harness';

// Outbox messages are enqueued in the same act_sink_apply call as the rows
// they follow (0012_act_outbox.sql): nothing is forwarded that was not
// committed, nothing committed is lost, and a message that waits for a
// change is enqueued only when its operation changed the mirror.

const table = 'act_test_records';
const TENANT = 'tenant';
const key = (id: string) => ({ tenant_id: TENANT, id });
const upsert = (id: string, values: Record<string, unknown>, version: number, target = table): SinkOperationV1 => ({
  kind: 'upsert',
  table: target,
  key: key(id),
  values,
  version,
});
const forward = (k: string, extra: Partial<PendingOutboxMessageV1> = {}): PendingOutboxMessageV1 => ({
  destination: 'verity',
  key: k,
  source: 'feed',
  tenant: TENANT,
  deliveryId: '12',
  correlationId: 'corr-1',
  payload: { forwarded: k },
  ...extra,
});
const cursor = { source: 'feed', tenant: TENANT, stream: 'items', cursor: '7' };

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
  const keys = async (test: TestState) =>
    (await test.state.outbox.list({ destination: 'verity' })).map((message) => message.key).sort();

  it(
    'enqueues the messages with the rows, each as given and pending',
    withState(async (test) => {
      const { sink, outbox } = test.state;
      expect(sink.supportsOutboxCommit).toBe(true);
      const availableAt = new Date(Date.now() + 60_000);
      await sink.apply([upsert('a', { name: 'A' }, 1)], {
        cursor,
        outbox: [forward('d12:0', { operation: 0 }), forward('d12:1', { availableAt, destination: 'notion' })],
      });
      expect(await test.query(`select id from "${test.schema}".${table}`)).toEqual([{ id: 'a' }]);
      const [message] = await outbox.list({ destination: 'verity' });
      expect(message).toMatchObject({
        destination: 'verity',
        key: 'd12:0',
        source: 'feed',
        tenant: TENANT,
        deliveryId: '12',
        correlationId: 'corr-1',
        payload: { forwarded: 'd12:0' },
        status: 'pending',
        attempts: 0,
      });
      expect((await outbox.list({ destination: 'notion' }))[0]?.availableAt).toEqual(availableAt);
      // A dispatcher claims it like any message.
      const claimed = await outbox.claim({ owner: 'd1', limit: 10, leaseMs: 60_000, destinations: ['verity'] });
      expect(claimed.map((m) => m.key)).toEqual(['d12:0']);
    }),
  );

  it(
    'a failing apply enqueues nothing: no rows, no cursor, no messages',
    withState(async (test) => {
      const { sink, store, outbox } = test.state;
      // act_test_records is written first (tables in name order), then the missing table fails the call.
      const operations = [upsert('a', { name: 'A' }, 1), upsert('z', { name: 'Z' }, 1, 'act_missing_table')];
      await expect(
        sink.apply(operations, { cursor, outbox: [forward('k0', { operation: 0 }), forward('k1')] }),
      ).rejects.toThrow(/act_missing_table/);
      expect(await test.query(`select id from "${test.schema}".${table}`)).toEqual([]);
      expect(await store.getCursor({ source: 'feed', tenant: TENANT, stream: 'items' })).toBeNull();
      expect(await outbox.list()).toEqual([]);
      expect(await outbox.stats()).toEqual([]);
    }),
  );

  it(
    'a message that waits for a change is enqueued only when its operation created, updated or deleted a row',
    withState(async (test) => {
      const { sink, outbox } = test.state;
      await sink.apply([upsert('b', { name: 'B' }, 5), upsert('c', { name: 'C' }, 3)]);
      const result = await sink.apply(
        [
          upsert('a', { name: 'A' }, 1), // created
          upsert('b', { name: 'B old' }, 4), // stale: the stored row is newer
          upsert('c', { name: 'C' }, 3), // unchanged
          upsert('d', { name: 'D1' }, 2), // stale within the batch (collapsed before SQL)
          upsert('d', { name: 'D2' }, 3), // created
          { kind: 'delete', table, key: key('c') }, // deleted (wins over the upsert of c)
        ],
        {
          outbox: [
            forward('created', { operation: 0, onlyIfChanged: true }),
            forward('stale', { operation: 1, onlyIfChanged: true }),
            forward('collapsed', { operation: 3, onlyIfChanged: true }),
            forward('created-d', { operation: 4, onlyIfChanged: true }),
            forward('deleted', { operation: 5, onlyIfChanged: true }),
            // Without onlyIfChanged a message is enqueued whatever its operation did.
            forward('stale-always', { operation: 1 }),
            forward('no-operation'),
            // onlyIfChanged without an operation: nothing changed for it.
            forward('no-operation-if-changed', { onlyIfChanged: true }),
          ],
        },
      );
      expect(result.outcomes.map((o) => o.outcome)).toEqual([
        'created',
        'skipped',
        'skipped',
        'skipped',
        'created',
        'deleted',
      ]);
      expect(await keys(test)).toEqual(['created', 'created-d', 'deleted', 'no-operation', 'stale-always']);
      expect(await outbox.stats()).toMatchObject([{ destination: 'verity', pending: 5 }]);
    }),
  );

  it(
    'a replayed batch adds nothing: the (destination, key) is stored once, whatever its state',
    withState(async (test) => {
      const { sink, outbox } = test.state;
      const apply = (version: number, name: string) =>
        sink.apply([upsert('a', { name }, version)], {
          outbox: [forward('delivery-12:0', { operation: 0, payload: { name } })],
        });
      await apply(1, 'A');
      const [first] = await outbox.list();
      if (!first) throw new Error('expected the message');
      const claimed = await outbox.claim({ owner: 'd1', limit: 1, leaseMs: 60_000 });
      expect(await outbox.complete({ id: first.id, claimToken: claimed[0]?.claimToken ?? '' })).toBe(true);

      // The same delivery processed again (a replay, a redelivery), with a change this time.
      await apply(2, 'A2');
      expect(await test.query(`select name from "${test.schema}".${table}`)).toEqual([{ name: 'A2' }]);
      const messages = await outbox.list();
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({ id: first.id, status: 'done', payload: { name: 'A' } });
    }),
  );

  it(
    'messages for a batch with no operations are enqueued (and the cursor moves)',
    withState(async (test) => {
      const { sink, store } = test.state;
      await sink.apply([], { cursor, outbox: [forward('only')] });
      expect(await keys(test)).toEqual(['only']);
      expect(await store.getCursor({ source: 'feed', tenant: TENANT, stream: 'items' })).toBe('7');
    }),
  );

  it(
    'refuses a message for an operation the batch does not have, and writes nothing',
    withState(async (test) => {
      const { sink, outbox } = test.state;
      await expect(
        sink.apply([upsert('a', { name: 'A' }, 1)], { outbox: [forward('k', { operation: 3 })] }),
      ).rejects.toThrow(/operation 3/);
      expect(await outbox.list()).toEqual([]);
      expect(await test.query(`select id from "${test.schema}".${table}`)).toEqual([]);
    }),
  );

  it(
    'retention removes delivered messages past the cutoff, and dead ones only when asked',
    withState(async (test) => {
      const { outbox } = test.state;
      await outbox.enqueue([
        { destination: 'verity', key: 'done', payload: {} },
        { destination: 'verity', key: 'dead', payload: {} },
        { destination: 'verity', key: 'pending', payload: {} },
      ]);
      const claimed = await outbox.claim({ owner: 'd1', limit: 2, leaseMs: 60_000 });
      const done = claimed.find((m) => m.key === 'done');
      const dead = claimed.find((m) => m.key === 'dead');
      if (!done || !dead) throw new Error('expected both claimed');
      await outbox.complete({ id: done.id, claimToken: done.claimToken });
      await outbox.fail({
        id: dead.id,
        claimToken: dead.claimToken,
        error: 'x',
        errorClass: 'validation',
        retryAt: null,
        countsTowardsSchedule: true,
      });
      const later = new Date(Date.now() + 40 * 86_400_000);
      await test.state.cleanup({ olderThanDays: 30, now: later });
      expect((await outbox.list()).map((m) => m.key).sort()).toEqual(['dead', 'pending']);
      expect(
        await test.query(`select count(*)::int as n from "${test.schema}".act_outbox_attempts where message_id = $1`, [
          done.id,
        ]),
      ).toEqual([{ n: 0 }]);
      await test.state.cleanup({ olderThanDays: 30, deadOlderThanDays: 30, now: later });
      expect((await outbox.list()).map((m) => m.key)).toEqual(['pending']);
    }),
  );
}

describe('outbox messages committed with the rows on PGlite', () => suite(pgliteHarness));
describe.skipIf(!DATABASE_URL)('outbox messages committed with the rows on Postgres', () => suite(postgresHarness));

// supabase-js sends a large batch in chunks, each its own transaction: the
// messages ride with the last chunk (as the cursor and the events do), told
// the outcomes of the earlier ones. The PostgREST stand-in runs on PGlite.
describe('outbox messages through supabase-js, in chunks (PGlite behind the PostgREST stand-in)', () => {
  let db: PGlite | undefined;
  afterAll(async () => db?.close());

  it('enqueues after the last chunk, judging each message by its own operation; a failing chunk enqueues nothing', async () => {
    db = await PGlite.create();
    const schema = randomSchema('act_sb');
    await migrate({ pglite: db }, { schema, migrations: [TEST_RECORDS_MIGRATION] });
    const state = createPostgresState(
      {
        supabaseUrl: 'https://abcdefghijklmnopqrst.supabase.co',
        supabaseKey: 'sb_secret_test',
        chunkSize: 2,
        clientOptions: { global: { fetch: createPostgrestFetch(pgliteTransaction(db)) } },
      },
      { schema },
    );
    try {
      await state.sink.apply([upsert('b', { name: 'B' }, 5)]);
      const result = await state.sink.apply(
        [
          upsert('a', { name: 'A' }, 1), // created, chunk 1
          upsert('b', { name: 'B old' }, 4), // stale, chunk 1
          upsert('c', { name: 'C' }, 1), // created, chunk 2
          upsert('d', { name: 'D' }, 1), // created, chunk 2
          upsert('e', { name: 'E' }, 1), // created, chunk 3
        ],
        {
          outbox: [
            forward('a', { operation: 0, onlyIfChanged: true }),
            forward('b', { operation: 1, onlyIfChanged: true }),
            forward('d', { operation: 3, onlyIfChanged: true }),
            forward('e', { operation: 4, onlyIfChanged: true }),
          ],
        },
      );
      expect(result).toMatchObject({ created: 4, skipped: 1 });
      expect((await state.outbox.list()).map((m) => m.key).sort()).toEqual(['a', 'd', 'e']);

      // A later chunk fails (a table that does not exist, written after act_test_records):
      // the earlier chunks are applied, the messages are not enqueued.
      await expect(
        state.sink.apply(
          [
            upsert('f', { name: 'F' }, 1),
            upsert('g', { name: 'G' }, 1),
            upsert('z', { name: 'Z' }, 1, 'act_zz_missing'),
          ],
          { outbox: [forward('f', { operation: 0 }), forward('z', { operation: 2 })] },
        ),
      ).rejects.toThrow();
      expect((await state.outbox.list()).map((m) => m.key).sort()).toEqual(['a', 'd', 'e']);
    } finally {
      await state.close();
    }
    // Booting PGlite and migrating it takes a while on a busy machine.
  }, 120_000);
});
