/**
 * @module
 * `@act/connector-gmail`: the package to copy for a connector. "Gmail" is a fictional provider.
 */

export { calendarSource, source, sources } from './source';
export { gmailOAuth } from './gmail-client';
export { createGmailConnector, type GmailConnector, type GmailEventMap } from './gmail-connector';
export type { GmailEvent, GmailEventType } from './gmail-events';
export { loadGmailSettings, type GmailConnectorSettings, type GmailOAuthSettings } from './gmail-settings';
export {
  type GmailSignatureVerification,
  type VerifyGmailSignatureOptions,
  verifyGmailSignature,
} from './gmail-signature';
export { VERSION } from './version';
