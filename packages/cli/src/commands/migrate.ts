import { parseArgs } from 'node:util';
import { type CliIo, EXIT, line } from '../cli-io';
import { SOURCES, sourceById } from '../cli-sources';
import { STATE_OPTIONS, withState } from '../cli-state';

export const MIGRATE_USAGE = `Usage: act migrate [--source <id>]... [--tenant-access] [--pglite <dir>] [--schema <name>]

Applies @act/sink-supabase's migrations (inbox, cursors, dead letters, …), then
the mirror tables of every known connector (ghl, xero), or only of --source.
Idempotent, and safe from several processes at once. Needs a SQL connection
(DATABASE_URL or --pglite): over supabase-js, PostgREST cannot run DDL.

  --tenant-access   also the optional tenant-access migration (Supabase), and open each connector's tables
                    to signed-in users per tenant (act_grant_tenant_access); without it they stay closed`;

const OPTIONS = {
  ...STATE_OPTIONS,
  source: { type: 'string', multiple: true },
  'tenant-access': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function migrate(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true });
  if (values.help) {
    line(io.stdout, MIGRATE_USAGE);
    return EXIT.ok;
  }
  const sources = values.source ? values.source.map((id) => sourceById(id, 'migrate')) : SOURCES;
  const connectors = sources.map((source) => source.receiver());
  return withState(values, io, async (state, description) => {
    // @act/sink-supabase's own migrate: the same code path as `act-sink-supabase migrate`.
    const result = await state.migrate({ connectors, ...(values['tenant-access'] ? { tenantAccess: true } : {}) });
    for (const name of result.applied) line(io.stdout, `applied  ${name}`);
    line(
      io.stdout,
      `${description}: ${result.applied.length} migration(s) applied, ${result.skipped.length} already applied (${sources.map((source) => source.id).join(', ')})`,
    );
    return EXIT.ok;
  });
}
