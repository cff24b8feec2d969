/**
 * `pnpm chaos [scenario …] [--quick] [--outage=server|database]`: drives known
 * source changes through the real receivers, Postgres and worker processes
 * under faults, compares the mirror with the expected final state, prints a
 * table per scenario and writes bench/results/chaos-<scenario>.json.
 * See bench/chaos/README.md. Loads the built packages: run `pnpm build` first.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ChaosContext } from './chaos/lib.ts';
import { type BenchResult, DATABASE_URL, printTable, printTargets, ROOT_DIR, writeResult } from './src/lib.ts';

type Scenario = (context: ChaosContext) => Promise<BenchResult>;

const SCENARIOS: Record<string, { title: string; load: () => Promise<Scenario> }> = {
  sigkill: {
    title: 'worker processes SIGKILLed at random moments during the deliveries',
    load: async () => (await import('./chaos/scenarios/pipelines.ts')).sigkill,
  },
  restart: {
    title: 'PostgreSQL restarted in the middle of GoHighLevel ingest (GHL retries only 429)',
    load: async () => (await import('./chaos/scenarios/pipelines.ts')).restart,
  },
  duplicates: {
    title: 'every delivery three times, shuffled, stale versions interleaved, deletes racing updates',
    load: async () => (await import('./chaos/scenarios/pipelines.ts')).duplicates,
  },
  'api-faults': {
    title: 'Xero API faults during fetch-on-notify and polling: 429 storms, 5xx, timeouts, expired tokens',
    load: async () => (await import('./chaos/scenarios/api-faults.ts')).apiFaults,
  },
  'scale-out': {
    title: 'two receivers and two workers, separate processes, one Postgres',
    load: async () => (await import('./chaos/scenarios/pipelines.ts')).scaleOut,
  },
  fuzz: {
    title: 'bad input: property-based fuzzing of every verifier and parser (fast-check)',
    load: async () => (await import('./chaos/scenarios/fuzz.ts')).fuzz,
  },
  'pre-auth': {
    title: 'unauthenticated load: 2,000 connections declaring 1 MB, sending most of it, stalling',
    load: async () => (await import('./chaos/scenarios/pre-auth.ts')).preAuth,
  },
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    outage: { type: 'string', default: 'server' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(
    `usage: node bench/chaos.ts [${Object.keys(SCENARIOS).join('|')} …] [--quick] [--outage=server|database]\n` +
      '  --outage=server    (default) the restart scenario stops and starts the whole PostgreSQL 15 cluster\n' +
      '  --outage=database  it only cuts the scenario database off (safe on a shared server)',
  );
  process.exit(0);
}
if (values.outage !== 'server' && values.outage !== 'database') {
  console.error('--outage must be server or database');
  process.exit(2);
}
const names = positionals.length > 0 ? positionals : Object.keys(SCENARIOS);
for (const name of names) {
  if (!(name in SCENARIOS)) {
    console.error(`unknown scenario ${name}; one of ${Object.keys(SCENARIOS).join(', ')}`);
    process.exit(2);
  }
}
for (const pkg of ['core', 'sink-supabase', 'connector-ghl', 'connector-template', 'connector-xero']) {
  if (!existsSync(`${ROOT_DIR}/packages/${pkg}/dist/index.js`)) {
    console.error(
      `packages/${pkg}/dist is missing: run \`pnpm build\` first (the chaos suite loads the built packages)`,
    );
    process.exit(2);
  }
}

const context: ChaosContext = {
  quick: values.quick,
  databaseUrl: DATABASE_URL,
  outage: values.outage,
  log: (message) => console.log(message),
};
const summary: Record<string, unknown>[] = [];
let failed = false;
const suiteStarted = Date.now();
for (const name of names) {
  const scenario = SCENARIOS[name] as (typeof SCENARIOS)[string];
  console.log(`\n=== chaos ${name}: ${scenario.title}${context.quick ? ' (--quick: small sizes)' : ''}`);
  const started = Date.now();
  try {
    const result = await (await scenario.load())(context);
    result.parameters.durationSeconds = Math.round((Date.now() - started) / 100) / 10;
    printTable(`chaos-${name}`, result.figures);
    printTargets(result.targets);
    for (const note of result.notes ?? []) console.log(`  note: ${note}`);
    const path = await writeResult(`chaos-${name}`, { quick: context.quick, databaseUrl: context.databaseUrl }, result);
    const met = result.targets.every((entry) => entry.met);
    if (!met) failed = true;
    const pick = (metric: string) => result.targets.find((entry) => entry.metric.endsWith(`.${metric}`))?.value;
    summary.push({
      scenario: name,
      lost: pick('lost'),
      duplicated: pick('duplicated'),
      stale: pick('stale'),
      'targets met': `${result.targets.filter((entry) => entry.met).length}/${result.targets.length}`,
      ok: met,
      seconds: result.parameters.durationSeconds,
    });
    console.log(`  wrote ${path} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    failed = true;
    summary.push({ scenario: name, ok: false, seconds: Math.round((Date.now() - started) / 100) / 10 });
    console.error(`  ${name} failed:`, error);
  }
}
printTable(`chaos summary (${((Date.now() - suiteStarted) / 1000).toFixed(0)} s)`, summary);
process.exit(failed ? 1 : 0);
