import { envReader, type OAuth2Settings, type SettingsOverrides } from '@act/connector-kit';
import type { CredentialStoreV1, FieldPoliciesV1, Logger, RateLimitStoreV1 } from '@act/core';

/** Connector id: the `source` of every event, delivery, cursor, credential key and rate budget. */
export const TEMPLATE_SOURCE = 'template';
/** Prefix of every error message this package raises. */
export const TEMPLATE_PACKAGE_NAME = '@act/connector-template';
/** Template's API host (fictional). A real connector cites the provider's docs here. */
export const TEMPLATE_DEFAULT_BASE_URL = 'https://api.template.example';

/** An OAuth2 app: its client id and secret, and where each account's tokens live. */
export interface TemplateOAuthSettings extends OAuth2Settings {
  /** Each account's tokens (`template:<account id>`); refresh tokens rotate, so every refresh is saved here. */
  credentials: CredentialStoreV1;
}

export interface TemplateConnectorSettings {
  /**
   * Webhook signing secrets, from Template's webhook settings page. Give two
   * while rotating (the new one and the old one): a delivery signed with
   * either verifies. An empty list rejects every delivery with 401 and logs
   * it as a configuration error (fail closed); use that for poll-only setups.
   */
  webhookSecrets: readonly string[];
  /**
   * API credentials, used by hydrate and the poller: a static API token (sent
   * as `Authorization: Bearer <token>`), or an OAuth2 app (`oauth`), which wins
   * when both are given.
   */
  apiToken?: string;
  oauth?: TemplateOAuthSettings;
  /** Defaults to `https://api.template.example`. Point it at a mock server in tests. */
  baseUrl?: string;
  /** `fetch` to use for API calls; defaults to the global one. */
  fetch?: typeof globalThis.fetch;
  /**
   * Where rate-limit buckets live. Defaults to one process's memory; pass the
   * Postgres store from `@act/sink-supabase` so every worker shares one budget.
   */
  rateLimitStore?: RateLimitStoreV1;
  /**
   * Your field policies for `template_records`, merged with the connector's
   * defaults: `{ template_records: { blocked: ['email'] } }` keeps emails out
   * of the mirror; `preserved: ['status']` never overwrites a local status.
   */
  fieldPolicies?: FieldPoliciesV1;
  logger?: Logger;
  /** Records per listing page, 1–100 (Template's maximum). Defaults to 100. */
  pageSize?: number;
  /** Per-request timeout in ms. Defaults to 10 000. */
  timeoutMs?: number;
  /**
   * In-process retries of one API call (5xx, timeouts, short 429s). Longer
   * waits are the worker's business: the delivery goes back to the inbox.
   * Defaults: 3 attempts, 500 ms base delay, 5 s cap.
   */
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
}

/**
 * Read the settings from environment variables. Takes the variables as an
 * argument so it runs everywhere: `loadTemplateSettings(process.env)` on
 * Node, `loadTemplateSettings(Deno.env.toObject())` on Supabase Edge.
 *
 * - `TEMPLATE_WEBHOOK_SECRET` (required): the signing secret; comma-separate
 *   two while rotating (`new,old`).
 * - `TEMPLATE_CLIENT_ID` and `TEMPLATE_CLIENT_SECRET`: an OAuth2 app (pass
 *   the credential store in `overrides.oauth.credentials`); or
 * - `TEMPLATE_API_TOKEN`: a static API token.
 * - `TEMPLATE_BASE_URL` (optional): the API host (an http(s) URL).
 *
 * `overrides` is merged last, for settings that are not strings (`fetch`,
 * `logger`, `fieldPolicies`, `oauth.credentials`, …); API credentials given
 * wholly there (`apiToken`, or a complete `oauth`) need no variable.
 *
 * @throws ConfigurationError naming the missing variable.
 */
export function loadTemplateSettings(
  env: Readonly<Record<string, string | undefined>>,
  overrides: SettingsOverrides<TemplateConnectorSettings> = {},
): TemplateConnectorSettings {
  const read = envReader(env, { packageName: TEMPLATE_PACKAGE_NAME });
  const webhookSecrets = read.list('TEMPLATE_WEBHOOK_SECRET', { required: true });
  const { oauth: oauthOverride, ...rest } = overrides;
  const oauth = read.oauth2App(
    { clientId: 'TEMPLATE_CLIENT_ID', clientSecret: 'TEMPLATE_CLIENT_SECRET', loader: 'loadTemplateSettings' },
    oauthOverride,
  );
  const baseUrl = read.url('TEMPLATE_BASE_URL');
  const settings: TemplateConnectorSettings = { webhookSecrets, ...(baseUrl ? { baseUrl } : {}) };
  if (oauth) return { ...settings, oauth, ...rest };
  // No OAuth app: a static token, from the variable or from code.
  const apiToken = rest.apiToken ?? read.required('TEMPLATE_API_TOKEN');
  return { ...settings, apiToken, ...rest };
}
