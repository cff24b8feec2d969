import { envReader, mergeSettings, type SettingsOverrides } from '@act/connector-kit';
import type { CredentialStoreV1 } from '@act/core';
import type { GmailPushOptions } from './gmail-signature';
import { GMAIL_PACKAGE_NAME, type GoogleApiSettings, readGoogleApiSettings } from './google-settings';

export {
  GMAIL_DEFAULT_BASE_URL,
  GMAIL_PACKAGE_NAME,
  GMAIL_SOURCE,
  type GoogleOAuthSettings as GmailOAuthSettings,
} from './google-settings';

/** [G4] The four kinds of history record `history.list` can return. */
export const GMAIL_HISTORY_TYPES = ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'] as const;
export type GmailHistoryType = (typeof GMAIL_HISTORY_TYPES)[number];

/** [G5] The `messages.get` formats the mirror can fetch (`minimal` has no headers to mirror). */
export const GMAIL_MESSAGE_FORMATS = ['metadata', 'full', 'raw'] as const;
export type GmailMessageFormat = (typeof GMAIL_MESSAGE_FORMATS)[number];

/** The headers `format=metadata` asks for by default: what the mirror's columns read. */
export const GMAIL_DEFAULT_METADATA_HEADERS: readonly string[] = ['From', 'To', 'Cc', 'Subject', 'Date', 'Message-ID'];

/** [G8] Read-only access to messages and their bodies; `gmail.metadata` is enough for `format=metadata`. */
export const GMAIL_READONLY_SCOPE = 'https://www.googleapis.com/auth/gmail.readonly';
export const GMAIL_METADATA_SCOPE = 'https://www.googleapis.com/auth/gmail.metadata';

/** [G2] A Pub/Sub topic as `users.watch` wants it. */
const TOPIC_PATTERN = /^projects\/[^/\s]+\/topics\/[^/\s]+$/;

/** [G2] What `users.watch` is called with. */
export interface GmailWatchSettings {
  /** `projects/<project>/topics/<topic>`, in the OAuth client's project, `gmail-api-push@system.gserviceaccount.com` a publisher on it. */
  topicName: string;
  /** Only changes to these labels are pushed (with `labelFilterBehavior`), e.g. `['INBOX']`. */
  labelIds?: readonly string[];
  labelFilterBehavior?: 'INCLUDE' | 'EXCLUDE';
}

export interface GmailConnectorSettings extends GoogleApiSettings {
  /** How the push endpoint authenticates Pub/Sub's requests. Left out: every push is refused (poll-only). */
  push?: GmailPushOptions;
  /** Keep a `users.watch` per mailbox (renewed daily). Left out: no watch is made; run it elsewhere. */
  watch?: GmailWatchSettings;
  /**
   * Where each mailbox's watch expiry is kept (`gmail-watch:<mailbox>`), for
   * the health signals. Defaults to `oauth.credentials`.
   */
  watchState?: CredentialStoreV1;
  /** OAuth scopes. Defaults to `gmail.readonly`; `gmail.metadata` only allows `messageFormat: 'metadata'` [G5]. */
  scopes?: readonly string[];
  /** [G5] How messages are fetched. Defaults to `metadata` (headers, labels, snippet; no bodies). */
  messageFormat?: GmailMessageFormat;
  /** [G5] The headers `metadata` fetches. Defaults to From, To, Cc, Subject, Date and Message-ID. */
  metadataHeaders?: readonly string[];
  /** [G4] The history records to follow. Defaults to all four. */
  historyTypes?: readonly GmailHistoryType[];
  /** Defaults to `https://gmail.googleapis.com/gmail/v1/`. Point it at a mock server in tests. */
  baseUrl?: string;
  /**
   * [G3] The safety net: `history.list` is polled this often per mailbox even
   * when pushes arrive, since Google may delay or drop them. Defaults to 10 minutes.
   */
  pollIntervalMs?: number;
  /** `maxResults` of `history.list` and `messages.list`, 1–500 [G4]. Defaults to 100. */
  pageSize?: number;
  /** `messages.get` calls in flight at once per page. Defaults to 10. */
  fetchConcurrency?: number;
}

