// Everything the receive path and the worker share, built once per server process.
//
// Route handlers and instrumentation.ts are bundled separately by Next, so a
// plain module-level `const` could be evaluated twice (and `next dev` re-runs
// modules on every edit). Keeping the instance on globalThis gives one
// Postgres pool and one set of connectors per process.
//
// Nothing here runs at import time: `next build` imports route modules to read
// their config, and the settings below throw when a variable is missing.

import { createGhlConnector, loadGhlSettings } from '@act/connector-ghl';
import { createXeroConnector, loadXeroSettings } from '@act/connector-xero';
import { createAct, createConsoleLogger } from '@act/core';
import { createPostgresState } from '@act/sink-supabase';

function build(env: Readonly<Record<string, string | undefined>> = process.env) {
  const databaseUrl = env.DATABASE_URL?.trim();
  if (!databaseUrl) throw new Error('DATABASE_URL is not set (a Postgres connection string, e.g. Supabase)');

  const logger = createConsoleLogger({ level: 'warn' });
  // node-postgres; on the edge runtime use the supabase-js driver instead:
  // createPostgresState({ supabaseUrl: env.SUPABASE_URL, supabaseKey: env.SUPABASE_SERVICE_ROLE_KEY }).
  const state = createPostgresState(
    { connectionString: databaseUrl },
    // ACT_CREDENTIALS_KEY encrypts the OAuth tokens in act_credentials when set.
    { schema: env.ACT_SCHEMA?.trim() || 'public', credentialsKey: env.ACT_CREDENTIALS_KEY ?? '' },
  );
  // Each connector gets the state's credential and rate-limit stores and the logger.
  // One web-standard handler for every source: POST /api/webhooks/<source>[/<processor>].
  const act = createAct({
    state,
    logger,
    connectors: [
      (context) => createGhlConnector(loadGhlSettings(env, context)),
      (context) => createXeroConnector(loadXeroSettings(env, context)),
    ],
    prefix: '/api/webhooks',
    worker: { idleDelayMs: 500 },
  });
  return { state, act, logger };
}

export type Act = ReturnType<typeof build>;

const cache = globalThis as typeof globalThis & { __act?: Act };

/** The process's single instance, created on first use. */
export function getAct(): Act {
  cache.__act ??= build();
  return cache.__act;
}
