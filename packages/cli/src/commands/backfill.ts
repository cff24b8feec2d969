import { parseArgs } from 'node:util';
import { type RunPollerResult, runPoller } from '@act/core';
import { type BackfillFigures, createApiMeter, createProgress } from '../backfill-progress';
import { type CliIo, EXIT, formatTable, line, usageError } from '../cli-io';
import { SOURCES, sourceById } from '../cli-sources';
import { STATE_OPTIONS, withState } from '../cli-state';

export const BACKFILL_USAGE = `Usage: act backfill <source> --tenant <id> [--stream <name>]... [--max-pages <n>]

Walks the connector's pollers (all streams, or --stream) page by page into the
mirror through @act/core's runPoller. Each page's cursor is saved with its rows,
so an interrupted backfill (Ctrl-C, a crash, --max-pages) resumes where it
stopped: run the same command again. A stream whose walk completed continues
incrementally (changes since). Progress on stderr: records, pages, rate-limit
waits and, when the API reports a total, an ETA.

  --tenant <id>      the tenant: ${SOURCES.map((source) => `${source.id} ${source.entry.tenantDescription ?? 'tenant id'}`).join('; ')}
  --stream <name>    one stream (repeat for several): ${SOURCES.map((source) => `${source.id} ${(source.entry.streams ?? ['(see the connector)']).join(', ')}`).join('; ')}
  --max-pages <n>    stop after n committed pages in all (a backfill in slices)

Credentials come from the connector's own variables (its README), with
OAuth tokens your app saved in act_credentials.`;

const OPTIONS = {
  ...STATE_OPTIONS,
  tenant: { type: 'string' },
  stream: { type: 'string', multiple: true },
  'max-pages': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function backfill(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    line(io.stdout, BACKFILL_USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw usageError(`unexpected argument "${positionals[1]}"`);
  const source = sourceById(positionals[0], 'backfill');
  const tenant = values.tenant?.trim();
  if (!tenant) throw usageError(`backfill needs --tenant <id>\n\n${BACKFILL_USAGE}`);
  let maxPages: number | undefined;
  if (values['max-pages'] !== undefined) {
    maxPages = Number(values['max-pages']);
    if (!(Number.isSafeInteger(maxPages) && maxPages > 0)) {
      throw usageError(`--max-pages must be a positive whole number, got ${JSON.stringify(values['max-pages'])}`);
    }
  }

  return withState(values, io, async (state, description) => {
    const meter = createApiMeter(io.fetch ?? globalThis.fetch, source.totalOf);
    const connector = source.withApi(io, {
      credentials: state.credentials,
      rateLimitStore: state.rateLimits,
      fetch: meter.fetch,
    });
    const available = connector.pollers ?? [];
    if (available.length === 0) throw usageError(`${source.id} has no pollers without API credentials`);
    const pollers = values.stream
      ? values.stream.map((name) => {
          const poller = available.find((candidate) => candidate.stream === name);
          if (!poller) {
            throw usageError(
              `${source.id} has no stream "${name}" (streams: ${available.map((p) => p.stream).join(', ')})`,
            );
          }
          return poller;
        })
      : available;

    const controller = new AbortController();
    const onAbort = () => controller.abort(io.signal?.reason ?? new Error('interrupted'));
    if (io.signal?.aborted) onAbort();
    io.signal?.addEventListener('abort', onAbort, { once: true });
    const progress = createProgress(io.stderr);
    const summary: (RunPollerResult & { stream: string; resumed: boolean })[] = [];
    let pagesLeft = maxPages;
    line(io.stderr, `[act] backfill ${source.id} tenant ${tenant} into ${description}`);
    try {
      for (const poller of pollers) {
        if (pagesLeft !== undefined && pagesLeft <= 0) break;
        const resumed = (await state.store.getCursor({ source: source.id, tenant, stream: poller.stream })) !== null;
        line(
          io.stderr,
          `[act] ${poller.stream}: ${resumed ? 'resuming from the saved cursor' : 'no saved cursor: walking from the start'}`,
        );
        meter.reset();
        const before = { waits: meter.waits, waitMs: meter.waitMs, rateLimited: meter.rateLimited };
        const figures: BackfillFigures = {
          stream: poller.stream,
          records: 0,
          pages: 0,
          waits: 0,
          waitMs: 0,
          rateLimited: 0,
          total: undefined,
          startedAt: Date.now(),
        };
        progress.start(figures);
        let result: RunPollerResult;
        try {
          result = await runPoller({
            connector,
            poller,
            tenant,
            store: state.store,
            sink: state.sink,
            signal: controller.signal,
            ...(pagesLeft !== undefined ? { maxPages: pagesLeft } : {}),
            onPage: ({ events }) => {
              meter.committed();
              figures.records += events;
              figures.pages += 1;
              figures.waits = meter.waits - before.waits;
              figures.waitMs = meter.waitMs - before.waitMs;
              figures.rateLimited = meter.rateLimited - before.rateLimited;
              figures.total = meter.total;
              progress.update(figures);
            },
          });
        } finally {
          progress.stop();
        }
        summary.push({ ...result, stream: poller.stream, resumed });
        if (pagesLeft !== undefined) pagesLeft -= result.pages;
      }
    } catch (error) {
      if (controller.signal.aborted) {
        printSummary(io, summary);
        line(io.stderr, '[act] interrupted: every committed page is saved; run the same command to resume');
        return EXIT.interrupted;
      }
      printSummary(io, summary);
      throw error;
    } finally {
      io.signal?.removeEventListener('abort', onAbort);
    }
    printSummary(io, summary);
    if (maxPages !== undefined && pagesLeft !== undefined && pagesLeft <= 0) {
      line(io.stderr, `[act] stopped after ${maxPages} page(s) (--max-pages): run again to continue from the cursor`);
    }
    return EXIT.ok;
  });
}

function printSummary(io: CliIo, summary: readonly (RunPollerResult & { stream: string; resumed: boolean })[]) {
  if (summary.length === 0) return;
  line(
    io.stdout,
    formatTable(
      ['stream', 'from', 'pages', 'records', 'created', 'updated', 'skipped', 'deleted'],
      summary.map((row) => [
        row.stream,
        row.resumed ? 'cursor' : 'start',
        String(row.pages),
        String(row.events),
        String(row.created),
        String(row.updated),
        String(row.skipped),
        String(row.deleted),
      ]),
    ),
  );
}
