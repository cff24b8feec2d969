import { describe, expect, it } from 'vitest';
import type { SinkRowKeyV1, SinkV1 } from '../spec/v1';

/**
 * The table every sink under test must be able to write. Stores that need a
 * schema create it before the suite (Postgres: `tenant_id text, id text,
 * name text, email text, stage text, amount double precision`, keyed by
 * `(tenant_id, id)`, plus whatever bookkeeping columns the sink uses).
 */
export const TEST_SINK_TABLE = 'act_test_records';

/** A row as the suite reads it back. */
export interface TestSinkRow {
  values: Record<string, unknown>;
  /** Soft-deleted or purged. */
  deleted: boolean;
}

export interface TestSinkOptions {
  create: () => SinkV1 | Promise<SinkV1>;
  destroy?: (sink: SinkV1) => void | Promise<void>;
  /** Read one row of `TEST_SINK_TABLE` by key; `undefined` when absent (or hard-deleted). */
  read: (sink: SinkV1, key: SinkRowKeyV1) => Promise<TestSinkRow | undefined>;
  /** Read the cursor the sink committed with `apply(…, { cursor })`; only for `supportsCursorCommit` sinks. */
  readCursor?: (sink: SinkV1, key: { source: string; tenant: string; stream: string }) => Promise<string | null>;
  /** The sink implements `scan` (needed for reconciliation): check it. */
  scan?: boolean;
}

let counter = 0;
const uniqueTenant = () => `tenant-${Date.now()}-${++counter}`;

/**
 * The behaviour every `SinkV1` must have: version guard, the column write
 * rules (preserve, preserveIfSet, overrides, forwardOnly), unchanged
 * detection, tombstones that only a restore higher in the write order
 * clears, idempotence (facts counted once) and all-or-nothing batches.
 */
