// Typed event handlers in the style of octokit/webhooks
// (https://github.com/octokit/webhooks.js#webhookson): `on(name, handler)`
// with the event type following the name, `onAny`, `onError`,
// `removeListener`, and `receive` to run them.
import { type IntegrationEventV1, type Logger, noopLogger } from '@act/core';

/** The least an event needs: a `type` naming it, and what a failure log shows. */
export interface HandledEvent {
  readonly type: string;
  readonly source?: string;
  readonly tenant?: string;
  readonly entityId?: string;
}

/**
 * `TEventMap` maps each event type to its event: `{ ContactCreate: GhlEventOf<'ContactCreate'>, … }`.
 * A handler for `T` receives `TEventMap[T]`.
 */
export type EventHandler<TEventMap, T extends keyof TEventMap> = (event: TEventMap[T]) => unknown;

/** Called with a handler's error and the event it failed on. */
export type HandlerErrorHandler<TEvent> = (error: unknown, event: TEvent) => unknown;

export interface EventHandlers<TEventMap extends { [K in keyof TEventMap]: HandledEvent }> {
  /** Run `handler` for events of this type (or any of these types). */
  on<T extends keyof TEventMap & string>(type: T | readonly T[], handler: EventHandler<TEventMap, T>): void;
  /** Run `handler` for every event. */
  onAny(handler: (event: TEventMap[keyof TEventMap]) => unknown): void;
  /** Called when a handler throws (or rejects). Without one, the error is logged. */
  onError(handler: HandlerErrorHandler<TEventMap[keyof TEventMap]>): void;
  /** Remove a handler added with `on` (same type and function), or with `onAny` (`'*'`). */
  removeListener<T extends keyof TEventMap & string>(
    type: T | readonly T[] | '*',
    handler: EventHandler<TEventMap, T>,
  ): void;
  /**
   * Run the handlers for one event: its type's, then `onAny`'s, one after the
   * other. Never rejects: a handler's error goes to `onError` (or the log),
   * so a failing side effect cannot hold up the mirror.
   */
  receive(event: TEventMap[keyof TEventMap]): Promise<void>;
}

/** The registry behind a connector's `on(…)`. `packageName` prefixes the log line of an unhandled failure. */
export function createEventHandlers<TEventMap extends { [K in keyof TEventMap]: HandledEvent }>(options: {
  packageName: string;
  logger?: Logger | undefined;
}): EventHandlers<TEventMap> {
  type Event = TEventMap[keyof TEventMap];
  type Handler = (event: Event) => unknown;
  const logger = options.logger ?? noopLogger;
  const byType = new Map<string, Set<Handler>>();
  const any = new Set<Handler>();
  const errorHandlers = new Set<HandlerErrorHandler<Event>>();
  const types = (type: string | readonly string[]) => (typeof type === 'string' ? [type] : type);

  const reportError = async (error: unknown, event: Event) => {
    if (errorHandlers.size === 0) {
      logger.error(
        {
          source: event.source,
          tenant: event.tenant,
          type: event.type,
          entityId: event.entityId,
          error: error instanceof Error ? error.message : String(error),
        },
        `[${options.packageName}] a ${event.type} handler failed`,
      );
      return;
    }
    for (const handler of errorHandlers) {
      try {
        await handler(error, event);
      } catch {
        // An error handler that fails has nowhere left to report to.
      }
    }
  };

  return {
    on(type, handler) {
      for (const name of types(type)) {
        let set = byType.get(name);
        if (!set) {
          set = new Set();
          byType.set(name, set);
        }
        set.add(handler as Handler);
      }
    },
    onAny(handler) {
      any.add(handler);
    },
    onError(handler) {
      errorHandlers.add(handler);
    },
    removeListener(type, handler) {
      if (type === '*') {
        any.delete(handler as Handler);
        return;
      }
      for (const name of types(type)) byType.get(name)?.delete(handler as Handler);
    },
    async receive(event) {
      const handlers = [...(byType.get(event.type) ?? []), ...any];
      for (const handler of handlers) {
        try {
          await handler(event);
        } catch (error) {
          await reportError(error, event);
        }
      }
    },
  };
}

/**
 * A connector's `onApplied` hook (core calls it once the mirror write has
 * committed) that runs `handlers` for each webhook event the sink did not
 * skip as stale or unchanged. Polled and reconciled records run no handlers:
 * they repair the mirror, they are not news. At least once: a crash right
 * after the commit runs them again on reprocessing.
 */
export function runHandlersOnApplied<TEvent extends HandledEvent>(handlers: {
  receive(event: TEvent): Promise<void>;
}): (applied: readonly { event: unknown; result: IntegrationEventV1 }[]) => Promise<void> {
  return async (applied) => {
    for (const { event, result } of applied) {
      if (result.triggeredBy === 'webhook' && result.outcome !== 'skipped') await handlers.receive(event as TEvent);
    }
  };
}