/**
 * Settings from environment variables (`process.env`, `Deno.env.toObject()`):
 *
 * - API: `GOOGLE_CLIENT_ID` + `GOOGLE_CLIENT_SECRET` (OAuth2; the credential
 *   store in `overrides.oauth.credentials`, tokens under `google:<address>`),
 *   or `GOOGLE_ACCESS_TOKEN`;
 * - push: `GMAIL_PUSH_AUDIENCE` (comma-separated) and
 *   `GMAIL_PUSH_SERVICE_ACCOUNT`, with `GMAIL_PUSH_TOKEN` (the `?token=` secret,
 *   `new,old` while rotating) and `GOOGLE_JWKS_URL`;
 * - watch: `GMAIL_PUBSUB_TOPIC` (`projects/<p>/topics/<t>`),
 *   `GMAIL_WATCH_LABEL_IDS`, `GMAIL_WATCH_LABEL_FILTER` (`INCLUDE`/`EXCLUDE`);
 * - `GMAIL_MESSAGE_FORMAT`, `GMAIL_METADATA_HEADERS`, `GMAIL_BASE_URL`.
 *
 * `overrides` is merged last (non-string settings).
 *
 * @throws ConfigurationError naming the variable.
 */
export function loadGmailSettings(
  env: Readonly<Record<string, string | undefined>>,
  overrides: SettingsOverrides<GmailConnectorSettings> = {},
): GmailConnectorSettings {
  const read = envReader(env, { packageName: GMAIL_PACKAGE_NAME });
  const { oauth: oauthOverride, ...rest } = overrides;
  const settings: GmailConnectorSettings = {};

  Object.assign(settings, readGoogleApiSettings(read, oauthOverride, 'loadGmailSettings'));

  const audience = read.list('GMAIL_PUSH_AUDIENCE', { emptyItems: 'refuse', item: 'audience' });
  const serviceAccountEmail = read.string('GMAIL_PUSH_SERVICE_ACCOUNT');
  if (audience.length === 0 && !serviceAccountEmail) {
    // A push variable without the two that enable pushes would be ignored silently.
    for (const name of ['GMAIL_PUSH_TOKEN', 'GOOGLE_JWKS_URL']) {
      if (read.string(name) !== undefined) {
        throw read.fail(
          `${name} is set, but GMAIL_PUSH_AUDIENCE and GMAIL_PUSH_SERVICE_ACCOUNT are not (pushes are off)`,
        );
      }
    }
  }
  if (audience.length > 0 || serviceAccountEmail) {
    if (audience.length === 0) {
      throw read.fail(
        'GMAIL_PUSH_AUDIENCE is not set (GMAIL_PUSH_SERVICE_ACCOUNT is): the push subscription’s audience',
      );
    }
    if (!serviceAccountEmail) {
      throw read.fail(
        'GMAIL_PUSH_SERVICE_ACCOUNT is not set (GMAIL_PUSH_AUDIENCE is): the service account the push subscription signs as',
      );
    }
    const tokens = read.list('GMAIL_PUSH_TOKEN', { emptyItems: 'refuse', item: 'token' });
    const jwksUrl = read.url('GOOGLE_JWKS_URL');
    settings.push = {
      audience: audience.length === 1 ? (audience[0] as string) : audience,
      serviceAccountEmail,
      ...(tokens.length > 0 ? { tokens } : {}),
      ...(jwksUrl ? { jwksUrl } : {}),
    };
  }

  const topicName = read.string('GMAIL_PUBSUB_TOPIC');
  if (topicName) {
    if (!TOPIC_PATTERN.test(topicName)) {
      throw read.fail(`GMAIL_PUBSUB_TOPIC must be projects/<project>/topics/<topic>, got "${topicName}"`);
    }
    const labelIds = read.list('GMAIL_WATCH_LABEL_IDS', { emptyItems: 'refuse', item: 'label id' });
    const labelFilterBehavior = read.oneOf('GMAIL_WATCH_LABEL_FILTER', ['INCLUDE', 'EXCLUDE']);
    settings.watch = {
      topicName,
      ...(labelIds.length > 0 ? { labelIds } : {}),
      ...(labelFilterBehavior ? { labelFilterBehavior } : {}),
    };
  }

  const messageFormat = read.oneOf('GMAIL_MESSAGE_FORMAT', GMAIL_MESSAGE_FORMATS);
  if (messageFormat) settings.messageFormat = messageFormat;
  const metadataHeaders = read.list('GMAIL_METADATA_HEADERS', { emptyItems: 'refuse', item: 'header' });
  if (metadataHeaders.length > 0) settings.metadataHeaders = metadataHeaders;
  const baseUrl = read.url('GMAIL_BASE_URL');
  if (baseUrl) settings.baseUrl = baseUrl;

  const merged = mergeSettings(settings, rest, ['push', 'watch']);
  if (!merged.oauth && !merged.accessToken && !merged.push) {
    throw read.fail(
      'GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (or GOOGLE_ACCESS_TOKEN) are not set, and neither is GMAIL_PUSH_AUDIENCE: a worker needs the first, a push receiver the second',
    );
  }
  return merged;
}
