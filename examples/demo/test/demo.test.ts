import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SimulatedProvider } from '../src/provider.ts';
import { compareMirror } from '../src/report.ts';
import type { DemoState, MirrorRow } from '../src/state.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function runOnce(env: Record<string, string | undefined>) {
  for (const dist of [
    'packages/core/dist/index.js',
    'packages/connector-template/dist/index.js',
    'packages/connector-ghl/dist/index.js',
    'packages/connector-gmail/dist/index.js',
    'packages/connector-xero/dist/index.js',
    'packages/sink-supabase/dist/index.js',
  ]) {
    if (!existsSync(`${root}${dist}`)) throw new Error(`${dist} is missing: build the packages first (pnpm build)`);
  }
  // Real-provider variables would switch a simulator off: the scenario runs against the simulators only.
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(GHL_|XERO_|GOOGLE_|GMAIL_|CALENDAR_|SUPABASE_|DATABASE_URL$)/.test(name),
    ),
  );
  return spawnSync(process.execPath, ['examples/demo/src/main.ts', '--once', '--deliveries', '150'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 100_000,
    env: { ...clean, ...env },
  });
}

function expectScenarioPassed(run: ReturnType<typeof runOnce>): void {
  expect(run.stderr).toBe('');
  expect(run.stdout).toMatch(/mirror matches provider\s+yes/);
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/dead letters\s+0/);
  // Every delivery (duplicates and out-of-order ones included) acknowledged: 200, or 204 (Gmail pushes and
  // Calendar notifications, which carry no records).
  expect(run.stdout).toMatch(/HTTP answers\s+\d+×200(?:, \d+×204)?$/m);
  expect(run.stdout).toMatch(/xero intent-to-receive: correctly signed → 200, mis-signed → 401 \(passed\)/);
  // One package, two sources: Gmail and Google Calendar each run with their own simulator.
  for (const source of ['template', 'ghl', 'xero', 'gmail', 'calendar']) {
    expect(run.stdout).toMatch(new RegExp(`${source}: deliveries sent\\s+[1-9]`));
    expect(run.stdout).toMatch(new RegExp(`${source}: receipt → commit\\s+p50 \\d+ ms, p99 \\d+ ms`));
  }
  for (const table of [
    'template_records',
    'ghl_contacts',
    'ghl_opportunities',
    'ghl_appointments',
    'ghl_pipelines',
    'xero_contacts',
    'xero_invoices',
    'xero_credit_notes',
    'xero_payments',
    'xero_bank_transactions',
    'gmail_messages',
    'calendar_events',
  ]) {
    expect(run.stdout).toMatch(new RegExp(`${table} rows\\s+[1-9]`));
  }
  expect(run.stdout).toMatch(/\d+ token refreshes/);
}

describe('pnpm demo --once', () => {
  it('runs the fixed scenario on embedded PGlite and the mirror matches every simulated provider', () => {
    expectScenarioPassed(runOnce({}));
  });

  it.skipIf(!process.env.DATABASE_URL)('runs the same scenario on Postgres (DATABASE_URL)', () => {
    expectScenarioPassed(runOnce({ DATABASE_URL: process.env.DATABASE_URL }));
  });
});

describe('compareMirror', () => {
  const provider = {
    source: 'test',
    expected: () => [
      {
        table: 'things',
        keyColumns: ['tenant_id', 'id'],
        columns: ['name', 'amount', 'tags'],
        rows: [
          {
            key: { tenant_id: 't', id: 'a' },
            values: { name: 'A', amount: 40, tags: ['x'] },
            version: 2,
            deleted: false,
          },
          {
            key: { tenant_id: 't', id: 'b' },
            values: { name: 'B', amount: 1.5, tags: [] },
            version: 5,
            deleted: false,
          },
          { key: { tenant_id: 't', id: 'c' }, values: {}, deleted: true },
          { key: { tenant_id: 't', id: 'd' }, values: { name: 'D', amount: 0, tags: [] }, deleted: false },
        ],
      },
    ],
  } as unknown as SimulatedProvider;
  const stateWith = (rows: MirrorRow[]) => ({ readsValues: true, rows: async () => rows }) as unknown as DemoState;

  it('accepts numeric strings, tombstones and absent deleted rows', async () => {
    const { mismatches, tables } = await compareMirror(
      [provider],
      stateWith([
        { tenant_id: 't', id: 'a', name: 'A', amount: '40', tags: ['x'], _version: 2, _deleted: false },
        { tenant_id: 't', id: 'b', name: 'B', amount: '1.50', tags: [], _version: 5, _deleted: false },
        { tenant_id: 't', id: 'c', name: 'C', amount: null, tags: null, _version: 9, _deleted: true },
        { tenant_id: 't', id: 'd', name: 'D', amount: 0, tags: [], _version: 1, _deleted: false },
      ]),
    );
    expect(mismatches).toEqual([]);
    expect(tables).toEqual([{ table: 'things', live: 3, deleted: 1 }]);
  });

  it('names every difference: stale versions, wrong values, missing, resurrected and unknown rows', async () => {
    const { mismatches } = await compareMirror(
      [provider],
      stateWith([
        { tenant_id: 't', id: 'a', name: 'A', amount: 40, tags: ['x'], _version: 1, _deleted: false },
        { tenant_id: 't', id: 'c', name: 'C', amount: 1, tags: [], _version: 9, _deleted: false },
        { tenant_id: 't', id: 'd', name: 'd', amount: 0, tags: [], _version: 1, _deleted: false },
        { tenant_id: 't', id: 'z', name: 'Z', amount: 0, tags: [], _version: 1, _deleted: false },
      ]),
    );
    expect(mismatches).toEqual([
      'things t/a: mirror at version 1, provider at 2',
      'things t/b: missing from the mirror',
      'things t/c: deleted at the provider but live in the mirror',
      'things t/d: name is "d" in the mirror, "D" at the provider',
      'things t/z: in the mirror, unknown to the provider',
    ]);
  });
});
