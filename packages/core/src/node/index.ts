/**
 * `@act/core/node`: run the web-standard webhook handler on `node:http`,
 * Express or Connect, keeping the raw body bytes that signatures are computed over.
 */
export { findInstalledConnectors, type InstalledConnector, importInstalled } from './installed-connectors';
export {
  applyServerTimeouts,
  DEFAULT_SERVER_TIMEOUTS,
  type ServerTimeouts,
  serverTimeouts,
} from './server-timeouts';
export { type NodeHandler, toNodeHandler, type WebHandler } from './to-node-handler';
export {
  DEFAULT_NODE_MAX_BODY_BYTES,
  type NodeHandlerOptions,
  type NodeRequestLike,
  toWebRequest,
} from './to-web-request';
export { writeWebResponse } from './write-web-response';
