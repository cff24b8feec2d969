import type { CredentialStoreV1 } from '@act/core';
import type { CreateSimulationV1, SimulationV1 } from '@act/core/testing/fake';
import { createCalendarConnector } from '../calendar-connector';
import { loadCalendarSettings } from '../calendar-settings';
import { createGmailConnector } from '../gmail-connector';
import { loadGmailSettings } from '../gmail-settings';
import { defaultGoogleCredentialKey } from '../google-settings';
import { CalendarFake } from './calendar-fake';
import { GmailFake } from './fake';
import { fakeGoogleAccessToken } from './google-fake';

/**
 * The simulated Google accounts of a run: each has a mailbox and a primary
 * calendar (whose id is the address), as at Google, so one stored grant
 * (`google:<address>`) serves both connectors.
 */
export function simulatedGoogleAccounts(runId: string): string[] {
  const mark = runId.toLowerCase().replace(/[^a-z0-9]/g, '');
  return [`ada.${mark}@example.com`, `grace.${mark}@example.com`];
}

/** What the fake's push tokens claim, and the connector checks [P2]. */
const PUSH = {
  audience: 'https://act.example.com/webhooks/gmail',
  serviceAccountEmail: 'gmail-push@act-demo.iam.gserviceaccount.com',
  subscription: 'projects/act-demo/subscriptions/gmail-push',
};
const TOPIC = 'projects/act-demo/topics/gmail';
const DEMO_OAUTH = { clientId: 'demo-google-client.apps.googleusercontent.com', clientSecret: 'demo-google-secret' };

/** As if each account had just connected: a valid access token for a year (the fakes' own; nothing refreshes). */
async function connectAccounts(credentials: CredentialStoreV1, accounts: readonly string[]): Promise<void> {
  for (const account of accounts) {
    await credentials.put(defaultGoogleCredentialKey(account), {
      accessToken: fakeGoogleAccessToken(account),
      refreshToken: `fake-refresh-${account}`,
      expiresAt: Date.now() + 365 * 24 * 3600 * 1000,
    });
  }
}

function listOf(value: string | undefined): string[] {
  return (value ?? '').split(',').flatMap((item) => item.trim() || []);
}

/**
 * Gmail in a simulated run (the demo, the benchmarks): the real account with
 * GOOGLE_CLIENT_ID/GOOGLE_CLIENT_SECRET or GOOGLE_ACCESS_TOKEN set (the
 * mailboxes in DEMO_GMAIL_MAILBOXES), else a fake Gmail with two mailboxes
 * served under `baseUrl`: its API at `/gmail/v1/`, its push-signing keys at
 * `/oauth2/v3/certs` (the connector's `push.jwksUrl`). Each mailbox is
 * watched at setup, as a connected app does, which is what makes Gmail push.
 */
export const createSimulation: CreateSimulationV1 = async ({ baseUrl, random, runId, state, env, logger }) => {
  if (env.GOOGLE_CLIENT_ID || env.GOOGLE_ACCESS_TOKEN) {
    const tenants = listOf(env.DEMO_GMAIL_MAILBOXES);
    return {
      connector: createGmailConnector(
        loadGmailSettings(env, { oauth: { credentials: state.credentials }, rateLimitStore: state.rateLimits, logger }),
      ),
      tenants,
      note: `Gmail: real account (GOOGLE_* set); tokens are read from act_credentials ("google:<address>"); polling ${tenants.join(', ') || 'no mailbox (set DEMO_GMAIL_MAILBOXES)'}`,
    };
  }
  const accounts = simulatedGoogleAccounts(runId);
  const connector = createGmailConnector({
    oauth: { ...DEMO_OAUTH, credentials: state.credentials },
    push: {
      audience: PUSH.audience,
      serviceAccountEmail: PUSH.serviceAccountEmail,
      jwksUrl: `${baseUrl}/oauth2/v3/certs`,
    },
    watch: { topicName: TOPIC },
    baseUrl: `${baseUrl}/gmail/v1/`,
    rateLimitStore: state.rateLimits,
    logger,
  });
  const fake = new GmailFake({
    mailboxes: accounts,
    random,
    runId,
    push: PUSH,
    // Gmail pushes only for watched mailboxes [G2]; a connector without a watch is polled instead.
    requireWatch: (connector.subscriptions ?? []).length > 0,
  });
  return {
    connector,
    fake,
    tenants: fake.tenants,
    // [G2] Gmail publishes at most one notification a second per mailbox; with Calendar, the two share one account.
    weight: 0.5,
    seedPerTenant: 8,
    realAccount:
      'GOOGLE_CLIENT_ID + GOOGLE_CLIENT_SECRET (+ GMAIL_PUSH_AUDIENCE, GMAIL_PUSH_SERVICE_ACCOUNT, GMAIL_PUBSUB_TOPIC)',
    async setup() {
      await connectAccounts(state.credentials, accounts);
      for (const subscription of connector.subscriptions ?? []) {
        for (const tenant of fake.tenants) await subscription.renew({ tenant });
      }
    },
    finish: () => fake.flush(),
    // Without a watch only polling brings changes.
    ...((connector.subscriptions ?? []).length > 0
      ? {}
      : {
          finalPoll: {
            streams: (connector.pollers ?? []).map((poller) => `gmail:${poller.stream}`),
            reason: 'gmail: no users.watch configured',
          },
        }),
  } satisfies SimulationV1;
};

