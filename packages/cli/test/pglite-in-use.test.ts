// `act --pglite <dir>` next to a running app on the same directory: refused
// at once, naming the app's pid and what to do, never opened (two processes
// on one PGlite directory corrupt it).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { act } from './helpers';

const sinkDist = pathToFileURL(
  join(import.meta.dirname, '..', 'node_modules', '@act', 'sink-supabase', 'dist', 'index.js'),
).href;

describe('act on a PGlite directory another process has open', () => {
  it('replay and health refuse at once, naming the holder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'act-cli-in-use-'));
    // The app: another process holding the directory, as createPostgresState({ pglite: { dataDir } }) does.
    const app = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { lockPgliteDataDir } = await import(${JSON.stringify(sinkDist)});
         await lockPgliteDataDir(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: app.stdout }).on('line', (line) => line === 'locked' && resolve());
        app.once('exit', (code) => reject(new Error(`the holder exited (${code})`)));
      });
      for (const argv of [
        ['replay', '--id', '9', '--pglite', dir],
        ['health', '--pglite', dir],
      ]) {
        const started = Date.now();
        const run = await act(argv);
        expect(Date.now() - started).toBeLessThan(2_000);
        expect(run.code).toBe(1);
        expect(run.stdout).not.toContain('replayed');
        expect(run.stderr).toContain(
          `[@act/sink-supabase] PGlite data directory ${dir} is in use by pid ${app.pid} (started `,
        );
        expect(run.stderr).toContain('Stop that process first');
      }
    } finally {
      app.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
