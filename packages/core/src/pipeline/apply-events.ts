import type { Logger } from '../observability';
import {
  enqueueAfterApply,
  forwardMessages,
  type OutboxForwarding,
  outboxApplyOption,
  redactPayload,
} from '../outbox/forward';
import { rowKeyString } from '../sink/row-keys';
import type {
  ConnectorV1,
  CursorCommitV1,
  FieldPoliciesV1,
  IntegrationEventV1,
  PendingIntegrationEventV1,
  SinkOperationOutcomeV1,
  SinkOperationV1,
  SinkResultV1,
  SinkV1,
  SourceEventV1,
  TriggerV1,
} from '../spec/v1';
import { applyFieldPolicies } from './field-policy';

export interface ApplyEventsInput {
  connector: ConnectorV1;
  events: readonly SourceEventV1[];
  sink: SinkV1;
  policies: FieldPoliciesV1;
  triggeredBy: TriggerV1;
  /** When the change reached us (delivery receipt, poll page fetched). */
  receivedAt: Date;
  correlationId?: string;
  deliveryId?: string;
  cursor?: CursorCommitV1;
  /**
   * Hand the integration events to the sink to commit with the rows
   * (`SinkApplyOptionsV1.events`) where it can (`supportsEventCommit`), so
   * the caller need not record them (see `ApplyEventsOutput.eventsCommitted`).
   */
  commitEvents?: boolean;
  /**
   * Events (by index in `events`) worth recording only when their write
   * changed the row (`PendingIntegrationEventV1.onlyIfChanged`).
   */
  onlyIfChanged?: (index: number) => boolean;
  /**
   * Forward the applied events to the outbox destinations that want them:
   * enqueued with the rows where the sink can (`supportsOutboxCommit`), right
   * after the write otherwise.
   */
  forward?: OutboxForwarding | undefined;
  signal?: AbortSignal | undefined;
  now: () => Date;
  /** Wraps outbound calls (hydrate) so a breaker can guard them. */
  guardSource: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Wraps the sink write. */
  guardSink: <T>(fn: () => Promise<T>) => Promise<T>;
  logger: Logger;
}

export interface ApplyEventsOutput {
  result: SinkResultV1;
  integrationEvents: IntegrationEventV1[];
  /** Each (hydrated) event with its integration event, for `ConnectorV1.onApplied`. */
  applied: { event: SourceEventV1; result: IntegrationEventV1 }[];
  /**
   * The sink committed the recordable integration events with the rows
   * (`commitEvents` on a sink that `supportsEventCommit`): the caller must not
   * record them again. `false`: the caller records them (`recordable`).
   */
  eventsCommitted: boolean;
  /** Whether each of `integrationEvents` is to be recorded (its pending event's `onlyIfChanged`). */
  recordable: boolean[];
}

/** Outcomes that changed the mirror, as `PendingIntegrationEventV1.onlyIfChanged` means them. */
export function isChangeOutcome(outcome: IntegrationEventV1['outcome']): boolean {
  return outcome === 'created' || outcome === 'updated' || outcome === 'deleted';
}

/**
 * What the integration event of each (hydrated) event will say, before the
 * write decides its outcome: the half of `describeApplied` a sink that
 * commits events (`SinkApplyOptionsV1.events`) is handed.
 */
export function pendingIntegrationEvents(
  prepared: PreparedEvents,
  input: Pick<ApplyEventsInput, 'triggeredBy' | 'receivedAt' | 'correlationId' | 'deliveryId' | 'onlyIfChanged'>,
): PendingIntegrationEventV1[] {
  const { operations, spans } = prepared;
  return spans.map(({ event, start, count }, index): PendingIntegrationEventV1 => {
    const operation = count > 0 ? operations[start] : undefined;
    const occurredAt = event.occurredAt ? Date.parse(event.occurredAt) : Number.NaN;
    return {
      ...(operation ? { operation: start } : {}),
      source: event.source,
      tenant: event.tenant,
      type: event.type,
      entity: event.entity,
      entityId: event.entityId,
      ...(operation ? { table: operation.table, rowId: rowKeyString(operation.key) } : {}),
      triggeredBy: input.triggeredBy,
      receivedAt: input.receivedAt,
      ...(Number.isFinite(occurredAt) ? { occurredAt: new Date(occurredAt) } : {}),
      ...(input.correlationId ? { correlationId: input.correlationId } : {}),
      ...(input.deliveryId ? { deliveryId: input.deliveryId } : {}),
      summary: {
        operations: count,
        ...(event.version !== undefined ? { version: event.version } : {}),
      },
      ...(input.onlyIfChanged?.(index) ? { onlyIfChanged: true } : {}),
    };
  });
}

