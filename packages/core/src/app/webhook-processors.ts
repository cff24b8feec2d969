import { ConfigurationError } from '../errors';
import { PROCESSOR_HEADER } from '../http/create-webhook-handler';
import type { ConnectorV1, WebhookProcessorV1 } from '../spec/v1';

/** The processor `createAct` serves at `/<source>` when a connector has several. */
export const DEFAULT_PROCESSOR = 'default';

const PACKAGE_NAME = '@act/core';

/**
 * The name of the processor a request to `/<source>` reaches: `default`, or
 * the connector's only processor whatever its name. `undefined` when there is
 * neither (the processors must then be addressed by name).
 */
export function defaultProcessorName(connector: Pick<ConnectorV1, 'webhooks'>): string | undefined {
  const names = Object.keys(connector.webhooks ?? {});
  if (names.includes(DEFAULT_PROCESSOR)) return DEFAULT_PROCESSOR;
  return names.length === 1 ? names[0] : undefined;
}

/**
 * The processor that accepted a stored delivery: the one named in its
 * `x-act-processor` header (what `createAct`'s handler records), else the
 * connector's default one (deliveries stored by a handler built without a
 * `processorName`).
 *
 * @throws ConfigurationError when the connector has no such processor: the
 *   delivery was received by a processor this worker does not know.
 */
export function storedDeliveryProcessor(
  connector: ConnectorV1,
  headers: Readonly<Record<string, string>>,
): WebhookProcessorV1 {
  const recorded = headers[PROCESSOR_HEADER];
  const name = recorded ?? defaultProcessorName(connector);
  const processor = name === undefined ? undefined : connector.webhooks?.[name];
  if (!processor || !Object.hasOwn(connector.webhooks ?? {}, name as string)) {
    const known = Object.keys(connector.webhooks ?? {});
    throw new ConfigurationError({
      packageName: PACKAGE_NAME,
      message:
        recorded !== undefined
          ? `source "${connector.source}" has no webhook processor "${recorded}" (it has ${known.length ? known.map((n) => `"${n}"`).join(', ') : 'none'}); the delivery was received by a processor this worker does not know`
          : known.length === 0
            ? `no connector with a webhook processor is registered for source "${connector.source}"`
            : `source "${connector.source}" has several webhook processors and none named "${DEFAULT_PROCESSOR}": the delivery does not say which one accepted it`,
    });
  }
  return processor;
}
