import { parseArgs } from 'node:util';
import type { DeliveryV1 } from '@act/core';
import { type CliIo, EXIT, formatTable, line, usageError } from '../cli-io';
import { SOURCES } from '../cli-sources';
import { STATE_OPTIONS, withState } from '../cli-state';

export const CONFLICTS_USAGE = `Usage: act conflicts [--source <id>] [--tenant <id>] [--limit <n>] [--json]

Lists conflicting redeliveries, newest first: deliveries that came with the
delivery id (dedupe key) of a delivery already stored but with a different
body. Each is kept as a delivery of its own ("of" names the first one) and
processed like any other: its records are applied only where their version is
newer than the mirror's, so "done" means processed, not necessarily applied.
Nothing is dropped; act health counts them per source and tenant.

  --source <id>      one source (${SOURCES.map((source) => source.id).join(', ')})
  --tenant <id>      one tenant (the provider's account: ${SOURCES.map((source) => source.entry.tenantDescription ?? source.id).join(', ')})
  --limit <n>        most rows (default 50)
  --json             print { "conflicts": [...] }`;

const OPTIONS = {
  ...STATE_OPTIONS,
  source: { type: 'string' },
  tenant: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const toJson = (delivery: DeliveryV1) => ({
  id: delivery.id,
  conflictOf: delivery.conflictOf ?? null,
  source: delivery.source,
  tenant: delivery.tenant,
  status: delivery.status,
  eventTypes: delivery.eventTypes,
  receivedAt: delivery.receivedAt.toISOString(),
  dedupeKey: delivery.dedupeKey,
  correlationId: delivery.correlationId,
  lastError: delivery.lastError,
});

export async function conflicts(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true });
  if (values.help) {
    line(io.stdout, CONFLICTS_USAGE);
    return EXIT.ok;
  }
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    throw usageError(`--limit must be a positive whole number, got ${JSON.stringify(values.limit)}`);
  }
  return withState(values, io, async (state, description) => {
    const found = await state.store.listDeliveries({
      conflicts: true,
      ...(values.source ? { source: values.source } : {}),
      ...(values.tenant ? { tenant: values.tenant } : {}),
      limit,
    });
    if (values.json) {
      line(io.stdout, JSON.stringify({ conflicts: found.map(toJson) }, null, 2));
      return EXIT.ok;
    }
    if (found.length === 0) {
      line(io.stdout, `${description}: no conflicting redeliveries`);
      return EXIT.ok;
    }
    line(
      io.stdout,
      formatTable(
        ['id', 'of', 'source', 'tenant', 'status', 'received', 'events'],
        found.map((delivery) => [
          delivery.id,
          delivery.conflictOf ?? '-',
          delivery.source,
          delivery.tenant,
          delivery.status,
          delivery.receivedAt.toISOString(),
          delivery.eventTypes.join(', '),
        ]),
      ),
    );
    return EXIT.ok;
  });
}
