// Discovery of the sources the CLI knows: every source of every installed
// connector package, a package with several connectors included.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverSources } from '../src/cli-sources';

const root = mkdtempSync(join(tmpdir(), 'act-cli-sources-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A source entry as a connector's main entry exports it (enough for `isSourceEntry`). */
const entry = (id: string) => `{
  specificationVersion: 'v1', id: '${id}', displayName: '${id.toUpperCase()}', packageName: '@act/connector-pair',
  createConnector: () => ({ source: '${id}' }), settingsFromEnv: () => ({}), missingApiCredentials: () => undefined,
  sampleDeliveries: [], signer: { options: {}, sign: async () => ({}) },
}`;

function install(name: string, main: string): void {
  const folder = join(root, 'node_modules', '@act', name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, 'package.json'),
    JSON.stringify({ name: `@act/${name}`, type: 'module', exports: { '.': './index.js' } }),
  );
  writeFileSync(join(folder, 'index.js'), main);
}

describe('discoverSources', () => {
  it('knows every source of a package that holds several (its `sources`), and a single `source`', async () => {
    install(
      'connector-pair',
      `export const source = ${entry('pmail')}; export const sources = [source, ${entry('pdiary')}];`,
    );
    install('connector-solo', `export const source = ${entry('psolo')};`);
    const found = await discoverSources(root);
    const ids = found.map((source) => source.id);
    expect(ids.filter((id) => id.startsWith('p'))).toEqual(['pdiary', 'pmail', 'psolo']);
    expect(found.find((source) => source.id === 'pdiary')?.receiver()).toEqual({ source: 'pdiary' });
    // Sorted by id, each once (the CLI's own installed connectors come first in the search and win).
    expect(ids).toEqual([...new Set(ids)].sort());
  });
});
