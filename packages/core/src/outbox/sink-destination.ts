import { ActError, ConfigurationError } from '../errors';
import type {
  OutboxDestinationV1,
  OutboxForwardInputV1,
  OutboxForwardV1,
  OutboxMessageV1,
  SinkOperationV1,
  SinkV1,
} from '../spec/v1';

const PACKAGE_NAME = '@act/core';

export interface SinkDestinationOptions {
  /** The destination's name, stored with every message (`notion`). */
  name: string;
  /**
   * Where the records go: a sink that writes to a provider (a Notion
   * database through its connector's destination sink) or any `SinkV1`.
   * It receives the mirror's own operations (after field policies, so
   * blocked columns are already gone), versions and write order included,
   * so its version guard keeps an older change from overwriting a newer one
   * whatever order retries deliver them in.
   */
  sink: SinkV1;
  /** Only changes of these sources (default: every source). */
  sources?: readonly string[];
  /**
   * Only these mirror tables (default: every table). A record names the
   * destination's table for a mirror table (`{ ghl_contacts: 'crm_people' }`).
   */
  tables?: readonly string[] | Readonly<Record<string, string>>;
  /** Reshape or drop (return `undefined`) each operation before it is queued. */
  map?: (operation: SinkOperationV1, input: OutboxForwardInputV1) => SinkOperationV1 | undefined;
  /** Attempts before a message is dead-lettered (default 8). */
  maxAttempts?: number;
}

/** What a sink destination's message holds: the operations to apply, as JSON. */
export interface SinkDestinationPayload {
  operations: SinkOperationV1[];
}

/**
 * A destination sink: the mirror's changes written to another store through
 * the outbox (the "GHL into Notion" flow). Each applied event whose
 * operations changed the mirror (`onlyIfChanged`) becomes one message,
 * enqueued in the mirror write's own transaction where the sink can; the
 * dispatcher applies it to `sink` with retries, a breaker and dead letters.
 * Delivered at least once: `sink.apply` is idempotent and version-guarded
 * (the `SinkV1` contract), so a repeat or a late retry changes nothing.
 *
 * @throws ConfigurationError without a name or a sink.
 */
export function sinkDestination(options: SinkDestinationOptions): OutboxDestinationV1 {
  const { name, sink } = options;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new ConfigurationError({
      packageName: PACKAGE_NAME,
      message: 'sinkDestination: name must be a non-empty string',
    });
  }
  if (!sink || typeof sink.apply !== 'function') {
    throw new ConfigurationError({
      packageName: PACKAGE_NAME,
      message: `sinkDestination "${name}": sink must be a SinkV1 (an object with apply())`,
    });
  }
  const sources = options.sources ? new Set(options.sources) : undefined;
  const rename: ReadonlyMap<string, string> | undefined = options.tables
    ? new Map(
        Array.isArray(options.tables)
          ? (options.tables as readonly string[]).map((table) => [table, table])
          : Object.entries(options.tables as Readonly<Record<string, string>>),
      )
    : undefined;

  return {
    specificationVersion: 'v1',
    name,
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    forward(input): OutboxForwardV1 | undefined {
      if (sources && !sources.has(input.source)) return undefined;
      const operations: SinkOperationV1[] = [];
      for (const operation of input.operations) {
        const table = rename ? rename.get(operation.table) : operation.table;
        if (table === undefined) continue;
        const renamed = table === operation.table ? operation : { ...operation, table };
        const mapped = options.map ? options.map(renamed, input) : renamed;
        if (mapped) operations.push(mapped);
      }
      if (operations.length === 0) return undefined;
      // Only what changed the mirror goes on: a stale or repeated event is no news downstream.
      return { payload: { operations } satisfies SinkDestinationPayload, onlyIfChanged: true };
    },
    async deliver(message: OutboxMessageV1, context) {
      const operations = readOperations(message, name);
      const result = await sink.apply(operations, { signal: context.signal });
      return { created: result.created, updated: result.updated, deleted: result.deleted, skipped: result.skipped };
    },
  };
}

function readOperations(message: OutboxMessageV1, name: string): SinkOperationV1[] {
  const payload = message.payload as Partial<SinkDestinationPayload> | null | undefined;
  const operations = payload?.operations;
  const valid =
    Array.isArray(operations) &&
    operations.every(
      (operation) =>
        operation !== null &&
        typeof operation === 'object' &&
        (operation.kind === 'upsert' || operation.kind === 'delete') &&
        typeof operation.table === 'string' &&
        operation.key !== null &&
        typeof operation.key === 'object',
    );
  if (!valid) {
    // The same bytes can never apply: dead-lettered at once, with the reason.
    throw new ActError({
      packageName: PACKAGE_NAME,
      errorClass: 'validation',
      message: `sinkDestination "${name}": message ${message.id} is not { operations: SinkOperationV1[] }`,
    });
  }
  return operations as SinkOperationV1[];
}