export function testSink(options: TestSinkOptions): void {
  const withSink = (fn: (sink: SinkV1, tenant: string) => Promise<void>) => async () => {
    const sink = await options.create();
    try {
      await fn(sink, uniqueTenant());
    } finally {
      await options.destroy?.(sink);
    }
  };
  const table = TEST_SINK_TABLE;
  const key = (tenant: string, id: string) => ({ tenant_id: tenant, id });
  const upsert = (
    tenant: string,
    id: string,
    values: Record<string, unknown>,
    version?: number,
    preserve?: string[],
    order?: number[],
  ) => ({
    kind: 'upsert' as const,
    table,
    key: key(tenant, id),
    values,
    ...(version !== undefined ? { version } : {}),
    ...(preserve ? { preserve } : {}),
    ...(order ? { order } : {}),
  });
  /** An upsert at `version` with the tie-break `order` (`[observedAt, receivedAt, sequence]` as the runtime makes it). */
  const ordered = (tenant: string, id: string, values: Record<string, unknown>, version: number, order: number[]) =>
    upsert(tenant, id, values, version, undefined, order);

  describe('SinkV1 contract', () => {
    it(
      'declares specificationVersion v1',
      withSink(async (sink) => {
        expect(sink.specificationVersion).toBe('v1');
      }),
    );

    it(
      'creates, updates and counts',
      withSink(async (sink, tenant) => {
        const first = await sink.apply([
          upsert(tenant, 'a', { name: 'Ada', email: 'ada@example.com' }, 1),
          upsert(tenant, 'b', { name: 'Bo' }, 1),
        ]);
        expect(first).toMatchObject({ created: 2, updated: 0, skipped: 0, deleted: 0 });
        expect(first.outcomes.map((outcome) => outcome.outcome)).toEqual(['created', 'created']);
        const second = await sink.apply([upsert(tenant, 'a', { name: 'Ada L', email: 'ada@example.com' }, 2)]);
        expect(second).toMatchObject({ created: 0, updated: 1 });
        expect((await options.read(sink, key(tenant, 'a')))?.values).toMatchObject({
          name: 'Ada L',
          email: 'ada@example.com',
        });
      }),
    );

    it(
      'never lets an older version overwrite a newer one',
      withSink(async (sink, tenant) => {
        await sink.apply([upsert(tenant, 'a', { name: 'new' }, 200)]);
        const result = await sink.apply([upsert(tenant, 'a', { name: 'old' }, 100)]);
        expect(result.skipped).toBe(1);
        expect(result.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'stale' });
        expect((await options.read(sink, key(tenant, 'a')))?.values.name).toBe('new');
      }),
    );

    it(
      'skips unchanged rows and still remembers a newer version',
      withSink(async (sink, tenant) => {
        await sink.apply([upsert(tenant, 'a', { name: 'same', email: 'x@example.com' }, 1)]);
        const result = await sink.apply([upsert(tenant, 'a', { email: 'x@example.com', name: 'same' }, 5)]);
        expect(result.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'unchanged' });
        const older = await sink.apply([upsert(tenant, 'a', { name: 'between' }, 3)]);
        expect(older.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'stale' });
        expect((await options.read(sink, key(tenant, 'a')))?.values.name).toBe('same');
      }),
    );

    it(
      'is idempotent: the same batch twice changes nothing the second time',
      withSink(async (sink, tenant) => {
        const batch = [
          upsert(tenant, 'a', { name: 'A' }, 1),
          upsert(tenant, 'b', { name: 'B' }, 1),
          ordered(tenant, 'c', { name: 'C' }, 1, [1_000, 1_001, 7]),
        ];
        await sink.apply(batch);
        const again = await sink.apply(batch);
        expect(again).toMatchObject({ created: 0, updated: 0, skipped: 3 });
        // Skipped because the values are already there, not because something newer is.
        expect(again.outcomes).toEqual([
          expect.objectContaining({ outcome: 'skipped', reason: 'unchanged' }),
          expect.objectContaining({ outcome: 'skipped', reason: 'unchanged' }),
          expect.objectContaining({ outcome: 'skipped', reason: 'unchanged' }),
        ]);
      }),
    );

    it(
      'at equal versions, an older copy never overwrites a newer one (ties across batches)',
      withSink(async (sink, tenant) => {
        // Both copies carry the same record version; the newer copy was sent 90 s later.
        const first = await sink.apply([
          ordered(tenant, 'a', { email: 'newest@example.com' }, 500, [190_000, 200_000, 2]),
        ]);
        expect(first.outcomes[0]).toMatchObject({ outcome: 'created' });
        const late = await sink.apply([
          ordered(tenant, 'a', { email: 'older@example.com' }, 500, [100_000, 210_000, 3]),
        ]);
        expect(late.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'stale' });
        expect((await options.read(sink, key(tenant, 'a')))?.values.email).toBe('newest@example.com');
        // Same copy time, later arrival: the arrival decides.
        const arrival = await sink.apply([
          ordered(tenant, 'a', { email: 'arrived@example.com' }, 500, [190_000, 199_000]),
        ]);
        expect(arrival.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'stale' });
        const later = await sink.apply([
          ordered(tenant, 'a', { email: 'later@example.com' }, 500, [190_000, 200_000, 9]),
        ]);
        expect(later.outcomes[0]).toMatchObject({ outcome: 'updated' });
        expect((await options.read(sink, key(tenant, 'a')))?.values.email).toBe('later@example.com');
        // A newer version wins whatever its tie-break.
        const newer = await sink.apply([ordered(tenant, 'a', { email: 'v501@example.com' }, 501, [1])]);
        expect(newer.outcomes[0]).toMatchObject({ outcome: 'updated' });
        const older = await sink.apply([ordered(tenant, 'a', { email: 'v500@example.com' }, 500, [9_999_999])]);
        expect(older.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'stale' });
        expect((await options.read(sink, key(tenant, 'a')))?.values.email).toBe('v501@example.com');
      }),
    );

    it(
      'at equal versions, an unchanged later copy is remembered, so an older different copy is refused',
      withSink(async (sink, tenant) => {
        await sink.apply([ordered(tenant, 'a', { name: 'A' }, 7, [100])]);
        const same = await sink.apply([ordered(tenant, 'a', { name: 'A' }, 7, [300])]);
        expect(same.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'unchanged' });
        const between = await sink.apply([ordered(tenant, 'a', { name: 'B' }, 7, [200])]);
        expect(between.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'stale' });
        expect((await options.read(sink, key(tenant, 'a')))?.values.name).toBe('A');
      }),
    );

    it(
      'at equal versions, the later copy wins within one batch, in either order',
      withSink(async (sink, tenant) => {
        const result = await sink.apply([
          ordered(tenant, 'a', { email: 'newest@example.com' }, 500, [190_000, 200_000, 1]),
          ordered(tenant, 'a', { email: 'older@example.com' }, 500, [100_000, 200_001, 2]),
          ordered(tenant, 'b', { email: 'older@example.com' }, 500, [100_000, 200_000, 3]),
          ordered(tenant, 'b', { email: 'newest@example.com' }, 500, [190_000, 200_001, 4]),
        ]);
        expect(result.outcomes).toEqual([
          expect.objectContaining({ outcome: 'created' }),
          { outcome: 'skipped', reason: 'stale' },
          { outcome: 'skipped', reason: 'stale' },
          expect.objectContaining({ outcome: 'created' }),
        ]);
        expect((await options.read(sink, key(tenant, 'a')))?.values.email).toBe('newest@example.com');
        expect((await options.read(sink, key(tenant, 'b')))?.values.email).toBe('newest@example.com');
        // Against a stored row too: the batch's winner is still compared with what is stored.
        const next = await sink.apply([
          ordered(tenant, 'a', { email: 'old-1@example.com' }, 500, [150_000]),
          ordered(tenant, 'a', { email: 'old-2@example.com' }, 500, [160_000]),
        ]);
        expect(next.outcomes).toEqual([
          { outcome: 'skipped', reason: 'stale' },
          expect.objectContaining({ outcome: 'skipped', reason: 'stale' }),
        ]);
        expect((await options.read(sink, key(tenant, 'a')))?.values.email).toBe('newest@example.com');
      }),
    );

    it(
      'at equal versions without a tie-break, the last write wins (as before order existed)',
      withSink(async (sink, tenant) => {
        await sink.apply([upsert(tenant, 'a', { name: 'first' }, 3)]);
        const second = await sink.apply([upsert(tenant, 'a', { name: 'second' }, 3)]);
        expect(second.outcomes[0]).toMatchObject({ outcome: 'updated' });
        // An operation with no tie-break of its own cannot be shown older than one with it.
        await sink.apply([ordered(tenant, 'b', { name: 'ordered' }, 3, [500])]);
        const bare = await sink.apply([upsert(tenant, 'b', { name: 'bare' }, 3)]);
        expect(bare.outcomes[0]).toMatchObject({ outcome: 'updated' });
        expect((await options.read(sink, key(tenant, 'b')))?.values.name).toBe('bare');
      }),
    );

    it(
      'writes preserved columns on create and never overwrites them',
      withSink(async (sink, tenant) => {
        await sink.apply([upsert(tenant, 'a', { name: 'A', stage: 'lead' }, 1, ['stage'])]);
        await sink.apply([upsert(tenant, 'a', { name: 'A2', stage: 'synced-stage' }, 2, ['stage'])]);
        const row = await options.read(sink, key(tenant, 'a'));
        expect(row?.values).toMatchObject({ name: 'A2', stage: 'lead' });
      }),
    );

    it(
      'preserveIfSet fills an empty column and keeps one that is set; the rest of the row is written',
      withSink(async (sink, tenant) => {
        const rules = { preserveIfSet: ['stage'] };
        await sink.apply([upsert(tenant, 'a', { name: 'A' }, 1)]);
        const fill = await sink.apply([{ ...upsert(tenant, 'a', { name: 'A', stage: 'lead' }, 2), ...rules }]);
        expect(fill.outcomes[0]).toMatchObject({ outcome: 'updated' });
        expect((await options.read(sink, key(tenant, 'a')))?.values).toMatchObject({ stage: 'lead' });
        const keep = await sink.apply([{ ...upsert(tenant, 'a', { name: 'A2', stage: 'synced' }, 3), ...rules }]);
        expect(keep.outcomes[0]).toMatchObject({ outcome: 'updated' });
        expect((await options.read(sink, key(tenant, 'a')))?.values).toMatchObject({ name: 'A2', stage: 'lead' });
        // Only the kept column differs: nothing would change, so nothing is written.
        const same = await sink.apply([{ ...upsert(tenant, 'a', { name: 'A2', stage: 'other' }, 4), ...rules }]);
        expect(same.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'unchanged' });
        // A new row takes the value as it comes.
        const created = await sink.apply([{ ...upsert(tenant, 'b', { stage: 'replied' }, 1), ...rules }]);
        expect(created.outcomes[0]).toMatchObject({ outcome: 'created' });
        expect((await options.read(sink, key(tenant, 'b')))?.values.stage).toBe('replied');
      }),
    );

    it(
      'overrides let the owning event write a preserved column (preserve and preserveIfSet)',
      withSink(async (sink, tenant) => {
        await sink.apply([
          { ...upsert(tenant, 'a', { name: 'A', stage: 'replied' }, 1), preserve: ['stage'] },
          { ...upsert(tenant, 'b', { name: 'B', stage: 'replied' }, 1), preserveIfSet: ['stage'] },
        ]);
        const synced = await sink.apply([
          { ...upsert(tenant, 'a', { name: 'A', stage: 'lead' }, 2), preserve: ['stage'] },
          { ...upsert(tenant, 'b', { name: 'B', stage: 'lead' }, 2), preserveIfSet: ['stage'] },
        ]);
        expect(synced.outcomes.map((outcome) => outcome.outcome)).toEqual(['skipped', 'skipped']);
        const unsubscribed = await sink.apply([
          { ...upsert(tenant, 'a', { stage: 'unsubscribed' }, 3), preserve: ['stage'], overrides: ['stage'] },
          { ...upsert(tenant, 'b', { stage: 'unsubscribed' }, 3), preserveIfSet: ['stage'], overrides: ['stage'] },
        ]);
        expect(unsubscribed.outcomes.map((outcome) => outcome.outcome)).toEqual(['updated', 'updated']);
        expect((await options.read(sink, key(tenant, 'a')))?.values).toMatchObject({
          name: 'A',
          stage: 'unsubscribed',
        });
        expect((await options.read(sink, key(tenant, 'b')))?.values).toMatchObject({
          name: 'B',
          stage: 'unsubscribed',
        });
      }),
    );

    it(
      'forwardOnly moves a column only forward through its list',
      withSink(async (sink, tenant) => {
        const forwardOnly = { stage: ['lead', 'contacted', 'replied', 'unsubscribed'] };
        const stage = (id: string, value: string | null, version: number, name = 'N', extra = {}) => ({
          ...upsert(tenant, id, { name, stage: value }, version),
          forwardOnly,
          ...extra,
        });
        await sink.apply([stage('a', 'contacted', 1), stage('b', 'custom', 1), upsert(tenant, 'c', { name: 'C' }, 1)]);
        // Backward: refused for that column, the rest of the row still written.
        const back = await sink.apply([stage('a', 'lead', 2, 'N2')]);
        expect(back.outcomes[0]).toMatchObject({ outcome: 'updated' });
        expect((await options.read(sink, key(tenant, 'a')))?.values).toMatchObject({ name: 'N2', stage: 'contacted' });
        // Backward and nothing else differs: unchanged.
        const still = await sink.apply([stage('a', 'lead', 3, 'N2')]);
        expect(still.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'unchanged' });
        // Forward: taken.
        const forward = await sink.apply([stage('a', 'replied', 4, 'N2')]);
        expect(forward.outcomes[0]).toMatchObject({ outcome: 'updated' });
        expect((await options.read(sink, key(tenant, 'a')))?.values.stage).toBe('replied');
        // A value not in the list (or null) never replaces one that is.
        const unknown = await sink.apply([
          stage('a', 'custom', 5, 'N2'),
          stage('b', 'lead', 2),
          stage('c', 'lead', 2, 'C'),
        ]);
        expect(unknown.outcomes.map((outcome) => outcome.outcome)).toEqual(['skipped', 'updated', 'updated']);
        const cleared = await sink.apply([stage('a', null, 6, 'N2')]);
        expect(cleared.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'unchanged' });
        expect((await options.read(sink, key(tenant, 'a')))?.values.stage).toBe('replied');
        // ... but the stored value outside the list (or empty) is replaced by one in it.
        expect((await options.read(sink, key(tenant, 'b')))?.values.stage).toBe('lead');
        expect((await options.read(sink, key(tenant, 'c')))?.values.stage).toBe('lead');
        // An override still moves only forward.
        const owned = { preserve: ['stage'], overrides: ['stage'] };
        const overBack = await sink.apply([stage('a', 'contacted', 7, 'N2', owned)]);
        expect(overBack.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'unchanged' });
        const overForward = await sink.apply([stage('a', 'unsubscribed', 8, 'N2', owned)]);
        expect(overForward.outcomes[0]).toMatchObject({ outcome: 'updated' });
        expect((await options.read(sink, key(tenant, 'a')))?.values.stage).toBe('unsubscribed');
      }),
    );

    it(
      'restore: delete → restore → stale delete and replays refused',
      withSink(async (sink, tenant) => {
        const restorable = (id: string, version: number, order?: number[]) => ({
          kind: 'delete' as const,
          table,
          key: key(tenant, id),
          version,
          restorable: true,
          ...(order ? { order } : {}),
        });
        const restore = (id: string, values: Record<string, unknown>, version: number, order?: number[]) => ({
          ...upsert(tenant, id, values, version, undefined, order),
          restore: true,
        });
        await sink.apply([upsert(tenant, 'a', { name: 'before' }, 1)]);
        expect((await sink.apply([restorable('a', 2)])).outcomes[0]).toMatchObject({ outcome: 'deleted' });
        // An upsert without restore still never brings it back.
        const plain = await sink.apply([upsert(tenant, 'a', { name: 'plain' }, 9)]);
        expect(plain.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'deleted' });
        const restored = await sink.apply([restore('a', { name: 'after' }, 3)]);
        expect(restored.outcomes[0]).toMatchObject({ outcome: 'updated' });
        expect(await options.read(sink, key(tenant, 'a'))).toMatchObject({ deleted: false, values: { name: 'after' } });
        // The delete arriving again (a replay, a late copy): lower than the restore.
        const stale = await sink.apply([restorable('a', 2)]);
        expect(stale.outcomes[0]).toEqual(expect.objectContaining({ outcome: 'skipped', reason: 'stale' }));
        // The old pre-delete update, replayed: lower too.
        const replay = await sink.apply([upsert(tenant, 'a', { name: 'before' }, 1)]);
        expect(replay.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'stale' });
        expect(await options.read(sink, key(tenant, 'a'))).toMatchObject({ deleted: false, values: { name: 'after' } });
        // A newer delete still wins.
        expect((await sink.apply([restorable('a', 4)])).outcomes[0]).toMatchObject({ outcome: 'deleted' });

        // A restore lower than the tombstone is refused.
        await sink.apply([upsert(tenant, 'b', { name: 'B' }, 1), restorable('b', 5)]);
        await sink.apply([restorable('b', 5)]);
        const early = await sink.apply([restore('b', { name: 'B3' }, 3)]);
        expect(early.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'deleted' });
        expect((await options.read(sink, key(tenant, 'b')))?.deleted).toBe(true);

        // At equal versions the tie-break decides, both ways.
        await sink.apply([upsert(tenant, 'c', { name: 'C' }, 5, undefined, [100]), restorable('c', 5, [200])]);
        await sink.apply([restorable('c', 5, [200])]);
        const older = await sink.apply([restore('c', { name: 'C-old' }, 5, [150])]);
        expect(older.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'deleted' });
        const newer = await sink.apply([restore('c', { name: 'C-new' }, 5, [300])]);
        expect(newer.outcomes[0]).toMatchObject({ outcome: 'updated' });
        const again = await sink.apply([restorable('c', 5, [200])]);
        expect(again.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'stale' });
        expect(await options.read(sink, key(tenant, 'c'))).toMatchObject({ deleted: false, values: { name: 'C-new' } });

        // A restore before the row ever existed creates it.
        const fresh = await sink.apply([restore('d', { name: 'D' }, 1)]);
        expect(fresh.outcomes[0]).toMatchObject({ outcome: 'created' });
      }),
    );

    it(
      'restore within one batch: a restorable delete and a restore are ranked by the write order',
      withSink(async (sink, tenant) => {
        const restorable = (id: string, version: number) => ({
          kind: 'delete' as const,
          table,
          key: key(tenant, id),
          version,
          restorable: true,
        });
        const restore = (id: string, name: string, version: number) => ({
          ...upsert(tenant, id, { name }, version),
          restore: true,
        });
        await sink.apply([upsert(tenant, 'a', { name: 'A' }, 1), upsert(tenant, 'b', { name: 'B' }, 1)]);
        const result = await sink.apply([
          restore('a', 'A3', 3),
          restorable('a', 2),
          restorable('b', 4),
          restore('b', 'B3', 3),
        ]);
        expect(result.outcomes).toEqual([
          expect.objectContaining({ outcome: 'updated' }),
          { outcome: 'skipped', reason: 'stale' },
          expect.objectContaining({ outcome: 'deleted' }),
          { outcome: 'skipped', reason: 'deleted' },
        ]);
        expect(await options.read(sink, key(tenant, 'a'))).toMatchObject({ deleted: false, values: { name: 'A3' } });
        expect((await options.read(sink, key(tenant, 'b')))?.deleted).toBe(true);
      }),
    );

    it(
      'restore after a hard delete writes the row as new, preserved columns included',
      withSink(async (sink, tenant) => {
        await sink.apply([{ ...upsert(tenant, 'h', { name: 'H', stage: 'lead' }, 1), preserve: ['stage'] }]);
        await sink.apply([{ kind: 'delete', table, key: key(tenant, 'h'), version: 2, hard: true, restorable: true }]);
        const back = await sink.apply([
          { ...upsert(tenant, 'h', { name: 'H2', stage: 'replied' }, 3), preserve: ['stage'], restore: true },
        ]);
        expect(back.outcomes[0]).toMatchObject({ outcome: 'updated' });
        expect(await options.read(sink, key(tenant, 'h'))).toMatchObject({
          deleted: false,
          values: { name: 'H2', stage: 'replied' },
        });
        // After a soft delete the stored values are still there, and preserve keeps them.
        await sink.apply([{ ...upsert(tenant, 's', { name: 'S', stage: 'lead' }, 1), preserve: ['stage'] }]);
        await sink.apply([{ kind: 'delete', table, key: key(tenant, 's'), version: 2, restorable: true }]);
        await sink.apply([
          { ...upsert(tenant, 's', { name: 'S2', stage: 'replied' }, 3), preserve: ['stage'], restore: true },
        ]);
        expect(await options.read(sink, key(tenant, 's'))).toMatchObject({
          deleted: false,
          values: { name: 'S2', stage: 'lead' },
        });
      }),
    );

    it(
      'counts facts idempotently: the same fact twice, in two batches or in one, is one row',
      withSink(async (sink, tenant) => {
        // A fact (one email sent) keyed by its own id: a counter is the number of rows.
        const fact = () => upsert(tenant, 'sent-1', { name: 'email.sent', amount: 1 }, 1, undefined, [10, 20, 30]);
        const twice = [await sink.apply([fact()]), await sink.apply([fact()])];
        expect(twice.map((result) => result.outcomes[0])).toEqual([
          expect.objectContaining({ outcome: 'created' }),
          expect.objectContaining({ outcome: 'skipped', reason: 'unchanged' }),
        ]);
        const batch = await sink.apply([
          upsert(tenant, 'sent-2', { name: 'email.sent', amount: 1 }, 1, undefined, [10, 20, 31]),
          upsert(tenant, 'sent-2', { name: 'email.sent', amount: 1 }, 1, undefined, [10, 20, 31]),
        ]);
        expect(batch).toMatchObject({ created: 1, skipped: 1 });
        expect((await options.read(sink, key(tenant, 'sent-1')))?.values.amount).toBe(1);
        expect((await options.read(sink, key(tenant, 'sent-2')))?.values.amount).toBe(1);
        if (sink.scan) {
          let rows = 0;
          for await (const page of sink.scan({ table, where: { tenant_id: tenant }, keyColumns: ['tenant_id', 'id'] }))
            rows += page.length;
          expect(rows).toBe(2);
        }
      }),
    );

    it(
      'collapses operations on one key within a batch: highest version wins, a delete wins over all',
      withSink(async (sink, tenant) => {
        const result = await sink.apply([
          upsert(tenant, 'a', { name: 'v1' }, 1),
          upsert(tenant, 'a', { name: 'v3' }, 3),
          upsert(tenant, 'a', { name: 'v2' }, 2),
        ]);
        expect(result.outcomes).toEqual([
          { outcome: 'skipped', reason: 'stale' },
          expect.objectContaining({ outcome: 'created' }),
          { outcome: 'skipped', reason: 'stale' },
        ]);
        expect(result).toMatchObject({ created: 1, skipped: 2 });
        expect((await options.read(sink, key(tenant, 'a')))?.values.name).toBe('v3');
        const mixed = await sink.apply([
          { kind: 'delete', table, key: key(tenant, 'b'), version: 1 },
          upsert(tenant, 'b', { name: 'after' }, 9),
        ]);
        expect(mixed.outcomes.map((outcome) => outcome.outcome)).toEqual(['deleted', 'skipped']);
        expect(mixed.outcomes[1]).toEqual({ outcome: 'skipped', reason: 'deleted' });
        const ties = await sink.apply([upsert(tenant, 'c', { name: 'first' }), upsert(tenant, 'c', { name: 'last' })]);
        expect(ties.outcomes.map((outcome) => outcome.outcome)).toEqual(['skipped', 'created']);
        expect((await options.read(sink, key(tenant, 'c')))?.values.name).toBe('last');
      }),
    );

    it(
      'soft-deletes, and a later or replayed update never resurrects the row',
      withSink(async (sink, tenant) => {
        await sink.apply([upsert(tenant, 'a', { name: 'A' }, 1)]);
        const deleted = await sink.apply([{ kind: 'delete', table, key: key(tenant, 'a'), version: 2 }]);
        expect(deleted.deleted).toBe(1);
        const late = await sink.apply([upsert(tenant, 'a', { name: 'A-late' }, 3)]);
        expect(late.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'deleted' });
        const row = await options.read(sink, key(tenant, 'a'));
        expect(row?.deleted).toBe(true);
        expect(row?.values.name).toBe('A');
        const again = await sink.apply([{ kind: 'delete', table, key: key(tenant, 'a'), version: 2 }]);
        expect(again.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'deleted' });
      }),
    );

    it(
      'a delete that arrives before the row exists still wins',
      withSink(async (sink, tenant) => {
        await sink.apply([{ kind: 'delete', table, key: key(tenant, 'early'), version: 5 }]);
        const create = await sink.apply([upsert(tenant, 'early', { name: 'too late' }, 4)]);
        expect(create.created).toBe(0);
        const row = await options.read(sink, key(tenant, 'early'));
        expect(row === undefined || row.deleted).toBe(true);
      }),
    );

    it(
      'hard delete removes the row but keeps it from coming back',
      withSink(async (sink, tenant) => {
        await sink.apply([upsert(tenant, 'h', { name: 'H' }, 1)]);
        await sink.apply([{ kind: 'delete', table, key: key(tenant, 'h'), version: 2, hard: true }]);
        const row = await options.read(sink, key(tenant, 'h'));
        expect(row === undefined || (row.deleted && row.values.name == null)).toBe(true);
        const resurrect = await sink.apply([upsert(tenant, 'h', { name: 'H again' }, 3)]);
        expect(resurrect.outcomes[0]).toMatchObject({ outcome: 'skipped', reason: 'deleted' });
      }),
    );

    it(
      'keeps tenants apart',
      withSink(async (sink, tenant) => {
        const other = `${tenant}-other`;
        await sink.apply([
          upsert(tenant, 'same-id', { name: 'mine' }, 1),
          upsert(other, 'same-id', { name: 'theirs' }, 1),
        ]);
        expect((await options.read(sink, key(tenant, 'same-id')))?.values.name).toBe('mine');
        expect((await options.read(sink, key(other, 'same-id')))?.values.name).toBe('theirs');
      }),
    );

    it(
      'returns one outcome per operation, in order',
      withSink(async (sink, tenant) => {
        const operations = Array.from({ length: 25 }, (_, index) =>
          upsert(tenant, `r${index}`, { name: `n${index}`, amount: index }, 1),
        );
        const result = await sink.apply(operations);
        expect(result.outcomes).toHaveLength(25);
        expect(result.created).toBe(25);
        expect(await sink.apply([])).toMatchObject({ created: 0, updated: 0, skipped: 0, deleted: 0, outcomes: [] });
      }),
    );

    // Only sinks that can list their rows (for reconciliation) get this check.
    if (options.scan)
      it(
        'scans one scope’s keys and versions, deleted rows flagged',
        withSink(async (sink, tenant) => {
          if (!sink.scan) throw new Error('scan: true was passed but the sink has no scan()');
          await sink.apply([
            upsert(tenant, 'a', { name: 'A' }, 10),
            upsert(tenant, 'b', { name: 'B' }),
            upsert(`${tenant}-other`, 'c', { name: 'C' }, 1),
          ]);
          await sink.apply([{ kind: 'delete', table, key: key(tenant, 'b') }]);
          const rows = [];
          for await (const page of sink.scan({ table, where: { tenant_id: tenant }, keyColumns: ['tenant_id', 'id'] }))
            rows.push(...page);
          rows.sort((x, y) => String(x.key.id).localeCompare(String(y.key.id)));
          expect(rows).toEqual([
            { key: { tenant_id: tenant, id: 'a' }, version: 10, deleted: false },
            { key: { tenant_id: tenant, id: 'b' }, version: undefined, deleted: true },
          ]);
        }),
      );

    // Only sinks that can commit cursors atomically get this check.
    if (options.readCursor)
      it(
        'commits a cursor with the rows when it supports it',
        withSink(async (sink, tenant) => {
          if (!sink.supportsCursorCommit) throw new Error('readCursor given but supportsCursorCommit is false');
          const cursor = { source: 'test', tenant, stream: 'things', cursor: 'after-page-1' };
          await sink.apply([upsert(tenant, 'c', { name: 'C' }, 1)], { cursor });
          expect(await options.readCursor?.(sink, cursor)).toBe('after-page-1');
        }),
      );
  });
}