/**
 * Complete a pending integration event with its operation's outcome
 * (`undefined`: the event produced no operation), committed at `committedAt`.
 * The reference for sinks that commit events themselves (see
 * `PendingIntegrationEventV1`): the Postgres sink's `act_sink_apply` does in
 * SQL exactly this.
 */
export function settleIntegrationEvent(
  pending: PendingIntegrationEventV1,
  outcome: SinkOperationOutcomeV1 | undefined,
  committedAt: Date,
): IntegrationEventV1 {
  const at = committedAt.getTime();
  const rowId = outcome?.rowId ?? pending.rowId;
  return {
    source: pending.source,
    tenant: pending.tenant,
    type: pending.type,
    entity: pending.entity,
    entityId: pending.entityId,
    outcome: outcome?.outcome ?? 'ignored',
    triggeredBy: pending.triggeredBy,
    ...(pending.receivedAt ? { latencyMs: at - pending.receivedAt.getTime() } : {}),
    ...(pending.occurredAt ? { providerLatencyMs: at - pending.occurredAt.getTime() } : {}),
    ...(pending.table !== undefined ? { table: pending.table } : {}),
    // The sink's row id where it has one; otherwise the row's natural key (SQL mirrors are keyed by it).
    ...(rowId ? { rowId } : {}),
    ...(pending.correlationId ? { correlationId: pending.correlationId } : {}),
    ...(pending.deliveryId ? { deliveryId: pending.deliveryId } : {}),
    summary: { ...pending.summary, ...(outcome?.outcome === 'skipped' ? { skipped: outcome.reason } : {}) },
    createdAt: committedAt,
  };
}

/** Run the connector's post-commit hook; its errors are logged, never thrown. */
export async function notifyApplied(
  connector: ConnectorV1,
  applied: ApplyEventsOutput['applied'],
  logger: Logger,
): Promise<void> {
  if (!connector.onApplied || applied.length === 0) return;
  try {
    await connector.onApplied(applied);
  } catch (error) {
    logger.error(
      { source: connector.source, error: error instanceof Error ? error.message : String(error) },
      `[${connector.packageName}] onApplied hook failed`,
    );
  }
}

/** Events made into sink operations, not yet applied (see `prepareEvents`). */
export interface PreparedEvents {
  operations: SinkOperationV1[];
  /** Each (hydrated) event and the slice of `operations` it produced. */
  spans: { event: SourceEventV1; start: number; count: number }[];
}

/**
 * The tie-break every upsert made from `event` carries (`SinkUpsertV1.order`):
 * when the provider produced this copy of the record (the event's
 * `observedAt`, else the receipt), when it reached us, and the inbox row's id
 * where it is a number (ids grow in arrival order). An older copy of a record
 * at the same version therefore never replaces a newer one, whatever order
 * deliveries, retries and polls arrive in.
 */
export function writeOrderOf(
  event: Pick<SourceEventV1, 'observedAt'>,
  receivedAt: Date | undefined,
  deliveryId: string | undefined,
): number[] | undefined {
  const received = receivedAt ? receivedAt.getTime() : Number.NaN;
  const observed = Number.isSafeInteger(event.observedAt) ? (event.observedAt as number) : received;
  if (!Number.isSafeInteger(observed)) return undefined;
  const order = [observed];
  if (!Number.isSafeInteger(received)) return order;
  order.push(received);
  const sequence = deliveryId !== undefined && /^\d{1,15}$/.test(deliveryId) ? Number(deliveryId) : undefined;
  if (sequence !== undefined) order.push(sequence);
  return order;
}

/**
 * The first half of `applyEvents`: hydrate thin events, transform, enforce
 * field policies, stamp each upsert with its tie-break (`writeOrderOf`).
 * Nothing is written.
 */
