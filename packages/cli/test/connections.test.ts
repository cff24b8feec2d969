// act connections and act jobs against a SyncStoreV1 (the in-memory one,
// injected as io.sync), with a fixed clock so times print the same every run.
import { createMemorySyncStore, type SyncStoreV1 } from '@act/core';
import { describe, expect, it } from 'vitest';
import { syncOf } from '../src/cli-sync';
import { act } from './helpers';

const NOW = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(NOW.getTime() + ms);
const MINUTE = 60_000;

function store(): SyncStoreV1 {
  return createMemorySyncStore({ now: () => NOW });
}

describe('act connections', () => {
  it("explains itself with --help, naming the installed sources' tenants", async () => {
    const help = await act(['connections', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('act connections connect <source> <tenant> [--name <name>]');
    expect(help.stdout).toMatch(/a provider's account: .*location.*organisation/is);
    expect((await act(['jobs', '--help'])).stdout).toContain('act jobs --runs');
  });

  it('says when there are none', async () => {
    const result = await act(['connections'], { sync: store() });
    expect(result).toEqual({ code: 0, stdout: 'the sync store: no connections yet\n', stderr: '' });
    expect(JSON.parse((await act(['connections', '--json'], { sync: store() })).stdout)).toEqual({ connections: [] });
  });

  it('connects, reconnects and disconnects a tenant, keeping when it was first connected', async () => {
    const sync = store();
    const added = await act(['connections', 'connect', 'ghl', 'loc-1', '--name', 'Clinic'], { sync });
    expect(added).toEqual({ code: 0, stdout: 'ghl loc-1 (Clinic): connected, status active\n', stderr: '' });
    expect(await sync.getConnection({ source: 'ghl', tenant: 'loc-1' })).toMatchObject({
      displayName: 'Clinic',
      status: 'active',
      connectedAt: NOW,
    });

    const again = await act(['connections', 'connect', 'ghl', 'loc-1'], { sync });
    expect(again.stdout).toBe('ghl loc-1 (Clinic): already connected, status active\n');

    const removed = await act(['connections', 'disconnect', 'ghl', 'loc-1'], { sync });
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('ghl loc-1 (Clinic): disconnected; its mirror rows and cursors are kept');
    expect(await sync.getConnection({ source: 'ghl', tenant: 'loc-1' })).toMatchObject({
      status: 'disconnected',
      statusReason: 'manual',
      disconnectedAt: NOW,
    });
    const twice = await act(['connections', 'disconnect', 'ghl', 'loc-1', '--reason', 'other'], { sync });
    expect(twice.stdout).toBe('ghl loc-1 (Clinic): already disconnected (since 2026-03-01T10:00:00Z)\n');
    expect((await sync.getConnection({ source: 'ghl', tenant: 'loc-1' }))?.statusReason).toBe('manual');

    const back = await act(['connections', 'connect', 'ghl', 'loc-1', '--json'], { sync });
    expect(JSON.parse(back.stdout)).toEqual({
      change: 'reactivated',
      connection: {
        source: 'ghl',
        tenant: 'loc-1',
        displayName: 'Clinic',
        status: 'active',
        statusReason: null,
        connectedAt: NOW.toISOString(),
        disconnectedAt: null,
        updatedAt: NOW.toISOString(),
        settings: {},
      },
    });
    expect((await sync.listSyncEvents()).map((event) => event.kind)).toEqual([
      'connection_added',
      'connection_removed',
      'connection_added',
    ]);
  });

  it('records a disconnect reason', async () => {
    const sync = store();
    await sync.connect({ source: 'xero', tenant: 'org-1', now: at(0) });
    const result = await act(['connections', 'disconnect', 'xero', 'org-1', '--reason', 'uninstalled', '--json'], {
      sync,
    });
    expect(JSON.parse(result.stdout)).toMatchObject({
      change: 'disconnected',
      connection: { status: 'disconnected', statusReason: 'uninstalled' },
    });
  });

  it('lists connections by source and tenant, with name, status, connected at and reason, filtered', async () => {
    const sync = store();
    await sync.connect({ source: 'xero', tenant: 'org-1', displayName: 'Acme Pty Ltd', now: at(-2 * MINUTE) });
    await sync.connect({ source: 'ghl', tenant: 'loc-2', now: at(-MINUTE) });
    await sync.connect({ source: 'ghl', tenant: 'loc-1', displayName: 'Clinic', now: at(0) });
    await sync.setConnectionStatus({
      source: 'ghl',
      tenant: 'loc-2',
      status: 'reconnect_required',
      reason: 'invalid_grant',
      now: at(0),
    });
    const table = await act(['connections'], { sync });
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')).toEqual([
      'source  tenant  name          status              connected at          reason',
      '------  ------  ------------  ------------------  --------------------  -------------',
      'ghl     loc-1   Clinic        active              2026-03-01T10:00:00Z  -',
      'ghl     loc-2   -             reconnect_required  2026-03-01T09:59:00Z  invalid_grant',
      'xero    org-1   Acme Pty Ltd  active              2026-03-01T09:58:00Z  -',
      '',
    ]);
    const json = JSON.parse((await act(['connections', '--json', '--status', 'active'], { sync })).stdout);
    expect(json.connections.map((connection: { tenant: string }) => connection.tenant)).toEqual(['loc-1', 'org-1']);
    expect(json.connections[1]).toEqual({
      source: 'xero',
      tenant: 'org-1',
      displayName: 'Acme Pty Ltd',
      status: 'active',
      statusReason: null,
      connectedAt: at(-2 * MINUTE).toISOString(),
      disconnectedAt: null,
      updatedAt: at(-2 * MINUTE).toISOString(),
      settings: {},
    });
    const ghl = await act(['connections', '--source', 'ghl', '--status', 'reconnect_required'], { sync });
    expect(ghl.stdout).toContain('loc-2');
    expect(ghl.stdout).not.toContain('loc-1');
    expect((await act(['connections', '--source', 'notion'], { sync })).stdout).toBe(
      'the sync store: no connections match\n',
    );
  });

  it('connects a source no installed connector has, saying so', async () => {
    const sync = store();
    const result = await act(['connections', 'connect', 'notion', 'workspace-1'], { sync });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      '[@act/cli] no installed connector has the source "notion" (installed: calendar, ghl, gmail, xero)',
    );
    expect((await sync.getConnection({ source: 'notion', tenant: 'workspace-1' }))?.status).toBe('active');
  });

  it('fails for a tenant never connected (exit 1) and refuses bad arguments (exit 2)', async () => {
    const sync = store();
    const unknown = await act(['connections', 'disconnect', 'ghl', 'nobody'], { sync });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('[@act/cli] ghl nobody is not a known connection (act connections lists them)');
    for (const [argv, message] of [
      [['connections', 'connect', 'ghl'], 'connections connect needs <source> <tenant>'],
      [['connections', 'connect', 'ghl', 'a', 'b'], 'connections connect needs <source> <tenant>'],
      [['connections', 'remove', 'ghl', 'a'], 'unknown subcommand "remove"'],
      [['connections', '--status', 'paused'], '--status must be one of active, reconnect_required, disconnected'],
      [['connections', 'disconnect', 'ghl', 'a', '--name', 'x'], '--name is for connections connect'],
      [['connections', 'connect', 'ghl', 'a', '--reason', 'x'], '--reason is for connections disconnect'],
      [['connections', 'connect', 'ghl', 'a', '--source', 'ghl'], '--source and --status filter the list'],
    ] as const) {
      const result = await act([...argv], { sync });
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toContain(`[@act/cli] ${message}`);
    }
    expect(await sync.listConnections()).toEqual([]);
  });

  it('fails clearly on a state without a sync store', () => {
    const sync = store();
    expect(syncOf({ sync }, 'DATABASE_URL')).toBe(sync);
    expect(() => syncOf({}, 'PGlite at /data')).toThrow(
      '[@act/cli] PGlite at /data has no sync store (state.sync): the installed @act/sink-supabase predates the sync engine',
    );
  });
});

