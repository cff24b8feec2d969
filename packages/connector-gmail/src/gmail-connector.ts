import {
  createEventHandlers,
  type EventHandlers,
  reportMissingApiCredentials,
  runHandlersOnApplied,
} from '@act/connector-kit';
import type {
  ConnectorV1,
  CredentialStoreV1,
  HealthSignalV1,
  HydrateContextV1,
  PollerV1,
  ReconcilerV1,
  StateStoreV1,
  SubscriptionV1,
  SyncStoreV1,
  TenantJobContextV1,
  WebhookProcessorV1,
} from '@act/core';
import { GMAIL_MIGRATIONS } from './generated/migrations';
import { createGmailClient, type GmailClient, gmailErrors, hasGmailApiCredentials } from './gmail-client';
import { type GmailEventType, type GmailSourceEvent, gmailVersion, normalizeMailbox } from './gmail-events';
import { createGmailHistoryPoller } from './gmail-poller';
import type { GmailConnectorSettings } from './gmail-settings';
import { createGmailTransformer, GMAIL_MESSAGES } from './gmail-transform';
import { createGmailWatch, gmailWatchSignals } from './gmail-watch';
import { createGmailWebhook } from './gmail-webhook';
import { GMAIL_PACKAGE_NAME, GMAIL_SOURCE, googleReconnectSignals } from './google-settings';

/** Each event type → what `on(type, handler)` receives (after the mirror write committed). */
export type GmailEventMap = { [T in GmailEventType]: GmailSourceEvent & { type: T } };

/** The Gmail connector: every part `@act/core`'s handler, worker, scheduler and `runPoller` use, and typed `on()`. */
export interface GmailConnector extends ConnectorV1<GmailSourceEvent>, Omit<EventHandlers<GmailEventMap>, 'receive'> {
  readonly webhook: WebhookProcessorV1<GmailSourceEvent>;
  /** The push endpoint `createAct` routes to: `default` at `/gmail`. */
  readonly webhooks: { readonly default: WebhookProcessorV1<GmailSourceEvent> };
  /** `[history]` with API credentials, `[]` without. */
  readonly pollers: readonly PollerV1<GmailSourceEvent>[];
  readonly reconcilers: readonly ReconcilerV1<GmailSourceEvent>[];
  readonly subscriptions: readonly SubscriptionV1[];
  readonly migrations: readonly { name: string; sql: string }[];
  /** The API client (`undefined` without API credentials). */
  readonly client: GmailClient | undefined;
  readonly missingApiCredentials: string | undefined;
  hydrate(event: GmailSourceEvent, context: HydrateContextV1): Promise<GmailSourceEvent | null>;
  refreshCredentials(tenant: string): Promise<void>;
  renewCredentials?(context: TenantJobContextV1 & { aheadMs: number }): Promise<{ expiresAt: Date | null }>;
  healthSignals(context: {
    store: StateStoreV1;
    credentials?: CredentialStoreV1;
    sync?: SyncStoreV1;
    now?: Date;
  }): Promise<HealthSignalV1[]>;
}

const GMAIL_API_CREDENTIAL_VARIABLES =
  'GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (oauth, with the credential store holding google:<mailbox>), or GOOGLE_ACCESS_TOKEN (accessToken)';
const TOPIC_PATTERN = /^projects\/[^/\s]+\/topics\/[^/\s]+$/;

/**
 * `createAct({ state, connectors: [createGmailConnector(loadGmailSettings(process.env, { oauth: { credentials } }))] })`.
 *
 * A push [G2] says only "this mailbox changed": the push endpoint stores it as
 * a request to sync the mailbox's `history` stream, which the worker runs
 * (coalesced per mailbox) through the `history` poller; that poller also runs
 * every `pollIntervalMs` as the safety net [G3], and a full listing (the
 * reconciler) finds deletions after an expired history cursor.
 *
 * @throws ConfigurationError for a bad `pageSize`, `watch.topicName`, or `gmail.metadata` with `full`/`raw`.
 */
