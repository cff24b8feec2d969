// The worker that dies. test/crash.test.ts bundles this file (with the
// package's and @act/core's source) into one ESM file and runs it as a
// separate Node process:
//
//   node crash-child.mjs '<CrashPlan as JSON>'
//
// It claims one batch with a short lease and processes it one delivery at a
// time with the real worker: the first `completeFirst` deliveries complete;
// the next `applyWithoutComplete` are applied to the mirror (committed) but
// their completion never reaches the database, as if still in flight; right
// after the last of those is applied the process exits with code 1. The rest
// of the batch stays claimed and untouched until the lease expires.
import { writeSync } from 'node:fs';
import { type ClaimedDeliveryV1, type CompleteRequestV1, createWorker, type StateStoreV1 } from '@act/core';
import { createPostgresState, type PostgresConnection } from '../../src';
import { createBenchConnector } from '../helpers/bench-connector';

export interface CrashPlan {
  connection: PostgresConnection;
  schema: string;
  owner: string;
  batchSize: number;
  leaseMs: number;
  completeFirst: number;
  applyWithoutComplete: number;
}

/** What the child prints (one JSON line on stdout) just before it exits. */
export interface CrashReport {
  claimed: string[];
  completed: string[];
  appliedNotCompleted: string[];
}

const plan = JSON.parse(process.argv[2] ?? '') as CrashPlan;
const state = createPostgresState(plan.connection, { schema: plan.schema });
const report: CrashReport = { claimed: [], completed: [], appliedNotCompleted: [] };

// The batch is claimed once (one lease for all of it) and handed to the
// worker one delivery per round, so each is applied, then completed, before the next.
let batch: ClaimedDeliveryV1[] | undefined;

async function complete(request: CompleteRequestV1) {
  if (report.completed.length < plan.completeFirst) {
    const completed = await state.store.complete(request);
    if (!completed) {
      writeSync(2, `crash-child: lost the lease of delivery ${request.id} before completing it: use a longer lease\n`);
      process.exit(2);
    }
    report.completed.push(request.id);
    return completed;
  }
  // The sink already committed this delivery's rows; its completion (the
  // done status, the attempt, the integration events) is never sent.
  report.appliedNotCompleted.push(request.id);
  if (report.appliedNotCompleted.length >= plan.applyWithoutComplete) {
    writeSync(1, `${JSON.stringify(report)}\n`);
    process.exit(1);
  }
  return true;
}

const store: StateStoreV1 = {
  ...state.store,
  async claim(request) {
    if (!batch) {
      batch = await state.store.claim({ ...request, limit: plan.batchSize });
      report.claimed.push(...batch.map((delivery) => delivery.id));
    }
    return batch.splice(0, 1);
  },
  complete,
  async completeMany(requests) {
    const results: boolean[] = [];
    for (const request of requests) results.push(await complete(request));
    return results;
  },
};

const worker = createWorker({
  connectors: [createBenchConnector()],
  store,
  sink: state.sink,
  owner: plan.owner,
  // One delivery at a time (apply, then complete), so the crash falls between two of them.
  batchSize: 1,
  concurrency: 1,
  leaseMs: plan.leaseMs,
  circuitBreaker: false,
});

while ((await worker.runOnce()).claimed > 0) {
  // Next delivery of the batch.
}
// Reaching this line means the plan never got to the crash.
writeSync(2, `crash-child: the batch ended without crashing: ${JSON.stringify(report)}\n`);
process.exit(3);
