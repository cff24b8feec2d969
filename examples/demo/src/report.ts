/**
 * The end of `--once`: the mirror compared with each simulated provider's
 * truth, row by row at the newest version, and a summary of the run.
 */
import type { Delivery, ExpectedTable, SimulatedProvider } from './provider.ts';
import type { DemoState, MirrorRow } from './state.ts';

export interface TableReport {
  table: string;
  live: number;
  deleted: number;
}

function same(expected: unknown, actual: unknown): boolean {
  if (expected === null || expected === undefined) return actual === null || actual === undefined;
  if (typeof expected === 'number') return actual !== null && Math.abs(Number(actual) - expected) < 1e-9;
  if (Array.isArray(expected)) return Array.isArray(actual) && JSON.stringify(actual) === JSON.stringify(expected);
  return actual === expected;
}

function keyOf(table: ExpectedTable, row: Record<string, unknown>): string {
  return table.keyColumns.map((column) => String(row[column])).join('/');
}

/** Differences between the providers' truth and the mirror (empty when they match), and the row counts read. */
export async function compareMirror(
  providers: readonly SimulatedProvider[],
  state: DemoState,
): Promise<{ mismatches: string[]; tables: TableReport[] }> {
  const mismatches: string[] = [];
  const tables: TableReport[] = [];
  for (const provider of providers) {
    for (const table of provider.expected()) {
      const columns = state.readsValues ? table.columns : [];
      const rows = await state.rows(table.table, table.keyColumns, columns);
      const mirrored = new Map<string, MirrorRow>(rows.map((row) => [keyOf(table, row), row]));
      tables.push({
        table: table.table,
        live: rows.filter((row) => !row._deleted).length,
        deleted: rows.filter((row) => row._deleted).length,
      });
      const expectedKeys = new Set<string>();
      for (const expected of table.rows) {
        const key = keyOf(table, expected.key);
        expectedKeys.add(key);
        const row = mirrored.get(key);
        const where = `${table.table} ${key}`;
        if (expected.deleted) {
          // Deleted at the provider: a tombstone, or never mirrored at all.
          if (row && !row._deleted) mismatches.push(`${where}: deleted at the provider but live in the mirror`);
          continue;
        }
        if (!row) {
          mismatches.push(`${where}: missing from the mirror`);
          continue;
        }
        if (row._deleted) mismatches.push(`${where}: live at the provider but deleted in the mirror`);
        if (expected.version !== undefined && row._version !== expected.version) {
          mismatches.push(`${where}: mirror at version ${row._version}, provider at ${expected.version}`);
        }
        for (const column of columns) {
          if (!same(expected.values[column], row[column])) {
            mismatches.push(
              `${where}: ${column} is ${JSON.stringify(row[column])} in the mirror, ${JSON.stringify(expected.values[column])} at the provider`,
            );
          }
        }
      }
      for (const [key, row] of mirrored) {
        if (!expectedKeys.has(key) && !row._deleted)
          mismatches.push(`${table.table} ${key}: in the mirror, unknown to the provider`);
      }
    }
  }
  return { mismatches, tables };
}

export function percentile(sorted: readonly number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length))) - 1] ?? null;
}

/** What the sender saw: HTTP answers and delivery kinds, per source. */
export class DeliveryLog {
  readonly statuses = new Map<number, number>();
  readonly perSource = new Map<string, { sent: number; kinds: Map<Delivery['kind'], number> }>();

  record(delivery: Delivery, status: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    const entry = this.perSource.get(delivery.source) ?? { sent: 0, kinds: new Map() };
    entry.sent += 1;
    entry.kinds.set(delivery.kind, (entry.kinds.get(delivery.kind) ?? 0) + 1);
    this.perSource.set(delivery.source, entry);
  }
}

export async function summarise(input: {
  providers: readonly SimulatedProvider[];
  state: DemoState;
  log: DeliveryLog;
  elapsedMs: number;
  backfilled: number;
  largestBurst: number;
  mismatches: string[];
  tables: TableReport[];
}): Promise<boolean> {
  const { state, mismatches, log } = input;
  const deliveries = await state.store.listDeliveries({ limit: 100_000 });
  const dead = deliveries.filter((delivery) => delivery.status === 'dead');
  const events = await state.store.listEvents({ limit: 100_000 });
  const lines: [string, string][] = [];
  const count = (kinds: Map<string, number>, kind: string) => kinds.get(kind) ?? 0;

  for (const provider of input.providers) {
    const entry = log.perSource.get(provider.source);
    const kinds = entry?.kinds ?? new Map();
    const stored = deliveries.filter((delivery) => delivery.source === provider.source).length;
    const latencies = events
      .filter(
        (event) => event.source === provider.source && event.triggeredBy === 'webhook' && event.latencyMs !== undefined,
      )
      .map((event) => event.latencyMs as number)
      .sort((a, b) => a - b);
    lines.push([
      `${provider.source}: deliveries sent`,
      `${entry?.sent ?? 0} (duplicates ${count(kinds, 'duplicate')}, out of order ${count(kinds, 'out-of-order')})`,
    ]);
    const unique = (entry?.sent ?? 0) - count(kinds, 'duplicate');
    lines.push([
      `${provider.source}: stored in the inbox`,
      `${stored} rows (duplicates acknowledged, not stored twice${stored > unique ? '; several resources in one delivery: one row each' : ''})`,
    ]);
    lines.push([
      `${provider.source}: receipt → commit`,
      `p50 ${percentile(latencies, 0.5) ?? '-'} ms, p99 ${percentile(latencies, 0.99) ?? '-'} ms (${latencies.length} webhook events)`,
    ]);
    lines.push([`${provider.source}: provider API`, provider.apiSummary()]);
  }
  const outcomes = new Map<string, number>();
  for (const event of events) outcomes.set(event.outcome, (outcomes.get(event.outcome) ?? 0) + 1);
  lines.push(['HTTP answers', [...log.statuses].map(([status, n]) => `${n}×${status}`).join(', ')]);
  lines.push(['largest burst', `${input.largestBurst} deliveries at once`]);
  lines.push(['backfilled by polling', String(input.backfilled)]);
  lines.push(['applied', [...outcomes].map(([outcome, n]) => `${outcome} ${n}`).join(', ')]);
  for (const table of input.tables) {
    lines.push([`${table.table} rows`, `${table.live}${table.deleted ? ` (+${table.deleted} deleted)` : ''}`]);
  }
  lines.push(['dead letters', String(dead.length)]);
  lines.push(['elapsed', `${Math.round(input.elapsedMs)} ms`]);
  lines.push([
    'mirror matches provider',
    mismatches.length === 0
      ? `yes${state.readsValues ? '' : ' (keys, versions and deletes; supabase-js reads no values)'}`
      : `NO (${mismatches.length} differences)`,
  ]);
  const width = Math.max(...lines.map(([label]) => label.length));
  console.log('');
  for (const [label, value] of lines) console.log(`  ${label.padEnd(width)}  ${value}`);
  for (const delivery of dead.slice(0, 10))
    console.log(`  ! dead letter ${delivery.source}/${delivery.tenant}: ${delivery.lastError}`);
  for (const mismatch of mismatches.slice(0, 30)) console.log(`  ! ${mismatch}`);
  if (mismatches.length > 30) console.log(`  ! … and ${mismatches.length - 30} more`);
  return mismatches.length === 0 && dead.length === 0;
}
