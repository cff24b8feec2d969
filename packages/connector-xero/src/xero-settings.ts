import { envReader, mergeSettings, type OAuth2Settings, type SettingsOverrides } from '@act/connector-kit';
import type { CredentialStoreV1, FieldPoliciesV1, Logger, RateLimitStoreV1 } from '@act/core';
import type { XeroClientOptions } from './xero-client';
import { XERO_PACKAGE_NAME } from './xero-events';
import type { XeroFetchRecord } from './xero-hydrate';
import type { XeroDiscoverySettings, XeroOAuthAuth } from './xero-oauth';
import type { XeroPollersOptions } from './xero-poller';
import type { createXeroReconcilers } from './xero-reconcile';
import type { XeroSequenceScope } from './xero-sequences';
import type { XeroTransforms } from './xero-transform';
import type { XeroWebhookSettings } from './xero-webhook';

/** An OAuth 2.0 app (code flow) whose connections (tenants) the connector reads. */
export interface XeroOAuthSettings extends Omit<XeroOAuthAuth, 'type'>, OAuth2Settings {
  /** From the Xero developer portal, My Apps → your app → Configuration. */
  clientId: string;
  clientSecret: string;
  /**
   * Where each connection's tokens live (`CredentialStoreV1`, e.g.
   * `@act/sink-supabase`'s `state.credentials`). Access tokens last 30
   * minutes and refresh tokens rotate on every use (60 days unused, 30-minute
   * reuse grace, https://developer.xero.com/faq/oauth2), so every refresh is saved there, single-flight
   * across workers.
   */
  credentials: CredentialStoreV1;
  /** The token endpoint; `XERO_TOKEN_URL`, default `https://identity.xero.com/connect/token` (a local stand-in in tests and the demo). */
  tokenUrl?: string;
}

export interface XeroConnectorSettings {
  // -- Receiving ------------------------------------------------------------

  /** Webhook verification: the webhook key(s). Without one every request is refused (401). */
  webhook?: XeroWebhookSettings;
  /**
   * How `connector.sequenceGaps()` counts `firstEventSequence` /
   * `lastEventSequence`: across the app's deliveries (`app`, default) or per
   * tenant. Xero does not document the numbering's scope;
   * see src/xero-sequences.ts.
   */
  sequenceScope?: XeroSequenceScope;

  // -- Mirror ---------------------------------------------------------------

  /**
   * Field policies per mirror table, merged with the connector's (empty)
   * defaults: `blocked` columns never reach the mirror or its `raw` copy;
   * `preserved` ones are written once, then kept
   * (`{ xero_contacts: { blocked: ['tax_number', 'BankAccountDetails'] } }`).
   */
  fieldPolicies?: FieldPoliciesV1;
  /** Optional derived columns: project codes from references, contact match keys. Off by default. */
  transforms?: XeroTransforms;

  // -- API: fetch-on-notify, polling, reconciliation -------------------------
  // Without API credentials the connector only receives (a receiver never
  // fetches); a worker needs them, because every webhook event is a fetch.

  oauth?: XeroOAuthSettings;
  /**
   * Instead of `oauth`: a bearer token you obtain and refresh yourself (or a
   * function returning a tenant's). The connector never refreshes it.
   */
  accessToken?: string | ((tenant: string) => string | Promise<string>);
  /**
   * Tenant discovery for the scheduler (`discoverTenants`, needs `oauth`):
   * the OAuth grants whose `GET https://api.xero.com/connections` lists the
   * organisations to sync. Xero's connections belong to the grant (the
   * person who authorised the app), not to a tenant, so the connector cannot
   * guess them: without this setting it has no `discoverTenants`, and
   * tenants are registered by your app. `XERO_DISCOVERY_GRANTS` (comma-separated
   * credential keys) sets `grants`.
   */
  discovery?: XeroDiscoverySettings;
  /** Defaults to `https://api.xero.com/api.xro/2.0`. */
  baseUrl?: string;
  /** `fetch` for API calls; defaults to the global one. */
  fetch?: typeof globalThis.fetch;
  /**
   * Where the rate budgets (per tenant 60 / minute, 5 in flight and a daily
   * cap; 10,000 / minute per app, https://developer.xero.com/documentation/guides/oauth2/limits/) live. Defaults to this
   * process's memory; pass `@act/sink-supabase`'s `state.rateLimits` so every
   * worker shares them.
   */
  rateLimitStore?: RateLimitStoreV1;
  /**
   * Your app's Xero pricing tier, which sets the daily cap per tenant: 1,000
   * calls on `starter`, 5,000 above (since 2 March 2026,
   * https://developer.xero.com/faq/pricing-and-policy-updates).
   */
  tier?: 'starter' | 'above-starter';
  /** Calls per tenant per day, overriding `tier`. */
  dailyLimit?: number;
  /**
   * Replaces the API client for fetch-on-notify (`hydrate`): how one record is
   * fetched. For tests and for deployments with their own Xero client.
   */
  fetchRecord?: XeroFetchRecord;
  /** Finer API client options (timeouts, in-process retries, rate-limit details). */
  api?: Omit<XeroClientOptions, 'auth' | 'baseUrl' | 'fetch' | 'rateLimitStore' | 'tier' | 'dailyLimit' | 'logger'>;
  /** Options of the pollers (entities, page size, overlap, full resync interval). */
  pollers?: Omit<XeroPollersOptions, 'client'>;
  /** Options of the reconcilers (entities, page size, invoice listings). */
  reconcilers?: Omit<Parameters<typeof createXeroReconcilers>[0], 'client'>;

