import type { ConfigurationError, CredentialStoreV1 } from '@act/core';
import { type ConnectorErrors, createErrors } from '../api/errors';
import { splitPemList } from '../verify/public-key';

/** Environment variables as `process.env` or `Deno.env.toObject()` give them. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The settings of an OAuth2 app every connector with OAuth reads the same
 * way: the app's client id and secret from the environment, and the store of
 * each tenant's tokens from code (`overrides.oauth.credentials`).
 */
export interface OAuth2Settings {
  clientId: string;
  clientSecret: string;
  /** Where each tenant's tokens live (e.g. `@act/sink-supabase`'s `state.credentials`); every refresh is saved there. */
  credentials: CredentialStoreV1;
}

/**
 * What a connector's `load<Id>Settings(env, overrides)` merges over the
 * environment: any setting, and `oauth` possibly only in part (typically just
 * `{ credentials }`, passed from code whatever the variables say).
 */
export type SettingsOverrides<TSettings extends { oauth?: object | undefined }> = Omit<Partial<TSettings>, 'oauth'> & {
  oauth?: Partial<NonNullable<TSettings['oauth']>> | undefined;
};

export interface EnvListOptions {
  /** Default `,`. */
  separator?: string;
  /** An empty item (`a,,b`): dropped (default), or refused with a `ConfigurationError`. */
  emptyItems?: 'drop' | 'refuse';
  /** What one item is, in messages (`holds an empty key`); default `value`. */
  item?: string;
  /** Throw `<NAME> is not set` when the list is empty. */
  required?: boolean;
}

export interface EnvOAuth2AppOptions {
  /** The variable of the client id, e.g. `ACME_CLIENT_ID`. */
  clientId: string;
  /** The variable of the client secret. */
  clientSecret: string;
  /** A variable holding the token endpoint (an http(s) URL), read only when the app is configured. */
  tokenUrl?: string;
  /** The connector's loader, named in the message asking for a credential store (`loadAcmeSettings`). */
  loader: string;
}

/**
 * Typed reads of environment variables for one package. Every read trims the
 * value and treats an empty one as absent (`undefined`); every malformed
 * value throws a `ConfigurationError` whose message starts with
 * `[<packageName>] <VARIABLE>`, so a deployment knows what to fix.
 */
