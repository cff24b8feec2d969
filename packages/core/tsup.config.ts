import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    internal: 'src/internal.ts',
    'node/index': 'src/node/index.ts',
    'testing/index': 'src/testing/index.ts',
    // The fake-provider contract and helpers without vitest: fakes run inside demos, not only tests.
    'testing/fake-provider': 'src/testing/fake-provider.ts',
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  platform: 'neutral',
  // The testing kit runs inside the user's vitest; never bundle it.
  external: ['vitest', /^node:/],
  define: { __PACKAGE_VERSION__: JSON.stringify(version) },
});
