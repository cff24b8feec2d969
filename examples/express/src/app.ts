/**
 * GoHighLevel and Xero mirrored into Postgres from an Express 5 app.
 *
 *   POST /webhooks/ghl           GoHighLevel Marketplace webhooks (Ed25519-signed, full records)
 *   POST /webhooks/ghl/workflow  GoHighLevel workflow webhooks (your shared secret, GHL_WORKFLOW_WEBHOOK_SECRET)
 *   POST /webhooks/xero          Xero webhooks (HMAC-signed, ids only; intent-to-receive included)
 *   GET  /health                 database and inbox figures
 *
 * Each delivery is verified and stored in the inbox (a table in your
 * Postgres) before it is answered; the worker then applies it to the mirror
 * tables (`ghl_contacts`, `xero_invoices`, …). The scheduler runs the
 * recurring work: pollers (the fallback when webhooks go quiet, and what has
 * no webhooks), daily reconciliation, token refresh and retention.
 * `src/server.ts` runs this.
 */
import { createGhlConnector, loadGhlSettings } from '@act/connector-ghl';
import { createXeroConnector, loadXeroSettings } from '@act/connector-xero';
import { type Act, type ActOutbox, createAct, httpDestination, type Scheduler, type Worker } from '@act/core';
import { toNodeHandler } from '@act/core/node';
import { createPostgresState, type PostgresConnection, type PostgresState } from '@act/sink-supabase';
import express, { type Express } from 'express';

export interface ActAppConfig {
  /** The connectors' settings: `GHL_*` and `XERO_*` variables (pass `process.env`). */
  env: Readonly<Record<string, string | undefined>>;
  /** Where the inbox and the mirror live: `{ connectionString }` (Supabase, any Postgres) or `{ pglite: { dataDir } }`. */
  database: PostgresConnection;
  /** Schema of the `act_` and mirror tables. Defaults to `public`. */
  schema?: string;
  /** How long the worker waits between polls of an empty inbox. Defaults to 1 s. */
  idleDelayMs?: number;
}

export interface ActApp {
  app: Express;
  state: PostgresState;
  /** The connectors, webhook router and worker (`@act/core`'s `createAct`). */
  act: Act;
  /** Not started: call `worker.start()` (see server.ts). */
  worker: Worker;
  /** Not started: call `scheduler.start()` (see server.ts). */
  scheduler: Scheduler;
  /** The outbox dispatcher (forwards to ACT_FORWARD_URL when set). Not started: call `outbox.start()` (see server.ts). */
  outbox: ActOutbox;
  /** Stop the scheduler, the worker and the outbox, then close the database. */
  close(): Promise<void>;
}

export async function createActApp(config: ActAppConfig): Promise<ActApp> {
  const state = createPostgresState(config.database, {
    ...(config.schema ? { schema: config.schema } : {}),
    credentialsKey: config.env.ACT_CREDENTIALS_KEY ?? '', // encrypts the tokens in act_credentials when set
  });

  // Settings come from the environment; a missing or malformed variable throws here, naming it.
  // createAct hands each connector the state's credential store (OAuth tokens) and
  // rate-limit store, so every process shares them through the same Postgres.
  //
  // The worker takes stored deliveries from the inbox (with a lease, so any
  // number of processes can share one database) and writes the mirror rows.
  // GoHighLevel deliveries carry the whole record; each Xero delivery names
  // ids only, so the worker fetches every record from Xero's API with the
  // tenant's OAuth tokens (state.credentials, see the README).
  const act = createAct({
    state,
    connectors: [
      (context) => createGhlConnector(loadGhlSettings(config.env, context)),
      (context) => createXeroConnector(loadXeroSettings(config.env, context)),
    ],
    prefix: '/webhooks',
    // Optional: forward every applied change to your own service, signed with
    // the Standard Webhooks scheme (verify with any Standard Webhooks library
    // and ACT_FORWARD_SECRET, a `whsec_…` secret). Queued durably in act_outbox
    // with the mirror write, retried, and never slowing the inbox down.
    ...(config.env.ACT_FORWARD_URL
      ? {
          outbox: {
            destinations: [
              httpDestination({
                name: 'forward',
                url: config.env.ACT_FORWARD_URL,
                secret: config.env.ACT_FORWARD_SECRET ?? '',
              }),
            ],
          },
        }
      : {}),
    ...(config.idleDelayMs !== undefined ? { worker: { idleDelayMs: config.idleDelayMs } } : {}),
  });

  // The inbox tables, then each connector's mirror tables. Idempotent and
  // safe when several processes start at once: run it on every start.
  await act.migrate();

  const app = express();

  // The webhook routes (/webhooks/<source>[/<processor>]) go BEFORE any body parser. Providers sign the exact bytes
  // they send; express.json() consumes them and keeps only the parsed object,
  // so no signature could match (the handler refuses such a request with a
  // message saying so, rather than answering 401 forever).
  //
  // The answers are the providers' contracts, decided by the handler:
  // - GoHighLevel retries ONLY on 429 (6 times, ~10 min apart). A 5xx loses the
  //   event for good, so when the inbox cannot store a delivery the answer is
  //   429, and an authentic body that cannot be parsed is still stored (202).
  // - Xero wants an EMPTY body within 5 s, and its intent-to-receive check
  //   sends mis-signed requests that must get 401. Do not wrap this route in
  //   middleware that writes a body, sets cookies or turns 401 into anything else.
  app.use('/webhooks', toNodeHandler(act.handler));

  // The rest of your app, with its parsers.
  app.use(express.json());
  app.get('/health', async (_request, response) => {
    response.json({ database: await state.health(), sources: await state.store.health() });
  });

  const { worker, scheduler, outbox } = act;
  return {
    app,
    state,
    act,
    worker,
    scheduler,
    outbox,
    async close() {
      // The scheduler first: stop() waits for its running jobs and hands the
      // leader lease over at once, so another process takes over without
      // waiting for the lease to lapse.
      await scheduler.stop();
      await worker.stop();
      await outbox.stop();
      await state.close();
    },
  };
}
