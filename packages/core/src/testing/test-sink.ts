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
 * The behaviour every `SinkV1` must have: version guard, preserved columns,
 * unchanged detection, tombstones that never resurrect, idempotence and
 * all-or-nothing batches.
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
