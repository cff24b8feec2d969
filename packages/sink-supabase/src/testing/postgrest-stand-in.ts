/**
 * THIS IS A STAND-IN, NOT POSTGREST. It answers the requests this package's
 * supabase-js driver sends, over a real Postgres (node-postgres pool) or
 * PGlite, so the driver runs end to end without Supabase:
 *
 * - `POST /rest/v1/rpc/<fn>` with a JSON object of named arguments becomes, in
 *   one transaction (with `set local role` from the JWT's role claim when
 *   `switchRole` is set),
 *     select <schema>.<fn>(p_a := a.p_a, …) from json_to_record($1) as a(p_a <declared type>, …)
 *   with the argument types read from pg_catalog, as PostgREST's schema cache
 *   does; answered like PostgREST: a set-returning function as a JSON array of
 *   rows, a scalar as its JSON value, void as 204, an unknown function as 404
 *   PGRST202, a Postgres error as `{ code, message, details, hint }` with
 *   PostgREST's status for the SQLSTATE;
 * - `GET /rest/v1/<table>?select=a,b` reads a table.
 *
 * It proves rpc names, argument names and types, JSON encodings (bytea hex,
 * jsonb, arrays, timestamps) and result shapes; it does not prove PostgREST's
 * own behaviour (auth beyond comparing the key, limits, filters, schema cache).
 * Use `createPostgrestFetch` in-process (supabase-js `global.fetch`), or
 * `startPostgrestStandIn` behind a socket for another process (Deno).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PgPoolLike } from '../sql/pg-driver';
import type { PGliteLike } from '../sql/pglite-driver';

/** One SQL statement inside the stand-in's transaction. */
export type PostgrestQuery = (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;
/** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
export type PostgrestTransaction = <T>(fn: (query: PostgrestQuery) => Promise<T>) => Promise<T>;

export interface PostgrestStandInOptions {
  /**
   * Serve every request from this schema, whatever profile the client asks
   * for. Without it: the `Content-Profile` / `Accept-Profile` header, or public.
   */
  schema?: string;
  /** When given, requests must send it as `apikey` and `Authorization: Bearer` (else 401 PGRST301). */
  serviceKey?: string;
  /** `set local role` to the role claim of the request's JWT, as PostgREST does. */
  switchRole?: boolean;
  /** Receives every request as `POST /rest/v1/rpc/act_enqueue`. */
  calls?: string[];
}

export interface PostgrestStandIn {
  url: string;
  /** Requests seen, as `POST /rest/v1/rpc/act_enqueue`. */
  calls: string[];
  close(): Promise<void>;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** PostgREST's HTTP status for a SQLSTATE (postgrest/src/PostgREST/Error.hs). */
export function postgrestStatus(code: string): number {
  if (code === '23503' || code === '23505') return 409;
  if (code.startsWith('08') || (code.startsWith('53') && code !== '53400')) return 503;
  if (code === '42883' || code === '42P01') return 404;
  if (code === '42501') return 403;
  return /^(09|25|2D|38|39|3B|40|53|54|55|57|58|F0|HV|XX)/.test(code) ? 500 : 400;
}

/** A transaction per request on a node-postgres pool. */
export function poolTransaction(pool: Pick<PgPoolLike, 'connect'>): PostgrestTransaction {
  return async (fn) => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const result = await fn(async (text, params) => (await client.query(text, params)).rows);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };
}

/** A transaction per request on PGlite. */
export function pgliteTransaction(db: Pick<PGliteLike, 'transaction'>): PostgrestTransaction {
  return (fn) =>
    db.transaction((tx) => fn(async (text, params) => (await tx.query<Record<string, unknown>>(text, params)).rows));
}

const answer = (status: number, body: string | null) =>
  new Response(body, { status, headers: body === null ? {} : { 'content-type': 'application/json; charset=utf-8' } });
const failure = (status: number, code: string, message: string) =>
  answer(status, JSON.stringify({ code, message, details: null, hint: null }));

/**
 * A `fetch` that answers supabase-js's requests from the database (pass it as
 * `createClient(url, key, { global: { fetch } })`). A Postgres error is a
 * PostgREST error answer; anything else rejects.
 */
