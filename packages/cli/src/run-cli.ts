import { CliError, type CliIo, EXIT, line, PACKAGE_NAME } from './cli-io';
import { BACKFILL_USAGE, backfill } from './commands/backfill';
import { CONFLICTS_USAGE, conflicts } from './commands/conflicts';
import { CONNECTIONS_USAGE, connections } from './commands/connections';
import { HEALTH_USAGE, health } from './commands/health';
import { JOBS_USAGE, jobs } from './commands/jobs';
import { MIGRATE_USAGE, migrate } from './commands/migrate';
import { OUTBOX_USAGE, outbox } from './commands/outbox';
import { RECONCILE_USAGE, reconcile } from './commands/reconcile';
import { REPLAY_USAGE, replay } from './commands/replay';
import { TRIGGER_USAGE, trigger } from './commands/trigger';
import { VERSION } from './version';

const COMMANDS: Record<string, { run: (args: string[], io: CliIo) => Promise<number>; usage: string }> = {
  migrate: { run: migrate, usage: MIGRATE_USAGE },
  trigger: { run: trigger, usage: TRIGGER_USAGE },
  backfill: { run: backfill, usage: BACKFILL_USAGE },
  replay: { run: replay, usage: REPLAY_USAGE },
  health: { run: health, usage: HEALTH_USAGE },
  conflicts: { run: conflicts, usage: CONFLICTS_USAGE },
  reconcile: { run: reconcile, usage: RECONCILE_USAGE },
  connections: { run: connections, usage: CONNECTIONS_USAGE },
  jobs: { run: jobs, usage: JOBS_USAGE },
  outbox: { run: outbox, usage: OUTBOX_USAGE },
};

export const USAGE = `act ${VERSION}: mirror SaaS tools into Postgres (@act connectors)

Usage: act <command> [options]        act <command> --help for its options

  migrate                              apply the state and mirror-table migrations
  trigger <source> <event> --to <url>  send a signed sample delivery to your endpoint
  backfill <source> --tenant <id>      poll everything into the mirror, resumable, with progress
  replay --id <id> | --from <iso> --to <iso> | --tenant <id>
                                       put dead letters back in the queue
  health [--json]                      freshness per source and tenant; exit 1 when one is red
  conflicts [--source <id>] [--tenant <id>]
                                       redeliveries with a known id and a different body
  reconcile <source> --tenant <id>     compare the source with the mirror and repair drift
  connections [connect|disconnect <source> <tenant>]
                                       the tenants the sync engine keeps in step; add or remove one
  jobs [--runs]                        the scheduler's jobs (next run, last outcome), or their recent runs
  outbox [list | replay <id>...]       what leaves the mirror, per destination: depth, failures, dead messages

Database (every command but trigger): --pglite <dir>, or DATABASE_URL, or
SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY, or ACT_DATA_DIR; --schema <name> (or ACT_SCHEMA).

Exit codes: 0 ok, 1 failed (red source, non-2xx answer, database or API error),
2 usage or configuration (names the missing variable), 130 interrupted.`;

/**
 * The whole CLI without process globals: tests run it in-process with their
 * own streams, environment and `fetch`. Resolves the exit code.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    line(command === undefined ? io.stderr : io.stdout, USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version' || command === '-v') {
    line(io.stdout, VERSION);
    return EXIT.ok;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    line(io.stderr, `[${PACKAGE_NAME}] unknown command "${command}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    return await entry.run(args, io);
  } catch (error) {
    const { message, exitCode } = describeError(error);
    line(io.stderr, message);
    return exitCode;
  }
}

function describeError(error: unknown): { message: string; exitCode: number } {
  if (!(error instanceof Error)) return { message: `[${PACKAGE_NAME}] ${String(error)}`, exitCode: EXIT.failed };
  const code = (error as { code?: unknown }).code;
  // CliError, and ConfigurationError from any @act package (compared by name: never instanceof across packages).
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error.name === 'ConfigurationError') return { message: prefixed(error.message), exitCode: EXIT.usage };
  // node:util parseArgs: unknown flag, missing value, …
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    return { message: `[${PACKAGE_NAME}] ${error.message} (see --help)`, exitCode: EXIT.usage };
  }
  return { message: prefixed(error.message), exitCode: EXIT.failed };
}

function prefixed(message: string): string {
  return message.startsWith('[') ? message : `[${PACKAGE_NAME}] ${message}`;
}
