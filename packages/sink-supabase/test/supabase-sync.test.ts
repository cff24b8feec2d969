import { makeTestDelivery } from '@act/core/testing';
import { PGlite } from '@electric-sql/pglite';
import { createClient } from '@supabase/supabase-js';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresState, migrate } from '../src';
import { createPostgrestFetch, pgliteTransaction } from '../src/testing';

// The sync store and inbox coalescing (migration 0010_act_sync) through the
// supabase-js driver: rpc names, argument encodings and result shapes (one
// JSON object, scalars, rows, void) against the PostgREST stand-in of
// @act/sink-supabase/testing, as service_role in a schema of its own on a
// PGlite with Supabase's roles. The anon key reaches none of it.

const SUPABASE_URL = 'https://abcdefghijklmnopqrst.supabase.co';
function jwt(role: string): string {
  const part = (value: object) =>
    btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iss: 'supabase', role })}.c2lnbmF0dXJl`;
}
const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe('sync store through supabase-js (PostgREST stand-in, service_role, schema of its own)', () => {
  let db: PGlite | undefined;
  afterAll(async () => db?.close());

  it('runs every SyncStoreV1 method, coalesces sync requests and renews leases; anon is refused', async () => {
    db = await PGlite.create();
    await db.exec(
      'create role anon nologin; create role authenticated nologin; create role service_role nologin bypassrls;',
    );
    const schema = 'act_private';
    await migrate({ pglite: db }, { schema });
    const fetchImpl = createPostgrestFetch(pgliteTransaction(db), { switchRole: true });
    const state = createPostgresState(
      { supabaseUrl: SUPABASE_URL, supabaseKey: jwt('service_role'), clientOptions: { global: { fetch: fetchImpl } } },
      { schema },
    );
    const { sync, store } = state;

    const added = await sync.connect({ source: 'xero', tenant: 'org-1', settings: { a: 1 }, now: at(0) });
    expect(added).toMatchObject({ change: 'added', connection: { status: 'active', settings: { a: 1 } } });
    expect(added.connection.connectedAt).toEqual(at(0));
    expect(await sync.getConnection({ source: 'xero', tenant: 'org-1' })).toEqual(added.connection);
    expect(
      await sync.setConnectionStatus({ source: 'xero', tenant: 'org-1', status: 'reconnect_required' }),
    ).toMatchObject({ status: 'reconnect_required' });
    expect(await sync.disconnect({ source: 'xero', tenant: 'org-1', reason: 'uninstalled' })).toMatchObject({
      status: 'disconnected',
    });
    expect(await sync.disconnect({ source: 'xero', tenant: 'nope' })).toBeNull();
    expect(await sync.listConnections({ status: 'disconnected' })).toHaveLength(1);

    expect(await sync.acquireLease({ name: 'scheduler', owner: 'a', leaseMs: 30_000, now: at(0) })).toEqual({
      acquired: true,
      holder: 'a',
      expiresAt: at(30_000),
    });
    expect(await sync.acquireLease({ name: 'scheduler', owner: 'b', leaseMs: 30_000, now: at(1) })).toMatchObject({
      acquired: false,
      holder: 'a',
    });
    await sync.releaseLease({ name: 'scheduler', owner: 'a' });

    await sync.planJobs({
      jobs: [
        {
          key: 'poll:xero:org-1:invoices',
          kind: 'poll',
          source: 'xero',
          tenant: 'org-1',
          target: 'invoices',
          firstRunAt: at(0),
        },
      ],
      sources: ['xero'],
    });
    const [job] = await sync.claimJobs({ owner: 'a', limit: 5, leaseMs: 60_000, now: at(1_000) });
    if (!job) throw new Error('no job claimed');
    expect(
      await sync.renewJobLease({ key: job.key, claimToken: job.claimToken, leaseMs: 60_000, now: at(2_000) }),
    ).toBe(true);
    expect(
      await sync.finishJob({
        key: job.key,
        claimToken: job.claimToken,
        outcome: 'ok',
        nextRunAt: at(300_000),
        startedAt: at(1_000),
        counts: { pages: 1 },
        now: at(3_000),
      }),
    ).toBe(true);
    expect(await sync.requestJob({ key: job.key, at: at(100_000) })).toBe(true);
    expect((await sync.listJobs())[0]).toMatchObject({ nextRunAt: at(100_000), lastSuccessAt: at(3_000) });
    expect(await sync.listJobRuns()).toMatchObject([{ key: job.key, owner: 'a', counts: { pages: 1 } }]);

    expect(await sync.setSourceMode({ source: 'ghl', tenant: 'loc-1', mode: 'polling', now: at(0) })).toBe(true);
    expect(await sync.setSourceMode({ source: 'ghl', tenant: 'loc-1', mode: 'polling', now: at(1) })).toBe(false);
    expect(await sync.listSourceModes()).toEqual([{ source: 'ghl', tenant: 'loc-1', mode: 'polling', since: at(0) }]);
    await sync.recordSyncEvent({
      source: 'gmail',
      tenant: 'ana',
      kind: 'cursor_expired',
      detail: { stream: 'history' },
    });
    // Newest first by time: the last one was logged at the database's clock, after the fixed times above.
    expect((await sync.listSyncEvents({ limit: 1 })).map((event) => event.kind)).toEqual(['cursor_expired']);
    expect((await sync.listSyncEvents({ source: 'ghl' })).map((event) => [event.kind, event.createdAt])).toEqual([
      ['webhooks_quiet', at(0)],
    ]);

    // Inbox: coalescing, renewLease, webhookActivity.
    const push = () =>
      makeTestDelivery({ source: 'gmail', tenant: 'ana', coalesceKey: 'gmail:ana:history', receivedAt: at(0) });
    const first = await store.enqueue(push());
    const second = await store.enqueue(push());
    expect(second.coalescedInto).toBe(first.id);
    expect(await store.getDelivery(second.id)).toMatchObject({ status: 'done', coalescedInto: first.id });
    const [claimed] = await store.claim({ owner: 'w', limit: 1, leaseMs: 30_000 });
    expect(claimed?.id).toBe(first.id);
    expect(await store.renewLease({ id: first.id, claimToken: claimed?.claimToken as string, leaseMs: 60_000 })).toBe(
      true,
    );
    expect(await store.webhookActivity({ since: at(-1) })).toEqual([
      { source: 'gmail', tenant: 'ana', lastDeliveryAt: at(0), deliveries: 2, medianGapMs: null },
    ]);
    expect(await state.cleanup({ now: at(0) })).toEqual({
      deliveries: 0,
      attempts: 0,
      events: 0,
      jobRuns: 0,
      syncEvents: 0,
    });

    const anon = createPostgresState(
      {
        supabase: createClient(SUPABASE_URL, jwt('anon'), {
          auth: { persistSession: false },
          global: { fetch: fetchImpl },
        }),
      },
      { schema },
    );
    await expect(anon.sync.listConnections()).rejects.toThrow(/Supabase refused the key \(HTTP 403 42501/);
    await expect(anon.sync.acquireLease({ name: 'x', owner: 'anon', leaseMs: 1 })).rejects.toThrow(/HTTP 403 42501/);
    await anon.close();
    await state.close();
  });
});
