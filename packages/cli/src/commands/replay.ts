import { parseArgs } from 'node:util';
import type { ReplaySelectorV1 } from '@act/core';
import { appReplay } from '../cli-app';
import { type CliIo, EXIT, line, usageError } from '../cli-io';
import { SOURCES } from '../cli-sources';
import { STATE_OPTIONS, withState } from '../cli-state';

export const REPLAY_USAGE = `Usage: act replay --id <id>... | --from <iso> [--to <iso>] | --tenant <id>  [--source <id>] [--include-done]

Puts dead letters back in the queue (pending, due now, attempts reset; their
attempt history is kept); a running worker applies them again. Exactly-once in
effect: writes are idempotent and version-guarded. Filters combine (AND).

  --id <id>          a delivery id (repeat for several)
  --from <iso>       received at or after (e.g. 2026-05-01T00:00:00Z)
  --to <iso>         received before
  --tenant <id>      one tenant (the provider's account: ${SOURCES.map((source) => source.entry.tenantDescription ?? source.id).join(', ')})
  --source <id>      one source (${SOURCES.map((source) => source.id).join(', ')})
  --include-done     also re-run deliveries that completed (status done)
  --app <url>        replay --id through a running app (the demo's dashboard)
                     instead of opening the database (token: ACT_DASHBOARD_TOKEN)`;

const OPTIONS = {
  ...STATE_OPTIONS,
  id: { type: 'string', multiple: true },
  from: { type: 'string' },
  to: { type: 'string' },
  tenant: { type: 'string' },
  source: { type: 'string' },
  'include-done': { type: 'boolean' },
  app: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function instant(value: string, flag: string): Date {
  const date = new Date(value);
  if (!Number.isFinite(date.getTime())) throw usageError(`${flag} is not a date: ${JSON.stringify(value)}`);
  return date;
}

export async function replay(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true });
  if (values.help) {
    line(io.stdout, REPLAY_USAGE);
    return EXIT.ok;
  }
  const selector: ReplaySelectorV1 = {
    ...(values.id?.length ? { ids: values.id } : {}),
    ...(values.from ? { from: instant(values.from, '--from') } : {}),
    ...(values.to ? { to: instant(values.to, '--to') } : {}),
    ...(values.tenant ? { tenant: values.tenant } : {}),
    ...(values.source ? { source: values.source } : {}),
    ...(values['include-done'] ? { statuses: ['dead', 'done'] as const } : {}),
  };
  if (!selector.ids && !selector.from && !selector.to && !selector.tenant) {
    throw usageError(
      `replay needs --id, --from/--to or --tenant (replaying everything is not a default)\n\n${REPLAY_USAGE}`,
    );
  }
  if (values.app !== undefined) {
    if (!selector.ids || selector.from || selector.to || selector.tenant || values['include-done']) {
      throw usageError('replay --app takes --id only (the app replays dead letters one by one)');
    }
    return appReplay(io, values.app, selector.ids);
  }
  return withState(values, io, async (state) => {
    const count = await state.store.replay(selector);
    const what = values['include-done'] ? 'delivery(ies)' : 'dead letter(s)';
    line(
      io.stdout,
      `replayed ${count} ${what}${count > 0 ? ': back in the queue, a running worker applies them' : ''}`,
    );
    return EXIT.ok;
  });
}
