import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  // No Node built-ins in src/: the same build runs on Node, Deno and edge runtimes.
  platform: 'neutral',
  define: { __PACKAGE_VERSION__: JSON.stringify(version) },
});
