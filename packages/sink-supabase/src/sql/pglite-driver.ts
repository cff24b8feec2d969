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

/**
 * A driver over PGlite: one in-process connection. Calls run one at a time
 * (PGlite has a single backend), so a transaction never interleaves with
 * another caller's statements.
 */
export async function createPgliteDriver(source: PGliteLike | PGliteStartOptions): Promise<SqlDriver> {
  let db: PGliteLike;
  let owned = false;
  if (isInstance(source)) {
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
    db = await PGlite.create(source.dataDir);
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
      if (closed || !owned) return;
      closed = true;
      await serial(() => db.close());
    },
  };
}
