import cliProgress from 'cli-progress';
import { type CliStream, formatDuration, line } from './cli-io';

/**
 * What a backfill of one stream has done so far. `waits` are measured, not
 * reported by the connector (its client exposes no rate-limit events): see
 * `createApiMeter`.
 */
export interface BackfillFigures {
  stream: string;
  records: number;
  pages: number;
  /** Times the client held a request back: gaps of `WAIT_THRESHOLD_MS` or more before a request. */
  waits: number;
  waitMs: number;
  /** 429 answers seen. */
  rateLimited: number;
  /** Records the listing holds, when a response said so (an estimate). */
  total: number | undefined;
  startedAt: number;
}

/** A gap this long between a committed page (or the previous answer) and the next request counts as a wait. */
export const WAIT_THRESHOLD_MS = 250;

/**
 * Wraps `fetch` for a connector's API client: counts requests and 429s,
 * measures the time the client held each request back (its rate limiter,
 * a `Retry-After`, a retry backoff: the gap since the last answer or
 * committed page), and reads the listing's total from the first answer that
 * carries one.
 */
export function createApiMeter(base: typeof globalThis.fetch, totalOf: (body: unknown) => number | undefined) {
  let lastActivity = Date.now();
  const meter = {
    requests: 0,
    waits: 0,
    waitMs: 0,
    rateLimited: 0,
    total: undefined as number | undefined,
    /** A new stream starts: forget its predecessor's total. */
    reset() {
      meter.total = undefined;
      lastActivity = Date.now();
    },
    /** A page was committed: the next request's wait is counted from now. */
    committed() {
      lastActivity = Date.now();
    },
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const gap = Date.now() - lastActivity;
      if (gap >= WAIT_THRESHOLD_MS) {
        meter.waits += 1;
        meter.waitMs += gap;
      }
      meter.requests += 1;
      try {
        const response = await base(input, init);
        if (response.status === 429) meter.rateLimited += 1;
        if (meter.total === undefined && response.ok && response.headers.get('content-type')?.includes('json')) {
          try {
            meter.total = totalOf(await response.clone().json());
          } catch {
            // not JSON after all: no total
          }
        }
        return response;
      } finally {
        lastActivity = Date.now();
      }
    }) as typeof globalThis.fetch,
  };
  return meter;
}

function etaMs(figures: BackfillFigures): number | undefined {
  if (figures.total === undefined || figures.records === 0) return undefined;
  const remaining = Math.max(0, figures.total - figures.records);
  const elapsed = Date.now() - figures.startedAt;
  return (remaining * elapsed) / figures.records;
}

function describe(figures: BackfillFigures): string {
  const total = figures.total !== undefined ? ` of ~${Math.max(figures.total, figures.records)}` : '';
  const waits = `${figures.waits} rate-limit wait(s) (${formatDuration(figures.waitMs)})${figures.rateLimited ? `, ${figures.rateLimited} × 429` : ''}`;
  const eta = etaMs(figures);
  return `${figures.records}${total} records | ${figures.pages} page(s) | ${waits}${eta !== undefined ? ` | ETA ${formatDuration(eta)}` : ''}`;
}

/** A progress bar on a terminal (cli-progress), one plain line per page otherwise. Writes to stderr. */
export function createProgress(stream: CliStream) {
  let bar: cliProgress.SingleBar | undefined;
  let current: BackfillFigures | undefined;
  return {
    start(figures: BackfillFigures) {
      current = figures;
      if (!stream.isTTY) return;
      bar = new cliProgress.SingleBar({
        stream: stream as unknown as NodeJS.WritableStream,
        hideCursor: true,
        clearOnComplete: false,
        fps: 5,
        format: (options, params) => {
          const figures = current as BackfillFigures;
          const width = options.barsize ?? 30;
          const filled = figures.total ? Math.round(Math.min(1, params.value / Math.max(figures.total, 1)) * width) : 0;
          const gauge = figures.total ? `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ` : '';
          return `${figures.stream} ${gauge}${describe(figures)}`;
        },
      });
      bar.start(figures.total ?? 0, 0);
    },
    update(figures: BackfillFigures) {
      current = figures;
      if (bar) {
        if (figures.total !== undefined) bar.setTotal(Math.max(figures.total, figures.records));
        bar.update(figures.records);
      } else {
        line(stream, `[act] ${figures.stream}: ${describe(figures)}`);
      }
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
