// A worker process to kill mid-sync. test/sync-kill.test.ts bundles this file
// (with the package's and @act/core's source) and runs it as a separate Node
// process:
//
//   node sync-kill-child.mjs '<SyncKillPlan as JSON>'
//
// It runs the real worker on the state (store, sink, sync store) until the
// inbox has nothing due, printing one JSON line per poll and page fetched,
// with a synchronous write so every line printed before a SIGKILL reaches the
// test. The test kills it while it works; a run left alone prints `drained`.
import { writeSync } from 'node:fs';
import { createWorker, type StateStoreV1 } from '@act/core';
import { createPostgresState, type PostgresConnection } from '../../src';
import { createFeedConnector } from './feed-connector';

export interface SyncKillPlan {
  connection: PostgresConnection;
  schema: string;
  owner: string;
  leaseMs: number;
  pageDelayMs: number;
  /**
   * `store.recordEvents` waits this long first: the gap where a page's
   * events, written after its rows and cursor, would be lost to a kill.
   * A sink that commits the events with the page never calls it for a page.
   */
  recordEventsDelayMs: number;
}

const plan = JSON.parse(process.argv[2] ?? '') as SyncKillPlan;
const print = (line: Record<string, unknown>) => writeSync(1, `${JSON.stringify(line)}\n`);

const state = createPostgresState(plan.connection, { schema: plan.schema });
const store: StateStoreV1 = {
  ...state.store,
  async recordEvents(events) {
    print({ event: 'recordEvents', count: events.length });
    await new Promise((resolve) => setTimeout(resolve, plan.recordEventsDelayMs));
    return state.store.recordEvents(events);
  },
};
const worker = createWorker({
  connectors: [createFeedConnector({ pageDelayMs: plan.pageDelayMs, report: print })],
  store,
  sink: state.sink,
  sync: state.sync,
  owner: plan.owner,
  leaseMs: plan.leaseMs,
  batchSize: 1,
  concurrency: 1,
  circuitBreaker: false,
});
print({ event: 'started' });
const result = await worker.drain();
print({ event: 'drained', ...result });
await state.close();
process.exit(0);
