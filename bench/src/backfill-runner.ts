/**
 * The backfill process: one `runPoller` per tenant, all at once, from the
 * simulated API into the Postgres mirror (cursor saved with each page).
 * Samples its own RSS every 100 ms and answers the samples with the totals.
 */
import { createTemplateConnector } from '@act/connector-template';
import { runPoller } from '@act/core';
import { createPostgresState } from '@act/sink-supabase';

export interface BackfillJob {
  databaseUrl: string;
  schema: string;
  baseUrl: string;
  tenants: string[];
}

process.once('message', async (job: BackfillJob) => {
  const rss: { atMs: number; mb: number }[] = [];
  const started = performance.now();
  const sample = () =>
    rss.push({ atMs: Math.round(performance.now() - started), mb: process.memoryUsage().rss / 1048576 });
  sample();
  const timer = setInterval(sample, 100);
  const state = createPostgresState(
    { connectionString: job.databaseUrl, poolOptions: { max: Math.max(4, job.tenants.length) } },
    { schema: job.schema },
  );
  const connector = createTemplateConnector({
    webhookSecrets: ['unused'],
    apiToken: 'bench',
    baseUrl: job.baseUrl,
    pageSize: 100,
    // Waiting out a 429 in the client (Retry-After is at most a few seconds here).
    retry: { maxAttempts: 20, baseDelayMs: 100, maxDelayMs: 15_000 },
  });
  try {
    const results = await Promise.all(
      job.tenants.map((tenant) => runPoller({ connector, tenant, store: state.store, sink: state.sink })),
    );
    sample();
    clearInterval(timer);
    const totals = results.reduce(
      (sum, result) => ({
        pages: sum.pages + result.pages,
        events: sum.events + result.events,
        created: sum.created + result.created,
      }),
      { pages: 0, events: 0, created: 0 },
    );
    process.send?.({ ...totals, elapsedMs: performance.now() - started, rss }, () => process.exit(0));
  } catch (error) {
    clearInterval(timer);
    process.send?.({ error: error instanceof Error ? error.stack : String(error) }, () => process.exit(1));
  } finally {
    await state.close();
  }
});
