import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { StoreUnavailableError } from '@act/core';
import { PACKAGE_NAME } from '../errors';

/**
 * One process per PGlite data directory.
 *
 * PGlite is Postgres in single-user mode writing straight to the files of its
 * data directory, with no postmaster to keep a second process out: a second
 * process opening the same directory (a CLI next to a running app) runs crash
 * recovery over live files, and the two overwrite each other's pages (a row
 * left visible in a scan but missing from its primary-key index). So the
 * directory is locked before PGlite opens it: a file `<dataDir>.lock` beside
 * it, holding the owner's pid, host and process start time, created
 * atomically (written to a temporary file, then `link`ed into place, which
 * fails if the lock exists), so a reader never sees half a lock.
 *
 * A lock is stale when its host is this host and its pid is not running, or
 * runs with another start time (the pid was reused); a stale lock is moved
 * aside and taken. Released on `release()` (the driver's close) and on process
 * exit; a crash leaves a stale lock, recovered by the next opener.
 *
 * Hand-written rather than `proper-lockfile`: that library detects staleness
 * by a modification time it must keep refreshing, and cannot say which process
 * holds the directory; here the holder is named in the error.
 */

export interface PgliteLockOwner {
  pid: number;
  host: string;
  /** When the owning process started (ISO 8601), for people. */
  startedAt: string;
  /** Linux: the process start time in clock ticks since boot (`/proc/<pid>/stat`), to tell a reused pid. */
  startTicks?: string;
}

export interface PgliteDataDirLock {
  /** The lock file. */
  readonly path: string;
  /** Remove the lock (idempotent); only a lock this process still owns is removed. */
  release(): void;
}

const SELF: PgliteLockOwner = (() => {
  const ticks = startTicks(process.pid);
  return {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date(Date.now() - Math.round(process.uptime() * 1000)).toISOString(),
    ...(ticks ? { startTicks: ticks } : {}),
  };
})();

/** Lock files this process holds. */
const held = new Set<string>();
let exitHookInstalled = false;

/** Field 22 of `/proc/<pid>/stat` (after the parenthesised command name, which may hold spaces). */
function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a PGlite `dataDir` names a directory on this file system (not `memory://`, `idb://`, …). */
export function fileSystemDataDir(dataDir: string | undefined): string | undefined {
  if (!dataDir) return undefined;
  if (dataDir.startsWith('file://')) return dataDir.slice('file://'.length);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dataDir)) return undefined;
  return dataDir;
}

/** The lock file of a data directory: beside it, so PGlite's own files are untouched; symlinks resolved. */
export function pgliteLockPath(dataDir: string): string {
  let absolute = resolve(dataDir);
  try {
    absolute = realpathSync(absolute);
  } catch {
    try {
      absolute = join(realpathSync(dirname(absolute)), basename(absolute));
    } catch {
      // neither exists yet: PGlite creates them
    }
  }
  return `${absolute}.lock`;
}

function readOwner(path: string): PgliteLockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as PgliteLockOwner;
    return typeof owner?.pid === 'number' ? owner : undefined;
  } catch {
    return undefined;
  }
}

function isSelf(owner: PgliteLockOwner | undefined): boolean {
  return (
    owner !== undefined &&
    owner.pid === SELF.pid &&
    owner.host === SELF.host &&
    owner.startedAt === SELF.startedAt &&
    owner.startTicks === SELF.startTicks
  );
}

function isStale(owner: PgliteLockOwner | undefined): boolean {
  // Unreadable: a lock written by something else; never taken over blindly.
  if (!owner) return false;
  if (owner.host !== SELF.host) return false; // another machine (a shared volume): cannot tell
  if (owner.pid === SELF.pid) return !isSelf(owner); // our pid, an earlier process's lock
  if (!running(owner.pid)) return true;
  if (owner.startTicks === undefined) return false;
  const ticks = startTicks(owner.pid);
  return ticks !== undefined && ticks !== owner.startTicks;
}

export function pgliteInUseError(
  dataDir: string,
  path: string,
  owner: PgliteLockOwner | undefined,
): StoreUnavailableError {
  const holder = owner
    ? `pid ${owner.pid}${owner.host !== SELF.host ? ` on ${owner.host}` : ''} (started ${owner.startedAt})`
    : `another process (unreadable lock file ${path})`;
  const sameProcess = owner?.pid === SELF.pid && owner.host === SELF.host;
  return new StoreUnavailableError({
    packageName: PACKAGE_NAME,
    message:
      `PGlite data directory ${dataDir} is in use by ${sameProcess ? 'this process (opened twice)' : holder}: ` +
      'PGlite allows one process per directory. Stop that process first, or reach it through its own ' +
      `routes (the demo's dashboard replays dead letters and shows health); if you are sure no process uses the directory, delete ${path}`,
  });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const path of held) removeIfOurs(path);
  });
}

function removeIfOurs(path: string): void {
  if (!isSelf(readOwner(path))) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/**
 * Lock a PGlite data directory for this process, or throw a
 * `StoreUnavailableError` naming the holder at once. Take it before opening
 * PGlite (`createPostgresState({ pglite: { dataDir } })` does); release it after closing.
 */
export function lockPgliteDataDir(dataDir: string): PgliteDataDirLock {
  const path = pgliteLockPath(dataDir);
  const content = `${JSON.stringify(SELF)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    const temporary = `${path}.${SELF.pid}.${Math.random().toString(36).slice(2)}`;
    const fd = openSync(temporary, 'wx', 0o644);
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temporary, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readOwner(path);
      if (!isStale(owner)) throw pgliteInUseError(dataDir, path, owner);
      recoverStale(path, owner as PgliteLockOwner);
      continue;
    } finally {
      unlinkSync(temporary);
    }
    held.add(path);
    installExitHook();
    let released = false;
    return {
      path,
      release() {
        if (released) return;
        released = true;
        held.delete(path);
        removeIfOurs(path);
      },
    };
  }
  throw pgliteInUseError(dataDir, path, readOwner(path));
}

/** Move a stale lock aside; if another process replaced it meanwhile (another inode), put that one back. */
function recoverStale(path: string, stale: PgliteLockOwner): void {
  let inode: number;
  try {
    inode = statSync(path).ino;
  } catch {
    return; // gone already
  }
  const aside = `${path}.stale.${SELF.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    renameSync(path, aside);
  } catch {
    return;
  }
  if (statSync(aside).ino !== inode || JSON.stringify(readOwner(aside)) !== JSON.stringify(stale)) {
    try {
      linkSync(aside, path);
    } catch {
      // a third opener took it: ours to retry against
    }
  }
  unlinkSync(aside);
}

/** Whether this process holds the lock of `dataDir` (a lock taken by `lockPgliteDataDir`). */
export function holdsPgliteLock(dataDir: string): boolean {
  const path = pgliteLockPath(dataDir);
  return held.has(path) && isSelf(readOwner(path));
}
