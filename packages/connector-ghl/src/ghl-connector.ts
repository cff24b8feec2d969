import { chooseApiAuth, reportMissingApiCredentials, runHandlersOnApplied } from '@act/connector-kit';
import {
  ConfigurationError,
  type ConnectorV1,
  type CredentialStoreV1,
  type HealthSignalV1,
  type PollerV1,
  type ReconcilerV1,
  type TenantJobContextV1,
  type TenantLifecycleV1,
  type TransformerV1,
} from '@act/core';
import { GHL_MIGRATIONS } from './generated/migrations';
import { createGhlClient, type GhlAuth, type GhlClient } from './ghl-client';
import { GHL_PACKAGE_NAME, GHL_SOURCE } from './ghl-error';
import type { GhlAppInstallPayload, GhlAppUninstallPayload, GhlEvent, GhlSourceEvent } from './ghl-events';
import { createGhlHandlers, type GhlHandlers } from './ghl-handlers';
import { createGhlPollers } from './ghl-poller';
import { createGhlReconcilers } from './ghl-reconcile';
import type { GhlConnectorSettings } from './ghl-settings';
import { createGhlTransformer } from './ghl-transform';
import { createGhlWebhook, createGhlWorkflowWebhook, type GhlWebhookProcessor } from './ghl-webhook';
import { createGhlWriter, type GhlWriter, type GhlWriterOptions } from './ghl-writeback';
import { ghlContactsDestination, ghlSinkContactMirror } from './ghl-writeback-outbox';

/** The GoHighLevel connector: every part `@act/core`'s handler, worker, `runPoller` and `runReconciliation` use. */
export interface GhlConnector extends ConnectorV1<GhlSourceEvent>, GhlHandlers {
  /**
   * Locations whose refresh token was refused (`reconnect_required`, red) and,
   * for a connector created without API credentials, `api_credentials_missing`
   * (amber), for dashboards and `act health`.
   */
  healthSignals(context: { credentials?: CredentialStoreV1 }): Promise<HealthSignalV1[]>;
  /** Marketplace webhooks (signed): mount on your GHL app's webhook URL. */
  readonly webhook: GhlWebhookProcessor;
  /**
   * Workflow ("custom") webhooks, authenticated by your shared secret: mount
   * on a route of its own.
   */
  readonly workflowWebhook: GhlWebhookProcessor;
  /**
   * The processors `createAct` routes to: `default` (`webhook`) at `/ghl`
   * and `workflow` (`workflowWebhook`) at `/ghl/workflow`. The inbox row
   * records which one accepted a delivery.
   */
  readonly webhooks: { readonly default: GhlWebhookProcessor; readonly workflow: GhlWebhookProcessor };
  readonly transformer: TransformerV1<GhlSourceEvent>;
  readonly migrations: readonly { name: string; sql: string }[];
  /**
   * Streams `contacts`, `opportunities`, `pipelines`, `appointments`; none
   * without API credentials. Contacts, opportunities and appointments are
   * `fallback` pollers (webhooks carry them: they run only while the
   * location's webhooks are quiet); pipelines, which no webhook carries, are
   * polled on the scheduler's interval.
   */
  readonly pollers: readonly PollerV1<GhlSourceEvent>[];
  /** Tables `ghl_contacts`, `ghl_opportunities`, `ghl_pipelines`; none without API credentials. */
  readonly reconcilers: readonly ReconcilerV1<GhlSourceEvent>[];
  /** The API client (`undefined` without API credentials). */
  readonly client: GhlClient | undefined;
  /** Without API credentials: the variables to set (`runPoller`/`runReconciliation` throw naming them). */
  readonly missingApiCredentials: string | undefined;
  /** The worker's 401 hook: refreshes the location's OAuth token (a no-op for Private Integration Tokens). */
  refreshCredentials(tenant: string): Promise<void>;
  /**
   * The locations an app event connects or disconnects, for the scheduler's
   * connections registry (see `ghlLifecycle`).
   */
  lifecycle(event: GhlSourceEvent): readonly TenantLifecycleV1[] | undefined;
  /**
   * With OAuth only: the scheduler refreshes a location's token when it
   * expires within `aheadMs` (GHL access tokens last a day, `expires_in`
   * 86399), single-flight under the same lease as every refresh. Absent with
   * a Private Integration Token, which has no expiry to manage.
   */
  renewCredentials?(context: TenantJobContextV1 & { aheadMs: number }): Promise<{ expiresAt: Date | null }>;
  /**
   * A write-back client for contacts (local changes → GHL) that applies this
   * connector's `ghl_contacts` blocked fields to every request. See the README.
   *
   * @throws ConfigurationError without API credentials.
   */
  createWriter(options: Omit<GhlWriterOptions, 'client' | 'fieldPolicies' | 'defaultCountry'>): GhlWriter;
}

