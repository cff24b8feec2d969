import { ConfigurationError, type FieldPoliciesV1, type Logger, type RateLimitStoreV1 } from '@act/core';

/** Connector id: the `source` of every event, delivery, cursor and rate budget. */
export const TEMPLATE_SOURCE = 'template';
/** Prefix of every error message this package raises. */
export const TEMPLATE_PACKAGE_NAME = '@act/connector-template';
/** Template's API host (fictional). A real connector cites the provider's docs here. */
export const TEMPLATE_DEFAULT_BASE_URL = 'https://api.template.example';

export interface TemplateConnectorSettings {
  /**
   * Webhook signing secrets, from Template's webhook settings page. Give two
   * while rotating (the new one and the old one): a delivery signed with
   * either verifies. An empty list rejects every delivery with 401 and logs
   * it as a configuration error (fail closed); use that for poll-only setups.
   */
  webhookSecrets: readonly string[];
  /** API token, sent as `Authorization: Bearer <token>`. Used by hydrate and the poller. */
  apiToken: string;
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
 * - `TEMPLATE_API_TOKEN` (required): the API token.
 * - `TEMPLATE_BASE_URL` (optional): the API host.
 *
 * `overrides` is merged last, for settings that are not strings (`fetch`,
 * `logger`, `fieldPolicies`, …).
 *
 * @throws ConfigurationError naming the missing variable.
 */
export function loadTemplateSettings(
  env: Readonly<Record<string, string | undefined>>,
  overrides: Partial<TemplateConnectorSettings> = {},
): TemplateConnectorSettings {
  const webhookSecrets = (env.TEMPLATE_WEBHOOK_SECRET ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter(Boolean);
  if (webhookSecrets.length === 0) throw missing('TEMPLATE_WEBHOOK_SECRET');
  const apiToken = env.TEMPLATE_API_TOKEN?.trim();
  if (!apiToken) throw missing('TEMPLATE_API_TOKEN');
  const baseUrl = env.TEMPLATE_BASE_URL?.trim();
  return { webhookSecrets, apiToken, ...(baseUrl ? { baseUrl } : {}), ...overrides };
}

function missing(variable: string): ConfigurationError {
  return new ConfigurationError({ packageName: TEMPLATE_PACKAGE_NAME, message: `${variable} is not set` });
}
