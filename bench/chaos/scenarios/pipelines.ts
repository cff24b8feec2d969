/**
 * The end-to-end scenarios that share the pipeline runner: SIGKILLed
 * workers, duplicated/reordered/stale deliveries, a Postgres restart, and
 * the scale-out shape (two receivers, two workers).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import type { BenchResult } from '../../src/lib.ts';
import { type ChaosContext, rng, shuffle, sleep } from '../lib.ts';
import { runPipeline } from '../pipeline.ts';
import { type Change, makePlan } from '../provider.ts';

const run = promisify(execFile);

/** Worker processes killed with SIGKILL at random moments while 50,000 deliveries flow. */
export async function sigkill(context: ChaosContext): Promise<BenchResult> {
  const records = context.quick ? 500 : 5_000;
  const versions = 10;
  const kills = context.quick ? 8 : 20;
  const plan = makePlan({ records, versions, tenants: 8, deleteFraction: 0.1, seed: 101, connector: 'template' });
  const random = rng(7);
  const sends = shuffle([...plan.changes], random);
  const result = await runPipeline(context, {
    label: 'sigkill',
    connector: 'template',
    plan,
    receivers: 1,
    workerProcs: 3,
    workerJob: { workers: 2, batchSize: 20, concurrency: 4, leaseMs: 3_000, idleDelayMs: 50 },
    sends,
    concurrency: 48,
    drainTimeoutMs: context.quick ? 90_000 : 420_000,
    async chaos(control) {
      let done = 0;
      let duringSending = 0;
      const [low, high] = context.quick ? [300, 1_000] : [1_000, 3_000];
      while (done < kills) {
        await sleep(low + random() * (high - low));
        const index = Math.floor(random() * control.workers.length);
        const victim = control.workers[index];
        if (!victim) continue;
        victim.kill('SIGKILL');
        await victim.exited;
        done++;
        if (!control.sendingDone()) duringSending++;
        await control.respawnWorker(index);
      }
      control.log(`  ${done} SIGKILLs (${duringSending} while deliveries were still arriving)`);
      return { kills: done, 'kills while sending': duringSending };
    },
  });
  result.targets.push({
    metric: 'chaos.sigkill.kills',
    value: Number(result.figures[0]?.kills),
    target: kills,
    comparison: '>=',
    met: Number(result.figures[0]?.kills) >= kills,
  });
  result.parameters.deliveries = records * versions;
  return result;
}

/**
 * Every delivery three times, shuffled; stale versions sent again as new
 * deliveries after the newest; deletes sent at the same moment as the
 * record's updates.
 */
export async function duplicates(context: ChaosContext): Promise<BenchResult> {
  const records = context.quick ? 300 : 2_000;
  const versions = 5;
  const plan = makePlan({ records, versions, tenants: 4, deleteFraction: 0.3, seed: 202, connector: 'template' });
  const random = rng(11);
  const triple = plan.changes.flatMap((change) => [change, change, change]);
  let sends = shuffle(triple, random);
  // Deletes racing updates: for a third of the deleted records, every change at once (adjacent lanes).
  const deletes = plan.changes.filter((change) => change.kind === 'delete' && random() < 0.33);
  const racing = new Set(deletes.map((change) => change.recordId));
  const raced: Change[][] = deletes.map((del) =>
    shuffle(
      plan.changes.filter((change) => change.recordId === del.recordId),
      random,
    ),
  );
  sends = sends.filter((change) => !racing.has(change.recordId) || random() < 0.5);
  for (const group of raced) {
    const at = Math.floor(random() * sends.length);
    sends.splice(at, 0, ...group);
  }
  // Stale versions as NEW deliveries (another id, an old version), after the newest: the version guard's job.
  const stale: Change[] = [];
  for (const change of plan.changes) {
    if (change.step !== 0) continue;
    const deliveryId = `${change.deliveryId}_resent`;
    stale.push({ ...change, deliveryId, body: change.body.replace(change.deliveryId, deliveryId) });
  }
  sends = sends.concat(shuffle(stale, random));
  const result = await runPipeline(context, {
    label: 'duplicates',
    connector: 'template',
    plan,
    receivers: 1,
    workerProcs: 2,
    workerJob: { batchSize: 20, concurrency: 4, leaseMs: 5_000, idleDelayMs: 50 },
    sends,
    concurrency: 64,
    drainTimeoutMs: context.quick ? 60_000 : 180_000,
  });
  result.parameters.copiesPerDelivery = 3;
  result.parameters.racingDeleteRecords = racing.size;
  result.parameters.staleResends = stale.length;
  return result;
}

