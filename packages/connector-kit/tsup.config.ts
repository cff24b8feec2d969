import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  // testing/fake imports no vitest: connectors' fake providers run inside demos too.
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts', 'testing/fake': 'src/testing/fake.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  // No Node built-ins in src/: connectors built on the kit run on Node, Deno and edge runtimes.
  platform: 'neutral',
  // The testing kit runs inside the user's vitest with their fast-check; never bundle either.
  external: ['vitest', 'fast-check', /^node:/],
  define: { __PACKAGE_VERSION__: JSON.stringify(version) },
});
