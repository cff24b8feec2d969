import { missingEnv, runtimeSettings } from '@act/connector-kit';
import { noopLogger, type SourceEntryV1 } from '@act/core';
import { type CalendarConnector, createCalendarConnector } from './calendar-connector';
import { type CalendarConnectorSettings, loadCalendarSettings } from './calendar-settings';
import { createGmailConnector, type GmailConnector } from './gmail-connector';
import { type GmailConnectorSettings, loadGmailSettings } from './gmail-settings';
import { CALENDAR_SOURCE, GMAIL_PACKAGE_NAME, GMAIL_SOURCE } from './google-settings';
import { CALENDAR_SAMPLE_DELIVERIES, GMAIL_SAMPLE_DELIVERIES } from './testing/fixtures';
import { calendarSigner, gmailSigner } from './testing/signer';

const MISSING_GOOGLE_CREDENTIALS =
  'GOOGLE_CLIENT_ID is not set (with GOOGLE_CLIENT_SECRET: the OAuth app whose tokens your app saved in act_credentials as google:<address>; or GOOGLE_ACCESS_TOKEN)';

/** A listing's estimate of its size: `resultSizeEstimate` of `messages.list` [G10]. */
function resultSizeEstimate(body: unknown): number | undefined {
  const estimate = (body as { resultSizeEstimate?: unknown } | null)?.resultSizeEstimate;
  return typeof estimate === 'number' && Number.isFinite(estimate) && estimate >= 0 ? estimate : undefined;
}

/** Gmail described for tools (`act`, the demo, benchmarks): see `SourceEntryV1`. */
export const source: SourceEntryV1<GmailConnectorSettings, GmailConnector> = {
  specificationVersion: 'v1',
  id: GMAIL_SOURCE,
  displayName: 'Gmail',
  packageName: GMAIL_PACKAGE_NAME,
  // OAuth tokens live in the state's act_credentials (key google:<address>), saved by the app at connect.
  settingsFromEnv: (env, runtime = {}) => loadGmailSettings(env, runtimeSettings(runtime, { oauth: true })),
  // Without settings: a quiet receiver that accepts no push (no audience) and calls no API, for migrations.
  createConnector: (settings) => createGmailConnector(settings ?? { logger: noopLogger }),
  missingApiCredentials: (env) =>
    missingEnv(env, ['GOOGLE_CLIENT_ID', 'GOOGLE_ACCESS_TOKEN'], MISSING_GOOGLE_CREDENTIALS),
  sampleDeliveries: GMAIL_SAMPLE_DELIVERIES,
  signer: gmailSigner,
  totalOf: resultSizeEstimate,
  tenantDescription: 'Gmail mailbox address',
};

/** Google Calendar described for tools: see `SourceEntryV1`. Its channel records share the credential store. */
export const calendarSource: SourceEntryV1<CalendarConnectorSettings, CalendarConnector> = {
  specificationVersion: 'v1',
  id: CALENDAR_SOURCE,
  displayName: 'Google Calendar',
  packageName: GMAIL_PACKAGE_NAME,
  settingsFromEnv: (env, runtime = {}) =>
    loadCalendarSettings(env, {
      ...runtimeSettings(runtime, { oauth: true }),
      ...(runtime.credentials ? { channels: runtime.credentials } : {}),
    }),
  // Without settings: a quiet receiver that knows no channel (every notification refused) and calls no API.
  createConnector: (settings) => createCalendarConnector(settings ?? { logger: noopLogger }),
  missingApiCredentials: (env) =>
    missingEnv(env, ['GOOGLE_CLIENT_ID', 'GOOGLE_ACCESS_TOKEN'], MISSING_GOOGLE_CREDENTIALS),
  sampleDeliveries: CALENDAR_SAMPLE_DELIVERIES,
  signer: calendarSigner,
  tenantDescription: 'Google Calendar id (a primary calendar: the account’s address)',
};

/** Every connector of this package, for tools: Gmail first (it is `source`). */
export const sources: readonly SourceEntryV1[] = [source, calendarSource] as readonly SourceEntryV1[];
