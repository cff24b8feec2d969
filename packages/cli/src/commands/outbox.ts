// `act outbox`: what leaves the mirror (forwards, write-backs), per
// destination: depth and failures, the messages, and replaying dead ones.
import { parseArgs } from 'node:util';
import type { OutboxMessageV1, OutboxReplaySelectorV1, OutboxStatsV1, OutboxStatusV1 } from '@act/core';
import { appOutbox, appOutboxReplay } from '../cli-app';
import { type CliIo, EXIT, formatDuration, formatTable, line, usageError } from '../cli-io';
import { assessOutbox, OUTBOX_WAIT_TARGET_MS, withOutbox } from '../cli-outbox';
import { STATE_OPTIONS } from '../cli-state';
import { when } from '../cli-sync';

const STATUSES: readonly OutboxStatusV1[] = ['pending', 'processing', 'done', 'dead'];

export const OUTBOX_USAGE = `Usage: act outbox [--json] [--app <url>]
       act outbox list [--destination <name>] [--status <status>] [--tenant <id>] [--limit <n>] [--json]
       act outbox replay <id>... [--app <url>] | --destination <name> [--from <iso>] [--to <iso>] [--tenant <id>] [--include-done]

The outbox holds what leaves the mirror (a forward to another service, a
write-back to the provider such as ghl:contacts), delivered at least once by
the worker, retried, and dead-lettered when it keeps failing.

  (no subcommand)  per destination: messages pending, processing and dead,
                   how long the oldest waiting one has waited, the last error
                   and the last delivery; status red when one has waited over
                   ${formatDuration(OUTBOX_WAIT_TARGET_MS)} (nothing delivers it), amber past half of that or with
                   dead messages (exit code 1 when any is red)
  list             the messages, newest first (100 unless --limit): id,
                   destination, status, attempts, created, next attempt, tenant,
                   key, last error
    --destination <name>  one destination
    --status <status>     ${STATUSES.join(', ')}
    --tenant <id>         one tenant
    --limit <n>           most messages
  replay           puts messages back in the queue (pending, due now; attempts
                   continue their count): the dead ones given by id, or those of
                   a destination, optionally created in [--from, --to) or for one
                   tenant; a running worker delivers them
    --include-done        also send again messages already delivered (done)

  --json           print { "destinations": [...] }, { "messages": [...] } or { "replayed": n }
  --app <url>      the stats, or replay by id, through a running app (the demo's
                   dashboard) instead of opening the database (token: ACT_DASHBOARD_TOKEN)`;

const OPTIONS = {
  ...STATE_OPTIONS,
  destination: { type: 'string' },
  status: { type: 'string' },
  tenant: { type: 'string' },
  limit: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'include-done': { type: 'boolean' },
  json: { type: 'boolean' },
  app: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const parse = (args: string[]) => parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
type Values = ReturnType<typeof parse>['values'];

const iso = (date: Date | undefined) => date?.toISOString() ?? null;

const messageJson = (message: OutboxMessageV1) => ({
  id: message.id,
  destination: message.destination,
  key: message.key,
  status: message.status,
  attempts: message.attempts,
  source: message.source ?? null,
  tenant: message.tenant ?? null,
  deliveryId: message.deliveryId ?? null,
  correlationId: message.correlationId ?? null,
  createdAt: message.createdAt.toISOString(),
  availableAt: message.availableAt.toISOString(),
  doneAt: iso(message.doneAt),
  lastError: message.lastError ?? null,
  lastErrorClass: message.lastErrorClass ?? null,
  result: message.result ?? null,
});

function instant(value: string, flag: string): Date {
  const date = new Date(value);
  if (!Number.isFinite(date.getTime())) throw usageError(`${flag} is not a date: ${JSON.stringify(value)}`);
  return date;
}

/** Only the flags the subcommand takes. */
function only(values: Values, subcommand: string, allowed: readonly (keyof Values)[]): void {
  const given = (Object.keys(values) as (keyof Values)[]).filter(
    (name) => values[name] !== undefined && !allowed.includes(name) && !(name in STATE_OPTIONS) && name !== 'help',
  );
  if (given.length > 0) {
    throw usageError(`${given.map((name) => `--${name}`).join(', ')} not taken by act outbox${subcommand}`);
  }
}

export async function outbox(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args);
  if (values.help) {
    line(io.stdout, OUTBOX_USAGE);
    return EXIT.ok;
  }
  const [subcommand, ...rest] = positionals;
  if (subcommand === undefined) {
    only(values, '', ['json', 'app']);
    if (values.app !== undefined) return appOutbox(io, values.app, values.json === true);
    return stats(values, io);
  }
  if (subcommand === 'list') {
    if (rest.length > 0) throw usageError(`outbox list takes no arguments, got ${JSON.stringify(rest)}`);
    only(values, ' list', ['destination', 'status', 'tenant', 'limit', 'json']);
    return list(values, io);
  }
  if (subcommand === 'replay') {
    only(values, ' replay', ['destination', 'tenant', 'from', 'to', 'include-done', 'json', 'app']);
    if (values.app !== undefined) {
      if (rest.length === 0 || values.destination !== undefined || values.tenant !== undefined) {
        throw usageError('outbox replay --app takes message ids only (the app replays dead messages one by one)');
      }
      if (values.from !== undefined || values.to !== undefined || values['include-done'] || values.json) {
        throw usageError('outbox replay --app takes message ids only (the app replays dead messages one by one)');
      }
      return appOutboxReplay(io, values.app, rest);
    }
    return replay(values, rest, io);
  }
  throw usageError(`unknown subcommand "${subcommand}" (list or replay)\n\n${OUTBOX_USAGE}`);
}

