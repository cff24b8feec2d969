// The sources the CLI knows are the connector packages installed beside it:
// every `@act/connector-*` in a node_modules/@act folder above the CLI or the
// working directory whose main entry exports a `source` (SourceEntryV1), or
// `sources` when the package holds several connectors (Gmail and Google
// Calendar). The CLI names no connector, so adding one to an app needs no
// edit here.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConnectorV1, CredentialStoreV1, RateLimitStoreV1, SourceEntryV1 } from '@act/core';
import { findInstalledConnectors } from '@act/core/node';
import { type CliIo, usageError } from './cli-io';

/** What the API-backed commands hand a connector besides the environment. */
export interface ApiOverrides {
  credentials: CredentialStoreV1;
  rateLimitStore: RateLimitStoreV1;
  fetch: typeof globalThis.fetch;
}

/** A source the CLI knows: a connector's own description of itself. */
export interface CliSource {
  id: string;
  name: string;
  entry: SourceEntryV1;
  /**
   * The connector without API credentials: webhooks, migrations, freshness
   * target. Quiet (no "no API credentials" warning): it is not your app's
   * connector, so its `api_credentials_missing` signal says nothing about your app.
   */
  receiver(): ConnectorV1;
  /**
   * The connector with API credentials from the environment (the connector's
   * own env parsing), for backfill and reconcile. Throws naming the variable.
   */
  withApi(io: CliIo, overrides: ApiOverrides): ConnectorV1;
  /** How many records a listing has, when a response says so (an estimate for the ETA). */
  totalOf(body: unknown): number | undefined;
}

/** Whether `value` is a source entry this CLI understands. */
export function isSourceEntry(value: unknown): value is SourceEntryV1 {
  const entry = value as Partial<SourceEntryV1> | null | undefined;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    entry.specificationVersion === 'v1' &&
    typeof entry.id === 'string' &&
    typeof entry.createConnector === 'function' &&
    typeof entry.settingsFromEnv === 'function' &&
    Array.isArray(entry.sampleDeliveries) &&
    typeof entry.signer?.sign === 'function'
  );
}

export function cliSource(entry: SourceEntryV1): CliSource {
  return {
    id: entry.id,
    name: entry.displayName,
    entry,
    receiver: () => entry.createConnector(),
    withApi(io, { credentials, rateLimitStore, fetch }) {
      const missing = entry.missingApiCredentials(io.env);
      if (missing) throw usageError(missing);
      return entry.createConnector(entry.settingsFromEnv(io.env, { credentials, rateLimitStore, fetch }));
    },
    totalOf: (body) => entry.totalOf?.(body),
  };
}

/** The source entries of the connector packages installed beside the CLI and in `cwd`, by id. */
export async function discoverSources(cwd = process.cwd()): Promise<CliSource[]> {
  const sources: CliSource[] = [];
  for (const installed of await findInstalledConnectors([dirname(fileURLToPath(import.meta.url)), cwd])) {
    for (const source of installed.sources) {
      if (isSourceEntry(source) && !sources.some((known) => known.id === source.id)) sources.push(cliSource(source));
    }
  }
  return sources.sort((a, b) => a.id.localeCompare(b.id));
}

export const SOURCES: readonly CliSource[] = await discoverSources();

export function sourceById(id: string | undefined, command: string): CliSource {
  if (id === undefined)
    throw usageError(`${command} needs a source: ${SOURCES.map((source) => source.id).join(' or ')}`);
  const source = SOURCES.find((candidate) => candidate.id === id);
  if (!source) {
    throw usageError(`unknown source "${id}" (known: ${SOURCES.map((candidate) => candidate.id).join(', ')})`);
  }
  return source;
}
