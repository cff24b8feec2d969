import { parseArgs } from 'node:util';
import { runReconciliation } from '@act/core';
import { type CliIo, EXIT, formatTable, line, usageError } from '../cli-io';
import { sourceById } from '../cli-sources';
import { STATE_OPTIONS, withState } from '../cli-state';

export const RECONCILE_USAGE = `Usage: act reconcile <source> --tenant <id> [--table <name>]... [--max-delete-fraction <0..1>] [--json]

Compares the source's full listing with the mirror (@act/core runReconciliation)
and repairs the drift: applies missing and stale records, soft-deletes rows the
source no longer lists (only after a complete listing, and never more than
--max-delete-fraction of the tenant's rows, default 0.5). Prints the report.
Credentials as for act backfill.

  --table <name>     one mirror table (repeat for several): one of the connector's tables, <source>_<entity>`;

const OPTIONS = {
  ...STATE_OPTIONS,
  tenant: { type: 'string' },
  table: { type: 'string', multiple: true },
  'max-delete-fraction': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function reconcile(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    line(io.stdout, RECONCILE_USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw usageError(`unexpected argument "${positionals[1]}"`);
  const source = sourceById(positionals[0], 'reconcile');
  const tenant = values.tenant?.trim();
  if (!tenant) throw usageError(`reconcile needs --tenant <id>\n\n${RECONCILE_USAGE}`);
  let maxDeleteFraction: number | undefined;
  if (values['max-delete-fraction'] !== undefined) {
    maxDeleteFraction = Number(values['max-delete-fraction']);
    if (!(Number.isFinite(maxDeleteFraction) && maxDeleteFraction >= 0 && maxDeleteFraction <= 1)) {
      throw usageError(`--max-delete-fraction must be a number from 0 to 1, got ${values['max-delete-fraction']}`);
    }
  }

  return withState(values, io, async (state) => {
    const connector = source.withApi(io, {
      credentials: state.credentials,
      rateLimitStore: state.rateLimits,
      fetch: io.fetch ?? globalThis.fetch,
    });
    const available = connector.reconcilers ?? [];
    if (available.length === 0) throw usageError(`${source.id} has no reconcilers without API credentials`);
    const reconcilers = values.table
      ? values.table.map((table) => {
          const reconciler = available.find((candidate) => candidate.table === table);
          if (!reconciler) {
            throw usageError(
              `${source.id} has no table "${table}" (tables: ${available.map((r) => r.table).join(', ')})`,
            );
          }
          return reconciler;
        })
      : available;
    const reports = [];
    for (const reconciler of reconcilers) {
      line(io.stderr, `[act] reconciling ${reconciler.table} for ${tenant}…`);
      reports.push(
        ...(await runReconciliation({
          connector,
          reconciler,
          tenant,
          store: state.store,
          sink: state.sink,
          ...(maxDeleteFraction !== undefined ? { maxDeleteFraction } : {}),
          ...(io.signal ? { signal: io.signal } : {}),
        })),
      );
    }
    if (values.json) {
      line(io.stdout, JSON.stringify(reports, null, 2));
    } else {
      line(
        io.stdout,
        formatTable(
          ['table', 'tenant', 'listed', 'missing', 'stale', 'drifted', 'unchanged', 'deleted', 'deletes refused'],
          reports.map((report) => [
            report.table,
            report.tenant,
            String(report.listed),
            String(report.missing),
            String(report.stale),
            String(report.drifted),
            String(report.unchanged),
            String(report.deleted),
            String(report.deletesRefused),
          ]),
        ),
      );
    }
    const refused = reports.reduce((sum, report) => sum + report.deletesRefused, 0);
    if (refused > 0) {
      line(
        io.stderr,
        `[act] ${refused} delete(s) refused (over --max-delete-fraction): check the listing, then rerun with --max-delete-fraction 1 to apply them`,
      );
    }
    return EXIT.ok;
  });
}
