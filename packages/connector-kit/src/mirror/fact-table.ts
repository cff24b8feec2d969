// Counters as facts: one row per counted event, keyed by the event's
// identity, so an event delivered twice (at-least-once delivery, a replay, a
// backfill over a webhook's window) is one row, where `n = n + 1` would count
// it twice. The per-day and month-to-date figures are views over the facts
// (@act/sink-supabase's act_fact_views), recomputed on every read.
import type { SourceEventV1 } from '@act/core/internal';
import { type MirrorColumn, toTimestamp } from './converters';
import { type MirrorRecord, type MirrorTable, type MirrorTableOptions, mirrorTable } from './mirror-table';

/** The fact table's time column: when the counted event happened. */
export const FACT_OCCURRED_AT_COLUMN = 'occurred_at';

export interface FactTableOptions<TEvent extends SourceEventV1>
  extends Pick<MirrorTableOptions<TEvent>, 'table' | 'tenantColumn' | 'id' | 'blocked' | 'version' | 'record'> {
  /**
   * Key columns: the tenant's, then the counted event's identity
   * (`['location_id', 'message_id']`). The identity is the event's
   * `entityId`: route each counted event with the id of what is counted (the
   * message, the payment), never a delivery id, so every copy of it lands on
   * the same row.
   */
  keys: readonly [string, string];
  /**
   * When the event happened, written to `occurred_at` (timestamptz). When the
   * record has none, the event's `occurredAt` is used.
   */
  occurredAt: MirrorColumn;
  /** Columns the views group by (`direction`, `channel`). */
  dimensions?: Readonly<Record<string, MirrorColumn>>;
  /** Numeric columns the views sum (`amount`). */
  measures?: Readonly<Record<string, MirrorColumn>>;
  /** More columns, kept on the fact but not grouped or summed. */
  columns?: Readonly<Record<string, MirrorColumn>>;
  /** The `raw` copy of the record: off by default (facts are counted, not read back). */
  raw?: MirrorTableOptions<TEvent>['raw'];
  /** Calendar days and months of the views (IANA name, default `UTC`). */
  timeZone?: string;
}

/** A mirror table of facts, with what its views need. */
export interface FactTable<TEvent extends SourceEventV1 = SourceEventV1> extends MirrorTable<TEvent> {
  readonly occurredAtColumn: typeof FACT_OCCURRED_AT_COLUMN;
  readonly dimensions: readonly string[];
  readonly measures: readonly string[];
  readonly timeZone: string;
  /**
   * `select act_fact_views(…);`: the statement a connector migration runs
   * after creating the table, which creates `<table>_daily` and
   * `<table>_mtd` (see @act/sink-supabase's 0013_act_identity).
   */
  readonly viewsSql: string;
}

const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;
const nameArray = (names: readonly string[]) =>
  names.length === 0 ? `'{}'::name[]` : `array[${names.map(literal).join(', ')}]::name[]`;

/**
 * Declares a fact table: a mirror table whose rows are counted events. A fact
 * is an upsert keyed (tenant, event identity), so applying it twice leaves one
 * row; there are no tombstones (facts are never deleted by events).
 *
 * ```ts
 * const emailsSent = factTable({
 *   table: 'ghl_email_facts',
 *   keys: ['location_id', 'message_id'],
 *   occurredAt: timestamp('dateAdded'),
 *   dimensions: { direction: text('direction') },
 * });
 * // migration: create table ghl_email_facts (…); then emailsSent.viewsSql
 * ```
 */
export function factTable<TEvent extends SourceEventV1 = SourceEventV1>(
  options: FactTableOptions<TEvent>,
): FactTable<TEvent> {
  const dimensions = Object.keys(options.dimensions ?? {});
  const measures = Object.keys(options.measures ?? {});
  const occurredAt = options.occurredAt;
  const taken = new Set<string>([...options.keys, FACT_OCCURRED_AT_COLUMN]);
  for (const name of [...dimensions, ...measures, ...Object.keys(options.columns ?? {})]) {
    if (taken.has(name)) throw new TypeError(`factTable ${options.table}: column ${name} is declared twice`);
    taken.add(name);
  }
  const timeZone = options.timeZone ?? 'UTC';
  const definition = mirrorTable<TEvent>({
    table: options.table,
    keys: options.keys,
    ...(options.tenantColumn !== undefined ? { tenantColumn: options.tenantColumn } : {}),
    ...(options.id ? { id: options.id } : {}),
    ...(options.blocked ? { blocked: options.blocked } : {}),
    ...(options.version ? { version: options.version } : {}),
    ...(options.record ? { record: options.record } : {}),
    raw: options.raw ?? false,
    columns: {
      [FACT_OCCURRED_AT_COLUMN]: occurredAt,
      ...options.dimensions,
      ...options.measures,
      ...options.columns,
    },
    derived: {
      // The record's time, else the event's: a fact without a time would count on no day.
      [FACT_OCCURRED_AT_COLUMN]: (record, context) => {
        const path = occurredAt.from.find((candidate) => has(record, candidate));
        const own =
          path !== undefined && !context.blocked.has(path.join('.'))
            ? occurredAt.convert(get(record, path), context.settings)
            : null;
        return own ?? toTimestamp(context.event.occurredAt) ?? undefined;
      },
    },
  });
  const tenantColumn = definition.tenantColumn;
  return Object.freeze({
    ...definition,
    occurredAtColumn: FACT_OCCURRED_AT_COLUMN,
    dimensions: Object.freeze(dimensions),
    measures: Object.freeze(measures),
    timeZone,
    viewsSql:
      `select act_fact_views(${literal(options.table)}, ${literal(FACT_OCCURRED_AT_COLUMN)}, ` +
      `${nameArray(dimensions)}, ${literal(tenantColumn)}, ${nameArray(measures)}, ${literal(timeZone)});`,
  });
}

function has(record: MirrorRecord, path: readonly string[]): boolean {
  let current: unknown = record;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current) || !Object.hasOwn(current, key))
      return false;
    current = (current as MirrorRecord)[key];
  }
  return true;
}

function get(record: MirrorRecord, path: readonly string[]): unknown {
  let current: unknown = record;
  for (const key of path)
    current =
      current !== null && typeof current === 'object' && !Array.isArray(current)
        ? (current as MirrorRecord)[key]
        : undefined;
  return current;
}
