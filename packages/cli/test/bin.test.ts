// The published entry point: the built dist/bin.js, run by node as a user would.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../src/backfill-progress';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('dist/bin.js', () => {
  it('is built (pnpm build)', () => {
    expect(existsSync(bin), `${bin} is missing: run pnpm build`).toBe(true);
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('runs: version, a missing variable (exit 2), migrate and health on PGlite', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect((await run(['--version'])).stdout.trim()).toBe(version);

    const missing = await run(['health']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('[@act/cli] DATABASE_URL is not set');

    const dir = await mkdtemp(join(tmpdir(), 'act-cli-bin-'));
    try {
      const migrated = await run(['migrate', '--pglite', dir]);
      expect(migrated.stderr).toBe('');
      expect(migrated.code).toBe(0);
      expect(migrated.stdout).toContain('applied  ghl/0001');
      const health = await run(['health'], { ACT_DATA_DIR: dir });
      expect(health.code).toBe(0);
      expect(health.stdout).toContain('no deliveries or events yet');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the progress bar', () => {
  it('draws a bar with records, pages, waits and ETA on a terminal', () => {
    let output = '';
    const stream = {
      isTTY: true,
      columns: 120,
      write(chunk: string) {
        output += chunk;
        return true;
      },
    };
    const progress = createProgress(stream);
    const figures = {
      stream: 'contacts',
      records: 0,
      pages: 0,
      waits: 0,
      waitMs: 0,
      rateLimited: 0,
      total: 400,
      startedAt: Date.now() - 2000,
    };
    progress.start(figures);
    progress.update({ ...figures, records: 200, pages: 2, waits: 1, waitMs: 1500, rateLimited: 1 });
    progress.stop();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes
    const text = output.replace(/\u001b(\[[0-9;?]*[A-Za-z]|[78])/g, '');
    expect(text).toContain(
      `contacts ${'█'.repeat(20)}${'░'.repeat(20)} 200 of ~400 records | 2 page(s) | 1 rate-limit wait(s) (1.5 s), 1 × 429 | ETA 2.0 s`,
    );
  });
});
