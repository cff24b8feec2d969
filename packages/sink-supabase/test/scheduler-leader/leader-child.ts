// A scheduler process. test/scheduler-leader.test.ts bundles this file (with
// the package's and @act/core's source) and runs two of it against one
// Postgres schema:
//
//   node leader-child.mjs '<LeaderPlan as JSON>'
//
// It runs `createScheduler(...).start()` with a made-up connector whose two
// pollers (`fast`, `slow`) are the jobs, printing one JSON line (a
// synchronous write, so nothing printed is lost to a SIGKILL) when it becomes
// or stops being the leader and when a poll job starts and ends. SIGTERM
// stops it cleanly (`stop()`, which gives the lease back) and prints `stopped`.
import { writeSync } from 'node:fs';
import { type ConnectorV1, createScheduler, type PollerV1 } from '@act/core';
import { createPostgresState } from '../../src';

export interface LeaderPlan {
  connectionString: string;
  schema: string;
  owner: string;
  leaseMs: number;
  jobLeaseMs: number;
  tickIntervalMs: number;
  /** How often each poll job is due (the scheduler keeps at least a second between two runs of a job). */
  pollIntervalMs: number;
  /** How long a run of the `slow` poller takes. */
  slowMs: number;
}

const SOURCE = 'ticker';

const plan = JSON.parse(process.argv[2] ?? '') as LeaderPlan;
const print = (line: Record<string, unknown>) =>
  writeSync(1, `${JSON.stringify({ ...line, owner: plan.owner, at: Date.now() })}\n`);

/** A poller that reports its runs; it yields no page (the runs are what this test is about). */
const poller = (stream: string, ms: number): PollerV1 => ({
  specificationVersion: 'v1',
  stream,
  intervalMs: plan.pollIntervalMs,
  async *poll() {
    print({ event: 'job-start', stream });
    await new Promise((resolve) => setTimeout(resolve, ms));
    print({ event: 'job-end', stream });
  },
});

const connector: ConnectorV1 = {
  specificationVersion: 'v1',
  source: SOURCE,
  packageName: '@act/test-ticker',
  pollers: [poller('fast', 0), poller('slow', plan.slowMs)],
  transformer: { specificationVersion: 'v1', transform: () => [] },
};

const state = createPostgresState(
  { connectionString: plan.connectionString, poolOptions: { max: 4 } },
  { schema: plan.schema },
);
const scheduler = createScheduler({
  connectors: [connector],
  store: state.store,
  sink: state.sink,
  sync: state.sync,
  owner: plan.owner,
  leaseMs: plan.leaseMs,
  jobLeaseMs: plan.jobLeaseMs,
  tickIntervalMs: plan.tickIntervalMs,
  circuitBreaker: false,
});

let leader = false;
const watch = setInterval(() => {
  if (scheduler.isLeader === leader) return;
  leader = scheduler.isLeader;
  print({ event: 'leader', leader });
}, 10);

process.on('SIGTERM', () => {
  void (async () => {
    await scheduler.stop();
    clearInterval(watch);
    print({ event: 'stopped', leader: scheduler.isLeader });
    await state.close();
    process.exit(0);
  })();
});

scheduler.start();
print({ event: 'started' });
