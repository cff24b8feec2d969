/**
 * 2. Queue: 4 workers claim + complete N deliveries from the @act inbox
 * (`act_claim` with FOR UPDATE SKIP LOCKED and a lease, then the claimed
 * batch completed by one `act_complete_batch` call, as the worker does) versus pg-boss (send + work + complete) on the same
 * Postgres. Both fill the queue first (timed separately), then 4 workers
 * with their own connection pools drain it.
 */
import { makeTestDelivery } from '@act/core/testing';
import { createPostgresState, type PostgresState } from '@act/sink-supabase';
import { PgBoss } from 'pg-boss';
import { type BenchContext, type BenchResult, round, scratchSchema, target } from './lib.ts';

export const title = 'inbox claim + complete with 4 workers vs pg-boss';

const WORKERS = 4;
const BATCH = 50;

async function actRun(context: BenchContext, jobs: number) {
  const scratch = await scratchSchema(context.databaseUrl, 'queue');
  const states: PostgresState[] = [];
  try {
    const producer = createPostgresState(
      { connectionString: context.databaseUrl, poolOptions: { max: 8 } },
      { schema: scratch.schema },
    );
    states.push(producer);
    await producer.migrate();
    const body = new Uint8Array(256).fill(120);
    const fillStarted = performance.now();
    // Producers: 64 concurrent enqueues at a time (group commit batches them).
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < jobs) {
          const index = next++;
          await producer.store.enqueue(makeTestDelivery({ dedupeKey: `q:${index}`, body, tenant: `t${index % 8}` }));
        }
      }),
    );
    const fillMs = performance.now() - fillStarted;

    for (let index = 0; index < WORKERS; index++) {
      states.push(
        createPostgresState(
          { connectionString: context.databaseUrl, poolOptions: { max: 4 } },
          { schema: scratch.schema },
        ),
      );
    }
    let done = 0;
    const started = performance.now();
    await Promise.all(
      states.slice(1).map(async (state, index) => {
        const owner = `w${index}`;
        for (;;) {
          const claimed = await state.store.claim({ owner, limit: BATCH, leaseMs: 60_000 });
          if (claimed.length === 0) return;
          // The claimed batch completes in one call (one act_complete_batch
          // statement, one transaction), as createWorker does by default.
          const results = await state.store.completeMany(
            claimed.map((delivery) => ({
              id: delivery.id,
              claimToken: delivery.claimToken,
              events: [],
              startedAt: new Date(),
            })),
          );
          done += results.filter(Boolean).length;
        }
      }),
    );
    const drainMs = performance.now() - started;
    return { fillMs, drainMs, done };
  } finally {
    for (const state of states) await state.close();
    await scratch.drop();
  }
}

async function bossRun(context: BenchContext, jobs: number) {
  const scratch = await scratchSchema(context.databaseUrl, 'boss');
  await scratch.admin.query(`drop schema "${scratch.schema}"`);
  const producer = new PgBoss({
    connectionString: context.databaseUrl,
    schema: scratch.schema,
    max: 8,
    supervise: false,
    schedule: false,
  });
  producer.on('error', () => undefined);
  const bosses: PgBoss[] = [producer];
  try {
    await producer.start();
    await producer.createQueue('bench');
    const fillStarted = performance.now();
    let next = 0;
    const data = { body: 'x'.repeat(256) };
    // send(): one job per call, 64 concurrent, as a receiver would.
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < jobs) {
          next++;
          await producer.send('bench', data);
        }
      }),
    );
    const fillMs = performance.now() - fillStarted;
    let done = 0;
    let resolveDone: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    const started = performance.now();
    for (let index = 0; index < WORKERS; index++) {
      const boss = new PgBoss({
        connectionString: context.databaseUrl,
        schema: scratch.schema,
        max: 4,
        supervise: false,
        schedule: false,
        migrate: false,
      });
      boss.on('error', () => undefined);
      bosses.push(boss);
      await boss.start();
      await boss.work(
        'bench',
        { batchSize: BATCH, pollingIntervalSeconds: 0.5, burstWhenBatchFull: true },
        async (batch: unknown[]) => {
          done += batch.length;
          if (done >= jobs) resolveDone();
        },
      );
    }
    await finished;
    // pg-boss completes a batch after its handler resolves: wait for the last completion to commit.
    for (;;) {
      const [row] = (
        await scratch.admin.query<{ left: string }>(
          `select count(*) as left from "${scratch.schema}".job where name = 'bench' and state <> 'completed'`,
        )
      ).rows;
      if (Number(row?.left) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const drainMs = performance.now() - started;
    return { fillMs, drainMs, done };
  } finally {
    for (const boss of bosses) await boss.stop({ graceful: false, close: true }).catch(() => undefined);
    await scratch.drop();
  }
}

export async function run(context: BenchContext): Promise<BenchResult> {
  const jobs = context.quick ? 5_000 : 100_000;
  const act = await actRun(context, jobs);
  const boss = await bossRun(context, jobs);
  const perSecond = (count: number, ms: number) => (count / ms) * 1000;
  const actRate = perSecond(act.done, act.drainMs);
  const bossRate = perSecond(boss.done, boss.drainMs);
  const figures = [
    {
      system: '@act inbox (claim + completeMany)',
      jobs: act.done,
      'fill jobs/s': round(perSecond(jobs, act.fillMs), 0),
      'drain s': round(act.drainMs / 1000, 2),
      'drain jobs/s': round(actRate, 0),
      'end-to-end jobs/s': round(perSecond(jobs, act.fillMs + act.drainMs), 0),
    },
    {
      system: 'pg-boss (send + work + complete)',
      jobs: boss.done,
      'fill jobs/s': round(perSecond(jobs, boss.fillMs), 0),
      'drain s': round(boss.drainMs / 1000, 2),
      'drain jobs/s': round(bossRate, 0),
      'end-to-end jobs/s': round(perSecond(jobs, boss.fillMs + boss.drainMs), 0),
    },
  ];
  return {
    parameters: { jobs, workers: WORKERS, claimBatch: BATCH, producers: 64, payloadBytes: 256 },
    figures,
    targets: [
      target(
        'queue.drain_jobs_per_s_vs_pgboss',
        actRate / bossRate,
        '>=',
        2,
        '@act claim+complete jobs/s / pg-boss work+complete jobs/s',
      ),
      target(
        'queue.end_to_end_jobs_per_s_vs_pgboss',
        perSecond(jobs, act.fillMs + act.drainMs) / perSecond(jobs, boss.fillMs + boss.drainMs),
        '>=',
        2,
        'enqueue + drain, @act / pg-boss (send per job)',
      ),
    ],
    notes: [
      '@act completes each claimed batch with one act_complete_batch call (completeMany, as createWorker does by default); pg-boss completes a fetched batch in one statement',
    ],
  };
}
