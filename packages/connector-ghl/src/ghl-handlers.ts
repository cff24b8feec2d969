// Typed event handlers (`connector.on('ContactUpdate', …)`): the kit's
// createEventHandlers over GHL's event map, so `event.payload` is typed by
// the event name.
import { createEventHandlers, type EventHandlers, type HandlerErrorHandler } from '@act/connector-kit';
import type { Logger } from '@act/core';
import { GHL_PACKAGE_NAME } from './ghl-error';
import type { GhlEvent, GhlEventOf, GhlEventType } from './ghl-events';

/** Each GHL event type → its event. */
export type GhlEventMap = { [T in GhlEventType]: GhlEventOf<T> };

/** A handler for events of type `T`: `event.payload` is typed by the name. */
export type GhlEventHandler<T extends GhlEventType = GhlEventType> = (event: GhlEventOf<T>) => unknown;

/** Called with a handler's error and the event it failed on. */
export type GhlHandlerErrorHandler = HandlerErrorHandler<GhlEvent>;

/**
 * `on(type | types, handler)`, `onAny`, `onError`, `removeListener` and
 * `receive` (never rejects: a handler's error goes to `onError`, or the log).
 *
 * ```ts
 * connector.on('ContactUpdate', (event) => event.payload.email);
 * connector.on(['OpportunityStageUpdate', 'OpportunityStatusUpdate'], (event) => event.payload.pipelineStageId);
 * ```
 */
export type GhlHandlers = EventHandlers<GhlEventMap>;

/** The registry behind `connector.on(…)`. */
export function createGhlHandlers(options: { logger?: Logger } = {}): GhlHandlers {
  return createEventHandlers<GhlEventMap>({ packageName: GHL_PACKAGE_NAME, logger: options.logger });
}
