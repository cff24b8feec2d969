/**
 * @module
 * `@act/core/internal`: the engines connectors and sinks are built from
 * (worker, pipeline, resilience, crypto, row keys). Not for app authors: the
 * main entry is the supported app surface; this entry follows the packages
 * of this repository and may change in any minor release.
 */
export * from './index';
export { compareOrder, isLowerInWriteOrder, rowKeyString } from './sink/row-keys';
export {
  resolveConnector,
  resolveStore,
  resolveWebhookProcessor,
  SUPPORTED_SPECIFICATION_VERSION,
} from './spec/resolve';
