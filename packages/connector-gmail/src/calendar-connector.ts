import {
  chooseApiAuth,
  createEventHandlers,
  type EventHandlers,
  reportMissingApiCredentials,
  runHandlersOnApplied,
} from '@act/connector-kit';
import {
  ConfigurationError,
  type ConnectorV1,
  type CredentialStoreV1,
  type HealthSignalV1,
  type PollerV1,
  type ReconcilerV1,
  type StateStoreV1,
  type SubscriptionV1,
  type SyncStoreV1,
  type TenantJobContextV1,
  type WebhookProcessorV1,
} from '@act/core';
import {
  CALENDAR_CHANNEL_SUBSCRIPTION,
  type CalendarChannelStore,
  calendarChannelStore,
  calendarChannelSubscription,
  channelRenewBeforeMs,
  requireChannelStore,
} from './calendar-channels';
import { createCalendarClient } from './calendar-client';
import type { CalendarEventType, CalendarSourceEvent } from './calendar-events';
import { createCalendarPoller } from './calendar-poller';
import {
  CALENDAR_DEFAULT_MAX_RESULTS,
  CALENDAR_DEFAULT_POLL_INTERVAL_MS,
  type CalendarConnectorSettings,
  checkCalendarSettings,
} from './calendar-settings';
import { CALENDAR_EVENTS, createCalendarTransformer } from './calendar-transform';
import { createCalendarWebhook } from './calendar-webhook';
import { GMAIL_MIGRATIONS } from './generated/migrations';
import { CALENDAR_SOURCE, GMAIL_PACKAGE_NAME, googleReconnectSignals } from './google-settings';

/** Each event type → what `on(type, handler)` receives (after the mirror write committed). */
export type CalendarEventMap = { [T in CalendarEventType]: CalendarSourceEvent & { type: T } };

const CALENDAR_API_CREDENTIAL_VARIABLES =
  'GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (settings.oauth; or GOOGLE_ACCESS_TOKEN, settings.accessToken)';

const ONE_DAY_MS = 24 * 60 * 60_000;

/** The Google Calendar connector: every part `@act/core`'s handler, worker, scheduler and `runPoller` use, and typed `on()`. */
export interface CalendarConnector
  extends ConnectorV1<CalendarSourceEvent>,
    Omit<EventHandlers<CalendarEventMap>, 'receive'> {
  readonly webhook: WebhookProcessorV1<CalendarSourceEvent>;
  /** The processors `createAct` routes to: `default` (`webhook`) at `/calendar`. */
  readonly webhooks: { readonly default: WebhookProcessorV1<CalendarSourceEvent> };
  /** The `events` stream (none without API credentials). */
  readonly pollers: readonly PollerV1<CalendarSourceEvent>[];
  /** `calendar_events`, repairing the `events` stream after a 410 (none without API credentials). */
  readonly reconcilers: readonly ReconcilerV1<CalendarSourceEvent>[];
  /** `calendar-channel` when `settings.channel` is set and API credentials are given. */
  readonly subscriptions: readonly SubscriptionV1[];
  readonly migrations: readonly { name: string; sql: string }[];
  readonly missingApiCredentials: string | undefined;
  refreshCredentials(tenant: string): Promise<void>;
  /** With OAuth2 only: the scheduler's refresh ahead of expiry. */
  renewCredentials?(context: TenantJobContextV1 & { aheadMs: number }): Promise<{ expiresAt: Date | null }>;
  /**
   * `channel_expiring` (amber: a calendar's channel is due for renewal, a
   * day before it expires by default, and was not renewed), `channel_lapsed` (red: it expired, or was never made;
   * notifications stopped, only the safety-net poll runs),
   * `reconnect_required` (red) and `api_credentials_missing` (amber).
   * Calendars come from the connections registry (`sync`) when given, and
   * from the inbox's figures.
   */
  healthSignals(context: {
    store: StateStoreV1;
    credentials?: CredentialStoreV1;
    sync?: SyncStoreV1;
    now?: Date;
  }): Promise<HealthSignalV1[]>;
}

/**
 * `createAct({ state, connectors: [createCalendarConnector(loadCalendarSettings(process.env, { oauth: { credentials } }))] })`.
 *
 * Tenants are calendar ids (a primary calendar's id is its account's
 * address); `credentialKey` maps other calendars to their account.
 *
 * @throws ConfigurationError for a bad setting, both `oauth` and
 *   `accessToken`, or a channel without a store for its records.
 */
