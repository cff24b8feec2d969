import type { CredentialStoreV1, Logger, SubscriptionV1 } from '@act/core';
import { ConfigurationError } from '@act/core';
import { z } from 'zod';
import type { CalendarClient } from './calendar-client';
import type { CalendarChannelSettings } from './calendar-settings';
import { GMAIL_PACKAGE_NAME } from './google-settings';

// Calendar notification channels [C2]: Google never renews a channel, so
// each renewal makes a new one (a new id), lets the two overlap, then stops
// the old one. A channel is authenticated by its id (known here), its token
// (a random secret per channel, of which only the SHA-256 is kept) and its
// resource id (from the watch answer). The records live in a credential
// store, which has no delete: a stopped channel is marked, not removed.

/** The subscription's name (`SubscriptionV1.name`). */
export const CALENDAR_CHANNEL_SUBSCRIPTION = 'calendar-channel';

const ONE_DAY_MS = 24 * 60 * 60_000;

/** What is kept of one channel, under `calendar-channel:<channel id>`. */
export interface CalendarChannelRecord {
  calendarId: string;
  /** SHA-256 (hex) of the channel token; the token itself is never stored. */
  tokenHash: string;
  /** From the watch answer: `null` until it arrived (the `sync` message can come first [C2]). */
  resourceId: string | null;
  resourceUri?: string | null | undefined;
  /** ISO 8601; `null` until the watch answered. */
  expiresAt: string | null;
  createdAt: string;
  /** Set once the channel was stopped (renewed, disconnected) or its watch call failed. */
  stoppedAt?: string | null | undefined;
}

const channelRecordSchema = z.object({
  calendarId: z.string().min(1),
  tokenHash: z.string().regex(/^[0-9a-f]{64}$/),
  resourceId: z.string().nullable(),
  resourceUri: z.string().nullish(),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
  stoppedAt: z.string().nullish(),
});
const pointerSchema = z.object({ current: z.string().min(1) });

export const channelKey = (channelId: string) => `calendar-channel:${channelId}`;
export const calendarChannelsKey = (calendarId: string) => `calendar-channels:${calendarId}`;

/** Reads and writes channel records in a credential store. */
export interface CalendarChannelStore {
  get(channelId: string): Promise<CalendarChannelRecord | null>;
  put(channelId: string, record: CalendarChannelRecord): Promise<void>;
  /** The id of the calendar's current channel. */
  current(calendarId: string): Promise<string | null>;
  setCurrent(calendarId: string, channelId: string): Promise<void>;
}

export function calendarChannelStore(store: CredentialStoreV1): CalendarChannelStore {
  return {
    async get(channelId) {
      const stored = await store.get(channelKey(channelId));
      if (!stored) return null;
      const parsed = channelRecordSchema.safeParse(stored.value);
      // A record that does not read is no channel of ours: refused like an unknown one.
      return parsed.success ? parsed.data : null;
    },
    async put(channelId, record) {
      await store.put(channelKey(channelId), { ...record });
    },
    async current(calendarId) {
      const stored = await store.get(calendarChannelsKey(calendarId));
      const parsed = pointerSchema.safeParse(stored?.value);
      return parsed.success ? parsed.data.current : null;
    },
    async setCurrent(calendarId, channelId) {
      await store.put(calendarChannelsKey(calendarId), { current: channelId });
    },
  };
}

const encoder = new TextEncoder();

/** SHA-256 of `text` as lower-case hex (Web Crypto). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** 32 random bytes, base64url without padding: a channel token. */
export function randomChannelToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/**
 * How long before expiry a channel is renewed: a day, or half the lifetime
 * asked for when that is shorter (the scheduler waits at least 60 s between
 * runs, so a short-lived channel must be renewed well ahead).
 */
export function channelRenewBeforeMs(channel: CalendarChannelSettings): number {
  return channel.ttlSeconds === undefined ? ONE_DAY_MS : Math.min(ONE_DAY_MS, (channel.ttlSeconds * 1000) / 2);
}

export interface CalendarChannelSubscriptionOptions {
  client: CalendarClient;
  channels: CalendarChannelStore;
  channel: CalendarChannelSettings;
  logger?: Logger | undefined;
  now?: () => Date;
}

/**
 * The `calendar-channel` subscription the scheduler keeps alive per calendar:
 *
 * 1. a channel still valid beyond the renewal lead is kept (a retried or
 *    repeated run makes no new one);
 * 2. otherwise a new channel id and token are made and the record (the
 *    token's hash) is written *before* `events.watch`, since the `sync`
 *    message may arrive before the watch answers [C2];
 * 3. the answer's resource id and expiry are stored and the channel becomes
 *    the calendar's current one;
 * 4. only then is the previous channel stopped (overlap, then stop [C2]) and
 *    marked stopped. A failed stop is logged: the old channel lapses at its
 *    expiry, and its notifications meanwhile only ask for a sync.
 */
