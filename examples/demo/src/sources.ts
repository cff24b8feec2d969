/**
 * The connectors the demo runs are the connector packages installed beside
 * it, found as the CLI finds them (`packages/cli/src/cli-sources.ts`): every
 * `@act/connector-*` in a node_modules/@act folder above the demo whose main
 * entry exports a `source` (SourceEntryV1) and whose `./testing` subpath
 * exports `createSimulation`. The demo names no connector, so adding one
 * needs no edit here.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceEntryV1 } from '@act/core';
import type { CreateSimulationV1 } from '@act/core/testing/fake';

export interface DemoSource {
  entry: SourceEntryV1;
  createSimulation: CreateSimulationV1;
}

/** `@act/connector-*` package names installed in node_modules/@act folders above `start`. */
function installedConnectors(start: string): string[] {
  const found = new Set<string>();
  for (let dir = start; ; dir = dirname(dir)) {
    const scope = join(dir, 'node_modules', '@act');
    if (existsSync(scope)) {
      for (const name of readdirSync(scope)) {
        // The kit is what connectors are built from, not one.
        if (name.startsWith('connector-') && name !== 'connector-kit') found.add(`@act/${name}`);
      }
    }
    if (dirname(dir) === dir) return [...found];
  }
}

/** The installed connectors that can be simulated, by id. */
export async function discoverSources(start = dirname(fileURLToPath(import.meta.url))): Promise<DemoSource[]> {
  const sources: DemoSource[] = [];
  for (const name of installedConnectors(start)) {
    let entry: unknown;
    let createSimulation: unknown;
    try {
      entry = ((await import(name)) as { source?: unknown }).source;
      createSimulation = ((await import(`${name}/testing`)) as { createSimulation?: unknown }).createSimulation;
    } catch {
      continue; // not importable (a broken install, no ./testing): the demo runs the others
    }
    const source = entry as Partial<SourceEntryV1> | undefined;
    if (source?.specificationVersion !== 'v1' || typeof source.id !== 'string') continue;
    if (typeof createSimulation !== 'function' || sources.some((known) => known.entry.id === source.id)) continue;
    sources.push({ entry: source as SourceEntryV1, createSimulation: createSimulation as CreateSimulationV1 });
  }
  return sources.sort((a, b) => a.entry.id.localeCompare(b.entry.id));
}
