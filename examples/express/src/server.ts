/**
 * `node src/server.ts` (Node >= 22.18 runs TypeScript as is).
 *
 * DATABASE_URL: Supabase or any Postgres. Without it, an embedded PGlite in
 * ACT_DATA_DIR (default `.act-data`): nothing to set up, one process only.
 */
import { applyServerTimeouts } from '@act/core/node';
import { createActApp } from './app.ts';

const { app, worker, scheduler, outbox, close } = await createActApp({
  env: process.env,
  database: process.env.DATABASE_URL
    ? { connectionString: process.env.DATABASE_URL }
    : { pglite: { dataDir: process.env.ACT_DATA_DIR ?? '.act-data' } },
});

// Receive and process in one process here; the worker can equally run in a
// process of its own (many receivers, many workers, one database).
worker.start();
// The outbox's own loop (forwards, write-backs): a slow or dead destination never holds up the worker.
outbox.start();
// Pollers, reconciliation, token refresh and retention for every connected
// tenant. Start it in every process if you like: one leads at a time (a lease
// in the database), and another takes over within 30 s when it dies.
// ACT_SCHEDULER=off for processes that should leave it to others.
if (process.env.ACT_SCHEDULER !== 'off') scheduler.start();

const port = Number(process.env.PORT ?? 3000);
// Node lets a client take 60 s for its headers and 300 s for its request; a stalled one should not hold on that long.
const server = applyServerTimeouts(
  app.listen(port, () => {
    console.log(
      `listening on http://localhost:${port}: POST /webhooks/ghl, POST /webhooks/ghl/workflow, POST /webhooks/xero, GET /health`,
    );
  }),
);

async function shutdown() {
  server.close();
  await close(); // finishes the scheduler's jobs and the worker's round, releases the lease, closes the database
  process.exit(0);
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
