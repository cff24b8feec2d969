/**
 * @module
 * `@act/connector-template`: the package to copy for a connector. "Template" is a fictional provider.
 */

export { source } from './source';
export { templateOAuth } from './template-client';
export { createTemplateConnector, type TemplateConnector, type TemplateEventMap } from './template-connector';
export type { TemplateEvent, TemplateEventType } from './template-events';
export { loadTemplateSettings, type TemplateConnectorSettings, type TemplateOAuthSettings } from './template-settings';
export {
  type TemplateSignatureVerification,
  type VerifyTemplateSignatureOptions,
  verifyTemplateSignature,
} from './template-signature';
export { VERSION } from './version';
