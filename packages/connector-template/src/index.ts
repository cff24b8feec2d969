/**
 * @module
 * `@act/connector-template`: the package to copy when adding a connector. It
 * mirrors records of "Template", a fictional provider whose API is made up
 * for this package only. Runs on Node >= 22, Deno and edge runtimes.
 */

export { source } from './source';
export { templateOAuth } from './template-client';
export { createTemplateConnector, type TemplateConnector } from './template-connector';
export type { TemplateEvent, TemplateEventType } from './template-events';
export { loadTemplateSettings, type TemplateConnectorSettings, type TemplateOAuthSettings } from './template-settings';
export {
  type TemplateSignatureVerification,
  type VerifyTemplateSignatureOptions,
  verifyTemplateSignature,
} from './template-signature';
export { VERSION } from './version';
