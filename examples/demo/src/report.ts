import type { ProviderSimulator } from './simulator.ts';
import type { DemoState } from './state.ts';

/** Differences between the provider's records and the mirror; empty when they match. */
export async function compareMirror(simulator: ProviderSimulator, state: DemoState): Promise<string[]> {
  const mismatches: string[] = [];
  const rows = await state.records();
  const mirrored = new Map(rows.map((row) => [`${row.key.account_id}/${row.key.id}`, row.values]));
  let expected = 0;
  for (const [account, records] of simulator.accounts) {
    for (const record of records.values()) {
      expected += 1;
      const row = mirrored.get(`${account}/${record.id}`);
      const email = record.email?.trim().toLowerCase() ?? null;
      if (!row) mismatches.push(`${account}/${record.id}: missing from the mirror`);
      else if (row.name !== record.name || row.email !== email || row.status !== record.status) {
        mismatches.push(
          `${account}/${record.id}: mirror has ${JSON.stringify([row.name, row.email, row.status])}, provider has ${JSON.stringify([record.name, email, record.status])}`,
        );
      }
    }
    for (const id of simulator.deleted.get(account) ?? []) {
      if (mirrored.has(`${account}/${id}`))
        mismatches.push(`${account}/${id}: deleted at the provider but live in the mirror`);
    }
  }
  if (rows.length !== expected)
    mismatches.push(`mirror has ${rows.length} live rows, provider has ${expected} records`);
  return mismatches;
}

function percentile(sorted: number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length))) - 1] ?? null;
}

export async function summarise(input: {
  simulator: ProviderSimulator;
  state: DemoState;
  statuses: Map<number, number>;
  elapsedMs: number;
  backfilled: number;
  mismatches: string[];
}): Promise<boolean> {
  const { state, mismatches } = input;
  const deliveries = await state.store.listDeliveries({ limit: 100_000 });
  const dead = deliveries.filter((delivery) => delivery.status === 'dead');
  const events = await state.store.listEvents({ limit: 100_000 });
  const latencies = events
    .filter((event) => event.triggeredBy === 'webhook' && event.latencyMs !== undefined)
    .map((event) => event.latencyMs as number)
    .sort((a, b) => a - b);
  const outcomes = new Map<string, number>();
  for (const event of events) outcomes.set(event.outcome, (outcomes.get(event.outcome) ?? 0) + 1);
  const rows = await state.records();
  const table = [
    ['deliveries sent', String(input.simulator.sentCount)],
    ['HTTP answers', [...input.statuses].map(([status, count]) => `${count}×${status}`).join(', ')],
    ['stored in the inbox', `${deliveries.length} (duplicates acknowledged, not stored twice)`],
    ['backfilled by polling', String(input.backfilled)],
    ['applied', [...outcomes].map(([outcome, count]) => `${outcome} ${count}`).join(', ')],
    ['template_records rows', String(rows.length)],
    [
      'receipt → row latency',
      `p50 ${percentile(latencies, 0.5) ?? '-'} ms, p99 ${percentile(latencies, 0.99) ?? '-'} ms`,
    ],
    ['dead letters', String(dead.length)],
    ['elapsed', `${Math.round(input.elapsedMs)} ms`],
    ['mirror matches provider', mismatches.length === 0 ? 'yes' : `NO (${mismatches.length} differences)`],
  ];
  const width = Math.max(...table.map(([label]) => (label as string).length));
  console.log('');
  for (const [label, value] of table) console.log(`  ${(label as string).padEnd(width)}  ${value}`);
  for (const mismatch of mismatches.slice(0, 20)) console.log(`  ! ${mismatch}`);
  return mismatches.length === 0 && dead.length === 0;
}
