import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  entry: { index: 'src/index.ts', bin: 'src/bin.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node22',
  platform: 'node',
  external: ['pg', '@electric-sql/pglite', /^@act\//],
  removeNodeProtocol: false,
  define: { __PACKAGE_VERSION__: JSON.stringify(version) },
});
