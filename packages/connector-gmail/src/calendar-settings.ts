import { envReader, mergeSettings, type SettingsOverrides } from '@act/connector-kit';
import type { CredentialStoreV1 } from '@act/core';
import { GMAIL_PACKAGE_NAME, type GoogleApiSettings, readGoogleApiSettings } from './google-settings';

/** [C1] Read-only access to events (what `events.list` and `events.watch` need). */
export const CALENDAR_EVENTS_READONLY_SCOPE = 'https://www.googleapis.com/auth/calendar.events.readonly';

/** [C1] `events.list`'s default page size and its largest. */
export const CALENDAR_DEFAULT_MAX_RESULTS = 250;
export const CALENDAR_MAX_RESULTS_LIMIT = 2500;

/** The safety-net poll: Google says notifications are not 100% reliable [C2]. */
export const CALENDAR_DEFAULT_POLL_INTERVAL_MS = 10 * 60_000;

/**
 * The shortest channel lifetime accepted: the scheduler runs a renewal no
 * sooner than 60 s after the last one, and a channel is renewed halfway
 * through a short life, so 5 minutes leaves room for the overlap.
 */
export const CALENDAR_MIN_CHANNEL_TTL_SECONDS = 300;

/** [C2] How `events.watch` is called for each calendar. */
export interface CalendarChannelSettings {
  /**
   * The HTTPS URL Google posts notifications to (a valid certificate: Google
   * refuses self-signed ones [C2]), e.g. `https://app.example.com/webhooks/calendar`.
   */
  address: string;
  /**
   * [C2] `params.ttl`: the lifetime asked for, in seconds. Google's default
   * and maximum are not documented ("internal limits or defaults, the more
   * restrictive value is used"), so it is left to Google unless set. At
   * least 300.
   */
  ttlSeconds?: number;
}

export interface CalendarConnectorSettings extends GoogleApiSettings {
  /** Keep a notification channel per calendar (renewed before it expires). Left out: polling only. */
  channel?: CalendarChannelSettings;
  /**
   * Where channel records live (`calendar-channel:<id>`: the SHA-256 of the
   * channel's token, never the token; `calendar-channels:<calendar id>`: the
   * current channel). Defaults to `oauth.credentials`. Without it every
   * notification is refused (fail closed) and no channel is made.
   */
  channels?: CredentialStoreV1;
  /** Defaults to `https://www.googleapis.com/calendar/v3/`. Point it at a mock server in tests. */
  baseUrl?: string;
  /** The safety-net `events.list` poll per calendar, in ms, even while notifications arrive. Defaults to 10 minutes. */
  pollIntervalMs?: number;
  /** [C1] `events.list` page size, 1–2500. Defaults to 250. */
  maxResults?: number;
  /**
   * [C3] Ask a full sync for cancelled events too (`showDeleted=true`), so
   * deletions made before it are tombstones rather than absent rows. Defaults
   * to `true`; incremental syncs always carry deletions.
   */
  showDeleted?: boolean;
  /** OAuth scopes. Defaults to `calendar.events.readonly`. */
  scopes?: readonly string[];
  /**
   * [C4] Calendar's quotas are per project and per user per minute and vary
   * by project (see the Cloud console): declare yours to pace calls ahead of
   * Google's 403/429 answers, which are retried with backoff either way.
   */
  quota?: { perUserPerMinute?: number; perProjectPerMinute?: number };
}

/**
 * Settings from environment variables (`process.env`, `Deno.env.toObject()`):
 *
 * - API: `GOOGLE_CLIENT_ID` + `GOOGLE_CLIENT_SECRET` (OAuth2; the credential
 *   store in `overrides.oauth.credentials`, tokens under `google:<address>`),
 *   or `GOOGLE_ACCESS_TOKEN`;
 * - channels: `CALENDAR_WEBHOOK_URL` (https) and `CALENDAR_CHANNEL_TTL_SECONDS`;
 * - `CALENDAR_BASE_URL`.
 *
 * `overrides` is merged last (non-string settings: `channels`, `fetch`, …).
 *
 * @throws ConfigurationError naming the variable.
 */
export function loadCalendarSettings(
  env: Readonly<Record<string, string | undefined>>,
  overrides: SettingsOverrides<CalendarConnectorSettings> = {},
): CalendarConnectorSettings {
  const read = envReader(env, { packageName: GMAIL_PACKAGE_NAME });
  const { oauth: oauthOverride, ...rest } = overrides;
  const settings: CalendarConnectorSettings = {};

  Object.assign(settings, readGoogleApiSettings(read, oauthOverride, 'loadCalendarSettings'));

  const address = read.url('CALENDAR_WEBHOOK_URL');
  const ttlSeconds = read.number('CALENDAR_CHANNEL_TTL_SECONDS', { integer: true });
  if (ttlSeconds !== undefined && !address) {
    throw read.fail('CALENDAR_WEBHOOK_URL is not set (CALENDAR_CHANNEL_TTL_SECONDS is)');
  }
  if (address) settings.channel = { address, ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) };
  const baseUrl = read.url('CALENDAR_BASE_URL');
  if (baseUrl) settings.baseUrl = baseUrl;

  const merged = mergeSettings(settings, rest, ['channel']);
  checkCalendarSettings(merged, read.fail);
  return merged;
}

/**
 * The rules across settings, for the loader and `createCalendarConnector`.
 * @throws the `fail` error (a ConfigurationError) naming the setting.
 */
export function checkCalendarSettings(settings: CalendarConnectorSettings, fail: (message: string) => Error): void {
  const { channel, maxResults, pollIntervalMs } = settings;
  if (channel) {
    let url: URL | undefined;
    try {
      url = new URL(channel.address);
    } catch {
      url = undefined;
    }
    // [C2] Google posts only to HTTPS addresses with a valid certificate.
    if (url?.protocol !== 'https:') {
      throw fail(`CALENDAR_WEBHOOK_URL (channel.address) must be an https URL, got "${channel.address}"`);
    }
    const { ttlSeconds } = channel;
    if (ttlSeconds !== undefined && (!Number.isInteger(ttlSeconds) || ttlSeconds < CALENDAR_MIN_CHANNEL_TTL_SECONDS)) {
      throw fail(
        `CALENDAR_CHANNEL_TTL_SECONDS (channel.ttlSeconds) must be a whole number of at least ${CALENDAR_MIN_CHANNEL_TTL_SECONDS}, got ${String(ttlSeconds)}`,
      );
    }
  }
  if (
    maxResults !== undefined &&
    (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > CALENDAR_MAX_RESULTS_LIMIT)
  ) {
    throw fail(`maxResults must be a whole number from 1 to ${CALENDAR_MAX_RESULTS_LIMIT}, got ${String(maxResults)}`);
  }
  if (pollIntervalMs !== undefined && (!Number.isFinite(pollIntervalMs) || pollIntervalMs < 60_000)) {
    throw fail(`pollIntervalMs must be at least 60000 (a minute), got ${String(pollIntervalMs)}`);
  }
}
