/**
 * The connectors the demo runs are the connector packages installed beside
 * it, found as the CLI finds them (`findInstalledConnectors` of `@act/core/node`): every
 * `@act/connector-*` in a node_modules/@act folder above the demo whose main
 * entry exports a `source` (SourceEntryV1) and whose `./testing` subpath
 * exports `createSimulation`. The demo names no connector, so adding one
 * needs no edit here.
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

/** The installed connectors that can be simulated, by id. */
export async function discoverSources(start = dirname(fileURLToPath(import.meta.url))): Promise<DemoSource[]> {
  const sources: DemoSource[] = [];
  for (const { name, from, source: entry } of await findInstalledConnectors([start])) {
    let createSimulation: unknown;
    try {
      createSimulation = ((await importInstalled(`${name}/testing`, from)) as { createSimulation?: unknown })
        .createSimulation;
    } catch {
      continue; // no ./testing: the demo runs the others
    }
    const source = entry as Partial<SourceEntryV1> | undefined;
    if (source?.specificationVersion !== 'v1' || typeof source.id !== 'string') continue;
    if (typeof createSimulation !== 'function' || sources.some((known) => known.entry.id === source.id)) continue;
    sources.push({ entry: source as SourceEntryV1, createSimulation: createSimulation as CreateSimulationV1 });
  }
  return sources.sort((a, b) => a.entry.id.localeCompare(b.entry.id));
}
