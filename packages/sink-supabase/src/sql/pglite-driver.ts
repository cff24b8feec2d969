import { isModuleNotFound, missingPeer } from '../errors';
import type { Row, SqlDriver, SqlSession } from './driver';
import { listenWithPglite, type PGliteListenable } from './listen';

/** What the driver uses of a PGlite instance (`@electric-sql/pglite`). */
export interface PGliteLike {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(sql: string): Promise<unknown>;
  transaction<T>(fn: (tx: PGliteTransactionLike) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  readonly closed?: boolean;
  /** Where it keeps its files (PGlite sets it); a directory on disk is locked to this process. */
  readonly dataDir?: string | undefined;
  /** Used by `subscribe()` (PGlite 0.2 and later have them). */
  listen?(channel: string, callback: (payload: string) => void): Promise<unknown>;
  unlisten?(channel: string, callback?: (payload: string) => void): Promise<void>;
}

export interface PGliteTransactionLike {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(sql: string): Promise<unknown>;
}

/** Start an embedded PGlite: `dataDir` on disk (created when missing), or in memory without one. */
export interface PGliteStartOptions {
  dataDir?: string;
}

function isInstance(value: PGliteLike | PGliteStartOptions): value is PGliteLike {
  return typeof (value as PGliteLike).query === 'function' && typeof (value as PGliteLike).transaction === 'function';
}

/** A held PGlite data-directory lock: `release()` after closing PGlite. */
export interface PgliteDataDirLock {
  /** The lock file, `<dataDir>.lock`. */
  readonly path: string;
  release(): void;
}

/**
 * Lock a PGlite data directory for this process before opening PGlite
 * yourself (`new PGlite(dataDir)`), then pass the instance as `{ pglite }`.
 * Throws at once (`StoreUnavailableError`, naming the pid holding it) when
 * another process has it open. `createPostgresState({ pglite: { dataDir } })`
 * locks on its own. Node only.
 */
export async function lockPgliteDataDir(dataDir: string): Promise<PgliteDataDirLock> {
  return (await import('./pglite-lock')).lockPgliteDataDir(dataDir);
}

/**
 * Lock a data directory on disk for this process (see pglite-lock.ts). Loaded
 * with import() so the main entry keeps no Node built-ins (Deno, edge).
 */
async function lockDataDir(dataDir: string | undefined, ownInstance: boolean): Promise<(() => void) | undefined> {
  const lock = await import('./pglite-lock');
  const path = lock.fileSystemDataDir(dataDir);
  if (path === undefined) return undefined;
  // An instance opened by the caller after `lockPgliteDataDir` (the demo does): already ours.
  if (ownInstance && lock.holdsPgliteLock(path)) return undefined;
  const taken = lock.lockPgliteDataDir(path);
  return () => taken.release();
}

/**
 * A driver over PGlite: one in-process connection. Calls run one at a time
 * (PGlite has a single backend), so a transaction never interleaves with
 * another caller's statements.
 *
 * A data directory on disk is locked first: a second process (or a second
 * opener in this one) fails at once with an error naming the holder, before
 * PGlite touches the files (two processes on one directory corrupt it).
 */
export async function createPgliteDriver(source: PGliteLike | PGliteStartOptions): Promise<SqlDriver> {
  let db: PGliteLike;
  let owned = false;
  let unlock: (() => void) | undefined;
  if (isInstance(source)) {
    // Already open: the lock can only keep later openers out (take it before opening: `lockPgliteDataDir`).
    unlock = await lockDataDir(source.dataDir, true);
    db = source;
  } else {
    let PGlite: { create(dataDir?: string): Promise<PGliteLike> };
    try {
      ({ PGlite } = (await import('@electric-sql/pglite')) as unknown as { PGlite: typeof PGlite });
    } catch (error) {
      if (isModuleNotFound(error, '@electric-sql/pglite')) {
        throw missingPeer('@electric-sql/pglite', 'the embedded database (pglite)', error);
      }
      throw error;
    }
    unlock = await lockDataDir(source.dataDir, false);
    try {
      db = await PGlite.create(source.dataDir);
    } catch (error) {
      unlock?.();
      throw error;
    }
    owned = true;
  }

  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
  let closed = false;

  return {
    kind: 'pglite',
    listen: (channel, handlers) => listenWithPglite(db as PGliteListenable, serial, channel, handlers),
    query<R extends Row = Row>(text: string, params?: readonly unknown[]) {
      return serial(async () => (await db.query<R>(text, params ? [...params] : undefined)).rows);
    },
    transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
      return serial(() =>
        db.transaction((tx) =>
          fn({
            async query<R extends Row = Row>(text: string, params?: readonly unknown[]) {
              return (await tx.query<R>(text, params ? [...params] : undefined)).rows;
            },
            async exec(sql: string) {
              await tx.exec(sql);
            },
          }),
        ),
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        if (owned) await serial(() => db.close());
      } finally {
        unlock?.();
      }
    },
  };
}