export function createPostgrestFetch(
  transaction: PostgrestTransaction,
  options: PostgrestStandInOptions = {},
): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    options.calls?.push(`${request.method} ${url.pathname}`);
    if (options.serviceKey !== undefined) {
      const key = options.serviceKey;
      if (request.headers.get('apikey') !== key || request.headers.get('authorization') !== `Bearer ${key}`) {
        return failure(401, 'PGRST301', 'Invalid API key');
      }
    }
    const schema =
      options.schema ?? request.headers.get('content-profile') ?? request.headers.get('accept-profile') ?? 'public';
    const table = request.method === 'GET' ? /^\/rest\/v1\/(\w+)$/.exec(url.pathname)?.[1] : undefined;
    const fn = request.method === 'POST' ? /^\/rest\/v1\/rpc\/(\w+)$/.exec(url.pathname)?.[1] : undefined;
    if (table === undefined && fn === undefined)
      return answer(404, JSON.stringify({ message: 'not in this stand-in' }));
    const text = request.method === 'POST' ? await request.text() : '';
    const args = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    try {
      return await transaction(async (query) => {
        if (options.switchRole) {
          const token = (request.headers.get('authorization') ?? '').split('.')[1] ?? 'e30=';
          const role = (JSON.parse(atob(token.replace(/-/g, '+').replace(/_/g, '/'))) as { role?: unknown }).role;
          await query(`set local role ${quote(String(role))}`);
        }
        if (table !== undefined) {
          const columns = (url.searchParams.get('select') ?? '*').split(',').map((column) => quote(column));
          const from = `${quote(schema)}.${quote(table)}`;
          const [row] = await query(
            `select coalesce(json_agg(t), '[]')::text as body from (select ${columns.join(', ')} from ${from}) t`,
          );
          return answer(200, row?.body as string);
        }
        const [proc] = await query(
          `select p.proretset as set, p.prorettype = 'void'::regtype as void,
             coalesce(p.proargnames[1:p.pronargs], '{}') as names,
             array(select format_type(t, null) from unnest(p.proargtypes::oid[]) with ordinality u(t, n) order by n) as types
           from pg_proc p join pg_namespace ns on ns.oid = p.pronamespace where ns.nspname = $1 and p.proname = $2`,
          [schema, fn],
        );
        const names = (proc?.names ?? []) as string[];
        const keys = Object.keys(args);
        if (!proc || keys.some((key) => !names.includes(key))) {
          const message = `Could not find the function ${schema}.${fn}(${keys.sort().join(', ')}) in the schema cache`;
          return failure(404, 'PGRST202', message);
        }
        const types = proc.types as string[];
        const call = `${quote(schema)}.${quote(fn as string)}(${keys.map((key) => `${quote(key)} := a.${quote(key)}`).join(', ')})`;
        const record = keys.map((key) => `${quote(key)} ${types[names.indexOf(key)]}`).join(', ');
        const from = keys.length > 0 ? ` from json_to_record($1::json) as a(${record})` : '';
        const select = proc.void
          ? call
          : proc.set
            ? `coalesce((select json_agg(r) from ${call} r), '[]')::text`
            : `to_json(${call})::text`;
        const [row] = await query(`select ${select} as body${from}`, keys.length > 0 ? [JSON.stringify(args)] : []);
        return proc.void ? answer(204, null) : answer(200, row?.body as string);
      });
    } catch (error) {
      const { code, message, detail, hint } = error as {
        code?: unknown;
        message: string;
        detail?: string;
        hint?: string;
      };
      if (typeof code !== 'string') throw error;
      return answer(
        postgrestStatus(code),
        JSON.stringify({ code, message, details: detail ?? null, hint: hint ?? null }),
      );
    }
  };
}

/**
 * The same stand-in over real HTTP on 127.0.0.1 (an ephemeral port), for a
 * separate process such as a Deno Edge Function; any other failure is a 500.
 */
export async function startPostgrestStandIn(
  options: PostgrestStandInOptions & { transaction: PostgrestTransaction },
): Promise<PostgrestStandIn> {
  const calls = options.calls ?? [];
  const handle = createPostgrestFetch(options.transaction, { ...options, calls });
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      try {
        const headers = new Headers();
        for (const [name, value] of Object.entries(request.headers)) {
          if (typeof value === 'string') headers.set(name, value);
          else if (Array.isArray(value)) headers.set(name, value.join(', '));
        }
        const method = request.method ?? 'GET';
        const answered = await handle(`http://127.0.0.1${request.url ?? '/'}`, {
          method,
          headers,
          ...(method === 'GET' || method === 'HEAD' ? {} : { body: Buffer.concat(chunks) }),
        });
        const body = answered.status === 204 ? null : await answered.text();
        response.writeHead(answered.status, Object.fromEntries(answered.headers));
        response.end(body ?? undefined);
      } catch (error) {
        response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify({ message: error instanceof Error ? error.message : String(error) }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
