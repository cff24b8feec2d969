// The sources the CLI knows are the connector packages installed beside it:
// every `@act/connector-*` in a node_modules/@act folder above the CLI or the
// working directory whose main entry exports a `source` (SourceEntryV1). The
// CLI names no connector, so adding one to an app needs no edit here.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ConnectorV1, CredentialStoreV1, RateLimitStoreV1, SourceEntryV1 } from '@act/core';
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

/** `node_modules/@act/connector-*` folders above `start`, nearest first: package name → folder. */
function installedConnectors(start: string, found: Map<string, string>): void {
  let dir = start;
  for (;;) {
    const scope = join(dir, 'node_modules', '@act');
    if (existsSync(scope)) {
      for (const name of readdirSync(scope)) {
        // The kit is what connectors are built from, not one.
        if (name.startsWith('connector-') && name !== 'connector-kit' && !found.has(`@act/${name}`)) {
          found.set(`@act/${name}`, dir);
        }
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

async function load(name: string, from: string): Promise<unknown> {
  try {
    return await import(name);
  } catch {
    // Not resolvable from the CLI itself (a strict install): resolve it from where it was found.
    const path = createRequire(join(from, 'package.json')).resolve(name);
    return import(pathToFileURL(path).href);
  }
}

/** The source entries of the connector packages installed beside the CLI and in `cwd`, by id. */
export async function discoverSources(cwd = process.cwd()): Promise<CliSource[]> {
  const found = new Map<string, string>();
  installedConnectors(dirname(fileURLToPath(import.meta.url)), found);
  installedConnectors(cwd, found);
  const sources: CliSource[] = [];
  for (const [name, from] of found) {
    let module: unknown;
    try {
      module = await load(name, from);
    } catch {
      continue; // not importable (a broken install): the CLI still works with the others
    }
    const entry = (module as { source?: unknown }).source;
    if (isSourceEntry(entry) && !sources.some((known) => known.id === entry.id)) sources.push(cliSource(entry));
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