export function createGmailConnector(settings: GmailConnectorSettings): GmailConnector {
  if (settings.watch && !TOPIC_PATTERN.test(settings.watch.topicName)) {
    throw gmailErrors.configuration(
      `watch.topicName must be projects/<project>/topics/<topic>, got "${settings.watch.topicName}"`,
    );
  }
  const intervalMs = settings.pollIntervalMs ?? 600_000;
  if (!Number.isFinite(intervalMs) || intervalMs < 60_000) {
    throw gmailErrors.configuration(`pollIntervalMs must be at least 60000 (a minute), got ${String(intervalMs)}`);
  }
  const concurrency = settings.fetchConcurrency ?? 10;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 100) {
    throw gmailErrors.configuration(`fetchConcurrency must be an integer from 1 to 100, got ${String(concurrency)}`);
  }
  const client = hasGmailApiCredentials(settings) ? createGmailClient(settings) : undefined;
  const poller = client ? createGmailHistoryPoller({ client, intervalMs, concurrency }) : undefined;
  const watchState = settings.watchState ?? settings.oauth?.credentials;
  const watch =
    client && settings.watch
      ? createGmailWatch({ client, state: watchState, ...(settings.now ? { now: settings.now } : {}) })
      : undefined;

  const missingApiCredentials = client ? undefined : GMAIL_API_CREDENTIAL_VARIABLES;
  const missingSignal =
    missingApiCredentials &&
    reportMissingApiCredentials({
      packageName: GMAIL_PACKAGE_NAME,
      source: GMAIL_SOURCE,
      displayName: 'Gmail',
      variables: missingApiCredentials,
      // [G2] A push carries no message: without the API nothing can be synced.
      withoutApi:
        'pushes are verified and stored, but no mailbox is synced (a push carries only a history id), and no watch is kept',
      logger: settings.logger,
    });

  const webhook = createGmailWebhook(settings.push);
  const handlers = createEventHandlers<GmailEventMap>({
    packageName: GMAIL_PACKAGE_NAME,
    ...(settings.logger ? { logger: settings.logger } : {}),
  });
  const renew = client?.renewCredentials;
  return {
    specificationVersion: 'v1',
    source: GMAIL_SOURCE,
    packageName: GMAIL_PACKAGE_NAME,
    // Mail within 5 minutes: a push is synced within seconds; the safety-net poll bounds a dropped one.
    freshnessTargetMs: 300_000,
    webhook,
    webhooks: { default: webhook },
    pollers: poller ? [poller] : [],
    // The full listing repairs the `history` stream after Gmail expired its cursor (404) [G4]:
    // messages deleted meanwhile are the mirror's rows the listing no longer has.
    reconcilers: poller ? [GMAIL_MESSAGES.reconciler(poller.listAll, { stream: poller.stream })] : [],
    subscriptions: watch ? [watch] : [],
    transformer: createGmailTransformer(settings.fieldPolicies ? { fieldPolicies: settings.fieldPolicies } : {}),
    migrations: GMAIL_MIGRATIONS.filter((migration) => migration.name.includes('_gmail_')),
    // What act_grant_tenant_access filters app users' reads on.
    tenantColumn: 'mailbox',
    client,
    missingApiCredentials,

    // The reconciler lists ids only: the messages the mirror lacks are fetched here; a 404 (deleted since) is skipped.
    async hydrate(event, context) {
      if (!event.thin) return event;
      if (!client) {
        throw gmailErrors.configuration(
          `message ${event.entityId} cannot be fetched: ${GMAIL_API_CREDENTIAL_VARIABLES}`,
        );
      }
      const message = await client.getMessage(event.tenant, event.entityId, { signal: context.signal });
      if (!message) return null;
      const version = gmailVersion(message.historyId);
      const { version: _thinVersion, thin: _thin, ...rest } = event;
      return { ...rest, payload: message, ...(version !== undefined ? { version } : {}) };
    },
    async refreshCredentials(tenant) {
      await client?.refreshCredentials(normalizeMailbox(tenant));
    },
    ...(renew
      ? {
          renewCredentials: ({ tenant, aheadMs, signal }: TenantJobContextV1 & { aheadMs: number }) =>
            renew(tenant, { aheadMs, signal }),
        }
      : {}),
    // Handlers run once the mirror write committed.
    onApplied: runHandlersOnApplied(handlers),
    on: handlers.on,
    onAny: handlers.onAny,
    onError: handlers.onError,
    removeListener: handlers.removeListener,
    async healthSignals({ credentials, sync, now }) {
      const signals: HealthSignalV1[] = [];
      if (missingSignal) signals.push(missingSignal);
      // invalid_grant: the Google account revoked the grant [O1]; only the user reconnecting fixes it.
      signals.push(
        ...(await googleReconnectSignals({
          source: GMAIL_SOURCE,
          credentials: credentials ?? settings.oauth?.credentials,
          credentialKey: settings.credentialKey,
          message: (tenant, reason) =>
            `reconnect Google for ${tenant}: ${reason}; pushes are stored but the mailbox cannot be synced until the user authorises the app again`,
        })),
      );
      const state = watchState ?? credentials;
      if (sync && state) {
        signals.push(
          ...(await gmailWatchSignals({
            sync,
            state,
            expectWatch: watch !== undefined,
            now: now ?? settings.now?.() ?? new Date(),
          })),
        );
      }
      return signals;
    },
  };
}
