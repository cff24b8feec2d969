import { readFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

const shared: Options = {
  format: ['esm'],
  sourcemap: true,
  target: 'node22',
  // Drivers are optional peers, loaded with import() only when used.
  external: ['pg', '@electric-sql/pglite', '@supabase/supabase-js', /^node:/],
  define: { __PACKAGE_VERSION__: JSON.stringify(version) },
  // Keep `node:` specifiers as written (Deno needs them).
  removeNodeProtocol: false,
};

export default defineConfig([
  {
    ...shared,
    entry: { index: 'src/index.ts' },
    dts: true,
    clean: true,
    // No Node built-ins in the main entry (the SQL ships as strings): it runs
    // on Deno and edge runtimes too.
    platform: 'neutral',
  },
  {
    ...shared,
    // Test helpers (a PostgREST stand-in over node:http): Node only.
    entry: { 'testing/index': 'src/testing/index.ts' },
    dts: true,
    platform: 'node',
  },
]);