describe('act jobs', () => {
  async function withJobs(): Promise<SyncStoreV1> {
    const sync = store();
    const job = (kind: 'poll' | 'reconcile' | 'retention', source: string, tenant: string, target: string) => ({
      key: `${kind}:${source}:${tenant}:${target}`,
      kind,
      source,
      tenant,
      target,
      firstRunAt: at(-10 * MINUTE),
    });
    await sync.planJobs({
      jobs: [
        job('poll', 'xero', 'org-1', 'invoices'),
        job('reconcile', 'xero', 'org-1', ''),
        job('poll', 'ghl', 'loc-1', 'contacts'),
        job('retention', '', '', ''),
      ],
      sources: ['xero', 'ghl', ''],
      now: at(-10 * MINUTE),
    });
    const run = async (
      key: string,
      start: number,
      outcome: 'ok' | 'failed',
      extra: { error?: string; errorClass?: string; counts?: Record<string, number> } = {},
    ) => {
      const [claimed] = await sync.claimJobs({
        owner: 'web-1',
        limit: 1,
        leaseMs: MINUTE,
        keys: [key],
        now: at(start),
      });
      expect(claimed?.key).toBe(key);
      await sync.finishJob({
        key,
        claimToken: claimed?.claimToken ?? '',
        outcome,
        startedAt: at(start),
        nextRunAt: at(start + 5 * MINUTE),
        now: at(start + 1_500),
        ...extra,
      });
    };
    await run('poll:xero:org-1:invoices', -8 * MINUTE, 'ok', { counts: { pages: 2, created: 40 } });
    await run('poll:xero:org-1:invoices', -3 * MINUTE, 'failed', { error: 'HTTP 503', errorClass: 'transient' });
    await run('poll:ghl:loc-1:contacts', -2 * MINUTE, 'ok', { counts: { pages: 1 } });
    // The reconcile is running now, leased to web-2.
    await sync.claimJobs({ owner: 'web-2', limit: 1, leaseMs: MINUTE, keys: ['reconcile:xero:org-1:'], now: at(0) });
    return sync;
  }

  it('lists the jobs: next run, last outcome, last success, failures in a row and who runs it now', async () => {
    const sync = await withJobs();
    const result = await act(['jobs'], { sync });
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'kind       source  tenant  target    next run              last outcome       last success          failures  running',
      '---------  ------  ------  --------  --------------------  -----------------  --------------------  --------  --------------------------------',
      'poll       ghl     loc-1   contacts  2026-03-01T10:03:00Z  ok                 2026-03-01T09:58:01Z  0         -',
      'poll       xero    org-1   invoices  2026-03-01T10:02:00Z  failed (HTTP 503)  2026-03-01T09:52:01Z  1         -',
      'reconcile  xero    org-1   -         2026-03-01T09:50:00Z  never run          -                     0         web-2 until 2026-03-01T10:01:00Z',
      'retention  -       -       -         2026-03-01T09:50:00Z  never run          -                     0         -',
      '',
    ]);
    const json = JSON.parse((await act(['jobs', '--json', '--source', 'xero', '--kind', 'poll'], { sync })).stdout);
    expect(json).toEqual({
      jobs: [
        {
          key: 'poll:xero:org-1:invoices',
          kind: 'poll',
          source: 'xero',
          tenant: 'org-1',
          target: 'invoices',
          nextRunAt: at(2 * MINUTE).toISOString(),
          lastStartedAt: at(-3 * MINUTE).toISOString(),
          lastFinishedAt: at(-3 * MINUTE + 1_500).toISOString(),
          lastSuccessAt: at(-8 * MINUTE + 1_500).toISOString(),
          lastOutcome: 'failed',
          lastError: 'HTTP 503',
          consecutiveFailures: 1,
          leaseOwner: null,
          leaseExpiresAt: null,
        },
      ],
    });
    const global = await act(['jobs', '--source', '', '--json'], { sync });
    expect(JSON.parse(global.stdout).jobs.map((job: { key: string }) => job.key)).toEqual(['retention:::']);
    expect((await act(['jobs'], { sync: store() })).stdout).toBe(
      'the sync store: no jobs yet (a running scheduler plans them)\n',
    );
  });

  it('lists recent runs newest first with what they did and their error (--runs)', async () => {
    const sync = await withJobs();
    const result = await act(['jobs', '--runs'], { sync });
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'finished              kind  source  tenant  target    outcome  took   by     counts               error',
      '--------------------  ----  ------  ------  --------  -------  -----  -----  -------------------  -------------------',
      '2026-03-01T09:58:01Z  poll  ghl     loc-1   contacts  ok       1.5 s  web-1  pages 1              -',
      '2026-03-01T09:57:01Z  poll  xero    org-1   invoices  failed   1.5 s  web-1  -                    transient: HTTP 503',
      '2026-03-01T09:52:01Z  poll  xero    org-1   invoices  ok       1.5 s  web-1  pages 2, created 40  -',
      '',
    ]);
    const limited = JSON.parse(
      (await act(['jobs', '--runs', '--limit', '1', '--tenant', 'org-1', '--json'], { sync })).stdout,
    );
    expect(limited.runs).toEqual([
      {
        id: expect.any(String),
        key: 'poll:xero:org-1:invoices',
        kind: 'poll',
        source: 'xero',
        tenant: 'org-1',
        target: 'invoices',
        owner: 'web-1',
        startedAt: at(-3 * MINUTE).toISOString(),
        finishedAt: at(-3 * MINUTE + 1_500).toISOString(),
        outcome: 'failed',
        error: 'HTTP 503',
        errorClass: 'transient',
        counts: {},
      },
    ]);
    expect((await act(['jobs', '--runs'], { sync: store() })).stdout).toBe('the sync store: no job runs yet\n');
  });

  it('refuses bad flags (exit 2)', async () => {
    const sync = store();
    for (const [argv, message] of [
      [['jobs', '--kind', 'sync'], '--kind must be one of poll, reconcile, retention, refresh, renew, discover'],
      [['jobs', '--limit', '5'], '--limit is for act jobs --runs'],
      [['jobs', '--runs', '--limit', '0'], '--limit must be a positive whole number'],
    ] as const) {
      const result = await act([...argv], { sync });
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toContain(`[@act/cli] ${message}`);
    }
  });
});
