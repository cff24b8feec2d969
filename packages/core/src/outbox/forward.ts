import { ConfigurationError } from '../errors';
import type {
  FieldPoliciesV1,
  NewOutboxMessageV1,
  OutboxDestinationV1,
  OutboxStoreV1,
  PendingOutboxMessageV1,
  SinkOperationOutcomeV1,
  SinkOperationV1,
  SinkResultV1,
  SourceEventV1,
  TransformerV1,
  TriggerV1,
} from '../spec/v1';

const PACKAGE_NAME = '@act/core';

/**
 * Forwarding from the pipeline: the destinations asked about every applied
 * event (`OutboxDestinationV1.forward`) and the outbox store their messages
 * go to when the sink cannot enqueue them with the rows
 * (`SinkV1.supportsOutboxCommit`). `createAct` builds it from the app's and
 * the connectors' destinations.
 */
export interface OutboxForwarding {
  destinations: readonly OutboxDestinationV1[];
  store: OutboxStoreV1;
  /** Called after messages were committed, so a dispatcher claims them at once. */
  onEnqueued?: () => void;
}

/** The events of one apply and the slice of operations each produced (`PreparedEvents`). */
interface Spans {
  operations: readonly SinkOperationV1[];
  spans: readonly { event: SourceEventV1; start: number; count: number }[];
}

/**
 * The outbox messages for `prepared`'s events, each tied to its event's
 * first operation (its outcome decides `onlyIfChanged`), with operation
 * indices shifted by `offset` (the event's place in a larger batch). The key
 * defaults to `<deliveryId>:<event index>` for a delivery (a replay of the
 * delivery dedupes), and otherwise to the record's identity at its version
 * (`<source>:<tenant>:<type>:<entityId>@<version>`), so a page read twice
 * forwards once.
 */
export function forwardMessages(
  forwarding: OutboxForwarding | undefined,
  prepared: Spans,
  context: {
    source: string;
    triggeredBy: TriggerV1;
    deliveryId?: string | undefined;
    correlationId?: string | undefined;
    offset?: number;
    /** The event's payload without blocked fields (see `redactPayload`). */
    redact: (event: SourceEventV1) => unknown;
  },
): PendingOutboxMessageV1[] {
  if (!forwarding) return [];
  const offset = context.offset ?? 0;
  const messages: PendingOutboxMessageV1[] = [];
  for (const [index, { event, start, count }] of prepared.spans.entries()) {
    let payload: { value: unknown } | undefined;
    for (const destination of forwarding.destinations) {
      if (!destination.forward) continue;
      payload ??= { value: context.redact(event) };
      const forward = destination.forward({
        source: context.source,
        event,
        payload: payload.value,
        operations: prepared.operations.slice(start, start + count),
        triggeredBy: context.triggeredBy,
        ...(context.deliveryId !== undefined ? { deliveryId: context.deliveryId } : {}),
        ...(context.correlationId !== undefined ? { correlationId: context.correlationId } : {}),
      });
      if (!forward) continue;
      // Forwarded only if it changed the mirror, and it wrote nothing: nothing to forward.
      if (forward.onlyIfChanged && count === 0) continue;
      messages.push({
        destination: destination.name,
        key: forward.key ?? defaultKey(event, index, context.deliveryId),
        source: context.source,
        tenant: event.tenant,
        ...(context.deliveryId !== undefined ? { deliveryId: context.deliveryId } : {}),
        ...(context.correlationId !== undefined ? { correlationId: context.correlationId } : {}),
        payload: forward.payload,
        ...(count > 0 ? { operation: offset + start } : {}),
        ...(forward.onlyIfChanged ? { onlyIfChanged: true } : {}),
      });
    }
  }
  return messages;
}

/**
 * The payload a forward may send: the transformer's `redact` where it has
 * one; otherwise, when a policy blocks anything, a copy without the
 * top-level keys any blocked list names (a blocked column's own name: the
 * runtime cannot know which payload fields feed it); the payload itself when
 * nothing is blocked.
 */
