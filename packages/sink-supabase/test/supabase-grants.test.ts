import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresState } from '../src';

// Supabase exposes tables, views and functions of its API schemas to the anon
// key unless they are closed. The roles are created in a private PGlite: roles
// are cluster-wide, and the shared test server must not change.
describe('on a database with Supabase roles', () => {
  let db: PGlite | undefined;
  afterAll(async () => db?.close());

  it('closes every act_ object to anon and authenticated, keeps them for service_role, and enables RLS', async () => {
    db = await PGlite.create();
    await db.exec(
      'create role anon nologin; create role authenticated nologin; create role service_role nologin bypassrls;',
    );
    // Supabase's default privileges grant new objects to the API roles.
    await db.exec(
      'alter default privileges in schema public grant all on tables to anon, authenticated, service_role; ' +
        'alter default privileges in schema public grant all on functions to anon, authenticated, service_role;',
    );
    const state = createPostgresState({ pglite: db });
    await state.migrate();
    const check = async (sql: string) => (await db?.query<{ ok: boolean }>(sql))?.rows[0]?.ok;

    for (const table of [
      'act_deliveries',
      'act_delivery_attempts',
      'act_cursors',
      'act_integration_events',
      'act_rate_limits',
      'act_rate_slots',
      'act_migrations',
      // Migration 0010: the sync store.
      'act_connections',
      'act_leases',
      'act_jobs',
      'act_job_runs',
      'act_source_modes',
      'act_sync_events',
      // Migration 0012: the outbox.
      'act_outbox',
      'act_outbox_attempts',
    ]) {
      expect(
        await check(`select relrowsecurity as ok from pg_class where oid = 'public.${table}'::regclass`),
        table,
      ).toBe(true);
      for (const role of ['anon', 'authenticated']) {
        expect(
          await check(`select has_table_privilege('${role}', 'public.${table}', 'select') as ok`),
          `${role} ${table}`,
        ).toBe(false);
      }
      expect(await check(`select has_table_privilege('service_role', 'public.${table}', 'select') as ok`)).toBe(true);
    }
    for (const view of ['act_source_health', 'act_freshness']) {
      expect(await check(`select has_table_privilege('anon', 'public.${view}', 'select') as ok`), view).toBe(false);
    }
    const functions = (
      await db.query<{ signature: string }>(
        `select p.oid::regprocedure::text as signature from pg_proc p where p.pronamespace = 'public'::regnamespace and p.proname like 'act\\_%'`,
      )
    ).rows.map((row) => row.signature);
    expect(functions.length).toBeGreaterThan(10);
    for (const signature of functions) {
      expect(await check(`select has_function_privilege('anon', '${signature}', 'execute') as ok`), signature).toBe(
        false,
      );
      expect(
        await check(`select has_function_privilege('authenticated', '${signature}', 'execute') as ok`),
        signature,
      ).toBe(false);
      expect(
        await check(`select has_function_privilege('service_role', '${signature}', 'execute') as ok`),
        signature,
      ).toBe(true);
    }
    // The owner keeps working.
    expect(await state.store.listDeliveries({})).toEqual([]);
    await state.close();
  });
});
