/**
 * `pnpm bench [name] [--quick]`: runs the benchmarks (all, or the one named),
 * prints a table per benchmark and writes bench/results/<name>.json.
 * See bench/README.md for what each one compares and how to read the JSON.
 *
 * The @act packages are loaded from their dist builds: run `pnpm build` first.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  type BenchContext,
  type BenchResult,
  DATABASE_URL,
  printTable,
  printTargets,
  ROOT_DIR,
  writeResult,
} from './src/lib.ts';

interface Benchmark {
  title: string;
  run(context: BenchContext): Promise<BenchResult>;
}

const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {
  ingest: () => import('./src/ingest.ts'),
  queue: () => import('./src/queue.ts'),
  sink: () => import('./src/sink.ts'),
  freshness: () => import('./src/freshness.ts'),
  backfill: () => import('./src/backfill.ts'),
  verify: () => import('./src/verify.ts'),
  gmail: () => import('./src/gmail.ts'),
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { quick: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
});

if (values.help) {
  console.log(`usage: node bench/bench.ts [${Object.keys(BENCHMARKS).join('|')}] [--quick]`);
  process.exit(0);
}

const names = positionals.length > 0 ? positionals : Object.keys(BENCHMARKS);
for (const name of names) {
  if (!(name in BENCHMARKS)) {
    console.error(`unknown benchmark ${name}; one of ${Object.keys(BENCHMARKS).join(', ')}`);
    process.exit(2);
  }
}
for (const pkg of ['core', 'sink-supabase', 'connector-ghl', 'connector-template']) {
  if (!existsSync(`${ROOT_DIR}/packages/${pkg}/dist/index.js`)) {
    console.error(`packages/${pkg}/dist is missing: run \`pnpm build\` first (the benchmarks load the built packages)`);
    process.exit(2);
  }
}

const context: BenchContext = { quick: values.quick, databaseUrl: DATABASE_URL };
let failed = false;
for (const name of names) {
  const benchmark = await (BENCHMARKS[name] as () => Promise<Benchmark>)();
  console.log(
    `\n=== ${name}: ${benchmark.title}${context.quick ? ' (--quick: small sizes, figures indicative only)' : ''}`,
  );
  const started = Date.now();
  try {
    const result = await benchmark.run(context);
    printTable(name, result.figures);
    printTargets(result.targets);
    for (const note of result.notes ?? []) console.log(`  note: ${note}`);
    const path = await writeResult(name, context, result);
    console.log(`  wrote ${path} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    failed = true;
    console.error(`  ${name} failed:`, error);
  }
}
process.exit(failed ? 1 : 0);
