/**
 * @module
 * `@act/connector-xero`: keep Xero contacts, invoices, credit notes, payments
 * and bank transactions mirrored in Postgres: signed id-only webhooks with
 * intent-to-receive, fetch-on-notify, polling and reconciliation. Runs on
 * Node >= 22, Deno and edge runtimes.
 */

export { source } from './source';
export { VERSION } from './version';
export type { XeroClient, XeroClientOptions, XeroListPage, XeroListParams } from './xero-client';
export { createXeroConnector, type XeroConnector, type XeroEventMap, type XeroHandlers } from './xero-connector';
export type {
  XeroDelivery,
  XeroEntity,
  XeroEvent,
  XeroEventCategory,
  XeroEventType,
  XeroMirroredEntity,
  XeroNotification,
  XeroNotificationPayload,
  XeroRecord,
  XeroSourceEvent,
} from './xero-events';
export type { XeroFetchRecord, XeroFetchRecordRequest } from './xero-hydrate';
export {
  buildXeroAuthorizeUrl,
  createXeroDiscovery,
  exchangeXeroAuthorizationCode,
  listXeroConnections,
  type XeroAccessTokenAuth,
  type XeroAuth,
  type XeroConnection,
  type XeroDiscoverySettings,
  type XeroOAuthAuth,
  type XeroOAuthCredential,
} from './xero-oauth';
export {
  XERO_POLL_INTERVAL_MS,
  type XeroPolledEvent,
  type XeroPollersOptions,
  xeroFullResyncCursor,
} from './xero-poller';
export type { XeroSequenceGap, XeroSequenceScope } from './xero-sequences';
export {
  loadXeroSettings,
  type XeroConnectorSettings,
  type XeroOAuthSettings,
  type XeroSettingsOverrides,
} from './xero-settings';
export {
  signXeroBody,
  type VerifyXeroSignatureOptions,
  verifyXeroSignature,
  XERO_SIGNATURE_HEADER,
  type XeroSignatureVerification,
} from './xero-signature';
export { XERO_TABLES, type XeroTransforms } from './xero-transform';
export { splitXeroDelivery, type XeroWebhookProcessor, type XeroWebhookSettings } from './xero-webhook';