/**
 * Wire GoHighLevel's webhook processors, API client, pollers, reconcilers
 * and transformer.
 *
 * ```ts
 * const ghl = createGhlConnector(loadGhlSettings(process.env));
 * ghl.on('ContactUpdate', (event) => console.log(event.payload.email));
 * const act = createAct({ state, connectors: [ghl] }); // POST /ghl, POST /ghl/workflow
 * act.worker.start();
 * ```
 *
 * Handlers (`on`, `onAny`) run when the worker has processed a stored
 * webhook delivery: after its mirror write committed (core's `onApplied`),
 * and not for events the sink skipped as stale or unchanged. At least once: a
 * crash right after the commit runs them again on reprocessing, so keep
 * handlers idempotent. A handler that throws goes to `onError` (or the log)
 * and never holds up the mirror. Polled and reconciled records do not run
 * handlers.
 *
 * @throws ConfigurationError for malformed keys, an unknown phone country,
 *   a workflow webhook without a header or parameter, or bad API settings.
 */
export function createGhlConnector(settings: GhlConnectorSettings = {}): GhlConnector {
  const logger = settings.logger;
  const handlers = createGhlHandlers(logger ? { logger } : {});
  const pure = createGhlTransformer({
    ...(settings.fieldPolicies ? { fieldPolicies: settings.fieldPolicies } : {}),
    ...(settings.defaultPhoneCountry ? { defaultPhoneCountry: settings.defaultPhoneCountry } : {}),
  });
  const transformer: TransformerV1<GhlSourceEvent> = pure;

  const auth = authOf(settings);
  const client = auth
    ? createGhlClient({
        ...settings.api,
        auth,
        ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
        ...(settings.fetch ? { fetch: settings.fetch } : {}),
        ...(settings.rateLimitStore ? { rateLimitStore: settings.rateLimitStore } : {}),
        ...(logger ? { logger } : {}),
      })
    : undefined;
  const missingApiCredentials = client ? undefined : GHL_API_CREDENTIAL_VARIABLES;
  // OAuth only (a Private Integration Token has no expiry): the scheduler's renewal ahead of expiry.
  const renew = client?.renewCredentials;
  // Warned once, at creation: GHL drops any webhook not answered 2xx or 429
  // (https://help.gohighlevel.com/support/solutions/articles/155000007071),
  // and without the API nothing repairs it.
  const missingSignal =
    missingApiCredentials &&
    reportMissingApiCredentials({
      packageName: GHL_PACKAGE_NAME,
      source: GHL_SOURCE,
      displayName: 'GoHighLevel',
      variables: missingApiCredentials,
      withoutApi:
        'webhooks are received and applied, but there is no polling, no reconciliation and no write-back, so a webhook GHL failed to deliver is never repaired',
      logger,
    });

  const createWriter: GhlConnector['createWriter'] = (options) => {
    if (!client) {
      throw new ConfigurationError({
        packageName: GHL_PACKAGE_NAME,
        message: `write-back needs API credentials: set ${GHL_API_CREDENTIAL_VARIABLES}`,
      });
    }
    return createGhlWriter({
      ...options,
      client,
      fieldPolicies: pure.fieldPolicies ?? {},
      ...(settings.defaultPhoneCountry
        ? { defaultCountry: settings.defaultPhoneCountry.trim().toUpperCase() as GhlWriterOptions['defaultCountry'] }
        : {}),
      ...(options.logger || logger ? { logger: options.logger ?? logger } : {}),
    } as GhlWriterOptions);
  };
  // Write-back through the outbox: configured at creation, so a missing credential fails now, not per message.
  const destinations = settings.writeBack
    ? [
        ghlContactsDestination({
          writer: createWriter({ mirror: ghlSinkContactMirror(settings.writeBack.sink) }),
          ...(settings.writeBack.maxAttempts !== undefined ? { maxAttempts: settings.writeBack.maxAttempts } : {}),
        }),
      ]
    : undefined;

  const webhook = createGhlWebhook(settings.webhook);
  const workflowWebhook = createGhlWorkflowWebhook(settings.workflowWebhook ?? { secrets: [] });
  return {
    specificationVersion: 'v1',
    source: GHL_SOURCE,
    packageName: GHL_PACKAGE_NAME,
    // GoHighLevel users expect changes within 30 s (issue: GHL freshness target).
    freshnessTargetMs: 30_000,
    webhook,
    workflowWebhook,
    webhooks: { default: webhook, workflow: workflowWebhook },
    transformer,
    migrations: GHL_MIGRATIONS,
    // Every mirror table is keyed (tenant, id): what act_grant_tenant_access filters app users' reads on.
    tenantColumn: 'location_id',
    pollers: client ? createGhlPollers({ ...settings.pollers, client }) : [],
    reconcilers: client ? createGhlReconcilers({ ...settings.reconcilers, client }) : [],
    client,
    missingApiCredentials,
    async healthSignals({ credentials }) {
      if (missingSignal) return [missingSignal];
      // A refused refresh token (invalid_grant) stops pollers, reconciliation and
      // write-back for that location until someone re-installs or re-authorises the app.
      const store = credentials ?? settings.oauth?.credentials;
      return ((await store?.listInvalid(`${GHL_SOURCE}:`)) ?? []).map(
        (invalid): HealthSignalV1 => ({
          source: GHL_SOURCE,
          tenant: invalid.key.slice(GHL_SOURCE.length + 1),
          status: 'red',
          code: 'reconnect_required',
          message: `reconnect GoHighLevel for location ${invalid.key.slice(GHL_SOURCE.length + 1)}: ${invalid.invalidReason}; webhooks still arrive, but polling, reconciliation and write-back stop until the app is authorised again`,
          since: invalid.updatedAt,
        }),
      );
    },
    // GHL webhooks carry the whole record ([G2]), so there is no `hydrate`.

    async refreshCredentials(tenant) {
      await client?.refreshCredentials(tenant);
    },
    lifecycle: ghlLifecycle,
    ...(renew
      ? {
          renewCredentials: ({ tenant, aheadMs, signal }: TenantJobContextV1 & { aheadMs: number }) =>
            renew(tenant, { aheadMs, signal }),
        }
      : {}),

    createWriter,
    ...(destinations ? { destinations } : {}),

    // Handlers run after the mirror write commits, for webhook events the sink did not skip.
    onApplied: runHandlersOnApplied<GhlEvent>(handlers),

    on: handlers.on,
    onAny: handlers.onAny,
    onError: handlers.onError,
    removeListener: handlers.removeListener,
    receive: handlers.receive,
  };
}

