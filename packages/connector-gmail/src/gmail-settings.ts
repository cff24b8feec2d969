import { envReader, type OAuth2Settings, type SettingsOverrides } from '@act/connector-kit';
import type { FieldPoliciesV1, Logger, RateLimitStoreV1 } from '@act/core';

/** Connector id: the `source` of every event, delivery, cursor, credential key and rate budget. */
export const GMAIL_SOURCE = 'gmail';
export const GMAIL_PACKAGE_NAME = '@act/connector-gmail';
/** Gmail's API host (fictional). A real connector cites the provider's docs here. */
export const GMAIL_DEFAULT_BASE_URL = 'https://api.gmail.example';

/** An OAuth2 app, and where each account's tokens live (`gmail:<account id>`; refreshes rotate them). */
export type GmailOAuthSettings = OAuth2Settings;

export interface GmailConnectorSettings {
  /** Webhook signing secrets, two while rotating. Empty refuses every delivery (fail closed): poll-only setups. */
  webhookSecrets: readonly string[];
  /** A static API token, or an OAuth2 app (`oauth`), which wins when both are given. */
  apiToken?: string;
  oauth?: GmailOAuthSettings;
  /** Defaults to `https://api.gmail.example`. Point it at a mock server in tests. */
  baseUrl?: string;
  fetch?: typeof globalThis.fetch;
  /** Where rate-limit buckets live: memory by default; the Postgres store shares one budget across workers. */
  rateLimitStore?: RateLimitStoreV1;
  /** Merged with the defaults: `{ gmail_records: { blocked: ['email'], preserved: ['status'] } }`. */
  fieldPolicies?: FieldPoliciesV1;
  logger?: Logger;
  /** Records per listing page, 1–100 (Gmail's maximum). Defaults to 100. */
  pageSize?: number;
  /** Per-request timeout in ms. Defaults to 10 000. */
  timeoutMs?: number;
  /** In-process retries of one call (5xx, timeouts, short 429s); longer waits go back to the inbox. */
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
}

/**
 * Settings from environment variables (`process.env`, `Deno.env.toObject()`):
 * `GMAIL_WEBHOOK_SECRET` (required; `new,old` while rotating), then
 * `GMAIL_CLIENT_ID` + `GMAIL_CLIENT_SECRET` (OAuth2; the credential
 * store in `overrides.oauth.credentials`) or `GMAIL_API_TOKEN`, and
 * `GMAIL_BASE_URL`. `overrides` is merged last (non-string settings).
 *
 * @throws ConfigurationError naming the missing variable.
 */
export function loadGmailSettings(
  env: Readonly<Record<string, string | undefined>>,
  overrides: SettingsOverrides<GmailConnectorSettings> = {},
): GmailConnectorSettings {
  const read = envReader(env, { packageName: GMAIL_PACKAGE_NAME });
  const webhookSecrets = read.list('GMAIL_WEBHOOK_SECRET', { required: true });
  const { oauth: oauthOverride, ...rest } = overrides;
  const oauth = read.oauth2App(
    { clientId: 'GMAIL_CLIENT_ID', clientSecret: 'GMAIL_CLIENT_SECRET', loader: 'loadGmailSettings' },
    oauthOverride,
  );
  const baseUrl = read.url('GMAIL_BASE_URL');
  const settings: GmailConnectorSettings = { webhookSecrets, ...(baseUrl ? { baseUrl } : {}) };
  if (oauth) return { ...settings, oauth, ...rest };
  return { ...settings, apiToken: rest.apiToken ?? read.required('GMAIL_API_TOKEN'), ...rest };
}