/** Two receivers and two workers, each its own process, one Postgres; each delivery sent to both receivers at once. */
export async function scaleOut(context: ChaosContext): Promise<BenchResult> {
  const records = context.quick ? 300 : 2_000;
  const versions = 10;
  const plan = makePlan({ records, versions, tenants: 8, deleteFraction: 0.1, seed: 303, connector: 'template' });
  const random = rng(13);
  // Adjacent copies go to different receivers (round-robin), at the same moment.
  const sends = shuffle([...plan.changes], random).flatMap((change) => [change, change]);
  const result = await runPipeline(context, {
    label: 'scale-out',
    connector: 'template',
    plan,
    receivers: 2,
    workerProcs: 2,
    workerJob: { batchSize: 20, concurrency: 4, leaseMs: 5_000, idleDelayMs: 50 },
    sends,
    concurrency: 64,
    drainTimeoutMs: context.quick ? 60_000 : 180_000,
  });
  result.parameters.copiesPerDelivery = 2;
  return result;
}

/**
 * PostgreSQL goes away in the middle of GoHighLevel ingest. GHL retries only
 * a 429, so the endpoint must answer 429 (never 2xx, never 5xx) while it
 * cannot store; every acknowledged delivery must end applied.
 */
export async function restart(context: ChaosContext): Promise<BenchResult> {
  const records = context.quick ? 200 : 1_000;
  const versions = 5;
  // GHL checks the body's timestamp against a 5-minute window: versions start a minute ago.
  const plan = makePlan({
    records,
    versions,
    tenants: 4,
    deleteFraction: 0.1,
    seed: 404,
    connector: 'ghl',
    baseMs: Date.now() - 60_000,
  });
  const sends = shuffle([...plan.changes], rng(17));
  const downMs = context.quick ? 3_000 : 6_000;
  const result = await runPipeline(context, {
    label: 'restart',
    connector: 'ghl',
    plan,
    receivers: 1,
    workerProcs: 2,
    workerJob: { batchSize: 20, concurrency: 4, leaseMs: 3_000, idleDelayMs: 50 },
    sends,
    concurrency: 24,
    drainTimeoutMs: context.quick ? 60_000 : 120_000,
    async chaos(control) {
      while (control.progress() < 0.3 && !control.sendingDone()) await sleep(50);
      const at = control.progress();
      const started = Date.now();
      if (context.outage === 'server') {
        control.log('  stopping the PostgreSQL server (pg_ctlcluster 15 main stop)');
        await run('pg_ctlcluster', ['--skip-systemctl-redirect', '15', 'main', 'stop', '-m', 'fast']);
        await sleep(downMs);
        await run('pg_ctlcluster', ['--skip-systemctl-redirect', '15', 'main', 'start']);
      } else {
        control.log(`  cutting database ${control.db.name} off (allow_connections false + terminate)`);
        const admin = new pg.Client({ connectionString: context.databaseUrl });
        await admin.connect();
        await admin.query(`alter database "${control.db.name}" allow_connections false`);
        await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [
          control.db.name,
        ]);
        await sleep(downMs);
        await admin.query(`alter database "${control.db.name}" allow_connections true`);
        await admin.end();
      }
      const outageSeconds = (Date.now() - started) / 1000;
      control.log(`  PostgreSQL back after ${outageSeconds.toFixed(1)} s`);
      return {
        outage: context.outage,
        'outage at': `${Math.round(at * 100)}%`,
        'outage s': Math.round(outageSeconds * 10) / 10,
      };
    },
  });
  result.parameters.outage = context.outage;
  result.parameters.downMs = downMs;
  return result;
}