export async function prepareEvents(
  input: Pick<ApplyEventsInput, 'connector' | 'events' | 'policies' | 'signal' | 'guardSource'> &
    Partial<Pick<ApplyEventsInput, 'receivedAt' | 'deliveryId'>>,
): Promise<PreparedEvents> {
  const { connector } = input;
  const operations: SinkOperationV1[] = [];
  const spans: PreparedEvents['spans'] = [];
  for (const original of input.events) {
    let event: SourceEventV1 | null = original;
    if (original.thin && connector.hydrate) {
      event = await input.guardSource(() =>
        (connector.hydrate as NonNullable<ConnectorV1['hydrate']>)(original, { signal: input.signal }),
      );
    }
    if (!event) {
      spans.push({ event: original, start: operations.length, count: 0 });
      continue;
    }
    const produced = applyFieldPolicies(
      await connector.transformer.transform(event, { signal: input.signal, fieldPolicies: input.policies }),
      input.policies,
      connector.packageName,
      event.type,
    );
    const order = writeOrderOf(event, input.receivedAt, input.deliveryId);
    spans.push({ event, start: operations.length, count: produced.length });
    for (const operation of produced) {
      // A connector that set its own order keeps it. Deletes get it too: a
      // restore and a restorable delete are ranked against it (SinkDeleteV1.order).
      operations.push(order && operation.order === undefined ? { ...operation, order } : operation);
    }
  }
  return { operations, spans };
}

/**
 * The part of the pipeline webhooks and polls share: hydrate thin events,
 * transform, enforce field policies, apply as one batch, and describe what
 * happened as integration events.
 */
export async function applyEvents(input: ApplyEventsInput): Promise<ApplyEventsOutput> {
  const { sink } = input;
  const prepared = await prepareEvents(input);
  const { operations } = prepared;
  const pending = pendingIntegrationEvents(prepared, input);
  // One recorded only if its write changed something, and that made no write, is never recorded: not sent.
  const handed = pending.filter((event) => !event.onlyIfChanged || event.operation !== undefined);
  const skipApply = operations.length === 0 && !input.cursor;
  const commitEvents = !skipApply && input.commitEvents === true && sink.supportsEventCommit === true;
  const outbox = forwardMessages(input.forward, prepared, {
    source: input.connector.source,
    triggeredBy: input.triggeredBy,
    deliveryId: input.deliveryId,
    correlationId: input.correlationId,
    redact: (event) => redactPayload(input.connector.transformer, event, input.policies),
  });
  const outboxOption = skipApply ? {} : outboxApplyOption(sink, outbox);

  const result: SinkResultV1 = skipApply
    ? { created: 0, updated: 0, skipped: 0, deleted: 0, outcomes: [] }
    : await input.guardSink(() =>
        sink.apply(operations, {
          signal: input.signal,
          ...(input.cursor && sink.supportsCursorCommit ? { cursor: input.cursor } : {}),
          ...(commitEvents && handed.length > 0 ? { events: handed } : {}),
          ...outboxOption,
        }),
      );
  await enqueueAfterApply(input.forward, outbox, result, 'outbox' in outboxOption);

  return {
    ...describePending(pending, prepared, result, result.committedAt ?? input.now()),
    eventsCommitted: commitEvents,
  };
}

/**
 * The second half of `applyEvents`: one integration event per (hydrated)
 * event from the sink's outcomes for its operations, committed at `committedAt`.
 */
export function describeApplied(
  prepared: PreparedEvents,
  result: SinkResultV1,
  input: Pick<ApplyEventsInput, 'triggeredBy' | 'receivedAt' | 'correlationId' | 'deliveryId' | 'onlyIfChanged'>,
  committedAt: Date,
): ApplyEventsOutput {
  return {
    ...describePending(pendingIntegrationEvents(prepared, input), prepared, result, committedAt),
    eventsCommitted: false,
  };
}

function describePending(
  pending: readonly PendingIntegrationEventV1[],
  prepared: PreparedEvents,
  result: SinkResultV1,
  committedAt: Date,
): Omit<ApplyEventsOutput, 'eventsCommitted'> {
  const integrationEvents = pending.map((event) =>
    settleIntegrationEvent(
      event,
      event.operation !== undefined ? result.outcomes[event.operation] : undefined,
      committedAt,
    ),
  );
  return {
    result,
    integrationEvents,
    applied: prepared.spans.map(({ event }, index) => ({
      event,
      result: integrationEvents[index] as IntegrationEventV1,
    })),
    recordable: integrationEvents.map(
      (event, index) => !pending[index]?.onlyIfChanged || isChangeOutcome(event.outcome),
    ),
  };
}
