// The process path: claims stored deliveries, fetches thin events (Xero),
// transforms and writes the mirror rows. Long-running, so it is started once
// per server process from instrumentation.ts, never from a request handler.
import type { Worker } from '@act/core';
import { getAct } from './act';

const cache = globalThis as typeof globalThis & { __actWorker?: Worker };

export function startWorker(): Worker {
  if (cache.__actWorker) return cache.__actWorker;
  const { worker, outbox } = getAct().act;
  worker.start();
  // The outbox's own loop (forwards, write-backs) beside it: a dead destination never holds up the worker.
  outbox.start();
  cache.__actWorker = worker;

  // `next start` handles SIGTERM / SIGINT itself: it finishes the requests in
  // flight, then exits. Stop claiming new deliveries meanwhile; a round cut
  // short by the exit is reclaimed by the next worker when its lease expires.
  const stop = () => {
    void worker.stop().catch(() => {});
    void outbox.stop().catch(() => {});
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return worker;
}
