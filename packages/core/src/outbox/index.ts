export {
  createOutboxDispatcher,
  DEFAULT_OUTBOX_RETRY_SCHEDULE_MS,
  type OutboxDispatcher,
  type OutboxDispatcherOptions,
  type OutboxOutcome,
  type OutboxRoundResult,
} from './dispatcher';
export type { OutboxForwarding } from './forward';
export {
  type ForwardedEventEnvelope,
  forwardedEventEnvelope,
  type HttpDestinationOptions,
  httpDestination,
  signStandardWebhook,
  verifyStandardWebhook,
} from './http-destination';
export { type SinkDestinationOptions, type SinkDestinationPayload, sinkDestination } from './sink-destination';