export interface EnvReader {
  readonly errors: ConnectorErrors;
  /** A `ConfigurationError` of this package. */
  fail(message: string, cause?: unknown): ConfigurationError;
  string(name: string): string | undefined;
  /** `<NAME> is not set` (then ` (<hint>)`) when absent. */
  required(name: string, hint?: string): string;
  /** `true`/`1`/`yes`/`on` or `false`/`0`/`no`/`off`, any case. */
  boolean(name: string): boolean | undefined;
  /** A positive number (`integer`: a positive whole number). */
  number(name: string, options?: { integer?: boolean }): number | undefined;
  /** One of `values`, e.g. `oneOf('ACME_REGION', ['eu', 'us'])`. */
  oneOf<const T extends string>(name: string, values: readonly T[]): T | undefined;
  /** An absolute http(s) URL. */
  url(name: string): string | undefined;
  /** A date `Date.parse` reads (ISO 8601), kept as written. */
  date(name: string): string | undefined;
  /** The source of a valid regular expression. */
  regExp(name: string, flags?: string): string | undefined;
  /** Items separated by `separator`, each trimmed; `[]` when absent. Secrets in rotation: `new,old`. */
  list(name: string, options?: EnvListOptions): string[];
  /** One or more PEM public keys (`\n` escapes allowed); refuses a value holding none. */
  pemList(name: string): string[] | undefined;
  /** Two variables that go together (a client id and secret): both, or neither (`undefined`). */
  pair(first: string, second: string): [string, string] | undefined;
  /**
   * An OAuth2 app: the client id and secret from the variables (both or
   * neither), completed by `override` (the credential store, passed from code
   * whatever the variables say). Without the variables, `override` counts only
   * when complete. The variables set without `override.credentials` throw,
   * naming the loader call that fixes it.
   */
  oauth2App<T extends OAuth2Settings>(
    options: EnvOAuth2AppOptions,
    override?: Partial<T> | undefined,
  ): (T & { tokenUrl?: string }) | undefined;
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

/** Read `env` for `packageName`; see `EnvReader`. */
export function envReader(env: Env, options: { packageName: string }): EnvReader {
  const errors = createErrors(options.packageName);
  const fail = (message: string, cause?: unknown) => errors.configuration(message, cause);
  const string = (name: string): string | undefined => env[name]?.trim() || undefined;
  const got = (value: string) => `got ${JSON.stringify(value)}`;
  const url = (name: string) => {
    const value = string(name);
    if (value !== undefined && !/^https?:\/\/\S/i.test(value)) {
      throw fail(`${name} is not an http(s) URL: ${JSON.stringify(value)}`);
    }
    return value;
  };
  const pair = (first: string, second: string): [string, string] | undefined => {
    const a = string(first);
    const b = string(second);
    if (a === undefined && b === undefined) return undefined;
    if (a === undefined) throw fail(`${first} is not set (${second} is)`);
    if (b === undefined) throw fail(`${second} is not set (${first} is)`);
    return [a, b];
  };

  return {
    errors,
    fail,
    string,
    required(name, hint) {
      const value = string(name);
      if (value === undefined) throw fail(`${name} is not set${hint ? ` (${hint})` : ''}`);
      return value;
    },
    boolean(name) {
      const value = string(name);
      if (value === undefined) return undefined;
      const lower = value.toLowerCase();
      if (TRUE.includes(lower)) return true;
      if (FALSE.includes(lower)) return false;
      throw fail(`${name} must be true or false, ${got(value)}`);
    },
    number(name, numberOptions = {}) {
      const value = string(name);
      if (value === undefined) return undefined;
      const parsed = Number(value);
      const ok = numberOptions.integer ? Number.isSafeInteger(parsed) : Number.isFinite(parsed);
      if (!(ok && parsed > 0)) {
        throw fail(`${name} must be a positive ${numberOptions.integer ? 'whole ' : ''}number, ${got(value)}`);
      }
      return parsed;
    },
    oneOf(name, values) {
      const value = string(name);
      if (value === undefined) return undefined;
      if (!(values as readonly string[]).includes(value)) {
        const choices = values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values.at(-1)}` : values[0];
        throw fail(`${name} must be ${choices}, ${got(value)}`);
      }
      return value as (typeof values)[number];
    },
    url,
    date(name) {
      const value = string(name);
      if (value !== undefined && !Number.isFinite(Date.parse(value))) {
        throw fail(`${name} is not a date: ${JSON.stringify(value)}`);
      }
      return value;
    },
    regExp(name, flags) {
      const value = string(name);
      if (value === undefined) return undefined;
      try {
        new RegExp(value, flags);
      } catch (error) {
        throw fail(
          `${name} is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`,
          error,
        );
      }
      return value;
    },
    list(name, listOptions = {}) {
      const { separator = ',', emptyItems = 'drop', item = 'value' } = listOptions;
      const value = string(name);
      const items = value === undefined ? [] : value.split(separator).map((entry) => entry.trim());
      if (emptyItems === 'refuse' && items.includes('')) {
        const separatorName = separator === ',' ? 'commas' : JSON.stringify(separator);
        throw fail(`${name} holds an empty ${item} (separate ${item}s with single ${separatorName})`);
      }
      const kept = items.filter(Boolean);
      if (listOptions.required && kept.length === 0) throw fail(`${name} is not set`);
      return kept;
    },
    pemList(name) {
      const value = string(name);
      if (value === undefined) return undefined;
      const pems = splitPemList(value);
      if (pems.length === 0) throw fail(`${name} holds no "-----BEGIN PUBLIC KEY-----" block`);
      return pems;
    },
    pair,
    oauth2App<T extends OAuth2Settings>(app: EnvOAuth2AppOptions, override?: Partial<T>) {
      type Result = T & { tokenUrl?: string };
      const client = pair(app.clientId, app.clientSecret);
      if (!client) {
        // No variables: settings given wholly in code stand on their own.
        return override?.clientId && override.clientSecret && override.credentials ? (override as Result) : undefined;
      }
      const credentials = override?.credentials;
      if (!credentials) {
        throw fail(
          `${app.clientId} is set, but no credential store was given: ${app.loader}(env, { oauth: { credentials } })`,
        );
      }
      const tokenUrl = app.tokenUrl === undefined ? undefined : url(app.tokenUrl);
      const [clientId, clientSecret] = client;
      return { ...(tokenUrl ? { tokenUrl } : {}), ...override, clientId, clientSecret, credentials } as Result;
    },
  };
}

/**
 * `{ ...fromEnv, ...overrides }`, except that the `nested` sections (e.g.
 * `webhook`) are merged one level deeper, so an override of one webhook
 * option keeps the others read from the environment. A section neither side
 * has stays absent.
 */
export function mergeSettings<T extends object>(
  fromEnv: T,
  overrides: Partial<T>,
  nested: readonly (keyof T)[] = [],
): T {
  const merged: T = { ...fromEnv, ...overrides };
  for (const key of nested) {
    const a = fromEnv[key];
    const b = overrides[key];
    if (a === undefined && b === undefined) continue;
    merged[key] = { ...(a as object | undefined), ...(b as object | undefined) } as T[keyof T];
  }
  return merged;
}
