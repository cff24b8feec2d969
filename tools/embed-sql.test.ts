// The SQL every package ships as strings (src/generated/migrations.ts) must be
// its migrations/*.sql as they are now: one check for the sink and every
// connector, instead of a drift test per package.
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generatedFiles, staleFiles } from './embed-sql';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe('embedded SQL (tools/embed-sql.ts)', () => {
  it('covers the sink and every connector with migrations', () => {
    const connectors = readdirSync(join(repoRoot, 'packages')).filter((folder) => folder.startsWith('connector-'));
    const covered = generatedFiles(repoRoot).map((file) => file.path);
    expect(covered).toContain(join(repoRoot, 'packages/sink-supabase/src/generated/migrations.ts'));
    for (const folder of connectors) {
      const hasMigrations = readdirSync(join(repoRoot, 'packages', folder)).includes('migrations');
      if (hasMigrations)
        expect(covered, folder).toContain(join(repoRoot, 'packages', folder, 'src/generated/migrations.ts'));
    }
  });

  it('is up to date with every migrations/*.sql (run `pnpm sql:embed` after editing one)', () => {
    expect(staleFiles(repoRoot)).toEqual([]);
  });
});
