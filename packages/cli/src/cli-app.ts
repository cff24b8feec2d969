import { CliError, type CliIo, EXIT, formatDuration, formatTable, line } from './cli-io';

/**
 * `--app <url>`: reach a running app through its authenticated admin routes
 * (the demo's dashboard: `GET /dashboard/health`,
 * `POST /dashboard/dead-letters/<id>/replay`, `GET /dashboard/outbox`,
 * `POST /dashboard/outbox/<id>/replay`) instead of opening its
 * database. The way to use `act` beside an app on PGlite, whose data
 * directory belongs to that one process. The token comes from
 * `ACT_DASHBOARD_TOKEN` (never a flag: command lines are visible to every user).
 */
function appCall(io: CliIo, app: string, path: string, init: RequestInit = {}): Promise<Response> {
  const token = io.env.ACT_DASHBOARD_TOKEN?.trim();
  if (!token) throw new CliError('--app needs ACT_DASHBOARD_TOKEN (the token the app printed at start)');
  let url: URL;
  try {
    url = new URL(path, app);
  } catch {
    throw new CliError(`--app is not a URL: ${JSON.stringify(app)}`);
  }
  const fetcher = io.fetch ?? globalThis.fetch;
  return fetcher(url, {
    ...init,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(init.headers ?? {}) },
    ...(io.signal ? { signal: io.signal } : {}),
  });
}

async function answer(response: Response, what: string): Promise<Record<string, unknown>> {
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const why = typeof body.error === 'string' ? body.error : response.statusText;
    throw new CliError(`${what}: the app answered ${response.status} (${why})`, EXIT.failed);
  }
  return body;
}

interface AppRow {
  source: string;
  tenant: string | null;
  status: string;
  reason?: string;
  pending: number;
  dead: number;
  lagMs: number;
  targetMs: number;
}

export async function appHealth(io: CliIo, app: string, json: boolean): Promise<number> {
  const view = await answer(await appCall(io, app, '/dashboard/health'), 'health');
  const rows = (view.rows ?? []) as AppRow[];
  const signals = (view.signals ?? []) as { status: string; source: string; tenant?: string; message?: string }[];
  const red = rows.some((row) => row.status === 'red') || signals.some((signal) => signal.status === 'red');
  if (json) {
    line(io.stdout, JSON.stringify({ sources: rows, signals }, null, 2));
  } else {
    line(
      io.stdout,
      formatTable(
        ['source', 'tenant', 'pending', 'dead', 'lag', 'target', 'status'],
        rows.map((row) => [
          row.source,
          row.tenant ?? '-',
          String(row.pending),
          String(row.dead),
          formatDuration(row.lagMs),
          formatDuration(row.targetMs),
          row.reason ? `${row.status} (${row.reason})` : row.status,
        ]),
      ),
    );
    for (const signal of signals) {
      line(
        io.stdout,
        `${signal.status}  ${signal.source}${signal.tenant ? `/${signal.tenant}` : ''}  ${signal.message ?? ''}`,
      );
    }
  }
  return red ? EXIT.failed : EXIT.ok;
}

export async function appReplay(io: CliIo, app: string, ids: readonly string[]): Promise<number> {
  let replayed = 0;
  for (const id of ids) {
    const response = await appCall(io, app, `/dashboard/dead-letters/${encodeURIComponent(id)}/replay`, {
      method: 'POST',
      headers: { 'x-act-dashboard': 'replay' },
    });
    replayed += Number((await answer(response, `replay ${id}`)).replayed ?? 0);
  }
  line(
    io.stdout,
    `replayed ${replayed} dead letter(s) through ${app}${replayed > 0 ? ': its worker applies them' : ''}`,
  );
  return EXIT.ok;
}

interface AppOutboxRow {
  destination: string;
  pending: number;
  processing: number;
  dead: number;
  oldestWaitingAgeMs: number | null;
  status: string;
  reason: string | null;
  lastError: string | null;
}

/** `act outbox --app`: the app's `GET /dashboard/outbox`, as `act outbox` prints it. */
export async function appOutbox(io: CliIo, app: string, json: boolean): Promise<number> {
  const view = await answer(await appCall(io, app, '/dashboard/outbox'), 'outbox');
  if (view.enabled === false) {
    throw new CliError(`the app at ${app} shows no outbox (its dashboard was not given one)`, EXIT.failed);
  }
  const rows = (view.destinations ?? []) as AppOutboxRow[];
  if (json) {
    line(io.stdout, JSON.stringify({ destinations: rows, dead: view.dead ?? [] }, null, 2));
  } else if (rows.length === 0) {
    line(io.stdout, `${app}: no outbox messages yet`);
  } else {
    line(
      io.stdout,
      formatTable(
        ['destination', 'pending', 'processing', 'dead', 'oldest waiting', 'last error', 'status'],
        rows.map((row) => [
          row.destination,
          String(row.pending),
          String(row.processing),
          String(row.dead),
          row.oldestWaitingAgeMs === null ? '-' : formatDuration(row.oldestWaitingAgeMs),
          row.lastError ?? '-',
          row.reason ? `${row.status} (${row.reason})` : row.status,
        ]),
      ),
    );
  }
  return rows.some((row) => row.status === 'red') ? EXIT.failed : EXIT.ok;
}

/** `act outbox replay <id>… --app`: the app's `POST /dashboard/outbox/<id>/replay`, one message at a time. */
export async function appOutboxReplay(io: CliIo, app: string, ids: readonly string[]): Promise<number> {
  let replayed = 0;
  for (const id of ids) {
    const response = await appCall(io, app, `/dashboard/outbox/${encodeURIComponent(id)}/replay`, {
      method: 'POST',
      headers: { 'x-act-dashboard': 'replay' },
    });
    replayed += Number((await answer(response, `outbox replay ${id}`)).replayed ?? 0);
  }
  line(
    io.stdout,
    `replayed ${replayed} dead message(s) through ${app}${replayed > 0 ? ': its outbox dispatcher delivers them' : ''}`,
  );
  return EXIT.ok;
}