export function redactPayload(
  transformer: Pick<TransformerV1, 'redact'>,
  event: SourceEventV1,
  fieldPolicies: FieldPoliciesV1,
): unknown {
  if (transformer.redact) return transformer.redact(event, { fieldPolicies });
  const blocked = new Set(Object.values(fieldPolicies).flatMap((policy) => policy.blocked ?? []));
  const payload = event.payload;
  if (blocked.size === 0 || payload === null || typeof payload !== 'object' || Array.isArray(payload)) return payload;
  return Object.fromEntries(Object.entries(payload).filter(([key]) => !blocked.has(key)));
}

function defaultKey(event: SourceEventV1, index: number, deliveryId: string | undefined): string {
  if (deliveryId !== undefined) return `${deliveryId}:${index}`;
  const at = event.version ?? event.observedAt ?? event.occurredAt ?? fingerprint(event.payload);
  return `${event.source}:${event.tenant}:${event.type}:${event.entityId}@${at}`;
}

/** A short, stable digest of a JSON value (FNV-1a, two seeds): a record's content when it has no version. */
function fingerprint(value: unknown): string {
  const text = JSON.stringify(value) ?? '';
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x01000193 ^ 0x2c1b3c6d);
  }
  return `${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}`;
}

/** Messages for `sink.apply` to commit with the rows, when it can (`supportsOutboxCommit`). */
export function outboxApplyOption(
  sink: { supportsOutboxCommit?: boolean },
  messages: readonly PendingOutboxMessageV1[],
): { outbox: readonly PendingOutboxMessageV1[] } | Record<string, never> {
  return messages.length > 0 && sink.supportsOutboxCommit === true ? { outbox: messages } : {};
}

/**
 * After `apply`: enqueue through the outbox store the messages the sink did
 * not commit with the rows (a sink without `supportsOutboxCommit`, or no
 * apply at all), each subject to its operation's outcome. Weaker than the
 * same transaction: a crash between the two loses a forward whose change is
 * not applied again (a polled page whose cursor moved on); a delivery is
 * processed again and forwards then.
 */
export async function enqueueAfterApply(
  forwarding: OutboxForwarding | undefined,
  messages: readonly PendingOutboxMessageV1[],
  result: Pick<SinkResultV1, 'outcomes'> | undefined,
  committedBySink: boolean,
): Promise<void> {
  if (!forwarding || messages.length === 0) return;
  if (!committedBySink) {
    const due = messages
      .filter((message) => {
        if (!message.onlyIfChanged) return true;
        const outcome = message.operation !== undefined ? result?.outcomes[message.operation] : undefined;
        return outcome !== undefined && isChange(outcome);
      })
      .map(({ operation: _operation, onlyIfChanged: _only, ...message }): NewOutboxMessageV1 => message);
    if (due.length === 0) return;
    const results = await forwarding.store.enqueue(due);
    if (results.length !== due.length) {
      throw new Error(`[${PACKAGE_NAME}] outbox enqueue answered ${results.length} results for ${due.length} messages`);
    }
  }
  forwarding.onEnqueued?.();
}

function isChange(outcome: SinkOperationOutcomeV1): boolean {
  return outcome.outcome === 'created' || outcome.outcome === 'updated' || outcome.outcome === 'deleted';
}

/** Checks a forwarding setup: unique destination names, a store when any destination forwards. */
export function checkForwarding(forwarding: OutboxForwarding | undefined): OutboxForwarding | undefined {
  if (!forwarding) return undefined;
  const names = new Set<string>();
  for (const destination of forwarding.destinations) {
    if (names.has(destination.name)) {
      throw new ConfigurationError({
        packageName: PACKAGE_NAME,
        message: `two outbox destinations are named "${destination.name}": give each destination a unique name`,
      });
    }
    names.add(destination.name);
  }
  if (!forwarding.destinations.some((destination) => destination.forward)) return undefined;
  if (!forwarding.store) {
    throw new ConfigurationError({
      packageName: PACKAGE_NAME,
      message: 'outbox forwarding needs an outbox store (outbox.store)',
    });
  }
  return forwarding;
}