async function stats(values: Values, io: CliIo): Promise<number> {
  return withOutbox(values, io, async (store, description) => {
    const now = new Date();
    const rows = (await store.stats({ now })).map((row) => ({ row, assessment: assessOutbox(row, now) }));
    if (values.json) {
      line(
        io.stdout,
        JSON.stringify(
          {
            destinations: rows.map(({ row, assessment }) => ({
              destination: row.destination,
              pending: row.pending,
              processing: row.processing,
              dead: row.dead,
              oldestWaitingAt: iso(row.oldestWaitingAt),
              waitMs: assessment.waitMs,
              targetMs: OUTBOX_WAIT_TARGET_MS,
              status: assessment.status,
              reason: assessment.reason ?? null,
              lastError: row.lastError ?? null,
              lastErrorAt: iso(row.lastErrorAt),
              lastDoneAt: iso(row.lastDoneAt),
            })),
          },
          null,
          2,
        ),
      );
    } else if (rows.length === 0) {
      line(io.stdout, `${description}: no outbox messages yet`);
    } else {
      line(
        io.stdout,
        outboxTable(
          rows.map(({ row }) => row),
          now,
        ),
      );
    }
    const red = rows.filter(({ assessment }) => assessment.status === 'red');
    if (red.length > 0) {
      line(
        io.stderr,
        `[@act/cli] ${red.length} destination(s) with messages waiting over ${formatDuration(OUTBOX_WAIT_TARGET_MS)}: is a worker delivering the outbox?`,
      );
      return EXIT.failed;
    }
    return EXIT.ok;
  });
}

/** The per-destination table, for `act outbox` and `act health`. */
export function outboxTable(rows: readonly OutboxStatsV1[], now: Date): string {
  return formatTable(
    ['destination', 'pending', 'processing', 'dead', 'oldest waiting', 'last error', 'last delivered', 'status'],
    rows.map((row) => {
      const assessment = assessOutbox(row, now);
      return [
        row.destination,
        String(row.pending),
        String(row.processing),
        String(row.dead),
        row.oldestWaitingAt ? formatDuration(assessment.waitMs) : '-',
        row.lastError ? `${when(row.lastErrorAt)} ${row.lastError}` : '-',
        when(row.lastDoneAt),
        `${assessment.status}${assessment.reason ? ` (${assessment.reason})` : ''}`,
      ];
    }),
  );
}

async function list(values: Values, io: CliIo): Promise<number> {
  const status = values.status;
  if (status !== undefined && !STATUSES.includes(status as OutboxStatusV1)) {
    throw usageError(`--status must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
  }
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    throw usageError(`--limit must be a positive whole number, got ${JSON.stringify(values.limit)}`);
  }
  return withOutbox(values, io, async (store, description) => {
    const found = await store.list({
      ...(values.destination !== undefined ? { destination: values.destination } : {}),
      ...(status !== undefined ? { status: status as OutboxStatusV1 } : {}),
      ...(values.tenant !== undefined ? { tenant: values.tenant } : {}),
      limit,
    });
    if (values.json) {
      line(io.stdout, JSON.stringify({ messages: found.map(messageJson) }, null, 2));
      return EXIT.ok;
    }
    if (found.length === 0) {
      const filtered = values.destination !== undefined || status !== undefined || values.tenant !== undefined;
      line(io.stdout, `${description}: no outbox messages${filtered ? ' match' : ' yet'}`);
      return EXIT.ok;
    }
    line(
      io.stdout,
      formatTable(
        ['id', 'destination', 'status', 'attempts', 'created', 'next attempt', 'tenant', 'key', 'last error'],
        found.map((message) => [
          message.id,
          message.destination,
          message.status,
          String(message.attempts),
          when(message.createdAt),
          message.status === 'pending' || message.status === 'processing' ? when(message.availableAt) : '-',
          message.tenant ?? '-',
          message.key,
          message.lastError
            ? `${message.lastErrorClass ? `${message.lastErrorClass}: ` : ''}${message.lastError}`
            : message.result
              ? `(result ${JSON.stringify(message.result)})`
              : '-',
        ]),
      ),
    );
    return EXIT.ok;
  });
}

async function replay(values: Values, ids: readonly string[], io: CliIo): Promise<number> {
  const selector: OutboxReplaySelectorV1 = {
    ...(ids.length > 0 ? { ids } : {}),
    ...(values.destination !== undefined ? { destination: values.destination } : {}),
    ...(values.tenant !== undefined ? { tenant: values.tenant } : {}),
    ...(values.from !== undefined ? { from: instant(values.from, '--from') } : {}),
    ...(values.to !== undefined ? { to: instant(values.to, '--to') } : {}),
    ...(values['include-done'] ? { statuses: ['dead', 'done'] as const } : {}),
  };
  if (!selector.ids && !selector.destination) {
    throw usageError(
      `outbox replay needs message ids or --destination (replaying everything is not a default)\n\n${OUTBOX_USAGE}`,
    );
  }
  return withOutbox(values, io, async (store) => {
    const replayed = await store.replay(selector);
    if (values.json) {
      line(io.stdout, JSON.stringify({ replayed }, null, 2));
      return EXIT.ok;
    }
    const what = values['include-done'] ? 'message(s)' : 'dead message(s)';
    line(
      io.stdout,
      `replayed ${replayed} ${what}${replayed > 0 ? ': back in the queue, a running worker delivers them' : ''}`,
    );
    return EXIT.ok;
  });
}