/** What a connector without API access needs: a Private Integration Token, or an OAuth app. */
const GHL_API_CREDENTIAL_VARIABLES =
  'GHL_ACCESS_TOKEN (settings.accessToken), or GHL_CLIENT_ID and GHL_CLIENT_SECRET (settings.oauth)';

function authOf(settings: GhlConnectorSettings): GhlAuth | undefined {
  return chooseApiAuth(settings, {
    packageName: GHL_PACKAGE_NAME,
    tokenType: 'private-integration',
    either: ['accessToken (a Private Integration Token)', 'oauth'],
  });
}

/**
 * The locations a Marketplace app event connects or disconnects
 * (`ConnectorV1.lifecycle`; the worker applies them to the connections
 * registry once the event is stored). Only GHL's documented shapes
 * (AppInstall.md and AppUninstall.md, [G2]; fixtures `app-install.*`,
 * `app-uninstall.*`):
 * - `INSTALL` for a location names it in `locationId`: connect it. A bulk
 *   install lists the locations in `locationIds` (the official SDK's
 *   `InstallWebhookRequest`, [G8]): connect each one.
 * - an agency-level `INSTALL` (`companyId` only) names no location: nothing
 *   is connected until a location is (its own `INSTALL`, or your app's
 *   registration after it obtains the location's token).
 * - `UNINSTALL` of a location (`locationId`): disconnect it, reason
 *   `uninstalled` (its mirror rows are kept).
 * - a company-level `UNINSTALL` (`companyId` only) names no location, and GHL
 *   does not say which locations it covered, so it disconnects nothing:
 *   disconnect those locations yourself, or let their refused refresh tokens
 *   turn them `reconnect_required`.
 * Workflow webhooks and every other event: `undefined`.
 */
export function ghlLifecycle(event: GhlSourceEvent): readonly TenantLifecycleV1[] | undefined {
  if (event.origin !== 'marketplace-webhook') return undefined;
  if (event.type === 'INSTALL') {
    const payload = event.payload as GhlAppInstallPayload;
    const locations = new Set<string>();
    if (payload.locationId) locations.add(payload.locationId);
    for (const id of payload.locationIds ?? []) if (id) locations.add(id);
    return [...locations].map((tenant): TenantLifecycleV1 => ({ action: 'connect', tenant }));
  }
  if (event.type === 'UNINSTALL') {
    const payload = event.payload as GhlAppUninstallPayload;
    return payload.locationId ? [{ action: 'disconnect', tenant: payload.locationId, reason: 'uninstalled' }] : [];
  }
  return undefined;
}
