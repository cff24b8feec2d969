import { envReader, mergeSettings, type SettingsOverrides } from '@act/connector-kit';
import type { FieldPoliciesV1, Logger, RateLimitStoreV1, SinkV1 } from '@act/core';
import type { GhlClientOptions, GhlOAuthAuth } from './ghl-client';
import { GHL_PACKAGE_NAME } from './ghl-error';
import type { GhlPollersOptions } from './ghl-poller';
import type { createGhlReconcilers } from './ghl-reconcile';
import type { GhlWebhookSettings, GhlWorkflowWebhookSettings } from './ghl-webhook';

export { GHL_DEFAULT_BASE_URL } from './ghl-client';
export { GHL_PACKAGE_NAME, GHL_SOURCE } from './ghl-error';

export interface GhlConnectorSettings {
  // -- Receiving ------------------------------------------------------------

  /** Marketplace webhook verification. Defaults follow GHL's docs (published keys, 5 min window). */
  webhook?: GhlWebhookSettings;
  /**
   * Workflow ("custom") webhooks, on a route of their own
   * (`connector.workflowWebhook`). Without secrets that route refuses
   * everything (401, fail closed).
   */
  workflowWebhook?: GhlWorkflowWebhookSettings;

  // -- Mirror ---------------------------------------------------------------

  /**
   * Field policies per mirror table, merged with the connector's (empty)
   * defaults: `blocked` columns never reach the mirror, its `raw` copy, or
   * GHL through write-back; `preserved` ones are written once, then kept
   * (`{ ghl_opportunities: { preserved: ['pipeline_stage_id'] } }`).
   */
  fieldPolicies?: FieldPoliciesV1;
  /**
   * Country (ISO 3166-1 alpha-2, `US`) for phone numbers GHL holds without a
   * `+<country code>`. Without it those stay `null` in `phone` (kept in `phone_raw`).
   */
  defaultPhoneCountry?: string;

  // -- API: polling, reconciliation, write-back -----------------------------
  // Give a Private Integration Token or OAuth app credentials; without either,
  // the connector only receives webhooks (no pollers, reconcilers or writer).

  /**
   * A Private Integration Token, "static/fixed OAuth2 Access Tokens"
   * (https://marketplace.gohighlevel.com/docs/Authorization/PrivateIntegrationsToken/index.html),
   * or a function returning the token of a location (PITs are per sub-account).
   */
  accessToken?: string | ((tenant: string) => string | Promise<string>);
  /**
   * An OAuth Marketplace app: its client id and secret and where each
   * location's tokens live. Access tokens last a day; refresh tokens rotate on
   * every use, so every refresh is saved through `credentials`
   * (https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/Authorization.md).
   */
  oauth?: Omit<GhlOAuthAuth, 'type'>;
  /** Defaults to `https://services.leadconnectorhq.com`. */
  baseUrl?: string;
  /** `fetch` for API calls; defaults to the global one. */
  fetch?: typeof globalThis.fetch;
  /**
   * Where the rate budgets (100 requests / 10 s and 200,000 / day per app and
   * location, per https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/Authorization.md) live. Defaults to this process's memory; pass
   * `@act/sink-supabase`'s `state.rateLimits` so every worker shares them.
   */
  rateLimitStore?: RateLimitStoreV1;
  /** Finer API client options (limits, `Version` headers, timeouts, retries). */
  api?: Omit<GhlClientOptions, 'auth' | 'baseUrl' | 'fetch' | 'rateLimitStore' | 'logger'>;
  /** Options of the contacts, opportunities and appointments pollers. */
  pollers?: Omit<GhlPollersOptions, 'client'>;
  /** Options of the contacts and opportunities reconcilers. */
  reconcilers?: Omit<Parameters<typeof createGhlReconcilers>[0], 'client'>;
  /**
   * Write-back through the outbox: with it, the connector declares the
   * `ghl:contacts` destination (`connector.destinations`), whose messages
   * (`enqueueGhlContactChange`) go through the contact writer, checked
   * against the mirror rows `sink` holds (`state.sink`). Needs API credentials.
   */
  writeBack?: { sink: Pick<SinkV1, 'scan'>; maxAttempts?: number };

  logger?: Logger;
}

/** What `loadGhlSettings` merges over the environment: any setting, and `oauth` possibly only in part (`{ credentials }`). */
export type GhlSettingsOverrides = SettingsOverrides<GhlConnectorSettings>;

