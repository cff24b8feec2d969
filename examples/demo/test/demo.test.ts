import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('pnpm demo --once', () => {
  it('runs the fixed scenario end to end and the mirror matches the provider', () => {
    for (const dist of ['packages/core/dist/index.js', 'packages/connector-template/dist/index.js']) {
      if (!existsSync(`${root}${dist}`)) throw new Error(`${dist} is missing: build the packages first (pnpm build)`);
    }
    const run = spawnSync(process.execPath, ['examples/demo/src/main.ts', '--once', '--deliveries', '150'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 100_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/mirror matches provider\s+yes/);
    expect(run.stdout).toMatch(/dead letters\s+0/);
    expect(run.stdout).toMatch(/HTTP answers\s+\d+×200$/m);
  });
});