export function createCalendarConnector(settings: CalendarConnectorSettings): CalendarConnector {
  checkCalendarSettings(settings, (message) => new ConfigurationError({ packageName: GMAIL_PACKAGE_NAME, message }));
  const auth = chooseApiAuth(settings, {
    packageName: GMAIL_PACKAGE_NAME,
    tokenType: 'access-token',
    either: ['oauth (GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET)', 'accessToken (GOOGLE_ACCESS_TOKEN)'],
  });
  const channelCredentials = settings.channels ?? settings.oauth?.credentials;
  const channels: CalendarChannelStore | undefined = channelCredentials
    ? calendarChannelStore(channelCredentials)
    : undefined;
  const client = auth ? createCalendarClient(settings) : undefined;
  const missingApiCredentials = client ? undefined : CALENDAR_API_CREDENTIAL_VARIABLES;
  const missingSignal =
    missingApiCredentials &&
    reportMissingApiCredentials({
      packageName: GMAIL_PACKAGE_NAME,
      source: CALENDAR_SOURCE,
      displayName: 'Google Calendar',
      variables: missingApiCredentials,
      withoutApi:
        'notifications are received and stored, but no calendar is synced and no notification channel is made',
      logger: settings.logger,
    });

  const webhook = createCalendarWebhook({ channels });
  const poller = client
    ? createCalendarPoller({
        client,
        maxResults: settings.maxResults ?? CALENDAR_DEFAULT_MAX_RESULTS,
        showDeleted: settings.showDeleted ?? true,
        intervalMs: settings.pollIntervalMs ?? CALENDAR_DEFAULT_POLL_INTERVAL_MS,
        ...(settings.now ? { now: settings.now } : {}),
      })
    : undefined;
  const subscription =
    client && settings.channel
      ? calendarChannelSubscription({
          client,
          channels: calendarChannelStore(requireChannelStore(channelCredentials)),
          channel: settings.channel,
          logger: settings.logger,
          ...(settings.now ? { now: settings.now } : {}),
        })
      : undefined;
  const handlers = createEventHandlers<CalendarEventMap>({
    packageName: GMAIL_PACKAGE_NAME,
    ...(settings.logger ? { logger: settings.logger } : {}),
  });
  const renew = client?.renewCredentials;
  const clock = settings.now ?? (() => new Date());
  // Amber once a renewal is overdue: the scheduler renews `renewBeforeMs` ahead of expiry (a day,
  // or half a short lifetime), so a channel still that close to expiry some minutes later was not renewed.
  const renewBeforeMs = settings.channel ? channelRenewBeforeMs(settings.channel) : ONE_DAY_MS;
  const amberBeforeMs = renewBeforeMs - Math.min(10 * 60_000, renewBeforeMs / 4);

  return {
    specificationVersion: 'v1',
    source: CALENDAR_SOURCE,
    packageName: GMAIL_PACKAGE_NAME,
    // Notifications ask for a sync within seconds; the safety-net poll runs every 10 minutes.
    freshnessTargetMs: 5 * 60_000,
    webhook,
    webhooks: { default: webhook },
    pollers: poller ? [poller] : [],
    reconcilers: poller ? [CALENDAR_EVENTS.reconciler(poller.listAll, { stream: poller.stream })] : [],
    subscriptions: subscription ? [subscription] : [],
    missingApiCredentials,
    transformer: createCalendarTransformer({ fieldPolicies: settings.fieldPolicies }),
    migrations: GMAIL_MIGRATIONS.filter((migration) => migration.name.includes('_calendar_')),
    // What act_grant_tenant_access filters app users' reads on.
    tenantColumn: 'calendar_id',
    refreshCredentials: async (tenant) => {
      await client?.refreshCredentials(tenant);
    },
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
    async healthSignals({ store, credentials, sync, now }) {
      const at = now ?? clock();
      const signals: HealthSignalV1[] = [];
      if (missingSignal) signals.push(missingSignal);
      // invalid_grant: the account's refresh token was refused; only a person re-authorising fixes it.
      signals.push(
        ...(await googleReconnectSignals({
          source: CALENDAR_SOURCE,
          credentials: credentials ?? settings.oauth?.credentials,
          credentialKey: settings.credentialKey,
          message: (tenant, reason) =>
            `reconnect Google account ${tenant}: ${reason}; its calendars cannot be synced until someone authorises the app again`,
        })),
      );
      if (!subscription || !channels) return signals;
      for (const calendarId of await calendarsOf(store, sync)) {
        const currentId = await channels.current(calendarId);
        const current = currentId ? await channels.get(currentId) : null;
        const expiresAt = current?.expiresAt && !current.stoppedAt ? new Date(current.expiresAt) : null;
        if (!expiresAt || expiresAt.getTime() <= at.getTime()) {
          signals.push({
            source: CALENDAR_SOURCE,
            tenant: calendarId,
            status: 'red',
            code: 'channel_lapsed',
            message: expiresAt
              ? `the notification channel of calendar ${calendarId} expired at ${expiresAt.toISOString()}: changes arrive only with the safety-net poll until the scheduler renews it (check its renew job's errors)`
              : `calendar ${calendarId} has no notification channel: changes arrive only with the safety-net poll until the scheduler makes one (check its renew job's errors)`,
            ...(expiresAt ? { since: expiresAt } : {}),
          });
        } else if (expiresAt.getTime() - at.getTime() < amberBeforeMs) {
          signals.push({
            source: CALENDAR_SOURCE,
            tenant: calendarId,
            status: 'amber',
            code: 'channel_expiring',
            message: `the notification channel of calendar ${calendarId} expires at ${expiresAt.toISOString()} and was not renewed yet (check the scheduler's renew job)`,
          });
        }
      }
      return signals;
    },
  };
}

/** The calendars to check: connected ones in the registry, and those the inbox has figures for. */
async function calendarsOf(store: StateStoreV1, sync: SyncStoreV1 | undefined): Promise<string[]> {
  const calendars = new Set<string>();
  for (const connection of (await sync?.listConnections({ source: CALENDAR_SOURCE, status: 'active' })) ?? []) {
    calendars.add(connection.tenant);
  }
  if (!sync) {
    for (const figure of await store.health()) {
      if (figure.source === CALENDAR_SOURCE && figure.tenant !== 'unknown') calendars.add(figure.tenant);
    }
  }
  return [...calendars];
}

export { CALENDAR_CHANNEL_SUBSCRIPTION };
