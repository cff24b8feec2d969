// Which sources the demo runs: every source of every installed connector
// package that has a simulation, a package with several connectors included.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverSources } from '../src/sources.ts';

const root = mkdtempSync(join(tmpdir(), 'act-demo-sources-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function install(name: string, main: string, testing?: string): void {
  const folder = join(root, 'node_modules', '@act', name);
  mkdirSync(folder, { recursive: true });
  const exports: Record<string, string> = { '.': './index.js' };
  if (testing !== undefined) exports['./testing'] = './testing.js';
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: `@act/${name}`, type: 'module', exports }));
  writeFileSync(join(folder, 'index.js'), main);
  if (testing !== undefined) writeFileSync(join(folder, 'testing.js'), testing);
}

const entry = (id: string) => `{ specificationVersion: 'v1', id: '${id}' }`;

describe('discoverSources', () => {
  it('runs each source with its simulation: `simulations[id]`, or `createSimulation` for the main source', async () => {
    install(
      'connector-pair',
      `export const source = ${entry('mail')}; export const sources = [source, ${entry('diary')}, ${entry('notes')}];`,
      // `notes` has no simulation: the demo runs the others.
      'export const createSimulation = () => "main"; export const simulations = { diary: () => "diary" };',
    );
    install(
      'connector-solo',
      `export const source = ${entry('solo')};`,
      'export const createSimulation = () => "solo";',
    );
    install('connector-untested', `export const source = ${entry('untested')};`);

    const found = await discoverSources(root);
    const ours = found.filter(({ entry }) => ['mail', 'diary', 'notes', 'solo', 'untested'].includes(entry.id));
    expect(
      ours.map(({ entry, createSimulation }) => [entry.id, (createSimulation as unknown as () => string)()]),
    ).toEqual([
      ['diary', 'diary'],
      ['mail', 'main'],
      ['solo', 'solo'],
    ]);
  });
});
