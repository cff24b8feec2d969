/**
 * The logging surface @act packages write to. It is pino's call shape
 * (`logger.info({ deliveryId }, 'message')`), so a pino logger can be passed
 * as it is; so can anything with the four methods.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message?: string): void;
  info(fields: Record<string, unknown>, message?: string): void;
  warn(fields: Record<string, unknown>, message?: string): void;
  error(fields: Record<string, unknown>, message?: string): void;
}

/** Discards everything. The default, so libraries stay quiet unless asked. */
export const noopLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * Writes one JSON line per entry to the console, for development and the demo.
 * Levels below `level` are dropped.
 */
export function createConsoleLogger(options: { level?: 'debug' | 'info' | 'warn' | 'error' } = {}): Logger {
  const order = ['debug', 'info', 'warn', 'error'] as const;
  const minimum = order.indexOf(options.level ?? 'info');
  const write =
    (level: (typeof order)[number]) =>
    (fields: Record<string, unknown>, message?: string): void => {
      if (order.indexOf(level) < minimum) return;
      const line = JSON.stringify({ level, time: new Date().toISOString(), msg: message, ...fields });
      if (level === 'error' || level === 'warn') console.error(line);
      else console.log(line);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/**
 * Metric hooks. Counters and histograms with low-cardinality labels (source,
 * tenant, outcome, error class); map them onto prom-client, OpenTelemetry or
 * StatsD in a few lines. Every method is optional.
 *
 * Names emitted by `@act/core`:
 * - `act_deliveries_received_total` {source, outcome: stored|duplicate|conflict|stored_unparseable|rejected|store_failed}
 *   (`conflict`: a known dedupe key with a different body, kept as a delivery of its own)
 * - `act_deliveries_processed_total` {source, outcome: done|retrying|dead|lease_lost}
 * - `act_events_applied_total` {source, outcome: created|updated|deleted|skipped|ignored}
 * - `act_receive_duration_ms`, `act_process_duration_ms` {source}
 * - `act_event_latency_ms` {source}: receipt (or poll) to committed write
 * - `act_circuit_state` {name, state: open|half_open|closed}
 * - `act_scheduler_jobs_total` {kind, source, outcome: ok|failed|skipped}
 */
export interface Metrics {
  increment?(name: string, labels?: Readonly<Record<string, string>>, value?: number): void;
  observe?(name: string, value: number, labels?: Readonly<Record<string, string>>): void;
}

export const noopMetrics: Metrics = {};
