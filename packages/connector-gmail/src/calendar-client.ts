import type { ApiClient, ApiRenewOptions, RateLimitScope } from '@act/connector-kit';
import { z } from 'zod';
import { type CalendarEventsPage, calendarEventsPageSchema } from './calendar-events';
import {
  CALENDAR_DEFAULT_MAX_RESULTS,
  CALENDAR_EVENTS_READONLY_SCOPE,
  type CalendarConnectorSettings,
} from './calendar-settings';
import { createGoogleApiClient } from './google-client';
import { CALENDAR_DEFAULT_BASE_URL, CALENDAR_SOURCE, defaultGoogleCredentialKey } from './google-settings';

/** [C1] `events.list` parameters. With a `syncToken`, only the ones a full sync used too (no `timeMin`, `q`, …) [C3]. */
export interface ListEventsRequest {
  syncToken?: string | null | undefined;
  pageToken?: string | null | undefined;
  /** Include cancelled events (always on for an incremental sync, where deletions are always listed [C3]). */
  showDeleted: boolean;
  maxResults?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** [C2] What `events.watch` is asked for. */
export interface WatchRequest {
  /** The channel id (a UUID, at most 64 characters). */
  id: string;
  /** The notification URL (https). */
  address: string;
  /** Echoed in `X-Goog-Channel-Token` with every notification. */
  token: string;
  /** `params.ttl`, in seconds; left out, Google's default applies. */
  ttlSeconds?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** [C2] The watch answer: `expiration` is epoch ms (int64, which Google's JSON may send as a string). */
export const calendarChannelSchema = z.looseObject({
  id: z.string().min(1),
  resourceId: z.string().min(1),
  resourceUri: z.string().nullish(),
  expiration: z
    .union([z.string().regex(/^\d+$/), z.number().int().nonnegative()])
    .transform(Number)
    .nullish(),
});
export type CalendarChannel = z.infer<typeof calendarChannelSchema>;

export interface CalendarClient {
  listEvents(calendarId: string, request: ListEventsRequest): Promise<CalendarEventsPage>;
  watchEvents(calendarId: string, request: WatchRequest): Promise<CalendarChannel>;
  /** [C2] `channels/stop`; resolves `false` when Google no longer knows the channel (404). */
  stopChannel(
    calendarId: string,
    channel: { id: string; resourceId: string },
    options?: { signal?: AbortSignal | undefined },
  ): Promise<boolean>;
  refreshCredentials(calendarId: string): Promise<void>;
  renewCredentials?(calendarId: string, options: ApiRenewOptions): Promise<{ expiresAt: Date | null }>;
  readonly api: ApiClient;
}

const eventsPath = (calendarId: string) => `calendars/${encodeURIComponent(calendarId)}/events`;

/**
 * Calendar API v3 over the shared Google client: OAuth2 (tokens under
 * `google:<account>`, a primary calendar's id being its account's address)
 * or a static bearer; 403 `rateLimitExceeded`/`userRateLimitExceeded` and
 * 429 retried with backoff [C4].
 */
export function createCalendarClient(settings: CalendarConnectorSettings): CalendarClient {
  const credentialKey = settings.credentialKey ?? defaultGoogleCredentialKey;
  const api = createGoogleApiClient({
    settings,
    source: CALENDAR_SOURCE,
    baseUrl: settings.baseUrl ?? CALENDAR_DEFAULT_BASE_URL,
    scopes: settings.scopes ?? [CALENDAR_EVENTS_READONLY_SCOPE],
    limits: calendarLimits(settings.quota, credentialKey),
    missingAuth:
      'no Google credentials: set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (settings.oauth) or GOOGLE_ACCESS_TOKEN (settings.accessToken)',
  });
  const renew = api.renewCredentials?.bind(api);
  return {
    api,
    listEvents(calendarId, request) {
      const searchParams: Record<string, string> = {
        maxResults: String(request.maxResults ?? CALENDAR_DEFAULT_MAX_RESULTS),
        showDeleted: String(request.showDeleted),
      };
      if (request.syncToken) searchParams.syncToken = request.syncToken;
      if (request.pageToken) searchParams.pageToken = request.pageToken;
      return api.request(calendarId, {
        method: 'GET',
        path: eventsPath(calendarId),
        searchParams,
        schema: calendarEventsPageSchema,
        signal: request.signal,
      });
    },
    watchEvents(calendarId, request) {
      return api.request(calendarId, {
        method: 'POST',
        path: `${eventsPath(calendarId)}/watch`,
        json: {
          id: request.id,
          type: 'web_hook',
          address: request.address,
          token: request.token,
          ...(request.ttlSeconds !== undefined ? { params: { ttl: String(request.ttlSeconds) } } : {}),
        },
        schema: calendarChannelSchema,
        signal: request.signal,
      });
    },
    async stopChannel(calendarId, channel, options = {}) {
      const answer = await api.find(calendarId, {
        method: 'POST',
        path: 'channels/stop',
        json: { id: channel.id, resourceId: channel.resourceId },
        // Stopping twice is harmless: a lost answer may be sent again.
        idempotent: true,
        schema: z.unknown(),
        signal: options.signal,
      });
      return answer !== null;
    },
    refreshCredentials: (calendarId) => api.refreshCredentials(calendarId),
    ...(renew
      ? { renewCredentials: (calendarId: string, options: ApiRenewOptions) => renew(calendarId, options) }
      : {}),
  };
}

/**
 * [C4] Calendar's quotas are per project and per user per minute, set per
 * project in the Cloud console, so they are settings: without them calls are
 * not paced ahead, and Google's 403/429 answers are retried with backoff.
 */
function calendarLimits(
  quota: CalendarConnectorSettings['quota'],
  credentialKey: (tenant: string) => string,
): Record<string, RateLimitScope> {
  const limits: Record<string, RateLimitScope> = {};
  if (quota?.perProjectPerMinute) {
    limits.project = {
      key: () => 'calendar:project',
      windows: { minute: { limit: quota.perProjectPerMinute, windowMs: 60_000, marginMs: 1_000 } },
    };
  }
  if (quota?.perUserPerMinute) {
    // Per Google account (its credential), whichever of its calendars the call reads.
    limits.user = {
      key: (tenant) => `calendar:user:${credentialKey(tenant)}`,
      windows: { userMinute: { limit: quota.perUserPerMinute, windowMs: 60_000, marginMs: 1_000 } },
    };
  }
  if (Object.keys(limits).length === 0) limits.calendar = { key: 'calendar' };
  return limits;
}
