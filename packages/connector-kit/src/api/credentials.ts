// Which API credentials a connector was given, and what it says when it was
// given none. Every connector with an API takes either a bearer token given in
// code (`accessToken`) or an OAuth2 app (`oauth`), never both; without either it
// still receives webhooks, so it warns once at creation and reports an amber
// health signal instead of failing, since a receive-only mirror that goes
// quietly stale is the failure users do not notice.
import { ConfigurationError, type HealthSignalV1, type Logger, type SourceRuntimeV1 } from '@act/core/internal';

/** The health signal code of a connector created without API credentials. */
export const API_CREDENTIALS_MISSING = 'api_credentials_missing';

export interface ChooseApiAuthOptions<TTokenType extends string> {
  packageName: string;
  /** The `type` of the auth built from `accessToken` (`'private-integration'`, `'access-token'`). */
  tokenType: TTokenType;
  /** How the error names the two, e.g. `['accessToken (a Private Integration Token)', 'oauth']`. */
  either: readonly [string, string];
}

/** The auth chosen: the OAuth2 settings tagged `oauth`, a token tagged `tokenType`, or none. */
export type ChosenApiAuth<TOAuth, TTokenType extends string, TToken> =
  | ({ type: 'oauth' } & TOAuth)
  | { type: TTokenType; token: TToken }
  | undefined;

/**
 * The auth of `settings`: `oauth` as an OAuth2 auth, `accessToken` (a token,
 * or a function of the tenant) as a static one, neither as `undefined` (a
 * receive-only connector).
 * @throws ConfigurationError when both are given.
 */
export function chooseApiAuth<TOAuth extends object, TTokenType extends string, TToken>(
  settings: { accessToken?: TToken | undefined; oauth?: TOAuth | undefined },
  options: ChooseApiAuthOptions<TTokenType>,
): ChosenApiAuth<TOAuth, TTokenType, TToken> {
  if (settings.accessToken && settings.oauth) {
    throw new ConfigurationError({
      packageName: options.packageName,
      message: `give either ${options.either[0]} or ${options.either[1]}, not both`,
    });
  }
  if (settings.oauth) return { type: 'oauth', ...settings.oauth };
  if (settings.accessToken) return { type: options.tokenType, token: settings.accessToken };
  return undefined;
}

export interface MissingApiCredentialsOptions {
  packageName: string;
  source: string;
  /** The provider's name in the health message (`GoHighLevel`). */
  displayName: string;
  /** What to set, e.g. `XERO_CLIENT_ID and XERO_CLIENT_SECRET (settings.oauth; or settings.accessToken)`. */
  variables: string;
  /** What still works and what does not without the API, for the warning and the health message. */
  withoutApi: string;
  logger?: Logger | undefined;
}

/**
 * Warns once (the logger's `warn`, or the console when there is no logger:
 * silence here is how a mirror quietly goes stale) and returns the amber
 * `api_credentials_missing` health signal to report from `healthSignals`.
 */
export function reportMissingApiCredentials(options: MissingApiCredentialsOptions): HealthSignalV1 {
  const message = `[${options.packageName}] no API credentials (set ${options.variables}): ${options.withoutApi}`;
  if (options.logger) options.logger.warn({ source: options.source, code: API_CREDENTIALS_MISSING }, message);
  else console.warn(message);
  return {
    source: options.source,
    tenant: 'app',
    status: 'amber',
    code: API_CREDENTIALS_MISSING,
    message: `no ${options.displayName} API credentials: set ${options.variables}; ${options.withoutApi}`,
  };
}

/** What a source entry's runtime injects into the connector's settings (only what was given). */
export interface RuntimeSettings {
  rateLimitStore?: NonNullable<SourceRuntimeV1['rateLimitStore']>;
  fetch?: typeof globalThis.fetch;
  logger?: Logger;
  oauth?: { credentials: NonNullable<SourceRuntimeV1['credentials']> };
}

/**
 * The settings overrides a `SourceEntryV1.settingsFromEnv` takes from its
 * runtime: rate-limit store, fetch and logger, and with `oauth` the credential
 * store as `oauth.credentials` (where the app saved the tenants' OAuth tokens).
 */
export function runtimeSettings(runtime: SourceRuntimeV1, options: { oauth?: boolean } = {}): RuntimeSettings {
  const settings: RuntimeSettings = {};
  if (runtime.rateLimitStore) settings.rateLimitStore = runtime.rateLimitStore;
  if (runtime.fetch) settings.fetch = runtime.fetch;
  if (runtime.logger) settings.logger = runtime.logger;
  if (options.oauth && runtime.credentials) settings.oauth = { credentials: runtime.credentials };
  return settings;
}

/**
 * `message` when none of `names` is set (blank counts as unset) in `env`,
 * else `undefined`: a source entry's `missingApiCredentials`.
 */
export function missingEnv(
  env: Readonly<Record<string, string | undefined>>,
  names: readonly string[],
  message: string,
): string | undefined {
  return names.some((name) => Boolean(env[name]?.trim())) ? undefined : message;
}
