// GET /api/act/drain: processes what is due in the inbox, then returns.
//
// For hosts without a long-running process (Vercel and other serverless
// platforms), where instrumentation.ts cannot keep a worker alive between
// requests: call this route from a scheduler (Vercel Cron sends
// `Authorization: Bearer $CRON_SECRET`). A self-hosted `next start` does not
// need it: the worker from instrumentation.ts already runs.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createWorker } from '@act/core';
import { getAct } from '../../../../lib/act';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
export const maxDuration = 60;

export async function GET(request: Request): Promise<Response> {
  const secret = process.env.CRON_SECRET?.trim();
  // Fail closed: without a configured secret the route does nothing for anyone.
  if (!secret || !sameSecret(request.headers.get('authorization') ?? '', `Bearer ${secret}`)) {
    return Response.json({ error: 'unauthorized' }, { status: 401 });
  }
  const { act, state, logger } = getAct();
  // A worker of its own, not the one instrumentation.ts may have started: drain() here must not race its rounds.
  const worker = createWorker({ connectors: act.connectors, store: state.store, sink: state.sink, logger });
  // Bounded so the invocation ends well within maxDuration; the next run picks up the rest.
  const result = await worker.drain({ maxRounds: 20 });
  return Response.json(result);
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
