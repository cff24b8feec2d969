import { createWorker, type WorkerRoundResult } from '@act/core';
import { makeTestDelivery } from '@act/core/testing';
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

const DELIVERIES = 2_000;
const ENTITIES = 500;
const WORKERS = 4;

describe.skipIf(!DATABASE_URL)('queue under concurrency (Postgres)', () => {
  const h = postgresHarness();

  it(`${WORKERS} workers drain ${DELIVERIES} deliveries: each done exactly once, none stuck, newest versions win`, async () => {
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
      const received = Date.now() - 60_000;
      for (let start = 0; start < bodies.length; start += 100) {
        await Promise.all(
          bodies.slice(start, start + 100).map((body, offset) =>
            test.state.store.enqueue(
              makeTestDelivery({
                source: 'bench',
                tenant: body.tenant,
                dedupeKey: `bench:${body.id}:${body.version}`,
                body: new TextEncoder().encode(JSON.stringify(body)),
                receivedAt: new Date(received + start + offset),
                eventTypes: ['ThingUpdate'],
              }),
            ),
          ),
        );
      }

      // Separate states (separate pools), as separate processes would have.
      const connector = createBenchConnector();
      const workers = Array.from({ length: WORKERS }, (_, index) => {
        const state = createPostgresState(
          { connectionString: DATABASE_URL as string, poolOptions: { max: 5 } },
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
      const started = Date.now();
      const results: WorkerRoundResult[] = await Promise.all(
        workers.map((worker) => worker.drain({ maxRounds: 10_000 })),
      );
      const elapsed = Date.now() - started;

      const done = results.reduce((sum, result) => sum + result.outcomes.done, 0);
      expect(done).toBe(DELIVERIES);
      for (const result of results) {
        expect(result.outcomes).toMatchObject({ retrying: 0, dead: 0, 'lease-lost': 0 });
        expect(result.claimed, 'every worker took a share').toBeGreaterThan(0);
      }

      const s = `"${test.schema}"`;
      expect(await test.query(`select status, count(*)::int as n from ${s}.act_deliveries group by status`)).toEqual([
        { status: 'done', n: DELIVERIES },
      ]);
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
      expect(elapsed).toBeLessThan(20_000);
    } finally {
      await Promise.all(workerStates.map((state) => state.close()));
      await test.destroy();
    }
  });
});
