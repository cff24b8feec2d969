import {
  chooseApiAuth,
  createEventHandlers,
  type EventHandlers,
  reportMissingApiCredentials,
  runHandlersOnApplied,
} from '@act/connector-kit';
import type {
  ConnectorV1,
  CredentialStoreV1,
  DiscoveryResultV1,
  HealthSignalV1,
  HydrateContextV1,
  PollerV1,
  ReconcilerV1,
  StateStoreV1,
  TenantJobContextV1,
  TransformerV1,
} from '@act/core';
import { XERO_MIGRATIONS } from './generated/migrations';
import { createXeroClient, type XeroClient } from './xero-client';
import {
  XERO_PACKAGE_NAME,
  XERO_SOURCE,
  type XeroEventCategory,
  type XeroEventType,
  type XeroSourceEvent,
} from './xero-events';
import { createXeroHydrate, type XeroFetchRecord } from './xero-hydrate';
import { createXeroDiscovery, type XeroAuth } from './xero-oauth';
import { createXeroPollers } from './xero-poller';
import { createXeroReconcilers } from './xero-reconcile';
import { type ReadXeroSequenceGapsOptions, readXeroSequenceGaps, type XeroSequenceGap } from './xero-sequences';
import type { XeroConnectorSettings } from './xero-settings';
import { createXeroTransformer } from './xero-transform';
import { createXeroWebhook, type XeroWebhookProcessor } from './xero-webhook';

/**
 * Each webhook event type (`INVOICE.UPDATE`, `CONTACT.CREATE`, …) → what its
 * handlers receive: the event with the record as the worker fetched it
 * (`payload`, PascalCase as Xero returns it), or the notification for
 * `SUBSCRIPTION.*`.
 */
export type XeroEventMap = { [T in `${XeroEventCategory}.${XeroEventType}`]: XeroSourceEvent & { type: T } };

/** `on(type, handler)`, `onAny`, `onError`, `removeListener`: typed by `XeroEventMap`. */
export type XeroHandlers = Omit<EventHandlers<XeroEventMap>, 'receive'>;

/** The Xero connector: every part `@act/core`'s handler, worker, `runPoller` and `runReconciliation` use. */
export interface XeroConnector extends ConnectorV1<XeroSourceEvent>, XeroHandlers {
  /** Webhooks (signed, ids only): mount on the URL of your app's Xero webhook. */
  readonly webhook: XeroWebhookProcessor;
  /** The processors `createAct` routes to: `default` (`webhook`) at `/xero`. */
  readonly webhooks: { readonly default: XeroWebhookProcessor };
  readonly transformer: TransformerV1<XeroSourceEvent>;
  readonly migrations: readonly { name: string; sql: string }[];
  /**
   * Pollers; none without API credentials. Payments and bank transactions
   * have no webhooks: polled every 5 minutes (`intervalMs`). Contacts,
   * invoices and credit notes are `fallback` pollers, run only while the
   * tenant's webhooks are quiet.
   */
  readonly pollers: readonly PollerV1<XeroSourceEvent>[];
  /** Reconcilers per mirror table; none without API credentials. */
  readonly reconcilers: readonly ReconcilerV1<XeroSourceEvent>[];
  /** The API client (`undefined` without API credentials). */
  readonly client: XeroClient | undefined;
  /** Without API credentials: the variables to set (`runPoller`/`runReconciliation` throw naming them). */
  readonly missingApiCredentials: string | undefined;
  /**
   * Fetch-on-notify, called by the worker for every thin (webhook) event: the
   * record as Xero holds it now, versioned by its `UpdatedDateUTC`; `null` when
   * Xero answers 404. See src/xero-hydrate.ts.
   */
  hydrate(event: XeroSourceEvent, context: HydrateContextV1): Promise<XeroSourceEvent | null>;
  /** The worker's 401 hook: refreshes the tenant's OAuth token. */
  refreshCredentials(tenant: string): Promise<void>;
  /**
   * With OAuth only: the scheduler refreshes the tenant's access token when
   * it expires within `aheadMs` (Xero's last 30 minutes), single-flight under
   * the same lease as every refresh, and learns when it expires. Absent with
   * `accessToken` (a token you refresh yourself).
   */
  renewCredentials?(context: TenantJobContextV1 & { aheadMs: number }): Promise<{ expiresAt: Date | null }>;
  /**
   * With OAuth and `settings.discovery`: the ORGANISATION tenants the
   * configured grants reach (`GET https://api.xero.com/connections`), for the
   * scheduler's connections registry. See `createXeroDiscovery`.
   */
  discoverTenants?(context: { signal?: AbortSignal | undefined }): Promise<DiscoveryResultV1>;
  /**
   * Tenants to reconnect (`reconnect_required`, red: their refresh token was
   * refused), lost deliveries (`sequence_gap`, amber) and, for a connector
   * created without API credentials, `api_credentials_missing` (amber), for
   * dashboards and `act health`. The credential store defaults to the OAuth
   * settings' one.
   */
  healthSignals(context: {
    store: Pick<StateStoreV1, 'listDeliveries'>;
    credentials?: CredentialStoreV1;
    now?: Date;
  }): Promise<HealthSignalV1[]>;
  /**
   * Sequence numbers no stored delivery covers (lost deliveries), read from
   * the inbox: a health signal to alert on. See src/xero-sequences.ts.
   */
  sequenceGaps(
    store: Pick<StateStoreV1, 'listDeliveries'>,
    options?: ReadXeroSequenceGapsOptions,
  ): Promise<XeroSequenceGap[]>;
}

