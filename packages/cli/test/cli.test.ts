// act migrate, health, replay and the configuration errors, in-process, on
// PGlite (always) and Postgres (with DATABASE_URL).
import { randomUUID } from 'node:crypto';
import type { PostgresState } from '@act/sink-supabase';
import { afterEach, describe, expect, it } from 'vitest';
import { act, TARGETS, type Target } from './helpers';

describe('usage and configuration errors', () => {
  it('prints the version and the usage', async () => {
    expect((await act(['--version'])).stdout.trim()).toBe('0.0.0-test');
    const help = await act(['--help']);
    expect(help.code).toBe(0);
    for (const command of [
      'migrate',
      'trigger',
      'backfill',
      'replay',
      'health',
      'conflicts',
      'reconcile',
      'connections',
      'jobs',
    ]) {
      expect(help.stdout).toContain(command);
    }
    expect((await act([])).code).toBe(2);
    const unknown = await act(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('[@act/cli] unknown command "frobnicate"');
  });

  it('names the missing database variable (exit code 2)', async () => {
    for (const command of [
      ['migrate'],
      ['health'],
      ['replay', '--tenant', 'x'],
      ['backfill', 'ghl', '--tenant', 'x'],
      ['connections'],
      ['connections', 'connect', 'ghl', 'loc-1'],
      ['jobs', '--runs'],
    ]) {
      const result = await act(command, { env: { GHL_ACCESS_TOKEN: 'pit' } });
      expect(result.code, command.join(' ')).toBe(2);
      expect(result.stderr.trim()).toBe(
        '[@act/cli] DATABASE_URL is not set (or SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY, or --pglite <dir>, or ACT_DATA_DIR)',
      );
    }
    const half = await act(['health'], { env: { SUPABASE_URL: 'https://x.supabase.co' } });
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('[@act/cli] SUPABASE_SERVICE_ROLE_KEY is not set (SUPABASE_URL is)');
  });

  it("names the connector's missing credential variables (exit code 2)", async () => {
    const ghl = await act(['backfill', 'ghl', '--tenant', 'loc', '--pglite', '/nonexistent-never-opened']);
    expect(ghl.code).toBe(2);
    expect(ghl.stderr).toContain('[@act/cli] GHL_ACCESS_TOKEN is not set (a Private Integration Token');
    const half = await act(['backfill', 'ghl', '--tenant', 'loc', '--pglite', '/nonexistent-never-opened'], {
      env: { GHL_CLIENT_ID: 'id' },
    });
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('[@act/connector-ghl] GHL_CLIENT_SECRET is not set (GHL_CLIENT_ID is)');
    const xero = await act(['reconcile', 'xero', '--tenant', 't', '--pglite', '/nonexistent-never-opened']);
    expect(xero.code).toBe(2);
    expect(xero.stderr).toContain('[@act/cli] XERO_CLIENT_ID is not set');
    const trigger = await act(['trigger', 'xero', 'INVOICE.UPDATE', '--to', 'http://127.0.0.1:9/']);
    expect(trigger.code).toBe(2);
    expect(trigger.stderr).toContain('[@act/cli] XERO_WEBHOOK_KEY is not set');
  });

  it('refuses bad flags and values with exit code 2', async () => {
    const flag = await act(['health', '--nope']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--nope'");
    expect((await act(['backfill', 'ghl'])).stderr).toContain('backfill needs --tenant <id>');
    expect((await act(['backfill', 'hubspot', '--tenant', 'x'])).stderr).toContain('unknown source "hubspot"');
    expect((await act(['replay'])).stderr).toContain('replay needs --id, --from/--to or --tenant');
    expect((await act(['replay', '--from', 'yesterday'])).stderr).toContain('--from is not a date');
  });
});

const NOW = Date.now();

async function enqueue(
  state: PostgresState,
  options: { source: string; tenant: string; receivedAt: Date },
): Promise<string> {
  const { id } = await state.store.enqueue({
    source: options.source,
    tenant: options.tenant,
    dedupeKey: `${options.source}:${randomUUID()}`,
    method: 'POST',
    url: 'http://localhost/webhooks',
    headers: {},
    body: new TextEncoder().encode('{"type":"ContactCreate"}'),
    receivedAt: options.receivedAt,
    correlationId: randomUUID(),
    eventTypes: ['ContactCreate'],
  });
  return id;
}

/** A dead letter: claimed, then failed without a retry. */
async function deadLetter(state: PostgresState, options: { source: string; tenant: string; receivedAt: Date }) {
  const id = await enqueue(state, options);
  const [claimed] = await state.store.claim({ owner: 'test', limit: 1, leaseMs: 60_000 });
  if (!claimed || claimed.id !== id) throw new Error('expected to claim the delivery just stored');
  const outcome = await state.store.fail({
    id,
    claimToken: claimed.claimToken,
    error: 'simulated transform error',
    errorClass: 'transform',
    retryAt: null,
    countsTowardsSchedule: true,
    startedAt: new Date(),
  });
  expect(outcome).toBe('dead');
  return id;
}

for (const { name, create } of TARGETS) {
  describe(`on ${name}`, () => {
    let target: Target | undefined;
    afterEach(async () => {
      await target?.destroy();
      target = undefined;
    });

    it('act migrate applies the state and both connectors’ mirror tables, then nothing', async () => {
      target = await create();
      const first = await act(['migrate', ...target.args], { env: target.env });
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/applied {2}ghl\/0001/);
      expect(first.stdout).toMatch(/applied {2}xero\/0001/);
      // One package, two connectors: each applies its own migrations.
      expect(first.stdout).toMatch(/applied {2}gmail\/0001_gmail_messages/);
      expect(first.stdout).toMatch(/applied {2}calendar\/0101_calendar_events/);
      const again = await act(['migrate', ...target.args], { env: target.env });
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/: 0 migration\(s\) applied, \d+ already applied \(calendar, ghl, gmail, xero\)/);
      const tables = await target.query<{ table_name: string }>(
        "select table_name from information_schema.tables where table_name in ('ghl_contacts', 'xero_invoices', 'act_deliveries') and table_schema = current_schema() order by 1",
      );
      expect(tables.map((row) => row.table_name)).toEqual(['act_deliveries', 'ghl_contacts', 'xero_invoices']);
    });

    it('act health shows how each connected tenant is kept fresh, red for a dead poller or a reconnect', async () => {
      target = await create();
      expect((await act(['migrate', ...target.args], { env: target.env })).code).toBe(0);
      expect((await act(['connections', 'connect', 'xero', 'org-1', ...target.args], { env: target.env })).code).toBe(
        0,
      );
      const now = Date.now();
      await target.withState(async (state) => {
        const sync = state.sync;
        const job = { kind: 'poll', source: 'xero', tenant: 'org-1', target: 'payments' } as const;
        await sync.planJobs({
          jobs: [{ ...job, key: 'poll:xero:org-1:payments', firstRunAt: new Date(now - 3_600_000) }],
          sources: ['xero'],
          now: new Date(now - 3_600_000),
        });
        // The process that claimed it died: its lease ran out half an hour ago.
        const [claimed] = await sync.claimJobs({
          owner: 'dead-process',
          limit: 1,
          leaseMs: 60_000,
          now: new Date(now - 1_800_000),
        });
        expect(claimed?.key).toBe('poll:xero:org-1:payments');
      });
      const dead = await act(['health', '--json', ...target.args], { env: target.env });
      expect(dead.code).toBe(1);
      expect(dead.stderr).toContain('1 synced stream(s) need a look');
      const rows = (JSON.parse(dead.stdout) as { sync: Record<string, unknown>[] }).sync;
      expect(rows).toEqual([
        expect.objectContaining({
          source: 'xero',
          tenant: 'org-1',
          stream: 'payments',
          mode: null,
          lastPollAt: null,
          status: 'red',
          reason: 'poller stopped: dead-process died holding the job',
        }),
      ]);

      await target.withState(async (state) => {
        await state.sync.planJobs({ jobs: [], sources: ['xero'] });
        await state.sync.setConnectionStatus({
          source: 'xero',
          tenant: 'org-1',
          status: 'reconnect_required',
          reason: 'invalid_grant',
        });
      });
      const table = await act(['health', ...target.args], { env: target.env });
      expect(table.code).toBe(1);
      expect(table.stdout).toMatch(
        /^source\s+tenant\s+stream\s+mode\s+last webhook\s+last poll\s+last reconcile\s+status$/m,
      );
      expect(table.stdout).toMatch(
        /^xero\s+org-1\s+-\s+poll only\s+-\s+-\s+-\s+red \(reconnect required: invalid_grant\)$/m,
      );
    });

    it('act health prints the freshness table and exits 1 when a source is past its target', async () => {
      target = await create();
      expect((await act(['migrate', ...target.args], { env: target.env })).code).toBe(0);

      const empty = await act(['health', ...target.args], { env: target.env });
      expect(empty.code).toBe(0);
      expect(empty.stdout).toContain('no deliveries or events yet');

      // Xero: waiting 1 minute (target 5 min): green. GHL: waiting 2 minutes (target 30 s): red.
      // Ages from now, not from the file's start: the whole file takes over a minute on a loaded machine.
      const now = Date.now();
      await target.withState(async (state) => {
        await enqueue(state, { source: 'xero', tenant: 'org-1', receivedAt: new Date(now - 60_000) });
        await enqueue(state, { source: 'ghl', tenant: 'loc-1', receivedAt: new Date(now - 120_000) });
      });
      const red = await act(['health', ...target.args], { env: target.env });
      expect(red.code).toBe(1);
      expect(red.stderr).toContain('1 source/tenant(s) past the freshness target');
      const lines = red.stdout.split('\n');
      expect(lines[0]).toMatch(/^source\s+tenant\s+pending\s+dead\s+lag\s+target\s+status$/);
      // Any minutes: NOW is taken when the file loads, and the PGlite runs before the Postgres one take a while.
      expect(lines.find((row) => row.startsWith('ghl'))).toMatch(
        /^ghl\s+loc-1\s+1\s+0\s+\d+ min \d+ s\s+30 s\s+red \(oldest waiting delivery is past the target\)$/,
      );
      expect(lines.find((row) => row.startsWith('xero'))).toMatch(/^xero\s+org-1\s+1\s+0\s+.+\s+5 min 0 s\s+green$/);

      const json = await act(['health', '--json', ...target.args], { env: target.env });
      expect(json.code).toBe(1);
      const rows = (JSON.parse(json.stdout) as { sources: { source: string; status: string; targetMs: number }[] })
        .sources;
      expect(rows.find((row) => row.source === 'ghl')).toMatchObject({ status: 'red', targetMs: 30_000 });
      expect(rows.find((row) => row.source === 'xero')).toMatchObject({ status: 'green', targetMs: 300_000 });
    });

    it('act health lists tenants to reconnect and exits 1 for them, even with every source fresh', async () => {
      target = await create();
      expect((await act(['migrate', ...target.args], { env: target.env })).code).toBe(0);
      await target.withState(async (state) => {
        await state.credentials.put('xero:org-9', { refreshToken: 'spent' });
        await state.credentials.acquireRefreshLease('xero:org-9', { owner: 'w', leaseMs: 1_000 });
        await state.credentials.releaseRefreshLease('xero:org-9', { owner: 'w', invalidReason: 'invalid_grant' });
      });
      const result = await act(['health', ...target.args], { env: target.env });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /xero\s+org-9\s+reconnect_required\s+red\s+reconnect Xero for tenant org-9: invalid_grant/,
      );
      expect(result.stderr).toContain('1 connection(s) must be reconnected');
      const json = JSON.parse((await act(['health', '--json', ...target.args], { env: target.env })).stdout) as {
        signals: { source: string; tenant: string; code: string }[];
      };
      expect(json.signals).toEqual([
        expect.objectContaining({ source: 'xero', tenant: 'org-9', code: 'reconnect_required' }),
      ]);
    });

    it('act health counts conflicting redeliveries and act conflicts lists them', async () => {
      target = await create();
      expect((await act(['migrate', ...target.args], { env: target.env })).code).toBe(0);
      const none = await act(['conflicts', ...target.args], { env: target.env });
      expect(none.code).toBe(0);
      expect(none.stdout).toContain('no conflicting redeliveries');

      const ids = await target.withState(async (state) => {
        const delivery = {
          source: 'ghl',
          tenant: 'loc-1',
          dedupeKey: 'ghl:wh_same',
          method: 'POST',
          url: 'http://localhost/webhooks/ghl',
          headers: {},
          body: new TextEncoder().encode('{"type":"ContactUpdate","email":"first@example.com"}'),
          receivedAt: new Date(NOW - 10_000),
          correlationId: randomUUID(),
          eventTypes: ['ContactUpdate'],
        };
        const first = await state.store.enqueue(delivery);
        const changed = await state.store.enqueue({
          ...delivery,
          body: new TextEncoder().encode('{"type":"ContactUpdate","email":"changed@example.com"}'),
          receivedAt: new Date(NOW - 5_000),
        });
        return { first: first.id, changed: changed.id };
      });

      const health = await act(['health', ...target.args], { env: target.env });
      expect(health.stdout).toMatch(/^source\s+tenant\s+conflicts\s+what it means$/m);
      expect(health.stdout).toMatch(/^ghl\s+loc-1\s+1\s+redeliveries of a known id with a different body/m);
      const healthJson = JSON.parse((await act(['health', '--json', ...target.args], { env: target.env })).stdout) as {
        sources: { source: string; conflicts: number }[];
      };
      expect(healthJson.sources.find((row) => row.source === 'ghl')?.conflicts).toBe(1);

      const listed = await act(['conflicts', '--source', 'ghl', ...target.args], { env: target.env });
      expect(listed.code).toBe(0);
      const lines = listed.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^id\s+of\s+source\s+tenant\s+status\s+received\s+events$/);
      expect(lines).toHaveLength(3);
      expect(lines[2]).toMatch(
        new RegExp(`^${ids.changed}\\s+${ids.first}\\s+ghl\\s+loc-1\\s+pending\\s+\\S+Z\\s+ContactUpdate$`),
      );
      const json = JSON.parse((await act(['conflicts', '--json', ...target.args], { env: target.env })).stdout) as {
        conflicts: { id: string; conflictOf: string; dedupeKey: string }[];
      };
      expect(json.conflicts).toEqual([
        expect.objectContaining({
          id: ids.changed,
          conflictOf: ids.first,
          dedupeKey: expect.stringMatching(/^ghl:wh_same~sha256:[0-9a-f]{64}$/),
        }),
      ]);
      expect((await act(['conflicts', '--tenant', 'loc-2', ...target.args], { env: target.env })).stdout).toContain(
        'no conflicting redeliveries',
      );
      expect((await act(['conflicts', '--limit', '0', ...target.args], { env: target.env })).code).toBe(2);
    });

    it('act health refuses a database whose migrations have not run', async () => {
      target = await create();
      const result = await act(['health', ...target.args], { env: target.env });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('migrations pending');
      expect(result.stderr).toContain('run act migrate');
    });

    it('act replay moves dead letters back to the queue by id, by tenant and by time range', async () => {
      target = await create();
      expect((await act(['migrate', ...target.args], { env: target.env })).code).toBe(0);
      const ids = await target.withState(async (state) => ({
        one: await deadLetter(state, { source: 'ghl', tenant: 'loc-1', receivedAt: new Date(NOW - 3_600_000) }),
        two: await deadLetter(state, { source: 'ghl', tenant: 'loc-2', receivedAt: new Date(NOW - 7_200_000) }),
        three: await deadLetter(state, { source: 'xero', tenant: 'org-1', receivedAt: new Date(NOW - 86_400_000) }),
      }));
      const status = (id: string) =>
        target?.withState(async (state) => (await state.store.getDelivery(id))?.status) as Promise<string>;

      const byId = await act(['replay', '--id', ids.one, ...target.args], { env: target.env });
      expect(byId.code).toBe(0);
      expect(byId.stdout).toContain('replayed 1 dead letter(s)');
      expect(await status(ids.one)).toBe('pending');
      expect(await status(ids.two)).toBe('dead');

      const byTenant = await act(['replay', '--tenant', 'loc-2', '--source', 'ghl', ...target.args], {
        env: target.env,
      });
      expect(byTenant.stdout).toContain('replayed 1 dead letter(s)');
      expect(await status(ids.two)).toBe('pending');

      const outside = await act(
        [
          'replay',
          '--from',
          new Date(NOW - 3_600_000).toISOString(),
          '--to',
          new Date(NOW).toISOString(),
          ...target.args,
        ],
        { env: target.env },
      );
      expect(outside.stdout).toContain('replayed 0 dead letter(s)');
      const inside = await act(
        [
          'replay',
          '--from',
          new Date(NOW - 2 * 86_400_000).toISOString(),
          '--to',
          new Date(NOW - 3_600_000).toISOString(),
          ...target.args,
        ],
        { env: target.env },
      );
      expect(inside.stdout).toContain('replayed 1 dead letter(s)');
      expect(await status(ids.three)).toBe('pending');
      const attempts = await target.withState((state) => state.store.listAttempts(ids.three));
      expect(attempts.map((attempt) => attempt.outcome)).toEqual(['dead']);
    });
  });
}
