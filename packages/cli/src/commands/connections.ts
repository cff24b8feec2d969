// `act connections`: the tenants the sync engine keeps in step (the state's
// SyncStoreV1 registry), and connecting or disconnecting one by hand.
import { parseArgs } from 'node:util';
import type { ConnectionStatusV1, ConnectionV1 } from '@act/core';
import { CliError, type CliIo, EXIT, formatTable, line, usageError } from '../cli-io';
import { SOURCES } from '../cli-sources';
import { STATE_OPTIONS } from '../cli-state';
import { when, withSyncStore } from '../cli-sync';

export const CONNECTIONS_USAGE = `Usage: act connections [--source <id>] [--status <status>] [--json]
       act connections connect <source> <tenant> [--name <name>] [--json]
       act connections disconnect <source> <tenant> [--reason <why>] [--json]

The tenants the sync engine keeps in step (a provider's account: ${SOURCES.map((source) => source.entry.tenantDescription ?? source.id).join(', ')}),
from the state's sync store.

  (no subcommand)  lists them by source and tenant: name, status (active,
                   reconnect_required: a person must reconnect it, its jobs
                   pause; disconnected: data kept, no sync), when first
                   connected, and why it is not active
    --source <id>      one source
    --status <status>  active, reconnect_required or disconnected
  connect          adds the tenant, or reactivates it when it was
                   disconnected or needed reconnecting (first connected time
                   and settings are kept); the scheduler plans its jobs
    --name <name>      its name for people (kept when not given)
  disconnect       marks it disconnected: no more sync, its mirror rows and
                   cursors are kept (connect resumes from them); exit 1 for a
                   tenant never connected
    --reason <why>     recorded as the reason (default: manual)

  --json           print { "connections": [...] } or { "change", "connection" }`;

const OPTIONS = {
  ...STATE_OPTIONS,
  source: { type: 'string' },
  status: { type: 'string' },
  name: { type: 'string' },
  reason: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const STATUSES: readonly ConnectionStatusV1[] = ['active', 'reconnect_required', 'disconnected'];

const toJson = (connection: ConnectionV1) => ({
  source: connection.source,
  tenant: connection.tenant,
  displayName: connection.displayName,
  status: connection.status,
  statusReason: connection.statusReason,
  connectedAt: connection.connectedAt.toISOString(),
  disconnectedAt: connection.disconnectedAt?.toISOString() ?? null,
  updatedAt: connection.updatedAt.toISOString(),
  settings: connection.settings,
});

const label = (connection: ConnectionV1) =>
  `${connection.source} ${connection.tenant}${connection.displayName ? ` (${connection.displayName})` : ''}`;

export async function connections(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args);
  if (values.help) {
    line(io.stdout, CONNECTIONS_USAGE);
    return EXIT.ok;
  }
  const [subcommand, ...rest] = positionals;
  if (subcommand === undefined) return list(values, io);
  if (subcommand !== 'connect' && subcommand !== 'disconnect') {
    throw usageError(`unknown subcommand "${subcommand}" (connect or disconnect)\n\n${CONNECTIONS_USAGE}`);
  }
  const [source, tenant, ...extra] = rest;
  if (!source?.trim() || !tenant?.trim() || extra.length > 0) {
    throw usageError(`connections ${subcommand} needs <source> <tenant>, got ${JSON.stringify(rest)}`);
  }
  if (values.source !== undefined || values.status !== undefined) {
    throw usageError(`--source and --status filter the list; connections ${subcommand} takes <source> <tenant>`);
  }
  if (subcommand === 'connect') {
    if (values.reason !== undefined) throw usageError('--reason is for connections disconnect');
    return connect(values, io, source, tenant);
  }
  if (values.name !== undefined) throw usageError('--name is for connections connect');
  return disconnect(values, io, source, tenant);
}

const parse = (args: string[]) => parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
type Values = ReturnType<typeof parse>['values'];

async function list(values: Values, io: CliIo): Promise<number> {
  if (values.name !== undefined || values.reason !== undefined) {
    throw usageError('--name is for connections connect, --reason for connections disconnect');
  }
  const status = values.status;
  if (status !== undefined && !STATUSES.includes(status as ConnectionStatusV1)) {
    throw usageError(`--status must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
  }
  return withSyncStore(values, io, async (sync, description) => {
    const found = await sync.listConnections({
      ...(values.source ? { source: values.source } : {}),
      ...(status ? { status: status as ConnectionStatusV1 } : {}),
    });
    if (values.json) {
      line(io.stdout, JSON.stringify({ connections: found.map(toJson) }, null, 2));
      return EXIT.ok;
    }
    if (found.length === 0) {
      line(io.stdout, `${description}: no connections${values.source || status ? ' match' : ' yet'}`);
      return EXIT.ok;
    }
    line(
      io.stdout,
      formatTable(
        ['source', 'tenant', 'name', 'status', 'connected at', 'reason'],
        found.map((connection) => [
          connection.source,
          connection.tenant,
          connection.displayName ?? '-',
          connection.status,
          when(connection.connectedAt),
          connection.statusReason ?? '-',
        ]),
      ),
    );
    return EXIT.ok;
  });
}

async function connect(values: Values, io: CliIo, source: string, tenant: string): Promise<number> {
  if (!SOURCES.some((known) => known.id === source)) {
    // Not refused: the app may run a connector this CLI cannot see (not an @act/connector-* package here).
    line(
      io.stderr,
      `[@act/cli] no installed connector has the source "${source}" (installed: ${SOURCES.map((known) => known.id).join(', ') || 'none'}); connecting it anyway`,
    );
  }
  return withSyncStore(values, io, async (sync) => {
    const { change, connection } = await sync.connect({
      source,
      tenant,
      ...(values.name !== undefined ? { displayName: values.name } : {}),
    });
    if (values.json) {
      line(io.stdout, JSON.stringify({ change, connection: toJson(connection) }, null, 2));
      return EXIT.ok;
    }
    const what = {
      added: 'connected',
      reactivated: 'reconnected (was disconnected or needed reconnecting)',
      unchanged: 'already connected',
    }[change];
    line(io.stdout, `${label(connection)}: ${what}, status ${connection.status}`);
    return EXIT.ok;
  });
}

async function disconnect(values: Values, io: CliIo, source: string, tenant: string): Promise<number> {
  return withSyncStore(values, io, async (sync) => {
    const before = await sync.getConnection({ source, tenant });
    if (!before) {
      throw new CliError(`${source} ${tenant} is not a known connection (act connections lists them)`, EXIT.failed);
    }
    const connection =
      before.status === 'disconnected'
        ? before
        : await sync.disconnect({
            source,
            tenant,
            reason: values.reason ?? 'manual',
          });
    if (!connection) throw new CliError(`${source} ${tenant} is not a known connection`, EXIT.failed);
    if (values.json) {
      const change = before.status === 'disconnected' ? 'unchanged' : 'disconnected';
      line(io.stdout, JSON.stringify({ change, connection: toJson(connection) }, null, 2));
      return EXIT.ok;
    }
    line(
      io.stdout,
      before.status === 'disconnected'
        ? `${label(connection)}: already disconnected (since ${when(connection.disconnectedAt)})`
        : `${label(connection)}: disconnected; its mirror rows and cursors are kept (act connections connect resumes it)`,
    );
    return EXIT.ok;
  });
}
