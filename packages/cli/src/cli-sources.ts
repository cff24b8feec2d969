import { createGhlConnector, type GhlConnector, loadGhlSettings } from '@act/connector-ghl';
import { createXeroConnector, loadXeroSettings, type XeroConnector } from '@act/connector-xero';
import { type ConnectorV1, type CredentialStoreV1, noopLogger, type RateLimitStoreV1 } from '@act/core';
import { type CliIo, usageError } from './cli-io';

/** What the API-backed commands hand a connector besides the environment. */
export interface ApiOverrides {
  credentials: CredentialStoreV1;
  rateLimitStore: RateLimitStoreV1;
  fetch: typeof globalThis.fetch;
}

/** A source the CLI knows: its connector, configured from the connector's own env parsing. */
export interface CliSource {
  id: 'ghl' | 'xero';
  name: string;
  /**
   * The connector without API credentials: webhooks, migrations, freshness
   * target. Quiet (no "no API credentials" warning): it is not your app's
   * connector, so its `api_credentials_missing` signal says nothing about your app.
   */
  receiver(): ConnectorV1;
  /**
   * The connector with API credentials from the environment (the connector's
   * `load…Settings`), for backfill and reconcile. Throws naming the variable.
   */
  withApi(io: CliIo, overrides: ApiOverrides): GhlConnector | XeroConnector;
  /**
   * How many records the listing has, when a response says so (an estimate
   * for the ETA): GHL contact search `total`, opportunity search
   * `meta.total`; Xero `pagination.itemCount`.
   */
  totalOf(body: unknown): number | undefined;
}

const isSet = (io: CliIo, name: string) => Boolean(io.env[name]?.trim());

function numberAt(body: unknown, ...path: string[]): number | undefined {
  let value: unknown = body;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

const ghl: CliSource = {
  id: 'ghl',
  name: 'GoHighLevel',
  receiver: () => createGhlConnector({ logger: noopLogger }),
  withApi(io, { credentials, rateLimitStore, fetch }) {
    // loadGhlSettings accepts no API credentials (a receiver needs none); backfill and reconcile do.
    if (!isSet(io, 'GHL_ACCESS_TOKEN') && !isSet(io, 'GHL_CLIENT_ID') && !isSet(io, 'GHL_CLIENT_SECRET')) {
      throw usageError(
        'GHL_ACCESS_TOKEN is not set (a Private Integration Token; or set GHL_CLIENT_ID and GHL_CLIENT_SECRET for an OAuth app whose tokens your app saved in act_credentials as ghl:<locationId>)',
      );
    }
    // OAuth tokens live in the state's act_credentials (key ghl:<locationId>), saved by your app at install;
    // the store is ignored with GHL_ACCESS_TOKEN.
    return createGhlConnector(loadGhlSettings(io.env, { rateLimitStore, fetch, oauth: { credentials } }));
  },
  totalOf: (body) => numberAt(body, 'total') ?? numberAt(body, 'meta', 'total'),
};

const xero: CliSource = {
  id: 'xero',
  name: 'Xero',
  receiver: () => createXeroConnector({ logger: noopLogger }),
  withApi(io, { credentials, rateLimitStore, fetch }) {
    if (!isSet(io, 'XERO_CLIENT_ID') && !isSet(io, 'XERO_CLIENT_SECRET')) {
      throw usageError(
        'XERO_CLIENT_ID is not set (with XERO_CLIENT_SECRET: the OAuth app whose tokens your app saved in act_credentials as xero:<tenantId>)',
      );
    }
    return createXeroConnector(loadXeroSettings(io.env, { rateLimitStore, fetch, oauth: { credentials } }));
  },
  totalOf: (body) => numberAt(body, 'pagination', 'itemCount'),
};

export const SOURCES: readonly CliSource[] = [ghl, xero];

export function sourceById(id: string | undefined, command: string): CliSource {
  if (id === undefined)
    throw usageError(`${command} needs a source: ${SOURCES.map((source) => source.id).join(' or ')}`);
  const source = SOURCES.find((candidate) => candidate.id === id);
  if (!source) {
    throw usageError(`unknown source "${id}" (known: ${SOURCES.map((candidate) => candidate.id).join(', ')})`);
  }
  return source;
}
