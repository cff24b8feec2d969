import { createServer } from 'node:net';
import { StoreUnavailableError } from '@act/core';
import { makeTestDelivery } from '@act/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresState } from '../src';
import { createBatcher } from '../src/group-commit';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness, type TestState } from './helpers/harness';

const harnesses: Harness[] = [pgliteHarness(), ...(DATABASE_URL ? [postgresHarness()] : [])];

describe('createBatcher', () => {
  it('sends calls of one turn together, in call order, one result each', async () => {
    const batches: number[][] = [];
    const batcher = createBatcher<number, number>(async (inputs) => {
      batches.push([...inputs]);
      return inputs.map((input) => input * 10);
    });
    const results = await Promise.all([1, 2, 3, 4].map((input) => batcher.submit(input)));
    expect(results).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1, 2, 3, 4]]);
  });

  it('splits at maxBatch and keeps at most maxConcurrentBatches in flight; waiting calls leave together', async () => {
    const batches: number[][] = [];
    let inFlight = 0;
    let most = 0;
    const batcher = createBatcher<number, number>(
      async (inputs) => {
        batches.push([...inputs]);
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 10));
        inFlight--;
        return inputs;
      },
      { maxBatch: 3, maxConcurrentBatches: 2 },
    );
    const inputs = Array.from({ length: 10 }, (_, index) => index);
    expect(await Promise.all(inputs.map((input) => batcher.submit(input)))).toEqual(inputs);
    expect(most).toBe(2);
    expect(batches.flat()).toEqual(inputs);
    expect(batches.every((batch) => batch.length <= 3)).toBe(true);
  });

  it('a failed batch rejects every call in it, and the next batch runs', async () => {
    let fail = true;
    const batcher = createBatcher<number, number>(async (inputs) => {
      if (fail) throw new Error('boom');
      return inputs;
    });
    const settled = await Promise.allSettled([1, 2, 3].map((input) => batcher.submit(input)));
    expect(settled.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    fail = false;
    expect(await batcher.submit(4)).toBe(4);
  });

  it('windowMs holds a batch open for calls made a little later', async () => {
    const batches: number[][] = [];
    const batcher = createBatcher<number, number>(
      async (inputs) => {
        batches.push([...inputs]);
        return inputs;
      },
      { windowMs: 30 },
    );
    const first = batcher.submit(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = batcher.submit(2);
    await Promise.all([first, second]);
    expect(batches).toEqual([[1, 2]]);
  });
});

describe.each(harnesses)('group commit of enqueue ($name)', (harness) => {
  let test: TestState | undefined;
  afterEach(async () => {
    await test?.destroy();
    test = undefined;
  });

  const rows = (t: TestState) =>
    t.query<{ id: string; dedupe_key: string; xmin: string; correlation_id: string }>(
      `select d.id::text as id, dedupe_key, xmin::text, correlation_id from "${t.schema}".act_deliveries d order by d.id`,
    );

  it('concurrent enqueues land in one transaction, ids in call order, each caller its own result', async () => {
    const t = await harness.create();
    test = t;
    const deliveries = Array.from({ length: 25 }, (_, index) =>
      makeTestDelivery({ correlationId: `corr-${index}`, body: new TextEncoder().encode(`{"n":${index}}`) }),
    );
    const results = await Promise.all(deliveries.map((delivery) => t.state.store.enqueue(delivery)));
    expect(results.every((result) => result.duplicate === false)).toBe(true);
    const stored = await rows(test);
    expect(stored).toHaveLength(25);
    expect(new Set(stored.map((row) => row.xmin)).size).toBe(1);
    // Ordering: ids ascend in the order the calls were made.
    expect(stored.map((row) => row.correlation_id)).toEqual(deliveries.map((delivery) => delivery.correlationId));
    const ids = results.map((result) => BigInt(result.id));
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
    // Each caller's id names its own delivery, bytes, headers and all.
    for (const [index, result] of results.entries()) {
      const delivery = await test.state.store.getDelivery(result.id);
      expect(delivery?.dedupeKey).toBe(deliveries[index]?.dedupeKey);
      expect([...(delivery?.body ?? [])]).toEqual([...(deliveries[index]?.body ?? [])]);
      expect(delivery?.headers).toEqual(deliveries[index]?.headers);
      expect(delivery?.eventTypes).toEqual(deliveries[index]?.eventTypes);
      expect(delivery?.receivedAt.getTime()).toBe(deliveries[index]?.receivedAt.getTime());
    }
  });

  it('duplicates inside one batch and against stored rows: stored once, the others get its id', async () => {
    test = await harness.create();
    const known = makeTestDelivery();
    const first = await test.state.store.enqueue(known);
    const fresh = makeTestDelivery();
    const results = await Promise.all([
      test.state.store.enqueue({ ...fresh, correlationId: 'a' }),
      test.state.store.enqueue({ ...known, correlationId: 'b' }),
      test.state.store.enqueue({ ...fresh, correlationId: 'c' }),
      test.state.store.enqueue(makeTestDelivery()),
    ]);
    expect(results[0]?.duplicate).toBe(false);
    expect(results[1]).toEqual({ id: first.id, duplicate: true });
    expect(results[2]).toEqual({ id: results[0]?.id, duplicate: true });
    expect(results[3]?.duplicate).toBe(false);
    const stored = await rows(test);
    expect(stored).toHaveLength(3);
    expect(stored.find((row) => row.dedupe_key === fresh.dedupeKey)?.correlation_id).toBe('a');
  });

  it('a batch that fails rejects every caller in it and stores none of it', async () => {
    test = await harness.create();
    const settled = await Promise.allSettled([
      test.state.store.enqueue(makeTestDelivery()),
      test.state.store.enqueue(makeTestDelivery({ source: null as unknown as string })),
      test.state.store.enqueue(makeTestDelivery()),
    ]);
    expect(settled.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(await rows(test)).toHaveLength(0);
    // The store goes on: the next batch commits.
    const again = await Promise.all([
      test.state.store.enqueue(makeTestDelivery()),
      test.state.store.enqueue(makeTestDelivery()),
    ]);
    expect(again.map((result) => result.duplicate)).toEqual([false, false]);
  });

  it('groupCommit: false makes every enqueue its own transaction', async () => {
    const t = await harness.create({ state: { groupCommit: false } });
    test = t;
    await Promise.all(Array.from({ length: 5 }, () => t.state.store.enqueue(makeTestDelivery())));
    const stored = await rows(test);
    expect(stored).toHaveLength(5);
    expect(new Set(stored.map((row) => row.xmin)).size).toBe(5);
  });
});

describe('group commit with Postgres unreachable', () => {
  it('every caller of the batch gets StoreUnavailableError (the retry status)', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const state = createPostgresState({
      connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
      poolOptions: { connectionTimeoutMillis: 2_000 },
    });
    try {
      const settled = await Promise.allSettled(
        Array.from({ length: 4 }, () => state.store.enqueue(makeTestDelivery())),
      );
      for (const result of settled) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
      }
    } finally {
      await state.close();
    }
  });
});
