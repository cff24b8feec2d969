import { isModuleNotFound, missingPeer, toActError } from '../errors';
import type { Row, SqlDriver, SqlSession } from './driver';
import { listenWithPgPool } from './listen';

/** What the driver uses of a node-postgres `Pool` (so `@types/pg` is not required). */
export interface PgPoolLike {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
  connect(): Promise<PgPoolClientLike>;
  end(): Promise<void>;
}

export interface PgPoolClientLike {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
  release(error?: Error | boolean): void;
}

/** Options for the pool this package creates from a connection string (node-postgres `PoolConfig`). */
export interface PgPoolOptions {
  /** Most connections; defaults to 10. */
  max?: number;
  /** Milliseconds to wait for a connection before failing; defaults to 10 s. */
  connectionTimeoutMillis?: number;
  /** Milliseconds an idle connection is kept; defaults to 10 s. */
  idleTimeoutMillis?: number;
  /** Passed to node-postgres as is (`true`, or `{ rejectUnauthorized, ca }`). */
  ssl?: unknown;
  /** Kills statements running longer than this, server side. */
  statement_timeout?: number;
  application_name?: string;
  [option: string]: unknown;
}

type PoolConstructor = new (
  config: Record<string, unknown>,
) => PgPoolLike & {
  on(event: 'error', listener: (error: Error) => void): unknown;
};

interface BufferStatic {
  isBuffer(value: unknown): boolean;
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): Uint8Array;
}

function toParams(params: readonly unknown[] | undefined): unknown[] | undefined {
  if (!params) return undefined;
  // node-postgres sends Buffers as bytea; other byte views are wrapped (not copied) in one.
  const NodeBuffer = (globalThis as { Buffer?: BufferStatic }).Buffer;
  return params.map((value) =>
    value instanceof Uint8Array && NodeBuffer && !NodeBuffer.isBuffer(value)
      ? NodeBuffer.from(value.buffer, value.byteOffset, value.byteLength)
      : value,
  );
}

/**
 * A driver over a node-postgres pool: the one given, or one created from a
 * connection string (closed by `close()`). Works through the Supabase pooler
 * in transaction mode: node-postgres uses unnamed prepared statements, and
 * every call is a single statement or one explicit transaction.
 */
export async function createPgDriver(
  source: { connectionString: string; poolOptions?: PgPoolOptions } | { pool: PgPoolLike },
  onPoolError?: (error: Error) => void,
): Promise<SqlDriver> {
  let pool: PgPoolLike;
  let owned = false;
  if ('pool' in source) {
    pool = source.pool;
  } else {
    let Pool: PoolConstructor;
    try {
      const pg = (await import('pg')) as unknown as { Pool?: PoolConstructor; default?: { Pool: PoolConstructor } };
      Pool = (pg.default?.Pool ?? pg.Pool) as PoolConstructor;
    } catch (error) {
      if (isModuleNotFound(error, 'pg')) throw missingPeer('pg', 'connecting with a connection string', error);
      throw error;
    }
    const created = new Pool({
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 10_000,
      ...source.poolOptions,
      connectionString: source.connectionString,
    });
    // An idle client losing its connection emits 'error' on the pool; without a
    // listener Node would crash the process. The next query reconnects.
    created.on('error', (error) => onPoolError?.(error));
    pool = created;
    owned = true;
  }
  let closed = false;

  const poolMax = (pool as { options?: { max?: unknown } }).options?.max;
  return {
    kind: 'pg',
    listen: (channel, handlers) => listenWithPgPool(pool, channel, handlers),
    // node-postgres' default is 10.
    maxConnections: typeof poolMax === 'number' && poolMax > 0 ? poolMax : 10,
    async query<R extends Row = Row>(text: string, params?: readonly unknown[]) {
      const result = await pool.query(text, toParams(params));
      return result.rows as R[];
    },
    async transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('begin');
        const session: SqlSession = {
          async query<R extends Row = Row>(text: string, params?: readonly unknown[]) {
            return (await client.query(text, toParams(params))).rows as R[];
          },
          async exec(sql: string) {
            await client.query(sql);
          },
        };
        const result = await fn(session);
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw error;
      } finally {
        client.release(broken ?? false);
      }
    },
    async close() {
      if (closed || !owned) return;
      closed = true;
      await pool.end().catch((error: unknown) => {
        throw toActError(error, 'close');
      });
    },
  };
}
