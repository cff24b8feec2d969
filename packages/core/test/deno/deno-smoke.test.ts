import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// Runs the BUILT package in real Deno (the deno npm package pinned in the
// root devDependencies). Node-only: vitest.edge.config.ts excludes test/deno.
const packageDir = fileURLToPath(new URL('../../', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const denoBin = `${repoRoot}node_modules/.bin/deno`;
const distEntry = `${packageDir}dist/index.js`;
const TIMEOUT_MS = 60_000;

interface SmokeResult {
  ok: boolean;
  results: Record<string, unknown>;
  failures: string[];
}

function runDeno(
  denoDir: string,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      denoBin,
      [
        'run',
        '--allow-net',
        '--allow-read',
        '--allow-env',
        '--no-prompt',
        // Resolve dist's bare imports (cockatiel) from the pnpm node_modules.
        '--node-modules-dir=manual',
        'test/deno/smoke.ts',
      ],
      {
        cwd: packageDir,
        env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_DIR: denoDir, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: TIMEOUT_MS,
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

it(
  'serves the built webhook handler in Deno: 2xx, dedupe, 401, 413, 400',
  async () => {
    if (!existsSync(distEntry)) {
      throw new Error(`[@act/core] ${distEntry} is missing: build @act/core first (pnpm build)`);
    }
    if (!existsSync(denoBin)) {
      throw new Error(`[@act/core] ${denoBin} is missing: run pnpm install at the repository root`);
    }
    const cacheDir = `${repoRoot}node_modules/.cache`;
    mkdirSync(cacheDir, { recursive: true });
    const denoDir = mkdtempSync(`${cacheDir}/deno-smoke-`);
    try {
      const { code, signal, stdout, stderr } = await runDeno(denoDir);
      const line = stdout
        .trim()
        .split('\n')
        .reverse()
        .find((candidate) => candidate.startsWith('{'));
      const output = `exit ${code}${signal ? ` (${signal})` : ''}\nstdout:\n${stdout}\nstderr:\n${stderr}`;
      expect(line, output).toBeDefined();
      const smoke = JSON.parse(line as string) as SmokeResult;
      expect(smoke.failures, output).toEqual([]);
      expect(smoke.results).toMatchObject({
        signed: 200,
        duplicate: 200,
        storedAfterDuplicate: 1,
        badSignature: 401,
        storedAfterBadSignature: 1,
        tooLarge: 413,
        malformed: 400,
        storedAtEnd: 1,
      });
      expect(code, output).toBe(0);
    } finally {
      rmSync(denoDir, { recursive: true, force: true });
    }
  },
  TIMEOUT_MS + 10_000,
);
