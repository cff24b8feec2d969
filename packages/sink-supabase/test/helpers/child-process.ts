import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { build } from 'tsup';
import type { PostgresConnection } from '../../src';

// Test children that are real separate Node processes (a worker or a
// scheduler to SIGKILL), as test/crash.test.ts runs its crash child: the
// entry bundled from source with tsup, reporting on stdout as JSON lines.

export const packageDir = fileURLToPath(new URL('../../', import.meta.url));

/**
 * One ESM file with the entry, this package's and @act/core's source
 * (resolved through the @act/source condition, so never a stale dist); the
 * drivers stay external, resolved from this package's node_modules. Built into
 * a directory of this run's own, so concurrent runs never collide.
 */
export async function bundleChild(
  entry: string,
  name: string,
  /**
   * The package the entry belongs to (default: this one): `entry` is relative
   * to it, and the bundle goes under its node_modules, so the dependencies
   * left external resolve from there (another package's tests use this helper).
   */
  root: string = packageDir,
): Promise<{ file: string; dispose(): void }> {
  const outDir = join(root, 'node_modules', '.cache', `act-${name}`, `${process.pid}-${Date.now().toString(36)}`);
  try {
    await build({
      config: false,
      entry: { [name]: join(root, entry) },
      outDir,
      format: ['esm'],
      platform: 'node',
      target: 'node22',
      outExtension: () => ({ js: '.mjs' }),
      external: ['pg', '@electric-sql/pglite', '@supabase/supabase-js'],
      noExternal: [/^@act\//],
      dts: false,
      sourcemap: false,
      silent: true,
      esbuildOptions(options) {
        options.conditions = ['@act/source'];
      },
    });
  } catch (error) {
    throw new Error(`[@act/sink-supabase] could not bundle ${entry} with tsup: ${String(error)}`);
  }
  return { file: join(outDir, `${name}.mjs`), dispose: () => rmSync(outDir, { recursive: true, force: true }) };
}

export type ChildLine = Record<string, unknown> & { event: string };

export interface Child {
  readonly pid: number;
  readonly process: ChildProcessWithoutNullStreams;
  /** Every JSON line it printed so far, in order. */
  readonly lines: ChildLine[];
  /** Resolves with the first line (printed so far or later) that matches; rejects after `timeoutMs` or on exit. */
  waitFor(match: (line: ChildLine) => boolean, timeoutMs?: number): Promise<ChildLine>;
  /** Resolves when the process has exited and been reaped (a killed pid then no longer runs). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What it printed, for assertion messages. */
  output(): string;
}

/** Start `node <file> <plan as JSON>` in the package directory. */
export function startChild(file: string, plan: unknown): Child {
  const child = spawn(process.execPath, [file, JSON.stringify(plan)], {
    cwd: packageDir,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: ChildLine[] = [];
  const raw: string[] = [];
  let stderr = '';
  let ended = false;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    raw.push(line);
    try {
      lines.push(JSON.parse(line) as ChildLine);
    } catch {
      // Not a report (a stray log line): kept for the output only.
    }
    notify();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      ended = true;
      notify();
      resolve({ code, signal });
    });
  });
  const output = () => `pid ${child.pid}\nstdout:\n${raw.slice(-40).join('\n')}\nstderr:\n${stderr.slice(-4_000)}`;
  return {
    pid: child.pid as number,
    process: child,
    lines,
    exited,
    output,
    waitFor(match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (found) {
            cleanup();
            resolve(found);
          } else if (ended) {
            cleanup();
            reject(new Error(`the child exited before the awaited line\n${output()}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no awaited line within ${timeoutMs} ms\n${output()}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** SIGKILL the child (no handler, no cleanup, no `finally`) and wait until it is reaped. */
export async function killHard(child: Child): Promise<void> {
  process.kill(child.pid, 'SIGKILL');
  const { signal } = await child.exited;
  if (signal !== 'SIGKILL')
    throw new Error(`the child ended before the kill (${signal ?? 'no signal'})\n${child.output()}`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type Query = <R = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<R[]>;

/** A database the test and its children take turns on: the children's connection, and the test's own. */
export interface KillTarget {
  childConnection: PostgresConnection;
  open(): Promise<{ connection: PostgresConnection; query: Query; close(): Promise<void> }>;
}

/**
 * Runs `run` against a file-backed PGlite in a fresh temporary directory
 * (`prefix` names it), which each process opens in turn, then removes it.
 */
export async function withFileBackedPglite<T>(prefix: string, run: (target: KillTarget) => Promise<T>): Promise<T> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dataDir = join(root, 'data');
  try {
    return await run({
      childConnection: { pglite: { dataDir } },
      async open() {
        const db = await PGlite.create(dataDir);
        return {
          connection: { pglite: db },
          query: async (text, params) => (await db.query(text, params)).rows as never,
          close: () => db.close(),
        };
      },
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
