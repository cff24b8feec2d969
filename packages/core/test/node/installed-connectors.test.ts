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
});
