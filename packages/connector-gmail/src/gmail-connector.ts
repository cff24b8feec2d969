import { createEventHandlers, type EventHandlers, runHandlersOnApplied } from '@act/connector-kit';
import type {
  ConnectorV1,
  HydrateContextV1,
  PollerV1,
  ReconcilerV1,
  TenantJobContextV1,
  WebhookProcessorV1,
} from '@act/core';
import { ActError } from '@act/core';
import { GMAIL_MIGRATIONS } from './generated/migrations';
import { createGmailClient, gmailErrors } from './gmail-client';
import { type GmailEventType, type GmailSourceEvent, gmailVersion } from './gmail-events';
import { createGmailPoller } from './gmail-poller';
import { GMAIL_PACKAGE_NAME, GMAIL_SOURCE, type GmailConnectorSettings } from './gmail-settings';
import { createGmailTransformer, GMAIL_RECORDS } from './gmail-transform';
import { createGmailWebhook } from './gmail-webhook';

/** Each event type → what `on(type, handler)` receives (after the mirror write committed). */
export type GmailEventMap = { [T in GmailEventType]: GmailSourceEvent & { type: T } };

/** The Gmail connector: every part `@act/core`'s handler, worker and `runPoller` use, and typed `on()`. */
export interface GmailConnector
  extends ConnectorV1<GmailSourceEvent>,
    Omit<EventHandlers<GmailEventMap>, 'receive'> {
  readonly webhook: WebhookProcessorV1<GmailSourceEvent>;
  /** The processors `createAct` routes to: `default` (`webhook`) at `/gmail`. */
  readonly webhooks: { readonly default: WebhookProcessorV1<GmailSourceEvent> };
  readonly pollers: readonly [records: PollerV1<GmailSourceEvent>];
  readonly reconcilers: readonly [records: ReconcilerV1<GmailSourceEvent>];
  readonly migrations: readonly { name: string; sql: string }[];
  hydrate(event: GmailSourceEvent, context: HydrateContextV1): Promise<GmailSourceEvent | null>;
  refreshCredentials(tenant: string): Promise<void>;
  /** With OAuth2 only: the scheduler's refresh ahead of expiry. */
  renewCredentials?(context: TenantJobContextV1 & { aheadMs: number }): Promise<{ expiresAt: Date | null }>;
}

/**
 * `createAct({ state, connectors: [createGmailConnector(loadGmailSettings(process.env))] })`.
 * @throws ConfigurationError for missing API credentials, a bad `baseUrl` or `pageSize`.
 */
export function createGmailConnector(settings: GmailConnectorSettings): GmailConnector {
  const pageSize = settings.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
    throw gmailErrors.configuration(`pageSize must be an integer from 1 to 100, got ${String(pageSize)}`);
  }
  const client = createGmailClient(settings);
  const webhook = createGmailWebhook({ secrets: settings.webhookSecrets });
  const poller = createGmailPoller(client, pageSize);
  const handlers = createEventHandlers<GmailEventMap>({ packageName: GMAIL_PACKAGE_NAME });
  const renew = client.renewCredentials;
  return {
    specificationVersion: 'v1',
    source: GMAIL_SOURCE,
    packageName: GMAIL_PACKAGE_NAME,
    freshnessTargetMs: 60_000, // a placeholder: set your provider's
    webhook,
    webhooks: { default: webhook },
    pollers: [poller],
    // Table, keys and scope from the mirror table; every record from the listing.
    // `stream`: the poller whose cursor this listing repairs if the provider ever expires it.
    reconcilers: [GMAIL_RECORDS.reconciler(poller.listAll, { stream: poller.stream })],
    transformer: createGmailTransformer(settings.fieldPolicies ? { fieldPolicies: settings.fieldPolicies } : {}),
    migrations: GMAIL_MIGRATIONS,
    // What act_grant_tenant_access filters app users' reads on.
    tenantColumn: 'account_id',

    // A thin event (large record) is fetched and versioned from the record; a record deleted since (404) is skipped.
    async hydrate(event, context) {
      if (!event.thin) return event;
      try {
        const record = await client.getRecord(event.tenant, event.entityId, { signal: context.signal });
        const version = gmailVersion(record.updated_at);
        const { version: _thinVersion, thin: _thin, ...rest } = event;
        return { ...rest, payload: record, ...(version !== undefined ? { version } : {}) };
      } catch (error) {
        // Recognised without `instanceof`: two copies of core may be installed.
        if (ActError.isInstance(error) && (error as { providerStatus?: unknown }).providerStatus === 404) return null;
        throw error;
      }
    },
    refreshCredentials: (tenant) => client.refreshCredentials(tenant),
    // Set `renewCredentials` when the connector holds tokens that expire (OAuth2): the
    // scheduler calls it for every connected tenant so no request meets an expired token.
    // Leave it out for static tokens. Other scheduler hooks, when the provider has them:
    // `discoverTenants` (an endpoint listing the accounts the app can reach), `lifecycle`
    // (install/uninstall webhook events), `subscriptions` (watches that lapse unless renewed).
    ...(renew
      ? {
          renewCredentials: ({ tenant, aheadMs, signal }: TenantJobContextV1 & { aheadMs: number }) =>
            renew(tenant, { aheadMs, signal }),
        }
      : {}),
    // Handlers run for webhook events once their write committed (not for skipped, polled or reconciled ones).
    onApplied: runHandlersOnApplied(handlers),
    on: handlers.on,
    onAny: handlers.onAny,
    onError: handlers.onError,
    removeListener: handlers.removeListener,
  };
}
