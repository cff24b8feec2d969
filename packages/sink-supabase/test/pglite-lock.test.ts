import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresState, lockPgliteDataDir } from '../src';
import { bundleChild } from './helpers/child-process';

// One process per PGlite data directory: two real processes on one directory
// (an app and `act replay --pglite` beside it corrupted the primary-key index
// before the lock). The child is this package bundled from source
// (test/lock/pglite-lock-child.ts), as test/crash.test.ts does.

let childBundle: string;
let disposeBundle: (() => void) | undefined;
let workDir: string;

beforeAll(async () => {
  const bundle = await bundleChild('test/lock/pglite-lock-child.ts', 'pglite-lock-child');
  childBundle = bundle.file;
  disposeBundle = bundle.dispose;
  workDir = mkdtempSync(join(tmpdir(), 'act-pglite-lock-'));
}, 60_000);

afterAll(() => {
  disposeBundle?.();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** A child process and its stdout as JSON lines. */
function start(args: string[]) {
  const child = spawn(process.execPath, [childBundle, ...args], {
    cwd: dirname(childBundle),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += String(chunk);
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return;
    }
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const next = async (key: string, timeoutMs = 30_000): Promise<Record<string, unknown>> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = lines.find((line) => key in line);
      if (found) {
        lines.splice(lines.indexOf(found), 1);
        return found;
      }
      if (Date.now() > until) throw new Error(`no "${key}" from the child; stderr: ${stderr}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  };
  return { child, next, exited, stderr: () => stderr };
}

const send = (child: ChildProcessWithoutNullStreams, line: string) => child.stdin.write(`${line}\n`);

/** A pid no process has now: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid as number;
}

describe('PGlite: one process per data directory', () => {
  it('a second process fails at once naming the holder; the first still reads its row by primary key', async () => {
    const dataDir = join(workDir, 'shared');
    const holder = start(['hold', dataDir]);
    try {
      const ready = await holder.next('ready', 60_000);
      const id = String(ready.id);

      const second = start(['open', dataDir, id]);
      const outcome = await second.next('ok', 60_000);
      expect(await second.exited).toBe(1);
      expect(outcome.ok).toBe(false);
      expect(String(outcome.error)).toMatch(
        new RegExp(
          `^\\[@act/sink-supabase\\] PGlite data directory .*shared is in use by pid ${holder.child.pid} \\(started \\d{4}-`,
        ),
      );
      // At once: no PGlite boot, no wait for the holder.
      expect(outcome.ms as number).toBeLessThan(2_000);

      // The holder's database is intact: the row is found through its primary key.
      send(holder.child, 'read');
      expect((await holder.next('read')).read).toEqual({ id, status: 'pending' });

      send(holder.child, 'close');
      await holder.next('closed');
      expect(await holder.exited).toBe(0);
      expect(existsSync(`${dataDir}.lock`)).toBe(false);

      // Closed: the directory opens again.
      const third = start(['open', dataDir, id]);
      expect(await third.next('ok', 60_000)).toMatchObject({ ok: true });
    } finally {
      holder.child.kill('SIGKILL');
    }
  }, 120_000);

  it('a lock left by a dead process is recovered, and so is one whose pid now runs a later process', async () => {
    const dataDir = join(workDir, 'stale');
    const lockFile = `${dataDir}.lock`;
    const dead = await deadPid();
    writeFileSync(lockFile, JSON.stringify({ pid: dead, host: hostname(), startedAt: '2020-01-01T00:00:00.000Z' }));
    const state = createPostgresState({ pglite: { dataDir } });
    expect((await state.health()).latencyMs).not.toBeNull();
    expect(JSON.parse(readFileSync(lockFile, 'utf8')).pid).toBe(process.pid);
    await state.close();
    expect(existsSync(lockFile)).toBe(false);

    // A live pid with another start time: the pid was reused (Linux reads start times from /proc).
    if (existsSync('/proc/self/stat')) {
      writeFileSync(
        lockFile,
        JSON.stringify({ pid: process.ppid, host: hostname(), startedAt: '2020-01-01T00:00:00.000Z', startTicks: '1' }),
      );
      const lock = await lockPgliteDataDir(dataDir);
      expect(JSON.parse(readFileSync(lockFile, 'utf8')).pid).toBe(process.pid);
      lock.release();
    }
  }, 60_000);

  it('a live holder is never taken over, and a second opener in the same process fails too', async () => {
    const dataDir = join(workDir, 'live');
    const lock = await lockPgliteDataDir(dataDir);
    try {
      await expect(lockPgliteDataDir(dataDir)).rejects.toThrow(/is in use by this process \(opened twice\)/);
      const other = createPostgresState({ pglite: { dataDir } });
      await expect(other.health()).resolves.toMatchObject({ ok: false, error: expect.stringMatching(/in use/) });
      await other.close();
      // The lock survives the failed opener's close.
      expect(JSON.parse(readFileSync(lock.path, 'utf8')).pid).toBe(process.pid);
    } finally {
      lock.release();
    }
    expect(existsSync(lock.path)).toBe(false);
  });
});
