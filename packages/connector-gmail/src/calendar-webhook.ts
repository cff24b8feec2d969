import { createSecretMatcher, type VerifyResult, webhookProcessor } from '@act/connector-kit';
import { PayloadError, type WebhookProcessorV1, type WebhookRequestV1 } from '@act/core';
import { type CalendarChannelRecord, type CalendarChannelStore, sha256Hex } from './calendar-channels';
import type { CalendarSourceEvent } from './calendar-events';
import { CALENDAR_SOURCE, GMAIL_PACKAGE_NAME } from './google-settings';

// [C2] A Calendar notification is a POST with no body: everything is in
// X-Goog-* headers. There is no signature; a notification is authentic when
// its channel id is one we made, its token hashes to the one we stored
// (compared in constant time) and its resource id is the one the watch
// answered. It never says what changed: `exists`/`not_exists` ask for an
// incremental sync of the calendar's `events` stream, which the inbox
// coalesces; `sync` (sent once when a channel is made) asks for nothing.
// Google retries 500, 502, 503 and 504 only [C2].

export const CHANNEL_ID_HEADER = 'x-goog-channel-id';
export const CHANNEL_TOKEN_HEADER = 'x-goog-channel-token';
export const RESOURCE_ID_HEADER = 'x-goog-resource-id';
export const RESOURCE_STATE_HEADER = 'x-goog-resource-state';
export const MESSAGE_NUMBER_HEADER = 'x-goog-message-number';

/**
 * Kept with each stored notification: what `parse` reads, and what helps
 * with a dead letter. Never the channel token (a secret): a stored delivery
 * is re-parsed, not re-verified, so it is not needed.
 */
export const CALENDAR_PERSISTED_HEADERS: readonly string[] = [
  CHANNEL_ID_HEADER,
  MESSAGE_NUMBER_HEADER,
  RESOURCE_ID_HEADER,
  RESOURCE_STATE_HEADER,
  'x-goog-resource-uri',
  'x-goog-channel-expiration',
];

/** The states that say the calendar's events changed [C2]. */
const CHANGE_STATES = new Set(['exists', 'not_exists']);

type Authentication =
  | { kind: 'refused'; result: Extract<VerifyResult, { ok: false }> }
  /** Authentic, for a channel whose watch answer is not stored yet: its resource id cannot be checked. */
  | { kind: 'pending'; channelId: string; record: CalendarChannelRecord }
  /** Authentic, for a channel replaced or stopped since. */
  | { kind: 'stopped'; channelId: string; record: CalendarChannelRecord }
  | { kind: 'ok'; channelId: string; record: CalendarChannelRecord };

const refused = (code: 'misconfigured' | 'missing' | 'mismatch', reason: string): Authentication => ({
  kind: 'refused',
  result: { ok: false, code, reason },
});

const header = (request: Pick<WebhookRequestV1, 'headers'>, name: string): string | undefined => {
  const value = request.headers[name]?.trim();
  return value ? value : undefined;
};

/**
 * Google Calendar's notification processor. `channels` is where the channel
 * records are; without it every notification is refused (fail closed).
 *
 * - `sync` messages of an authentic channel are answered 200 and not stored.
 * - A channel replaced or stopped since: its authentic notifications are
 *   answered 200 and not stored (its successor, made before it was stopped,
 *   carries the changes; the safety-net poll covers the rest).
 * - `exists`/`not_exists` for a channel whose watch answer is not stored yet
 *   (its resource id cannot be checked): 503, which Google retries [C2].
 * - An unknown channel, a missing or wrong token, another resource id: 401,
 *   nothing stored.
 * - The store unreachable or not configured: 503 (misconfigured, logged as
 *   an error), so Google retries while it is fixed.
 */
