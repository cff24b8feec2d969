/**
 * 3. Sink: version-guarded upserts (`sink.apply`, batches of 1,000, one
 * `act_sink_apply` call each) of N rows: all new, all changed (newer
 * version, other values), all unchanged (same version and values: skipped),
 * and a mix; versus `COPY … FROM STDIN` of the same rows into an empty table
 * of the same shape (the limit).
 */

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SinkOperationV1 } from '@act/core';
import { createPostgresState } from '@act/sink-supabase';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { BENCH_RECORDS_SQL, type BenchContext, type BenchResult, round, scratchSchema, target } from './lib.ts';

export const title = 'version-guarded upserts vs COPY into an empty table';

const BATCH = 1_000;
const TENANTS = 10;

function row(index: number, version: number) {
  return {
    key: { tenant_id: `t${index % TENANTS}`, id: `r${index}` },
    values: {
      name: `Record ${index} v${version}`,
      email: `r${index}@example.com`,
      status: version % 2 === 0 ? 'active' : 'paused',
      amount: (index % 1000) + version / 10,
      notes: `notes for record ${index}, version ${version}: ${'lorem ipsum '.repeat(4)}`,
    },
    version: 1_700_000_000_000 + version,
  };
}

function operations(from: number, to: number, version: (index: number) => number): SinkOperationV1[] {
  const ops: SinkOperationV1[] = [];
  for (let index = from; index < to; index++) {
    const r = row(index, version(index));
    ops.push({ kind: 'upsert', table: 'bench_records', key: r.key, values: r.values, version: r.version });
  }
  return ops;
}

export async function run(context: BenchContext): Promise<BenchResult> {
  const rows = context.quick ? 20_000 : 200_000;
  const scratch = await scratchSchema(context.databaseUrl, 'sink');
  const state = createPostgresState(
    { connectionString: context.databaseUrl, poolOptions: { max: 4 } },
    { schema: scratch.schema },
  );
  const figures: Record<string, unknown>[] = [];
  const rates: Record<string, number> = {};
  try {
    await state.migrate({ migrations: [{ name: 'bench/0001_bench_records', sql: BENCH_RECORDS_SQL }] });

    // COPY of the same rows (as they are stored, bookkeeping included) into an empty copy of the table.
    await scratch.admin.query(
      `create table "${scratch.schema}".copy_records (like "${scratch.schema}".bench_records including all)`,
    );
    const client = new pg.Client({ connectionString: context.databaseUrl });
    await client.connect();
    try {
      const escapeCopy = (value: string) => value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
      const copyStarted = performance.now();
      const stream = client.query(
        copyFrom(
          `copy "${scratch.schema}".copy_records (tenant_id, id, name, email, status, amount, notes, _version, _payload_hash, _synced_at) from stdin`,
        ),
      );
      const now = new Date().toISOString();
      async function* lines() {
        let chunk = '';
        for (let index = 0; index < rows; index++) {
          const r = row(index, 1);
          const v = r.values;
          chunk += `${r.key.tenant_id}\t${r.key.id}\t${escapeCopy(v.name)}\t${v.email}\t${v.status}\t${v.amount}\t${escapeCopy(v.notes)}\t${r.version}\t${'0'.repeat(32)}\t${now}\n`;
          if (chunk.length > 65_536) {
            yield chunk;
            chunk = '';
          }
        }
        if (chunk) yield chunk;
      }
      await pipeline(Readable.from(lines()), stream);
      const copyMs = performance.now() - copyStarted;
      rates.copy = (rows / copyMs) * 1000;
      figures.push({
        phase: 'COPY into empty table (limit)',
        rows,
        seconds: round(copyMs / 1000, 2),
        'rows/s': round(rates.copy, 0),
      });
    } finally {
      await client.end();
    }

    const phase = async (name: string, version: (index: number) => number, keys: [number, number]) => {
      const started = performance.now();
      const totals = { created: 0, updated: 0, skipped: 0 };
      for (let from = keys[0]; from < keys[1]; from += BATCH) {
        const result = await state.sink.apply(operations(from, Math.min(keys[1], from + BATCH), version));
        totals.created += result.created;
        totals.updated += result.updated;
        totals.skipped += result.skipped;
      }
      const ms = performance.now() - started;
      const count = keys[1] - keys[0];
      rates[name] = (count / ms) * 1000;
      figures.push({
        phase: `upsert: ${name}`,
        rows: count,
        seconds: round(ms / 1000, 2),
        'rows/s': round(rates[name], 0),
        ...totals,
      });
    };
    await phase('new', () => 1, [0, rows]);
    await phase('unchanged', () => 1, [0, rows]);
    await phase('changed', () => 2, [0, rows]);
    // A third of each: keys past the end are new, [third, 2 third) change, the rest is unchanged.
    const third = Math.floor(rows / 3);
    await phase('mixed', (index) => (index >= rows ? 2 : index < 2 * third ? 3 : 2), [third, rows + third]);
  } finally {
    await state.close();
    await scratch.drop();
  }
  return {
    parameters: { rows, batch: BATCH, tenants: TENANTS, appliers: 1 },
    figures,
    targets: [
      target(
        'sink.new_rows_per_s_vs_copy',
        (rates.new ?? Number.NaN) / (rates.copy ?? Number.NaN),
        '>=',
        0.5,
        'new-row upserts / COPY rows/s',
      ),
      target(
        'sink.unchanged_vs_new',
        (rates.unchanged ?? Number.NaN) / (rates.new ?? Number.NaN),
        '>=',
        1,
        'unchanged rows/s / new rows/s (must be faster)',
      ),
    ],
  };
}