/**
 * Wire Xero's webhook processor, fetch-on-notify, API client, pollers,
 * reconcilers and transformer.
 *
 * ```ts
 * const xero = createXeroConnector(loadXeroSettings(process.env, { oauth: { credentials: state.credentials } }));
 * const act = createAct({ state, connectors: [xero] }); // POST /xero → xero.webhook
 * createWorker({ connectors: [xero], store: state.store, sink: state.sink }).start();
 * ```
 *
 * `xero.on('INVOICE.UPDATE', (event) => …)` runs after the worker committed
 * a webhook event's fetched record to the mirror (not for records the sink
 * skipped as stale, nor for polled or reconciled ones); at least once, so
 * keep handlers idempotent.
 *
 * Receiving needs only the webhook key. Every webhook event is then fetched
 * by the worker (`hydrate`), which needs the OAuth app; a worker without it
 * dead-letters Xero deliveries with a configuration error (replay them once
 * it is set).
 *
 * @throws ConfigurationError for an empty webhook key, an invalid
 *   project-code pattern, both `oauth` and `accessToken`, or bad API settings.
 */
export function createXeroConnector(settings: XeroConnectorSettings = {}): XeroConnector {
  const transformer = createXeroTransformer({
    ...(settings.fieldPolicies ? { fieldPolicies: settings.fieldPolicies } : {}),
    ...(settings.transforms ? { transforms: settings.transforms } : {}),
  });

  const auth = authOf(settings);
  const client = auth
    ? createXeroClient({
        ...settings.api,
        auth,
        ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
        ...(settings.fetch ? { fetch: settings.fetch } : {}),
        ...(settings.rateLimitStore ? { rateLimitStore: settings.rateLimitStore } : {}),
        ...(settings.tier ? { tier: settings.tier } : {}),
        ...(settings.dailyLimit !== undefined ? { dailyLimit: settings.dailyLimit } : {}),
        ...(settings.logger ? { logger: settings.logger } : {}),
      })
    : undefined;
  // Fetch-on-notify: `GET /{Collection}/{id}` through the client (its rate limits, token refresh and
  // error mapping), unless the deployment brings its own.
  const fetchRecord: XeroFetchRecord | undefined =
    settings.fetchRecord ?? (client ? (request) => client.getRecord(request) : undefined);
  const pollers: PollerV1<XeroSourceEvent>[] = client ? createXeroPollers({ ...settings.pollers, client }) : [];
  const reconcilers: ReconcilerV1<XeroSourceEvent>[] = client
    ? createXeroReconcilers({ ...settings.reconcilers, client })
    : [];
  const hydrate = createXeroHydrate(fetchRecord);
  // OAuth only (a token you manage has no expiry here): the scheduler's renewal ahead of expiry.
  const renew = client?.renewCredentials;
  // Connections belong to a grant, not a tenant: discovery lists the grants the settings name.
  const discoverTenants =
    settings.oauth && settings.discovery
      ? createXeroDiscovery({
          oauth: settings.oauth,
          discovery: settings.discovery,
          fetch: settings.fetch,
          logger: settings.logger,
          ...(settings.api?.now ? { now: settings.api.now } : {}),
        })
      : undefined;
  const missingApiCredentials = client ? undefined : XERO_API_CREDENTIAL_VARIABLES;
  // Xero's webhooks carry ids only (https://developer.xero.com/documentation/webhooks/overview): without the API
  // every delivery is dead-lettered by the worker, unless the deployment fetches records itself.
  const withoutApi = fetchRecord
    ? 'webhook records are fetched by settings.fetchRecord, but there is no polling and no reconciliation'
    : 'webhooks are verified and stored, but the worker cannot fetch their records, so every delivery is dead-lettered (replay them once it is set); there is no polling and no reconciliation';
  const missingSignal =
    missingApiCredentials &&
    reportMissingApiCredentials({
      packageName: XERO_PACKAGE_NAME,
      source: XERO_SOURCE,
      displayName: 'Xero',
      variables: missingApiCredentials,
      withoutApi,
      logger: settings.logger,
    });

  const webhook = createXeroWebhook(settings.webhook);
  const handlers = createEventHandlers<XeroEventMap>({ packageName: XERO_PACKAGE_NAME, logger: settings.logger });
  return {
    specificationVersion: 'v1',
    source: XERO_SOURCE,
    packageName: XERO_PACKAGE_NAME,
    // Finance data within 5 minutes (the Xero issue's target).
    freshnessTargetMs: 300_000,
    webhook,
    webhooks: { default: webhook },
    transformer,
    migrations: XERO_MIGRATIONS,
    // Every mirror table is keyed (tenant, id): what act_grant_tenant_access filters app users' reads on.
    tenantColumn: 'tenant_id',
    pollers,
    reconcilers,
    client,
    missingApiCredentials,
    hydrate,
    async refreshCredentials(tenant) {
      await client?.refreshCredentials(tenant);
    },
    ...(renew
      ? {
          renewCredentials: ({ tenant, aheadMs, signal }: TenantJobContextV1 & { aheadMs: number }) =>
            renew(tenant, { aheadMs, signal }),
        }
      : {}),
    ...(discoverTenants ? { discoverTenants } : {}),
    onApplied: runHandlersOnApplied(handlers),
    on: handlers.on,
    onAny: handlers.onAny,
    onError: handlers.onError,
    removeListener: handlers.removeListener,
    async healthSignals({ store, credentials, now }) {
      const signals: HealthSignalV1[] = [];
      if (missingSignal) signals.push(missingSignal);
      // invalid_grant: the refresh token was refused (60 days unused, revoked, or the
      // app disconnected, [X5]); only a person re-authorising fixes it.
      const credentialStore = credentials ?? settings.oauth?.credentials;
      for (const invalid of (await credentialStore?.listInvalid(`${XERO_SOURCE}:`)) ?? []) {
        const tenant = invalid.key.slice(XERO_SOURCE.length + 1);
        signals.push({
          source: XERO_SOURCE,
          tenant,
          status: 'red',
          code: 'reconnect_required',
          message: `reconnect Xero for tenant ${tenant}: ${invalid.invalidReason}; webhooks are stored but cannot be fetched until someone authorises the app again`,
          since: invalid.updatedAt,
        });
      }
      const gaps = await readXeroSequenceGaps(store, {
        ...(settings.sequenceScope ? { scope: settings.sequenceScope } : {}),
        ...(now ? { now } : {}),
      });
      for (const gap of gaps) {
        signals.push({
          source: XERO_SOURCE,
          tenant: gap.scope,
          status: 'amber',
          code: 'sequence_gap',
          message: `webhook events ${gap.from}–${gap.to} (${gap.missing}) never arrived; reconciliation repairs what they changed`,
          since: gap.since,
        });
      }
      return signals;
    },
    sequenceGaps(store, options = {}) {
      return readXeroSequenceGaps(store, {
        ...(settings.sequenceScope ? { scope: settings.sequenceScope } : {}),
        ...options,
      });
    },
  };
}

/** What a connector without API access needs: the OAuth app (or a bearer token given in code). */
const XERO_API_CREDENTIAL_VARIABLES = 'XERO_CLIENT_ID and XERO_CLIENT_SECRET (settings.oauth; or settings.accessToken)';

function authOf(settings: XeroConnectorSettings): XeroAuth | undefined {
  return chooseApiAuth(settings, {
    packageName: XERO_PACKAGE_NAME,
    tokenType: 'access-token',
    either: ['oauth (XERO_CLIENT_ID and XERO_CLIENT_SECRET)', 'accessToken'],
  });
}
