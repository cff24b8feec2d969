import { ConfigurationError } from '../errors';
import type { OutboxDispatcher } from '../outbox/dispatcher';
import type { Scheduler } from './create-scheduler';

const PACKAGE_NAME = '@act/core';
/** Shorter secrets are guessable; the route runs the app's sync work. */
const MIN_SECRET_LENGTH = 16;

export interface TickHandlerOptions {
  scheduler: Pick<Scheduler, 'tick'>;
  /**
   * The bearer token a caller must send (`Authorization: Bearer <secret>`),
   * at least 16 characters (`openssl rand -hex 32` makes a good one): the
   * route runs the app's sync work, so a guessable secret is refused.
   * Several are accepted while a secret is rotated: add the new one, switch
   * the cron, then drop the old one.
   */
  secret: string | readonly string[];
  /** Passed to `tick` (default: the scheduler's own, 25 s). */
  maxDurationMs?: number;
  /**
   * The outbox dispatcher (`act.outbox`), drained after the scheduler's round
   * within what is left of `maxDurationMs` (at least 5 s), so a host without
   * a long-running process still delivers forwards and write-backs.
   */
  outbox?: Pick<OutboxDispatcher, 'drain'>;
}

/**
 * A web-standard handler that runs one scheduler round per call, for a cron
 * (Vercel Cron, Supabase `pg_cron` + `pg_net`, Cloud Scheduler) where no
 * process stays up to run `start()`. POST only, with the secret as a bearer
 * token; answers 200 with what ran (`{ leader, ran: [...] }`, and
 * `outbox: { claimed, outcomes }` when it drains an outbox).
 *
 * @throws ConfigurationError without a secret, or with one shorter than 16 characters.
 */
export function createTickHandler(options: TickHandlerOptions): (request: Request) => Promise<Response> {
  const secrets = (typeof options.secret === 'string' ? [options.secret] : [...(options.secret ?? [])]).filter(
    (secret) => typeof secret === 'string' && secret !== '',
  );
  if (secrets.length === 0) {
    throw new ConfigurationError({
      packageName: PACKAGE_NAME,
      message: 'createTickHandler: secret must be a non-empty string (or several, while rotating)',
    });
  }
  if (secrets.some((secret) => secret.length < MIN_SECRET_LENGTH)) {
    throw new ConfigurationError({
      packageName: PACKAGE_NAME,
      message: `createTickHandler: a tick secret must be at least ${MIN_SECRET_LENGTH} characters (make one with \`openssl rand -hex 32\`)`,
    });
  }
  const expected = Promise.all(secrets.map(digest));

  return async (request) => {
    if (request.method !== 'POST') {
      return Response.json(
        { error: `[${PACKAGE_NAME}] the tick route only accepts POST` },
        { status: 405, headers: { allow: 'POST' } },
      );
    }
    const header = request.headers.get('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    // Compared as SHA-256 digests, byte by byte over all of them, so the time
    // taken says nothing about how much of a secret was right.
    const given = await digest(match?.[1] ?? '');
    let valid = false;
    for (const candidate of await expected) valid = equal(candidate, given) || valid;
    if (!match || !valid) {
      return Response.json(
        {
          error: `[${PACKAGE_NAME}] the tick route needs "Authorization: Bearer <secret>" with the configured tick secret`,
        },
        { status: 401, headers: { 'www-authenticate': 'Bearer' } },
      );
    }
    const started = Date.now();
    const result = await options.scheduler.tick({
      ...(options.maxDurationMs !== undefined ? { maxDurationMs: options.maxDurationMs } : {}),
      signal: request.signal,
    });
    if (!options.outbox) return Response.json(result, { status: 200 });
    const budget = (options.maxDurationMs ?? 25_000) - (Date.now() - started);
    const outbox = await options.outbox.drain({ maxRounds: 50, maxDurationMs: Math.max(5_000, budget) });
    return Response.json({ ...result, outbox }, { status: 200 });
  };
}

async function digest(value: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)));
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let index = 0; index < a.length; index++) difference |= (a[index] ?? 0) ^ (b[index] ?? 0);
  return difference === 0;
}