/**
 * Google Calendar in a simulated run: the real account with GOOGLE_* set (the
 * calendars in DEMO_CALENDAR_IDS), else a fake Calendar with the primary
 * calendars of the same two accounts as the Gmail simulation, served under
 * `baseUrl` (`/calendar/v3/`). A channel is made per calendar at setup
 * (`events.watch`), as a connected app does; its records live in the
 * credential store.
 */
export const createCalendarSimulation: CreateSimulationV1 = async ({ baseUrl, random, runId, state, env, logger }) => {
  if (env.GOOGLE_CLIENT_ID || env.GOOGLE_ACCESS_TOKEN) {
    const tenants = listOf(env.DEMO_CALENDAR_IDS);
    return {
      connector: createCalendarConnector(
        loadCalendarSettings(env, {
          oauth: { credentials: state.credentials },
          channels: state.credentials,
          rateLimitStore: state.rateLimits,
          logger,
        }),
      ),
      tenants,
      note: `Google Calendar: real account (GOOGLE_* set); polling ${tenants.join(', ') || 'no calendar (set DEMO_CALENDAR_IDS)'}`,
    };
  }
  const accounts = simulatedGoogleAccounts(runId);
  const connector = createCalendarConnector({
    oauth: { ...DEMO_OAUTH, credentials: state.credentials },
    // Google posts only to https [C2]: the fake records the address, the tool running it posts the notifications.
    channel: { address: 'https://act.example.com/webhooks/calendar' },
    channels: state.credentials,
    baseUrl: `${baseUrl}/calendar/v3/`,
    rateLimitStore: state.rateLimits,
    logger,
  });
  const fake = new CalendarFake({ calendars: accounts, random, runId });
  const hasChannels = (connector.subscriptions ?? []).length > 0;
  return {
    connector,
    fake,
    tenants: fake.tenants,
    // With Gmail, one Google account's share of the changes.
    weight: 0.5,
    seedPerTenant: 8,
    realAccount: 'GOOGLE_CLIENT_ID + GOOGLE_CLIENT_SECRET (+ CALENDAR_WEBHOOK_URL)',
    async setup() {
      await connectAccounts(state.credentials, accounts);
      for (const subscription of connector.subscriptions ?? []) {
        for (const tenant of fake.tenants) await subscription.renew({ tenant });
      }
    },
    finish: () => fake.flush(),
    // Without channels only polling brings changes.
    ...(hasChannels
      ? {}
      : {
          finalPoll: {
            streams: (connector.pollers ?? []).map((poller) => `calendar:${poller.stream}`),
            reason: 'calendar: no notification channel configured',
          },
        }),
  } satisfies SimulationV1;
};

/** Each source's simulation, by source id (the demo runs every one). */
export const simulations: Readonly<Record<string, CreateSimulationV1>> = {
  gmail: createSimulation,
  calendar: createCalendarSimulation,
};
