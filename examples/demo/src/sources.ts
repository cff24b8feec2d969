/**
 * The connectors the demo runs are the connector packages installed beside
 * it, found as the CLI finds them (`findInstalledConnectors` of `@act/core/node`): every
 * source (SourceEntryV1) an `@act/connector-*` in a node_modules/@act folder
 * above the demo exports from its main entry (`source`, or `sources` when the
 * package holds several connectors) for which its `./testing` subpath has a
 * simulation: `simulations[<source id>]`, or `createSimulation` for the
 * package's main source. The demo names no connector, so adding one needs no
 * edit here.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceEntryV1 } from '@act/core';
import { findInstalledConnectors, importInstalled } from '@act/core/node';
import type { CreateSimulationV1 } from '@act/core/testing/fake';

export interface DemoSource {
  entry: SourceEntryV1;
  createSimulation: CreateSimulationV1;
}

function isEntry(value: unknown): value is SourceEntryV1 {
  const source = value as Partial<SourceEntryV1> | null | undefined;
  return source?.specificationVersion === 'v1' && typeof source.id === 'string';
}

/** The installed connectors that can be simulated, by id. */
export async function discoverSources(start = dirname(fileURLToPath(import.meta.url))): Promise<DemoSource[]> {
  const sources: DemoSource[] = [];
  for (const { name, from, source: main, sources: entries } of await findInstalledConnectors([start])) {
    let testing: { createSimulation?: unknown; simulations?: Record<string, unknown> };
    try {
      testing = (await importInstalled(`${name}/testing`, from)) as typeof testing;
    } catch {
      continue; // no ./testing: the demo runs the others
    }
    for (const entry of entries) {
      if (!isEntry(entry) || sources.some((known) => known.entry.id === entry.id)) continue;
      const createSimulation =
        testing.simulations?.[entry.id] ?? (entry === main ? testing.createSimulation : undefined);
      if (typeof createSimulation !== 'function') continue;
      sources.push({ entry, createSimulation: createSimulation as CreateSimulationV1 });
    }
  }
  return sources.sort((a, b) => a.entry.id.localeCompare(b.entry.id));
}
