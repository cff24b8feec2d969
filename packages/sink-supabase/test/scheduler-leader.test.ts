import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleChild, type Child, killHard, sleep, startChild } from './helpers/child-process';
import { DATABASE_URL, postgresHarness } from './helpers/harness';
import type { LeaderPlan } from './scheduler-leader/leader-child';

// Exactly one scheduler leads across processes: two real Node processes run
// the scheduler loop on one Postgres schema; only the leader runs jobs. When
// it is SIGKILLed (no stop(), its leases left behind) the other takes over
// once the leader lease lapses, and runs again the job the dead leader was
// running once that job's lease lapses too. The processes are
// test/scheduler-leader/leader-child.ts, bundled from source.

const SOURCE = 'ticker';
const TENANT = 't1';
const LEASE_MS = 1_500;
const TICK_MS = 200;
/**
 * Longer than the leader lease: the new leader takes over while the dead
 * leader still holds its running job, which must wait for that lease.
 */
const JOB_LEASE_MS = 3_000;
/** The scheduler keeps a second between two runs of a job (MIN_GAP_MS): `fast` runs about every second. */
const POLL_MS = 300;
/** Long enough that the leader is killed in the middle of a run of `slow`. */
const SLOW_MS = 2_000;
/**
 * Slack for the takeover on a loaded machine (process scheduling, a round's
 * queries): the bound is the lease plus two ticks, this is not a timing test
 * of the loop.
 */
const MARGIN_MS = 1_000;

let bundle: { file: string; dispose(): void };

beforeAll(async () => {
  bundle = await bundleChild('test/scheduler-leader/leader-child.ts', 'leader-child');
}, 60_000);

afterAll(() => bundle?.dispose());

interface RunRow {
  key: string;
  target: string;
  owner: string;
  started_at: Date;
  outcome: string;
  error: string | null;
}

/** Poll `read` until `done` says so. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await sleep(50);
  }
}

describe.skipIf(!DATABASE_URL)(
  'scheduler leadership across two processes (real Postgres only, set DATABASE_URL: a PGlite database cannot be shared by two processes)',
  () => {
    const h = postgresHarness();

    it('one leader runs every job; SIGKILLed, the other takes over within the lease and reruns its lapsed job', async () => {
      const test = await h.create({ migrations: [] });
      const s = `"${test.schema}"`;
      const children: Child[] = [];
      try {
        await test.state.sync.connect({ source: SOURCE, tenant: TENANT });
        const runs = () =>
          test.query<RunRow>(
            `select key, target, owner, started_at, outcome, error from ${s}.act_job_runs order by started_at, id`,
          );
        const plan = (owner: string): LeaderPlan => ({
          connectionString: DATABASE_URL as string,
          schema: test.schema,
          owner,
          leaseMs: LEASE_MS,
          jobLeaseMs: JOB_LEASE_MS,
          tickIntervalMs: TICK_MS,
          pollIntervalMs: POLL_MS,
          slowMs: SLOW_MS,
        });
        children.push(startChild(bundle.file, plan('scheduler-a')), startChild(bundle.file, plan('scheduler-b')));
        await Promise.all(children.map((child) => child.waitFor((line) => line.event === 'started')));

        // While both live: every run is one owner's, the owner of the lease.
        const before = await until(runs, (rows) => rows.length >= 4, '4 job runs');
        const owners = [...new Set(before.map((row) => row.owner))];
        expect(owners).toHaveLength(1);
        const leaderName = owners[0] as string;
        expect(
          await test.query(
            `select owner, expires_at > clock_timestamp() as live from ${s}.act_leases where name = 'scheduler'`,
          ),
        ).toEqual([{ owner: leaderName, live: true }]);
        const leader = children.find((child) => child.lines[0]?.owner === leaderName) as Child;
        const survivor = children.find((child) => child !== leader) as Child;
        const survivorName = survivor.lines[0]?.owner as string;
        expect(leader.lines.filter((line) => line.event === 'leader')).toEqual([
          expect.objectContaining({ leader: true }),
        ]);
        expect(survivor.lines.filter((line) => line.event === 'leader' || line.event === 'job-start')).toEqual([]);

        // Kill the leader while it runs `slow`: its lease, and the job's, are left behind.
        const seen = new Set(leader.lines);
        await leader.waitFor((line) => !seen.has(line) && line.event === 'job-start' && line.stream === 'slow', 10_000);
        await sleep(200);
        const killedAt = Date.now();
        await killHard(leader);
        const [lapsed] = await test.query<{ lease_owner: string; lease_expires_at: Date }>(
          `select lease_owner, lease_expires_at from ${s}.act_jobs where target = 'slow'`,
        );
        expect(lapsed?.lease_owner).toBe(leaderName);
        const slowLeaseEnd = new Date(lapsed?.lease_expires_at as Date).getTime();
        expect(slowLeaseEnd).toBeGreaterThan(killedAt);

        // The survivor takes over and, once the job's lease lapses, runs `slow` again.
        const after = await until(
          runs,
          (rows) => rows.some((row) => row.owner === survivorName && row.target === 'slow'),
          `a run of slow by ${survivorName}`,
        );
        const taken = after.filter((row) => row.owner === survivorName);
        const firstRun = new Date((taken[0] as RunRow).started_at).getTime();
        expect(firstRun).toBeGreaterThanOrEqual(killedAt);
        expect(firstRun - killedAt, `took over ${firstRun - killedAt} ms after the kill`).toBeLessThan(
          LEASE_MS + 2 * TICK_MS + MARGIN_MS,
        );
        // No run of the dead leader after the kill; the one it was in was never recorded.
        const dead = after.filter((row) => row.owner === leaderName);
        expect(dead.every((row) => new Date(row.started_at).getTime() < killedAt)).toBe(true);
        const slowEnded = leader.lines.filter((line) => line.event === 'job-end' && line.stream === 'slow');
        expect(dead.filter((row) => row.target === 'slow')).toHaveLength(slowEnded.length);
        expect(after.filter((row) => row.outcome !== 'ok')).toEqual([]);
        // `slow` ran again only when the dead leader's lease on it had run out.
        const rerun = taken.find((row) => row.target === 'slow') as RunRow;
        expect(new Date(rerun.started_at).getTime()).toBeGreaterThanOrEqual(slowLeaseEnd);

        expect(
          (
            await test.query<{ detail: Record<string, unknown> }>(
              `select detail from ${s}.act_sync_events where kind = 'leader_changed' order by id`,
            )
          ).map((row) => row.detail),
        ).toEqual([
          { owner: leaderName, previous: null },
          { owner: survivorName, previous: leaderName },
        ]);
        expect(await test.query(`select owner from ${s}.act_leases where name = 'scheduler'`)).toEqual([
          { owner: survivorName },
        ]);

        // A clean stop gives the lease back at once.
        survivor.process.kill('SIGTERM');
        const exit = await survivor.exited;
        expect(exit, survivor.output()).toEqual({ code: 0, signal: null });
        expect(survivor.lines.at(-1)).toMatchObject({ event: 'stopped', leader: false });
        expect(await test.query(`select owner from ${s}.act_leases where name = 'scheduler'`)).toEqual([]);
      } finally {
        for (const child of children) child.process.kill('SIGKILL');
        await Promise.all(children.map((child) => child.exited));
        await test.destroy();
      }
    }, 60_000);
  },
);
