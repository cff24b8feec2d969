/**
 * 1. Ingest: signed ~1 KB deliveries through the Node adapter into the
 * Postgres inbox, each acknowledged after its commit, at 64 connections
 * (autocannon in its own process). Compared in one run with a bare
 * node:http server (the limit) and with one INSERT + commit per request
 * (the same handler with groupCommit: false, the baseline).
 */
import { createGhlConnector } from '@act/connector-ghl';
import { createTemplateConnector } from '@act/connector-template';
import { createPostgresState } from '@act/sink-supabase';
import { forkChild } from './child.ts';
import { type BenchContext, type BenchResult, round, scratchSchema, target } from './lib.ts';
import type { LoadJob, LoadSummary } from './load.ts';
import { ghlKeys, TEMPLATE_SECRET } from './payloads.ts';
import type { ServerJob } from './server.ts';

export const title = 'signed webhooks → durable Postgres inbox vs bare node:http and one insert per request';

interface Mode {
  name: string;
  server: ServerJob;
  kind: LoadJob['kind'];
}

async function measure(mode: Mode, durationSec: number, keys: { privatePem: string }) {
  const server = forkChild('./server.ts');
  try {
    server.send(mode.server);
    const { port } = await server.next<{ port: number }>(30_000);
    const load = forkChild('./load.ts');
    try {
      const job: LoadJob = {
        url: `http://127.0.0.1:${port}/webhooks`,
        connections: 64,
        durationSec,
        kind: mode.kind,
        ...(mode.kind === 'ghl' ? { ghlPrivatePem: keys.privatePem } : {}),
      };
      load.send(job);
      return await load.next<LoadSummary>(durationSec * 1000 + 120_000);
    } finally {
      load.kill();
    }
  } finally {
    server.send('stop');
    await server.next(30_000).catch(() => undefined);
    server.kill();
  }
}

export async function run(context: BenchContext): Promise<BenchResult> {
  const durationSec = context.quick ? 3 : 20;
  const keys = ghlKeys();
  const poolMax = 20;
  const modes: Mode[] = [
    { name: 'bare node:http (limit)', server: { mode: 'bare' }, kind: 'template' },
    {
      name: 'act template HMAC, group commit',
      server: { mode: 'act', connector: 'template', groupCommit: true, poolMax },
      kind: 'template',
    },
    {
      name: 'act template HMAC, 1 insert/request',
      server: { mode: 'act', connector: 'template', groupCommit: false, poolMax },
      kind: 'template',
    },
    {
      name: 'act GHL Ed25519, group commit',
      server: { mode: 'act', connector: 'ghl', groupCommit: true, poolMax, ghlPublicPem: keys.publicPem },
      kind: 'ghl',
    },
    {
      name: 'act GHL Ed25519, 1 insert/request',
      server: { mode: 'act', connector: 'ghl', groupCommit: false, poolMax, ghlPublicPem: keys.publicPem },
      kind: 'ghl',
    },
  ];
  const figures: Record<string, unknown>[] = [];
  const byName = new Map<string, LoadSummary>();
  for (const mode of modes) {
    let scratch: Awaited<ReturnType<typeof scratchSchema>> | undefined;
    if (mode.server.mode === 'act') {
      scratch = await scratchSchema(context.databaseUrl, 'ingest');
      const state = createPostgresState({ connectionString: context.databaseUrl }, { schema: scratch.schema });
      const connector =
        mode.server.connector === 'ghl'
          ? createGhlConnector({ webhook: { ed25519PublicKeys: [keys.publicPem] } })
          : createTemplateConnector({ webhookSecrets: [TEMPLATE_SECRET], apiToken: 'bench' });
      await state.migrate({ connectors: [connector] });
      await state.close();
      mode.server.databaseUrl = context.databaseUrl;
      mode.server.schema = scratch.schema;
    }
    try {
      const summary = await measure(mode, durationSec, keys);
      byName.set(mode.name, summary);
      let stored: number | undefined;
      let rowsPerCommit: number | undefined;
      if (scratch) {
        const [row] = (
          await scratch.admin.query<{ rows: string; commits: string }>(
            `select count(*) as rows, count(distinct xmin::text) as commits from "${scratch.schema}".act_deliveries`,
          )
        ).rows;
        stored = Number(row?.rows ?? 0);
        rowsPerCommit = Number(row?.commits) > 0 ? round(stored / Number(row?.commits), 1) : undefined;
      }
      figures.push({
        mode: mode.name,
        'req/s (2xx)': round(summary.rps, 0),
        'p50 ms': summary.latency.p50,
        'p99 ms': summary.latency.p99,
        'max ms': summary.latency.max,
        ok: summary.ok,
        non2xx: summary.non2xx,
        errors: summary.errors + summary.timeouts,
        stored,
        'rows/commit': rowsPerCommit,
      });
    } finally {
      await scratch?.drop();
    }
  }
  const rps = (name: string) => byName.get(name)?.rps ?? Number.NaN;
  const bare = rps('bare node:http (limit)');
  const templateGc = rps('act template HMAC, group commit');
  const templateOne = rps('act template HMAC, 1 insert/request');
  const ghlGc = rps('act GHL Ed25519, group commit');
  const ghlOne = rps('act GHL Ed25519, 1 insert/request');
  return {
    parameters: {
      connections: 64,
      durationSec,
      bodyBytes: 1024,
      poolMax,
      loadGenerator: 'autocannon (separate process)',
    },
    figures,
    targets: [
      target('ingest.template.rps_vs_bare', templateGc / bare, '>=', 0.5, 'durable HMAC ingest / bare node:http req/s'),
      target(
        'ingest.template.rps_vs_single_insert',
        templateGc / templateOne,
        '>=',
        2,
        'group commit / one insert + commit per request',
      ),
      target('ingest.ghl.rps_vs_bare', ghlGc / bare, '>=', 0.5, 'durable Ed25519 ingest / bare node:http req/s'),
      target(
        'ingest.ghl.rps_vs_single_insert',
        ghlGc / ghlOne,
        '>=',
        2,
        'group commit / one insert + commit per request',
      ),
    ],
    notes: ['non-2xx answers and errors are not counted as served requests; stored = rows in the inbox after the run'],
  };
}
