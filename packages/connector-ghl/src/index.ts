/**
 * @module
 * `@act/connector-ghl`: keep GoHighLevel contacts, opportunities, pipelines,
 * appointments, tasks and notes mirrored in Postgres: verified webhooks
 * (Ed25519, legacy RSA, workflow shared secrets), polling, reconciliation and
 * write-back under field policies. Runs on Node >= 22, Deno and edge runtimes.
 */

export {
  exchangeGhlAuthorizationCode,
  type GhlAuth,
  type GhlClient,
  type GhlClientOptions,
  type GhlOAuthAuth,
  type GhlOAuthCredential,
  type GhlPrivateIntegrationAuth,
} from './ghl-client';
export { createGhlConnector, type GhlConnector, ghlLifecycle } from './ghl-connector';
export type {
  GhlAppInstallPayload,
  GhlAppointmentPayload,
  GhlAppointmentRecord,
  GhlAppUninstallPayload,
  GhlContactPayload,
  GhlEntity,
  GhlEvent,
  GhlEventOf,
  GhlEventOrigin,
  GhlEventPayloads,
  GhlEventType,
  GhlNotePayload,
  GhlOpportunityPayload,
  GhlSourceEvent,
  GhlTaskPayload,
  GhlWorkflowPayload,
} from './ghl-events';
export type { GhlEventHandler, GhlHandlerErrorHandler, GhlHandlers } from './ghl-handlers';
export { type GhlConnectorSettings, type GhlSettingsOverrides, loadGhlSettings } from './ghl-settings';
export {
  checkGhlTimestamp,
  GHL_ED25519_PUBLIC_KEY,
  GHL_RSA_PUBLIC_KEY,
  type GhlSignatureVerification,
  type VerifyGhlSignatureOptions,
  verifyGhlSignature,
} from './ghl-signature';
export { GHL_TABLES } from './ghl-transform';
export type { GhlWebhookProcessor, GhlWebhookSettings, GhlWorkflowWebhookSettings } from './ghl-webhook';
export {
  type GhlContactChange,
  type GhlContactMirror,
  type GhlMirrorContact,
  type GhlWriteResult,
  type GhlWriter,
  ghlMirrorContactFromRow,
} from './ghl-writeback';
export {
  enqueueGhlContactChange,
  GHL_CONTACTS_DESTINATION,
  type GhlContactChangeMessage,
  type GhlContactsDestinationOptions,
  ghlContactsDestination,
  ghlSinkContactMirror,
} from './ghl-writeback-outbox';
export { source } from './source';
export { VERSION } from './version';
