import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findInstalledConnectors, importInstalled } from '../../src/node/index';

const root = mkdtempSync(join(tmpdir(), 'act-installed-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function install(dir: string, name: string, main: string, testing?: string): void {
  const folder = join(dir, 'node_modules', '@act', name);
  mkdirSync(folder, { recursive: true });
  const exports: Record<string, string> = { '.': './index.js' };
  if (testing) exports['./testing'] = './testing.js';
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: `@act/${name}`, type: 'module', exports }));
  writeFileSync(join(folder, 'index.js'), main);
  if (testing) writeFileSync(join(folder, 'testing.js'), testing);
}

describe('findInstalledConnectors', () => {
  it('finds @act/connector-* above each start (nearest first), skips the kit and what cannot be imported', async () => {
    const app = join(root, 'app');
    const nested = join(app, 'packages', 'worker');
    mkdirSync(nested, { recursive: true });
    install(app, 'connector-alpha', "export const source = { id: 'alpha', from: 'app' };", 'export const x = 1;');
    install(nested, 'connector-alpha', "export const source = { id: 'alpha', from: 'nested' };");
    install(app, 'connector-beta', "export const source = { id: 'beta' };");
    install(app, 'connector-kit', "export const source = { id: 'kit' };");
    install(app, 'connector-broken', 'throw new Error("broken install");');
    install(app, 'core', "export const source = { id: 'core' };");

    const found = await findInstalledConnectors([nested]);
    expect(found.map(({ name, source }) => [name, source])).toEqual([
      ['@act/connector-alpha', { id: 'alpha', from: 'nested' }],
      ['@act/connector-beta', { id: 'beta' }],
    ]);
    const alpha = (await findInstalledConnectors([app])).find(({ name }) => name === '@act/connector-alpha');
    expect(await importInstalled('@act/connector-alpha/testing', alpha?.from ?? '')).toMatchObject({ x: 1 });
  });

  it('lists every source of a package: its `sources` export when it has one, else `[source]`', async () => {
    const app = join(root, 'several');
    mkdirSync(app, { recursive: true });
    install(
      app,
      'connector-pair',
      "export const source = { id: 'mail' }; export const sources = [source, { id: 'diary' }];",
    );
    install(app, 'connector-single', "export const source = { id: 'single' };");
    install(app, 'connector-none', 'export const other = 1;');

    const found = await findInstalledConnectors([app]);
    expect(found.map(({ name, source, sources }) => [name, source, sources])).toEqual([
      ['@act/connector-none', undefined, []],
      ['@act/connector-pair', { id: 'mail' }, [{ id: 'mail' }, { id: 'diary' }]],
      ['@act/connector-single', { id: 'single' }, [{ id: 'single' }]],
    ]);
  });
});
