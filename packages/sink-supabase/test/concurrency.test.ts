import { createWorker, type WorkerRoundResult } from '@act/core';
import { describe, expect, it } from 'vitest';
import { createPostgresState, type PostgresState } from '../src';
import {
  BENCH_MIGRATION,
  type BenchBody,
  createBenchConnector,
  seededRandom,
  shuffle,
} from './helpers/bench-connector';
import { DATABASE_URL, postgresHarness } from './helpers/harness';

// The size: 4 workers drain 10,000 deliveries (1,000 things, 10
// versions each, shuffled). A correctness test, not a benchmark (pnpm bench):
// no timing assertion, a generous timeout for a loaded machine.
const DELIVERIES = 10_000;
const ENTITIES = 1_000;
const WORKERS = 4;

describe.skipIf(!DATABASE_URL)('queue under concurrency (Postgres)', () => {
  const h = postgresHarness();

  it(`${WORKERS} workers drain ${DELIVERIES} deliveries: each done exactly once, none stuck, newest versions win`, {
    timeout: 120_000,
  }, async () => {
    const test = await h.create({ migrations: [BENCH_MIGRATION] });
    const workerStates: PostgresState[] = [];
    try {
      const random = seededRandom(20_261_122);
      const bodies: BenchBody[] = [];
      for (let entity = 0; entity < ENTITIES; entity++) {
        for (let version = 1; version <= DELIVERIES / ENTITIES; version++) {
          bodies.push({ tenant: `t${entity % 7}`, id: `thing-${entity}`, name: `v${version}`, version });
        }
      }
      shuffle(bodies, random);
      // Stored through act_enqueue, 1,000 per statement: the receive path is not what this tests.
      const s = `"${test.schema}"`;
      const received = Date.now() - 60_000;
      for (let start = 0; start < bodies.length; start += 1_000) {
        const batch = bodies.slice(start, start + 1_000).map((body, offset) => ({
          tenant: body.tenant,
          key: `bench:${body.id}:${body.version}`,
          body: JSON.stringify(body),
          at: new Date(received + start + offset).toISOString(),
        }));
        await test.query(
          `select ${s}.act_enqueue('bench', b ->> 'tenant', b ->> 'key', 'POST', 'http://localhost/webhooks/bench',
             '{}'::jsonb, convert_to(b ->> 'body', 'UTF8'), (b ->> 'at')::timestamptz, 'corr-' || (b ->> 'key'),
             array['ThingUpdate'])
           from jsonb_array_elements($1::jsonb) with ordinality as x(b, n) order by n`,
          [JSON.stringify(batch)],
        );
      }
      expect(await test.query(`select count(*)::int as n from ${s}.act_deliveries`)).toEqual([{ n: DELIVERIES }]);

      // Separate states (separate pools), as separate processes would have.
      // act.notify=off silences the event bus (0004) on the workers'
      // connections: NOTIFY serializes the commits of every notifying
      // transaction on the server, which made this test take 25 to 70 s
      // instead of about 15 s, depending on what else the server ran. The
      // queue does not depend on it; test/event-bus.test.ts covers it.
      const connector = createBenchConnector();
      const workers = Array.from({ length: WORKERS }, (_, index) => {
        const state = createPostgresState(
          { connectionString: DATABASE_URL as string, poolOptions: { max: 5, options: '-c act.notify=off' } },
          { schema: test.schema },
        );
        workerStates.push(state);
        return createWorker({
          connectors: [connector],
          store: state.store,
          sink: state.sink,
          owner: `worker-${index}`,
          batchSize: 20,
          concurrency: 4,
          leaseMs: 60_000,
          circuitBreaker: false,
        });
      });
      const results: WorkerRoundResult[] = await Promise.all(
        workers.map((worker) => worker.drain({ maxRounds: 10_000 })),
      );

      const done = results.reduce((sum, result) => sum + result.outcomes.done, 0);
      expect(done).toBe(DELIVERIES);
      for (const result of results) {
        expect(result.outcomes).toMatchObject({ retrying: 0, dead: 0, 'lease-lost': 0 });
        expect(result.claimed, 'every worker took a share').toBeGreaterThan(0);
      }

      // None stuck: nothing pending or processing, no lease left behind.
      expect(
        await test.query(
          `select status, count(*)::int as n, count(claim_token)::int as leased from ${s}.act_deliveries group by status`,
        ),
      ).toEqual([{ status: 'done', n: DELIVERIES, leased: 0 }]);
      const [attempts] = await test.query<{ total: number; deliveries: number; done: number; most: number }>(
        `select count(*)::int as total, count(distinct delivery_id)::int as deliveries,
           count(*) filter (where outcome = 'done')::int as done,
           coalesce(max(attempt), 0)::int as most
         from ${s}.act_delivery_attempts`,
      );
      expect(attempts).toEqual({ total: DELIVERIES, deliveries: DELIVERIES, done: DELIVERIES, most: 1 });
      const [events] = await test.query<{ total: number; deliveries: number }>(
        `select count(*)::int as total, count(distinct delivery_id)::int as deliveries from ${s}.act_integration_events`,
      );
      expect(events).toEqual({ total: DELIVERIES, deliveries: DELIVERIES });

      const newest = DELIVERIES / ENTITIES;
      const rows = await test.query<{ n: number; newest: number }>(
        `select count(*)::int as n, count(*) filter (where _version = $1 and name = $2)::int as newest from ${s}.bench_things`,
        [newest, `v${newest}`],
      );
      expect(rows[0]).toEqual({ n: ENTITIES, newest: ENTITIES });
    } finally {
      await Promise.all(workerStates.map((state) => state.close()));
      await test.destroy();
    }
  });
});
