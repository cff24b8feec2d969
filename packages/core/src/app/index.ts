export {
  type Act,
  type ActConnector,
  type ActConnectorContext,
  type ActOptions,
  type ActOutbox,
  type ActState,
  createAct,
} from './create-act';
export { createWebhookRouter, type WebhookRoute, type WebhookRouter } from './router';
export { DEFAULT_PROCESSOR } from './webhook-processors';
