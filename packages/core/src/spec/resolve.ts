import { ConfigurationError } from '../errors';
import type { ConnectorV1, WebhookProcessorV1 } from './v1';

const packageName = '@act/core';

/** The contract version this `@act/core` implements. */
export const SUPPORTED_SPECIFICATION_VERSION = 'v1';

/**
 * Throws a `ConfigurationError` naming `what` when `value` does not declare
 * the contract version this `@act/core` implements: a connector or store
 * built for another major version of the contracts must be refused at the
 * entry point, not fail later on a missing or changed method.
 */
export function assertSupported(value: unknown, what: string, builtBy?: string): void {
  const version =
    typeof value === 'object' && value !== null
      ? (value as { specificationVersion?: unknown }).specificationVersion
      : undefined;
  if (version === SUPPORTED_SPECIFICATION_VERSION) return;
  const shown = version === undefined ? 'missing' : JSON.stringify(version);
  throw new ConfigurationError({
    packageName,
    message:
      `${what}: specificationVersion ${version === undefined ? 'is missing' : `${shown} is not supported`}; ` +
      `this @act/core supports "${SUPPORTED_SPECIFICATION_VERSION}"` +
      (builtBy
        ? ` (use a release of ${builtBy} built for "${SUPPORTED_SPECIFICATION_VERSION}", or upgrade @act/core)`
        : ''),
  });
}

/**
 * Checks that a connector, and each part it carries (webhook processor,
 * transformer, pollers, reconcilers), implements the contract version this
 * `@act/core` supports; returns it unchanged. Called by every entry point
 * that takes a connector (`createWorker`, `runPoller`, `runReconciliation`).
 *
 * @throws ConfigurationError naming the connector and the part.
 */
export function resolveConnector<TConnector extends ConnectorV1>(connector: TConnector): TConnector {
  if (typeof connector !== 'object' || connector === null) {
    throw new ConfigurationError({ packageName, message: `expected a connector, got ${String(connector)}` });
  }
  const name = `connector "${String(connector.source)}"`;
  const builtBy = typeof connector.packageName === 'string' ? connector.packageName : undefined;
  assertSupported(connector, name, builtBy);
  if ('webhook' in connector && connector.webhooks === undefined) {
    // v1's single `webhook` slot became the `webhooks` record before any release; a
    // connector built for the older shape would get no route and lose its deliveries.
    throw new ConfigurationError({
      packageName,
      message: `${name} has \`webhook\` but no \`webhooks\`: it was built for an older @act/core (upgrade ${builtBy ?? 'the connector'})`,
    });
  }
  for (const [processorName, processor] of Object.entries(connector.webhooks ?? {})) {
    assertSupported(processor, `webhook processor "${processorName}" of ${name}`, builtBy);
  }
  assertSupported(connector.transformer, `the transformer of ${name}`, builtBy);
  for (const poller of connector.pollers ?? []) {
    assertSupported(poller, `poller "${String(poller?.stream)}" of ${name}`, builtBy);
  }
  for (const reconciler of connector.reconcilers ?? []) {
    assertSupported(reconciler, `reconciler "${String(reconciler?.table)}" of ${name}`, builtBy);
  }
  return connector;
}

/**
 * Checks that a webhook processor implements the contract version this
 * `@act/core` supports; returns it unchanged (`createWebhookHandler`).
 *
 * @throws ConfigurationError naming the processor's package.
 */
export function resolveWebhookProcessor<TProcessor extends WebhookProcessorV1>(processor: TProcessor): TProcessor {
  const builtBy = typeof processor?.packageName === 'string' ? processor.packageName : undefined;
  assertSupported(processor, `the webhook processor${builtBy ? ` of ${builtBy}` : ''}`, builtBy);
  return processor;
}

/**
 * Checks that a store (`StateStoreV1`, `SinkV1`, `CredentialStoreV1`,
 * `RateLimitStoreV1`) implements the contract version this `@act/core`
 * supports; returns it unchanged. `what` names it in the error ("state
 * store", "sink").
 *
 * @throws ConfigurationError naming the store.
 */
export function resolveStore<TStore extends { readonly specificationVersion: 'v1' }>(
  store: TStore,
  what = 'store',
): TStore {
  assertSupported(store, `the ${what}`);
  return store;
}
