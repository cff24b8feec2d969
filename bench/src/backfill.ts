/**
 * 5. Backfill: N records through the Template poller → sink from a
 * simulated API (its own process) that enforces the published rate limit
 * per account (100 requests / 10 s). Several tenants backfill at once. The
 * poller process's RSS is sampled throughout: streaming keeps it flat.
 */
import { createTemplateConnector } from '@act/connector-template';
import { createPostgresState } from '@act/sink-supabase';
import type { ApiSimJob, ApiSimStats } from './api-sim.ts';
import type { BackfillJob } from './backfill-runner.ts';
import { forkChild } from './child.ts';
import { type BenchContext, type BenchResult, round, scratchSchema, target } from './lib.ts';

export const title = 'rate-limited poller → sink backfill: share of the allowed request rate, peak RSS';

export async function run(context: BenchContext): Promise<BenchResult> {
  const tenantCount = context.quick ? 3 : 10;
  const records = context.quick ? 60_000 : 1_000_000;
  const recordsPerTenant = Math.floor(records / tenantCount);
  const sim: ApiSimJob = { recordsPerTenant, capacity: 100, refillPerSec: 10 };
  const scratch = await scratchSchema(context.databaseUrl, 'backfill');
  const setup = createPostgresState({ connectionString: context.databaseUrl }, { schema: scratch.schema });
  await setup.migrate({ connectors: [createTemplateConnector({ webhookSecrets: ['unused'], apiToken: 'bench' })] });
  await setup.close();
  const api = forkChild('./api-sim.ts');
  const runner = forkChild('./backfill-runner.ts');
  try {
    api.send(sim);
    const { port } = await api.next<{ port: number }>(30_000);
    const tenants = Array.from({ length: tenantCount }, (_, index) => `acct_${index}`);
    const job: BackfillJob = {
      databaseUrl: context.databaseUrl,
      schema: scratch.schema,
      baseUrl: `http://127.0.0.1:${port}`,
      tenants,
    };
    runner.send(job);
    const result = await runner.next<{
      pages: number;
      events: number;
      created: number;
      elapsedMs: number;
      rss: { atMs: number; mb: number }[];
      error?: string;
    }>(3_600_000);
    if (result.error) throw new Error(`backfill runner failed: ${result.error}`);
    api.send('stats');
    const stats = await api.next<ApiSimStats>(30_000);
    const [mirror] = (
      await scratch.admin.query<{ n: string }>(`select count(*) as n from "${scratch.schema}".template_records`)
    ).rows;

    // What the limit allowed each tenant between its first and last request.
    let ok = 0;
    let limited = 0;
    let allowed = 0;
    for (const tenant of Object.values(stats.tenants)) {
      ok += tenant.ok;
      limited += tenant.limited;
      allowed += sim.capacity + ((tenant.lastMs - tenant.firstMs) / 1000) * sim.refillPerSec;
    }
    const used = ok / allowed;
    const rss = result.rss;
    const peak = Math.max(...rss.map((sample) => sample.mb));
    // Flatness: the peak of the last third of the run against the peak of the second fifth (after start-up).
    const span = rss.at(-1)?.atMs ?? 1;
    const window = (from: number, to: number) =>
      Math.max(
        ...rss.filter((sample) => sample.atMs >= from * span && sample.atMs <= to * span).map((sample) => sample.mb),
      );
    const early = window(0.2, 0.4);
    const late = window(2 / 3, 1);
    return {
      parameters: {
        records,
        tenants: tenantCount,
        pageSize: 100,
        limit: '100 requests / 10 s per account (token bucket)',
        rssSampleMs: 100,
      },
      figures: [
        {
          records: result.events,
          'mirror rows': Number(mirror?.n),
          pages: result.pages,
          seconds: round(result.elapsedMs / 1000, 1),
          'records/s': round((result.events / result.elapsedMs) * 1000, 0),
          'requests ok': ok,
          '429s': limited,
          'allowed requests': round(allowed, 0),
          'rate used': round(used, 3),
          'peak RSS MB': round(peak, 1),
          'RSS early MB': round(early, 1),
          'RSS late MB': round(late, 1),
        },
      ],
      targets: [
        target(
          'backfill.allowed_rate_used',
          used,
          '>=',
          0.95,
          'successful requests / what the per-account limit allowed over each backfill',
        ),
        target('backfill.peak_rss_mb', peak, '<=', 200, 'poller process peak RSS (target < 200 MB)'),
        target(
          'backfill.rss_late_vs_early',
          late / early,
          '<=',
          1.2,
          'peak RSS of the last third / of the second fifth (flat: no accumulation)',
        ),
      ],
      notes: ['rss samples are in the figures of the poller process only; the simulated API runs in its own process'],
    };
  } finally {
    api.kill();
    runner.kill();
    await scratch.drop();
  }
}