export function calendarChannelSubscription(options: CalendarChannelSubscriptionOptions): SubscriptionV1 {
  const { client, channels, channel } = options;
  const now = options.now ?? (() => new Date());
  const renewBeforeMs = channelRenewBeforeMs(channel);

  const stopRecorded = async (
    channelId: string,
    record: CalendarChannelRecord,
    signal: AbortSignal | undefined,
  ): Promise<void> => {
    if (record.stoppedAt) return;
    if (record.resourceId) {
      await client.stopChannel(record.calendarId, { id: channelId, resourceId: record.resourceId }, { signal });
    }
    await channels.put(channelId, { ...record, stoppedAt: now().toISOString() });
  };

  return {
    name: CALENDAR_CHANNEL_SUBSCRIPTION,
    renewBeforeMs,
    async renew({ tenant: calendarId, signal }) {
      const previousId = await channels.current(calendarId);
      const previous = previousId ? await channels.get(previousId) : null;
      if (previous && !previous.stoppedAt && previous.resourceId && previous.expiresAt) {
        const expiresAt = new Date(previous.expiresAt);
        if (expiresAt.getTime() - now().getTime() > renewBeforeMs) return { expiresAt };
      }

      const id = crypto.randomUUID();
      const token = randomChannelToken();
      const createdAt = now();
      const record: CalendarChannelRecord = {
        calendarId,
        tokenHash: await sha256Hex(token),
        resourceId: null,
        expiresAt: null,
        createdAt: createdAt.toISOString(),
      };
      await channels.put(id, record);
      let answer: Awaited<ReturnType<CalendarClient['watchEvents']>>;
      try {
        answer = await client.watchEvents(calendarId, {
          id,
          address: channel.address,
          token,
          ttlSeconds: channel.ttlSeconds,
          signal,
        });
      } catch (error) {
        // Whether Google made the channel is unknown (a lost answer): its
        // notifications are acknowledged and ignored; it lapses on its own.
        await channels.put(id, { ...record, stoppedAt: now().toISOString() }).catch(() => undefined);
        throw error;
      }
      // [C2] `expiration` is "if applicable": without one, renew within a day (or the asked lifetime).
      const expiresAt = new Date(
        answer.expiration ??
          createdAt.getTime() + (channel.ttlSeconds !== undefined ? channel.ttlSeconds * 1000 : ONE_DAY_MS),
      );
      await channels.put(id, {
        ...record,
        resourceId: answer.resourceId,
        resourceUri: answer.resourceUri ?? null,
        expiresAt: expiresAt.toISOString(),
      });
      await channels.setCurrent(calendarId, id);

      const lifetimeMs = expiresAt.getTime() - createdAt.getTime();
      if (lifetimeMs < 2 * renewBeforeMs) {
        options.logger?.warn(
          { calendarId, channelId: id, lifetimeMs, renewBeforeMs },
          `[${GMAIL_PACKAGE_NAME}] Google granted calendar channel ${id} ${Math.round(lifetimeMs / 1000)} s, less than twice the renewal lead: set CALENDAR_CHANNEL_TTL_SECONDS (channel.ttlSeconds) to about that lifetime so renewals are spaced out`,
        );
      }

      if (previousId && previous && previousId !== id) {
        try {
          await stopRecorded(previousId, previous, signal);
        } catch (error) {
          options.logger?.warn(
            { calendarId, channelId: previousId, error: error instanceof Error ? error.message : String(error) },
            `[${GMAIL_PACKAGE_NAME}] calendar channel ${previousId} was replaced but not stopped; it lapses at its expiry`,
          );
        }
      }
      return { expiresAt };
    },
    async stop({ tenant: calendarId, signal }) {
      const currentId = await channels.current(calendarId);
      const current = currentId ? await channels.get(currentId) : null;
      if (currentId && current) await stopRecorded(currentId, current, signal);
    },
  };
}

/** @throws ConfigurationError: channels need a store for their records. */
export function requireChannelStore(store: CredentialStoreV1 | undefined): CredentialStoreV1 {
  if (store) return store;
  throw new ConfigurationError({
    packageName: GMAIL_PACKAGE_NAME,
    message:
      'settings.channel is set but there is no store for channel records: give settings.channels (or settings.oauth.credentials)',
  });
}
