/**
 * A worker process: `workers` createWorker loops on the scenario's database
 * (and, for Xero, pollers per tenant). Answers `{ type: 'ready' }`, stops on
 * `{ type: 'stop' }`. The parent may SIGKILL it at any moment.
 */

import type { SourceEntryV1 } from '@act/core';
import { createWorker, runPoller, type Worker } from '@act/core';
import { createPostgresState } from '@act/sink-supabase';

interface Job {
  databaseUrl: string;
  /** The connector id: its package's `source` entry builds the connector. */
  connector: string;
  /** The connector's environment variables (API credentials, base URLs). */
  env: Record<string, string>;
  /** Settings merged over the environment's (what is not a string: API timeouts, poller options). */
  settings?: Record<string, unknown>;
  /** Tenants to poll, and how often. */
  pollTenants?: string[];
  pollIntervalMs?: number;
  workers?: number;
  batchSize?: number;
  concurrency?: number;
  leaseMs?: number;
  idleDelayMs?: number;
  poolMax?: number;
}

const name = process.env.CHAOS_PROC ?? 'worker';
process.on('unhandledRejection', (error) => {
  console.error(`[${name}] unhandled rejection`, error);
  process.exit(70);
});

// Short, bounded retries: the chaos run must converge in minutes, not on the production 1 m … 6 h schedule.
const RETRY_SCHEDULE = [200, 400, 800, 1_500, 2_500, 4_000, 6_000, 8_000, 10_000, 10_000, 10_000, 10_000];

process.once('message', async (job: Job) => {
  const state = createPostgresState(
    { connectionString: job.databaseUrl, poolOptions: { max: job.poolMax ?? 8, connectionTimeoutMillis: 2_000 } },
    {},
  );
  const { source } = (await import(`@act/connector-${job.connector}`)) as { source: SourceEntryV1 };
  const settings = source.settingsFromEnv(job.env, {
    credentials: state.credentials,
    rateLimitStore: state.rateLimits,
  });
  const connector = source.createConnector({ ...(settings as object), ...job.settings });

  const workers: Worker[] = [];
  for (let index = 0; index < (job.workers ?? 1); index++) {
    workers.push(
      createWorker({
        connectors: [connector],
        store: state.store,
        sink: state.sink,
        owner: `${name}-${index}`,
        batchSize: job.batchSize ?? 20,
        concurrency: job.concurrency ?? 4,
        leaseMs: job.leaseMs ?? 3_000,
        idleDelayMs: job.idleDelayMs ?? 50,
        retrySchedule: RETRY_SCHEDULE,
        jitter: 0.2,
        circuitBreaker: { failureThreshold: 5, halfOpenAfterMs: 2_000 },
      }),
    );
  }
  for (const worker of workers) worker.start();

  let polling = true;
  const pollLoops: Promise<void>[] = [];
  for (const tenant of job.pollTenants ?? []) {
    pollLoops.push(
      (async () => {
        while (polling) {
          try {
            const result = await runPoller({ connector, tenant, store: state.store, sink: state.sink });
            process.send?.({ type: 'poll', tenant, ok: true, events: result.events, pages: result.pages });
          } catch (error) {
            process.send?.({
              type: 'poll',
              tenant,
              ok: false,
              error: error instanceof Error ? error.message.slice(0, 200) : String(error),
            });
          }
          await new Promise((resolve) => setTimeout(resolve, job.pollIntervalMs ?? 2_000));
        }
      })(),
    );
  }

  process.send?.({ type: 'ready' });
  process.on('message', async (message: { type?: string }) => {
    if (message?.type !== 'stop') return;
    polling = false;
    await Promise.all(workers.map((worker) => worker.stop()));
    await Promise.race([Promise.all(pollLoops), new Promise((resolve) => setTimeout(resolve, 5_000))]);
    await state.close().catch(() => undefined);
    process.exit(0);
  });
});
