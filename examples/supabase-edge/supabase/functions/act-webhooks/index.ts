/**
 * Supabase Edge Function: GoHighLevel and Xero webhooks into your Supabase
 * Postgres.
 *
 *   POST /functions/v1/act-webhooks/ghl           GoHighLevel Marketplace webhooks
 *   POST /functions/v1/act-webhooks/ghl/workflow  GoHighLevel workflow webhooks (GHL_WORKFLOW_WEBHOOK_SECRET)
 *   POST /functions/v1/act-webhooks/xero          Xero webhooks (intent-to-receive included)
 *   POST /functions/v1/act-webhooks/_act/tick     one scheduler round, for pg_cron + pg_net
 *                                                 (Authorization: Bearer <ACT_TICK_SECRET>)
 *
 * Each delivery is verified and stored in the inbox (`act_deliveries`) before
 * it is answered; then, after the answer, the function drains the inbox into
 * the mirror tables (`ghl_contacts`, `xero_invoices`, …). Recurring work
 * (pollers, reconciliation, token refresh, retention) is the scheduler's:
 * no process stays up here, so the database calls the tick route every
 * minute (`act_schedule_tick`, see the README).
 *
 * Deploy: supabase functions deploy act-webhooks --no-verify-jwt
 * (providers sign with their own keys; they send no Supabase JWT).
 */
import { createGhlConnector, loadGhlSettings } from 'npm:@act/connector-ghl';
import { createXeroConnector, loadXeroSettings, type XeroConnector } from 'npm:@act/connector-xero';
import { createAct, createWorker } from 'npm:@act/core';
import { createPostgresState } from 'npm:@act/sink-supabase';
import { createClient } from 'npm:@supabase/supabase-js@2';

const env = Deno.env.toObject();

// Supabase injects SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY into every
// function. Every store call is one rpc to an act_ SQL function; the tables
// come from a migration run once beforehand (see the README: PostgREST
// cannot run DDL, so the function does not migrate).
const supabase = createClient(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY, {
  auth: { persistSession: false, autoRefreshToken: false },
});
const state = createPostgresState({ supabase });

// Keys and credentials from the function's secrets (supabase secrets set …);
// createAct hands each connector the state's credential and rate-limit stores.
// Hosted, the function sees /act-webhooks/<source>[/<processor>] (Supabase
// strips /functions/v1); any other path is a 404.
//
// GoHighLevel retries ONLY on 429: when the inbox cannot store a delivery the
// handler answers 429 (a 5xx would lose the event for good). Xero wants an
// empty body within 5 s, and 401 for the deliberately mis-signed requests of
// its intent-to-receive check: the handler answers exactly that. Keep anything
// that writes a body or cookies off these routes.
//
// The tick route is mounted only when ACT_TICK_SECRET is set: fail closed,
// without a secret nobody can make the function run jobs (the path is then
// a 404 like any unknown one).
const tickSecret = env.ACT_TICK_SECRET?.trim();
const act = createAct({
  state,
  connectors: [
    (context) => createGhlConnector(loadGhlSettings(env, context)),
    (context) => createXeroConnector(loadXeroSettings(env, context)),
  ],
  prefix: '/act-webhooks',
  ...(tickSecret ? { tick: { secret: tickSecret } } : {}),
});

// GoHighLevel deliveries carry the whole record; Xero's carry ids only, so
// applying them means fetching each record from Xero with the tenant's OAuth
// tokens: only with XERO_CLIENT_ID / XERO_CLIENT_SECRET set. Without them
// this worker leaves Xero deliveries in the inbox for a worker elsewhere
// (a worker claims only the sources it lists).
const xero = act.connectors.find((connector) => connector.source === 'xero') as XeroConnector;
const worker = xero.client
  ? act.worker
  : createWorker({
      connectors: act.connectors.filter((connector) => connector.source !== 'xero'),
      store: state.store,
      sink: state.sink,
      // Registers the tenants it applies deliveries for, so the scheduler syncs them.
      sync: state.sync,
      // Forwards what it applies to act's outbox destinations, as act.worker does.
      outbox: { destinations: act.outbox.destinations, store: act.outbox.store },
    });

// Supabase's EdgeRuntime.waitUntil keeps the function alive after the answer.
declare const EdgeRuntime: { waitUntil(promise: Promise<unknown>): void } | undefined;

Deno.serve(async (request) => {
  // A webhook is answered once stored; the tick route answers once its round
  // has run (a tick's poll jobs write the mirror directly).
  const response = await act.handler(request);
  if (response.ok) {
    // Answer first (providers and pg_net wait on it), then apply what is due:
    // webhook deliveries only reach the mirror through the worker, so a tick
    // drains too, and a quiet day's deliveries still get applied. A few
    // rounds at most: a backlog is for a long-lived worker, and anything
    // left is picked up by the next request (leases make overlapping drains safe).
    // Then the outbox (forwards, write-backs) the drain filled, on its own dispatcher's leases.
    const drained = worker
      .drain({ maxRounds: 5 })
      .catch((error) => console.error('[act-webhooks] worker:', error))
      .then(() => act.outbox.drain({ maxRounds: 5, maxDurationMs: 10_000 }))
      .catch((error) => console.error('[act-webhooks] outbox:', error));
    if (typeof EdgeRuntime !== 'undefined') EdgeRuntime.waitUntil(drained);
  }
  return response;
});
