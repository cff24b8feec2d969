import {
  ActError,
  type ConnectorV1,
  type HydrateContextV1,
  type PollerV1,
  type ReconcilerV1,
  type TransformerV1,
  type WebhookProcessorV1,
} from '@act/core';
import { TEMPLATE_MIGRATIONS } from './generated/migrations';
import { createTemplateClient } from './template-client';
import { type TemplateSourceEvent, templateVersion } from './template-events';
import { createTemplatePoller } from './template-poller';
import { createTemplateReconciler } from './template-reconcile';
import { TEMPLATE_PACKAGE_NAME, TEMPLATE_SOURCE, type TemplateConnectorSettings } from './template-settings';
import { createTemplateTransformer } from './template-transform';
import { createTemplateWebhook } from './template-webhook';

/** The Template connector: every part `@act/core`'s handler, worker and `runPoller` use. */
export interface TemplateConnector extends ConnectorV1<TemplateSourceEvent> {
  readonly webhook: WebhookProcessorV1<TemplateSourceEvent>;
  /** The processors `createAct` routes to: `default` (`webhook`) at `/template`. */
  readonly webhooks: { readonly default: WebhookProcessorV1<TemplateSourceEvent> };
  /** One stream: `records`. */
  readonly pollers: readonly [records: PollerV1<TemplateSourceEvent>];
  /** One listing: `template_records`. */
  readonly reconcilers: readonly [records: ReconcilerV1<TemplateSourceEvent>];
  readonly transformer: TransformerV1<TemplateSourceEvent>;
  readonly migrations: readonly { name: string; sql: string }[];
  hydrate(event: TemplateSourceEvent, context: HydrateContextV1): Promise<TemplateSourceEvent | null>;
  refreshCredentials(tenant: string): Promise<void>;
}

/**
 * Wire Template's webhook processor, API client, poller, reconciler and transformer.
 *
 * ```ts
 * const connector = createTemplateConnector(loadTemplateSettings(process.env));
 * const act = createAct({ state, connectors: [connector] }); // POST /template → connector.webhook
 * const worker = createWorker({ connectors: [connector], store, sink });
 * ```
 *
 * @throws ConfigurationError for missing API credentials, a bad `baseUrl` or `pageSize`.
 */
export function createTemplateConnector(settings: TemplateConnectorSettings): TemplateConnector {
  const client = createTemplateClient(settings);
  const webhook = createTemplateWebhook({ secrets: settings.webhookSecrets });
  return {
    specificationVersion: 'v1',
    source: TEMPLATE_SOURCE,
    packageName: TEMPLATE_PACKAGE_NAME,
    // A placeholder target for the template; set your provider's.
    freshnessTargetMs: 60_000,
    webhook,
    webhooks: { default: webhook },
    pollers: [createTemplatePoller({ client, pageSize: settings.pageSize ?? 100 })],
    reconcilers: [createTemplateReconciler({ client, pageSize: settings.pageSize ?? 100 })],
    transformer: createTemplateTransformer(settings.fieldPolicies ? { fieldPolicies: settings.fieldPolicies } : {}),
    migrations: TEMPLATE_MIGRATIONS,
    // Every mirror table is keyed (tenant, id): what act_grant_tenant_access filters app users' reads on.
    tenantColumn: 'account_id',

    /**
     * Template sends large records thin (`data.object_id` without
     * `data.object`): fetch the record, and take its version from it. A
     * record deleted since (404) gives `null`: nothing to apply. Other
     * failures propagate as `ProviderApiError` for the worker to classify.
     */
    async hydrate(event, context) {
      if (!event.thin) return event;
      try {
        const record = await client.getRecord(
          event.tenant,
          event.entityId,
          context.signal ? { signal: context.signal } : {},
        );
        const version = templateVersion(record.updated_at);
        const { version: _thinVersion, thin: _thin, ...rest } = event;
        return { ...rest, payload: record, ...(version !== undefined ? { version } : {}) };
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },

    /**
     * The worker's 401 hook: with OAuth2, refresh the account's token unless
     * another caller already has (single-flight, across workers). A static
     * API token has nothing to refresh.
     */
    refreshCredentials: (tenant) => client.refreshCredentials(tenant),
  };
}

/** A ProviderApiError for a 404, recognised without `instanceof` (two copies of core may be installed). */
function isNotFound(error: unknown): boolean {
  return ActError.isInstance(error) && (error as { providerStatus?: unknown }).providerStatus === 404;
}