  logger?: Logger;
}

/** What `loadXeroSettings` merges over the environment: any setting, and `oauth` possibly only in part (`{ credentials }`). */
export type XeroSettingsOverrides = SettingsOverrides<XeroConnectorSettings>;

/**
 * Read the settings from environment variables. Takes the variables as an
 * argument so it runs everywhere: `loadXeroSettings(process.env)` on Node,
 * `loadXeroSettings(Deno.env.toObject())` on Supabase Edge.
 *
 * At least one of:
 * - `XERO_WEBHOOK_KEY`: the webhook key from the Xero developer portal
 *   (comma-separate the old and the new key while rotating); what a receiver
 *   needs;
 * - `XERO_CLIENT_ID` and `XERO_CLIENT_SECRET`: the OAuth app (pass the
 *   credential store in `overrides.oauth.credentials`); what a worker needs,
 *   since every webhook event is a fetch.
 *
 * Optional: `XERO_DISCOVERY_GRANTS` (comma-separated credential keys of the
 * OAuth grants whose connections are the tenants, see `discovery`); `XERO_BASE_URL`; `XERO_TOKEN_URL`; `XERO_TIER` (`starter` or `above-starter`: the
 * daily cap per tenant, 1,000 or 5,000); `XERO_DAILY_LIMIT` (overrides it); `XERO_PROJECT_CODE_PATTERN` (a regular
 * expression, turns project-code detection on); `XERO_PROJECT_CODE_LINE_ITEMS`
 * (also search line item descriptions); `XERO_CONTACT_MATCHING` (`true` writes
 * `contact_match_key`); `XERO_SEQUENCE_SCOPE` (`app` or `tenant`).
 *
 * `overrides` is merged last, for what is not a string (`oauth.credentials`,
 * `rateLimitStore`, `fieldPolicies`, `logger`, …).
 *
 * @throws ConfigurationError naming the variable that is missing or malformed.
 */
export function loadXeroSettings(
  env: Readonly<Record<string, string | undefined>>,
  overrides: XeroSettingsOverrides = {},
): XeroConnectorSettings {
  const read = envReader(env, { packageName: XERO_PACKAGE_NAME });
  const settings: XeroConnectorSettings = {};

  const keys = read.list('XERO_WEBHOOK_KEY', { emptyItems: 'refuse', item: 'key' });
  if (keys.length > 0) settings.webhook = { keys };

  const { oauth: oauthOverride, ...rest } = overrides;
  const oauth = read.oauth2App<XeroOAuthSettings>(
    {
      clientId: 'XERO_CLIENT_ID',
      clientSecret: 'XERO_CLIENT_SECRET',
      tokenUrl: 'XERO_TOKEN_URL',
      loader: 'loadXeroSettings',
    },
    oauthOverride,
  );
  if (oauth) settings.oauth = oauth;
  if (!settings.webhook && !settings.oauth && !overrides.webhook?.keys?.length && !overrides.accessToken) {
    throw read.fail(
      'XERO_WEBHOOK_KEY is not set (the webhook key from the Xero developer portal), and neither are XERO_CLIENT_ID and XERO_CLIENT_SECRET (the OAuth app): a receiver needs the first, a worker the second',
    );
  }

  const grants = read.list('XERO_DISCOVERY_GRANTS', { emptyItems: 'refuse', item: 'credential key' });
  if (grants.length > 0) settings.discovery = { grants };
  const baseUrl = read.url('XERO_BASE_URL');
  if (baseUrl) settings.baseUrl = baseUrl;
  const tier = read.oneOf('XERO_TIER', ['starter', 'above-starter']);
  if (tier) settings.tier = tier;
  const dailyLimit = read.number('XERO_DAILY_LIMIT', { integer: true });
  if (dailyLimit !== undefined) settings.dailyLimit = dailyLimit;

  const transforms: XeroTransforms = {};
  const pattern = read.regExp('XERO_PROJECT_CODE_PATTERN');
  const lineItems = read.boolean('XERO_PROJECT_CODE_LINE_ITEMS');
  if (pattern) {
    transforms.projectCode = { pattern, ...(lineItems !== undefined ? { lineItems } : {}) };
  } else if (lineItems !== undefined) {
    throw read.fail('XERO_PROJECT_CODE_LINE_ITEMS is set, but XERO_PROJECT_CODE_PATTERN is not');
  }
  const matching = read.boolean('XERO_CONTACT_MATCHING');
  if (matching !== undefined) transforms.contactMatching = matching;
  if (Object.keys(transforms).length > 0) settings.transforms = transforms;

  const scope = read.oneOf('XERO_SEQUENCE_SCOPE', ['app', 'tenant']);
  if (scope) settings.sequenceScope = scope;

  return mergeSettings(settings, rest, ['webhook', 'transforms']);
}