export function createCalendarWebhook(options: {
  channels: CalendarChannelStore | undefined;
}): WebhookProcessorV1<CalendarSourceEvent> {
  const { channels } = options;
  // One lookup per request: the handshake and the verifier see the same request object.
  const checked = new WeakMap<object, Promise<Authentication>>();

  const authenticate = async (request: Pick<WebhookRequestV1, 'headers'>): Promise<Authentication> => {
    if (!channels) {
      return refused(
        'misconfigured',
        'no store for calendar channel records (settings.channels or settings.oauth.credentials)',
      );
    }
    const channelId = header(request, CHANNEL_ID_HEADER);
    if (!channelId) return refused('missing', `missing ${CHANNEL_ID_HEADER} header`);
    const token = request.headers[CHANNEL_TOKEN_HEADER];
    if (!token) return refused('missing', `missing ${CHANNEL_TOKEN_HEADER} header`);
    const record = await channels.get(channelId);
    if (!record) return refused('mismatch', 'unknown channel');
    // Hash, then compare in constant time: the stored hash is never matched byte by byte.
    const matches = (await createSecretMatcher([record.tokenHash])(await sha256Hex(token))) !== undefined;
    if (!matches) return refused('mismatch', 'channel token mismatch');
    if (record.resourceId === null) {
      return record.stoppedAt ? { kind: 'stopped', channelId, record } : { kind: 'pending', channelId, record };
    }
    if (header(request, RESOURCE_ID_HEADER) !== record.resourceId) return refused('mismatch', 'resource id mismatch');
    return record.stoppedAt ? { kind: 'stopped', channelId, record } : { kind: 'ok', channelId, record };
  };
  const authenticated = (request: WebhookRequestV1): Promise<Authentication> => {
    let result = checked.get(request);
    if (!result) {
      result = authenticate(request);
      checked.set(request, result);
    }
    return result;
  };

  return webhookProcessor<CalendarSourceEvent>({
    source: CALENDAR_SOURCE,
    packageName: GMAIL_PACKAGE_NAME,
    persistedHeaders: CALENDAR_PERSISTED_HEADERS,
    // [C2] Google retries only 500, 502, 503 and 504.
    persistFailureStatus: 503,
    misconfiguredStatus: 503,
    // No body is expected [C2]; anything larger is not a notification.
    maxBodyBytes: 64 * 1024,
    async handshake(request) {
      if (request.method !== 'POST' || !header(request, CHANNEL_ID_HEADER)) return undefined;
      const auth = await authenticated(request);
      if (auth.kind === 'refused') return undefined; // verify refuses it with the reason
      const state = header(request, RESOURCE_STATE_HEADER);
      if (state === 'sync') return acknowledged('sync message acknowledged');
      if (auth.kind === 'stopped') return acknowledged('channel stopped: notification ignored');
      if (auth.kind === 'pending' && state !== undefined && CHANGE_STATES.has(state)) {
        return Response.json(
          { error: `[${GMAIL_PACKAGE_NAME}] channel ${auth.channelId} is not set up yet, retry later` },
          { status: 503, headers: { 'retry-after': '5' } },
        );
      }
      return undefined;
    },
    async verify(request) {
      const auth = await authenticated(request as WebhookRequestV1);
      if (auth.kind === 'refused') return auth.result;
      if (auth.kind === 'ok') return { ok: true, keyIndex: 0 };
      // A pending or stopped channel's non-change message: nothing to store.
      return { ok: false, code: 'mismatch', reason: `channel is ${auth.kind}` };
    },
    keyId: () => 'channel-token',
    async parse(request) {
      const channelId = header(request, CHANNEL_ID_HEADER);
      const messageNumber = header(request, MESSAGE_NUMBER_HEADER);
      const state = header(request, RESOURCE_STATE_HEADER);
      if (!channelId || !messageNumber || !state) {
        throw new PayloadError({
          packageName: GMAIL_PACKAGE_NAME,
          message: `invalid notification: ${CHANNEL_ID_HEADER}, ${MESSAGE_NUMBER_HEADER} and ${RESOURCE_STATE_HEADER} are required`,
        });
      }
      // The tenant is the channel's calendar, read from its record (never from a header the token
      // does not cover). A stored delivery re-parsed by the worker reads it again: records are never deleted.
      const cached = checked.get(request);
      const auth = cached ? await cached : undefined;
      const record = auth && auth.kind !== 'refused' ? auth.record : await channels?.get(channelId);
      if (!record) {
        throw new PayloadError({ packageName: GMAIL_PACKAGE_NAME, message: `unknown calendar channel ${channelId}` });
      }
      // X-Goog-Message-Number grows but is not sequential [C2]: a dedupe key, not a gap detector.
      const deliveryId = `${channelId}:${messageNumber}`;
      if (!CHANGE_STATES.has(state)) return { deliveryId, tenant: record.calendarId, events: [] };
      return {
        deliveryId,
        tenant: record.calendarId,
        events: [],
        sync: { stream: 'events', hint: `${state} #${messageNumber}` },
      };
    },
  });
}

const acknowledged = (message: string): Response => Response.json({ received: true, message }, { status: 200 });
