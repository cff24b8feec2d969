import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A connector package found installed: its name, and the folder whose node_modules holds it. */
export interface InstalledConnector {
  /** `@act/connector-<id>`. */
  name: string;
  /** The folder whose `node_modules/@act` holds it: import its subpaths from there (`importInstalled`). */
  from: string;
  /** Its main entry's `source` export (`SourceEntryV1` when it is a connector of this repository's kind): its main source. */
  source: unknown;
  /**
   * Every source the package holds: its main entry's `sources` export when it
   * has one (a package with several connectors, `source` first), else
   * `[source]` (none when it exports neither).
   */
  sources: unknown[];
}

/**
 * The `@act/connector-*` packages installed in a `node_modules/@act` folder
 * above any of `starts` (nearest first; the first place a name is found wins),
 * with the `source` their main entry exports (and `sources`, when a package
 * holds several connectors). How tools (the `act` CLI, the
 * demo) find connectors without naming one: adding a connector to an app is
 * installing it. A package that cannot be imported is left out, so a broken
 * install does not take the others down. `@act/connector-kit` is what
 * connectors are built from, not one.
 */
export async function findInstalledConnectors(starts: readonly string[]): Promise<InstalledConnector[]> {
  const found = new Map<string, string>();
  for (const start of starts) {
    for (let dir = start; ; dir = dirname(dir)) {
      const scope = join(dir, 'node_modules', '@act');
      if (existsSync(scope)) {
        for (const entry of readdirSync(scope)) {
          const name = `@act/${entry}`;
          if (entry.startsWith('connector-') && entry !== 'connector-kit' && !found.has(name)) found.set(name, dir);
        }
      }
      if (dirname(dir) === dir) break;
    }
  }
  const installed: InstalledConnector[] = [];
  for (const [name, from] of found) {
    try {
      const module = (await importInstalled(name, from)) as { source?: unknown; sources?: unknown };
      const sources = Array.isArray(module.sources)
        ? [...(module.sources as unknown[])]
        : module.source !== undefined
          ? [module.source]
          : [];
      installed.push({ name, from, source: module.source, sources });
    } catch {
      // Not importable: the others still work.
    }
  }
  return installed;
}

/**
 * Import `specifier` (a package or one of its subpaths) as resolved from
 * `from`: through this module's own resolution when it can see it, else from
 * the folder it was found in (a strict install, where the tool's own
 * node_modules does not hold the app's connectors).
 */
export async function importInstalled(specifier: string, from: string): Promise<unknown> {
  try {
    return await import(specifier);
  } catch {
    const path = createRequire(join(from, 'package.json')).resolve(specifier);
    return import(pathToFileURL(path).href);
  }
}
