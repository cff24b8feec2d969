// GET or POST /api/act/tick: one round of the scheduler (pollers,
// reconciliation, token refresh, retention: whatever is due), then the
// inbox and the outbox drained, for hosts without a long-running process.
//
// Called by a cron with `Authorization: Bearer <secret>`: Vercel Cron sends a
// GET with `Bearer $CRON_SECRET` (vercel.json in the README); Supabase pg_cron
// (`act_schedule_tick`), GitHub Actions or any other cron POST with
// `Bearer $ACT_TICK_SECRET`. A self-hosted `next start` does not need it:
// instrumentation.ts runs the scheduler's loop and the worker in the process.
//
// A route of its own rather than createAct's `tick` option (which would mount
// POST /api/webhooks/_act/tick on the webhook route): Vercel Cron only sends
// GET, and a serverless round must drain the inbox too, since webhook
// deliveries reach the mirror only through the worker.
import { createTickHandler, createWorker } from '@act/core';
import { getAct } from '../../../../lib/act';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
export const maxDuration = 60;

export const GET = tick;
export const POST = tick;

async function tick(request: Request): Promise<Response> {
  const secrets = [process.env.ACT_TICK_SECRET, process.env.CRON_SECRET]
    .map((secret) => secret?.trim() ?? '')
    .filter((secret) => secret !== '');
  // Fail closed: without a configured secret the route runs nothing for anyone.
  if (secrets.length === 0) {
    return Response.json({ error: 'the tick route is off: set ACT_TICK_SECRET (or CRON_SECRET)' }, { status: 401 });
  }
  const { act, state, logger } = getAct();
  // Checks the bearer in constant time against each secret and runs one
  // scheduler round; it answers POST only, so a cron's GET is passed on as one.
  // 30 s for the round leaves the drain half of maxDuration.
  const handler = createTickHandler({ scheduler: act.scheduler, secret: secrets, maxDurationMs: 30_000 });
  const answer = await handler(
    new Request(request.url, { method: 'POST', headers: request.headers, signal: request.signal }),
  );
  if (!answer.ok) return answer;
  const round = (await answer.json()) as Record<string, unknown>;
  // A worker of its own, not the one instrumentation.ts may have started: drain() here must not race its rounds.
  // With the sync store it registers the tenants it applies deliveries for, as act.worker does.
  const worker = createWorker({
    connectors: act.connectors,
    store: state.store,
    sink: state.sink,
    sync: state.sync,
    // Forwards what it applies to act's outbox destinations, as act.worker does.
    outbox: { destinations: act.outbox.destinations, store: act.outbox.store },
    logger,
  });
  // Bounded so the invocation ends within maxDuration; the next run picks up the rest.
  const drained = await worker.drain({ maxRounds: 20 });
  // Then the outbox (forwards, write-backs) the drain and the round filled, within what is left of maxDuration.
  // Its messages are leased: a dispatcher instrumentation.ts started may run beside it safely.
  const outbox = await act.outbox.drain({ maxRounds: 20, maxDurationMs: 10_000 });
  return Response.json({ ...round, drained, outbox });
}