/**
 * Read the settings from environment variables. Takes the variables as an
 * argument so it runs everywhere: `loadGhlSettings(process.env)` on Node,
 * `loadGhlSettings(Deno.env.toObject())` on Supabase Edge.
 *
 * API credentials, for pollers, reconciliation and write-back (without
 * either the connector only receives webhooks, which need none):
 * - `GHL_ACCESS_TOKEN`: a Private Integration Token; or
 * - `GHL_CLIENT_ID` and `GHL_CLIENT_SECRET`: an OAuth app (pass the
 *   credential store in `overrides.oauth.credentials`; passing it always is
 *   fine, it is ignored with `GHL_ACCESS_TOKEN`).
 *
 * Optional: `GHL_BASE_URL`; `GHL_DEFAULT_PHONE_COUNTRY`;
 * `GHL_WEBHOOK_ED25519_PUBLIC_KEYS` and `GHL_WEBHOOK_RSA_PUBLIC_KEYS` (one or
 * more PEM blocks; `\n` escapes allowed); `GHL_WEBHOOK_LEGACY_RSA`
 * (`true` accepts the retired RSA `x-wh-signature`, off by default);
 * `GHL_WEBHOOK_LEGACY_RSA_UNTIL` (ISO date: accept it until then); `GHL_WEBHOOK_TOLERANCE_SECONDS`; `GHL_WEBHOOK_ALLOW_MISSING_TIMESTAMP`;
 * `GHL_WEBHOOK_RESERIALIZED_FALLBACK`; `GHL_WORKFLOW_WEBHOOK_SECRET` (comma-
 * separate two while rotating), `GHL_WORKFLOW_WEBHOOK_HEADER`,
 * `GHL_WORKFLOW_WEBHOOK_QUERY_PARAMETER`.
 *
 * `overrides` is merged last, for what is not a string (`oauth.credentials`,
 * `rateLimitStore`, `fieldPolicies`, `logger`, …).
 *
 * @throws ConfigurationError naming the variable that is missing or malformed.
 */
export function loadGhlSettings(
  env: Readonly<Record<string, string | undefined>>,
  overrides: GhlSettingsOverrides = {},
): GhlConnectorSettings {
  const read = envReader(env, { packageName: GHL_PACKAGE_NAME });
  const settings: GhlConnectorSettings = {};

  // A complete `oauth` in the overrides stands on its own; a partial one (the
  // credential store, passed whatever the variables say) only completes them.
  const { oauth: oauthOverride, ...rest } = overrides;
  const oauth = read.oauth2App<NonNullable<GhlConnectorSettings['oauth']>>(
    { clientId: 'GHL_CLIENT_ID', clientSecret: 'GHL_CLIENT_SECRET', loader: 'loadGhlSettings' },
    oauthOverride,
  );
  if (oauth) settings.oauth = oauth;
  // The variables name one kind of credential: the OAuth app, else a token.
  // Neither: a receiver only. GHL's webhooks carry the whole record and are
  // verified with GHL's published keys, so receiving needs no API access;
  // pollers, reconciliation and write-back need one of the two.
  const accessToken = read.string('GHL_ACCESS_TOKEN');
  if (accessToken && read.string('GHL_CLIENT_ID') === undefined) settings.accessToken = accessToken;

  const baseUrl = read.string('GHL_BASE_URL');
  if (baseUrl) settings.baseUrl = baseUrl;
  const country = read.string('GHL_DEFAULT_PHONE_COUNTRY');
  if (country) settings.defaultPhoneCountry = country;

  const webhook: GhlWebhookSettings = {};
  const ed25519 = read.pemList('GHL_WEBHOOK_ED25519_PUBLIC_KEYS');
  if (ed25519) webhook.ed25519PublicKeys = ed25519;
  const rsa = read.pemList('GHL_WEBHOOK_RSA_PUBLIC_KEYS');
  if (rsa) webhook.rsaPublicKeys = rsa;
  const legacy = read.boolean('GHL_WEBHOOK_LEGACY_RSA');
  if (legacy !== undefined) webhook.legacyRsa = legacy;
  const legacyUntil = read.date('GHL_WEBHOOK_LEGACY_RSA_UNTIL');
  if (legacyUntil) webhook.legacyRsaUntil = legacyUntil;
  const toleranceSeconds = read.number('GHL_WEBHOOK_TOLERANCE_SECONDS');
  if (toleranceSeconds !== undefined) webhook.timestampToleranceMs = toleranceSeconds * 1000;
  const allowMissing = read.boolean('GHL_WEBHOOK_ALLOW_MISSING_TIMESTAMP');
  if (allowMissing !== undefined) webhook.allowMissingTimestamp = allowMissing;
  const reserialized = read.boolean('GHL_WEBHOOK_RESERIALIZED_FALLBACK');
  if (reserialized !== undefined) webhook.reserializedBodyFallback = reserialized;
  if (Object.keys(webhook).length > 0) settings.webhook = webhook;

  const workflowSecrets = read.list('GHL_WORKFLOW_WEBHOOK_SECRET');
  const workflowHeader = read.string('GHL_WORKFLOW_WEBHOOK_HEADER');
  const workflowParameter = read.string('GHL_WORKFLOW_WEBHOOK_QUERY_PARAMETER');
  if (workflowSecrets.length > 0 || workflowHeader || workflowParameter) {
    settings.workflowWebhook = {
      secrets: workflowSecrets,
      ...(workflowHeader ? { header: workflowHeader } : {}),
      ...(workflowParameter ? { queryParameter: workflowParameter } : {}),
    };
  }

  return mergeSettings(settings, rest, ['webhook', 'workflowWebhook']);
}
