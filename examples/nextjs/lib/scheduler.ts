// The scheduler's leader loop: pollers, reconciliation, token refresh and
// retention for every connected tenant. Started once per server process from
// instrumentation.ts. Every process may run it: one leads at a time (a lease
// in Postgres) and another takes over within 30 s when the leader dies.
import type { Scheduler } from '@act/core';
import { getAct } from './act';

const cache = globalThis as typeof globalThis & { __actScheduler?: Scheduler };

export function startScheduler(): Scheduler {
  if (cache.__actScheduler) return cache.__actScheduler;
  const { scheduler } = getAct().act;
  scheduler.start();
  cache.__actScheduler = scheduler;

  // On SIGTERM / SIGINT (`next start` then finishes the requests in flight and
  // exits), stop claiming jobs and release the lease so another process leads
  // at once. A job cut short by the exit is due again when its lease lapses.
  const stop = () => void scheduler.stop().catch(() => {});
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return scheduler;
}
